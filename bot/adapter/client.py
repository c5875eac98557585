"""The Discord client: the only module outside ``cogs/`` that imports discord.py.

``ClioBot`` opens the engine, loads one extension per feature, starts the scheduler and syncs the
slash commands in ``setup_hook``; on close it lets the cogs write what they hold, stops the
scheduler and closes the store. ``run_bot`` is what ``clio run`` calls.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import signal
import sys
from contextlib import AsyncExitStack
from datetime import UTC

import aiohttp
import discord
import yarl
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from discord import app_commands, gateway, http
from discord.ext import commands

from bot.core.config import Settings
from bot.core.errors import UserError
from bot.engine.privacy import Removed
from bot.engine.wiring import Engine, open_engine

log = logging.getLogger(__name__)

# One extension per feature; each is a thin adapter over the engine.
EXTENSIONS: tuple[str, ...] = (
    "cogs.ingest",
    "cogs.settings",
    "cogs.summary",
    "cogs.digests",
    "cogs.arguments",
    "cogs.moderation",
    "cogs.manual_actions",
    "cogs.help",
    "cogs.setup",
    "cogs.export",
)

EXIT_OK, EXIT_ERROR, EXIT_NO_TOKEN, EXIT_BAD_TOKEN, EXIT_NO_INTENT = 0, 1, 2, 3, 4

# Clio never joins voice: discord.py's warnings about missing voice libraries are noise at every start.
discord.VoiceClient.warn_nacl = False
discord.VoiceClient.warn_dave = False


# What Clio asks for when invited (README, "Running the bot"): reading, posting digests in channels and
# threads, attaching charts, and the moderators' actions (deleting messages, timing members out).
INVITE_PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    create_public_threads=True,
    embed_links=True,
    attach_files=True,
    read_message_history=True,
    manage_messages=True,
    moderate_members=True,
)


def invite_url(client_id: int) -> str:
    """The link that adds Clio to a server with its slash commands and exactly INVITE_PERMISSIONS."""
    return discord.utils.oauth_url(client_id, permissions=INVITE_PERMISSIONS, scopes=("bot", "applications.commands"))


def configure_endpoints(settings: Settings) -> None:
    """Point discord.py at another Discord-compatible API (a local fake, a proxy). Process-wide."""
    if settings.discord_api:
        http.Route.BASE = settings.discord_api.rstrip("/")
    if settings.discord_gateway:
        gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway)


def clio_intents() -> discord.Intents:
    """Guilds and their messages; message content is the only privileged intent Clio needs."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.message_content = True
    return intents


def skip_malformed_events(state) -> None:
    """Log and skip a gateway event whose payload discord.py cannot parse (a message without an
    author, a non-numeric id), instead of letting the error end the connection and so the bot.

    discord.py runs every dispatch through the ``parsers`` table of its connection state (the gateway
    looks each event up there on every connect), so wrapping its entries covers every event.
    """
    for event, parse in list(state.parsers.items()):
        state.parsers[event] = _skipping_errors(event, parse)


def _skipping_errors(event: str, parse):
    def parse_or_skip(data) -> None:
        try:
            parse(data)
        except Exception:
            log.warning("skipped a malformed %s event", event, exc_info=True)

    return parse_or_skip


class ClioBot(commands.Bot):
    """Slash commands only: prefix commands are never parsed."""

    def __init__(self, settings: Settings, *, extensions: tuple[str, ...] = EXTENSIONS, **options) -> None:
        options.setdefault("intents", clio_intents())
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            allowed_mentions=discord.AllowedMentions.none(),
            **options,
        )
        self.settings = settings
        self.extensions_to_load = extensions
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self._resources = AsyncExitStack()
        self._engine: Engine | None = None
        self._shutdown: asyncio.Future | None = None
        self.tree.on_error = self.on_app_command_error
        skip_malformed_events(self._connection)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            raise RuntimeError("the engine opens in setup_hook; it is not open yet")
        return self._engine

    async def setup_hook(self) -> None:
        self._engine = await self._resources.enter_async_context(open_engine(self.settings))
        self.scheduler.start()
        for extension in self.extensions_to_load:
            await self.load_extension(extension)
        await self._sync_commands()

    async def _sync_commands(self) -> None:
        """Sync the slash commands only when they changed since the last sync: Discord rate-limits
        syncing, and with several shard processes every start would sync the same tree again."""
        payload = [command.to_dict(self.tree) for command in self.tree.get_commands()]
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
        key = f"command_tree:{self.application_id}"
        if await self.engine.store.app_state.get(key) == digest:
            log.info("application commands unchanged; not synced")
            return
        synced = await self.tree.sync()
        await self.engine.store.app_state.set(key, digest)
        log.info("synced %d application commands", len(synced))

    async def delete_user_data(self, user_id: int, *, requester: str, guild_id: int | None = None) -> Removed:
        """Run every cog's data-deletion hook (Red-DiscordBot's ``red_delete_data_for_user``), in load order.

        The ingest cog comes first, so a message of theirs still queued is written before it is deleted.
        ``guild_id`` limits the forgetting to one server; None means every server. Returns what was removed.
        """
        removed = Removed()
        for cog in list(self.cogs.values()):
            hook = getattr(cog, "red_delete_data_for_user", None)
            if hook is not None:
                result = await hook(requester=requester, user_id=user_id, guild_id=guild_id)
                removed += result if isinstance(result, Removed) else Removed()
        return removed

    async def on_message(self, message: discord.Message) -> None:
        """Listeners in the cogs see every message; there are no prefix commands to look for."""

    async def close(self) -> None:
        """Shut down once, whoever asks (a signal, ``async with``, discord.py): every caller waits for
        the whole shutdown, so the process never exits while the cogs are still writing."""
        if self._shutdown is None:
            self._shutdown = asyncio.ensure_future(self._shut_down())
        await asyncio.shield(self._shutdown)

    async def _shut_down(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        # Commands being answered finish while HTTP is up; discord.py names their tasks.
        await _wait_for_tasks("CommandTree-invoker", timeout=10)
        # commands.Bot.close unloads the extensions (the ingest cog writes its queue, the digest
        # cog lets running digests finish), then closes the gateway and HTTP.
        await super().close()
        # Event handlers dispatched before the gateway closed still need the store.
        await _wait_for_tasks("discord.py: ", timeout=5)
        await self._resources.aclose()
        self._engine = None

    async def on_app_command_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        command = interaction.command.qualified_name if interaction.command else "?"
        message = explain(error)
        if message is None:
            log.error("/%s failed in guild %s", command, interaction.guild_id, exc_info=error)
            message = "Something went wrong on my side. The details are in the bot's log."
        else:
            log.info("/%s refused in guild %s: %s", command, interaction.guild_id, message)
        await reply_ephemeral(interaction, message)


async def _wait_for_tasks(name_prefix: str, timeout: float) -> None:
    current = asyncio.current_task()
    tasks = [t for t in asyncio.all_tasks() if t is not current and t.get_name().startswith(name_prefix)]
    if tasks:
        await asyncio.wait(tasks, timeout=timeout)


class ShardedClioBot(ClioBot, commands.AutoShardedBot):
    """The same bot on several gateway shards, for large deployments (CLIO_SHARDED=1)."""


def create_bot(settings: Settings, **options) -> ClioBot:
    if settings.shard_count is not None:
        # One range of the shards; the other processes run the rest against the same database.
        options.setdefault("shard_count", settings.shard_count)
        options.setdefault("shard_ids", settings.shard_id_list)
        return ShardedClioBot(settings, **options)
    return (ShardedClioBot if settings.sharded else ClioBot)(settings, **options)


def explain(error: Exception) -> str | None:
    """What to tell the user about a failed command; None for a bug (which gets logged)."""
    cause = error.original if isinstance(error, app_commands.CommandInvokeError) else error
    if isinstance(cause.__cause__, UserError):  # raised inside a transformer
        cause = cause.__cause__
    if isinstance(cause, UserError):
        return str(cause)
    if isinstance(cause, app_commands.MissingPermissions):
        return f"You need the {_permission_names(cause.missing_permissions)} permission to use this command."
    if isinstance(cause, app_commands.BotMissingPermissions):
        return f"I need the {_permission_names(cause.missing_permissions)} permission here to do that."
    if isinstance(cause, app_commands.NoPrivateMessage):
        return "This command only works in a server."
    if isinstance(cause, app_commands.CommandOnCooldown):
        return f"Slow down: try again in {cause.retry_after:.0f} s."
    if isinstance(cause, app_commands.TransformerError):
        if cause.type is discord.AppCommandOptionType.channel:
            return "I can't see that channel. Give me View Channel and Send Messages there, or pick another."
        return f"`{cause.value}` is not a valid value for that option."
    if isinstance(cause, app_commands.CheckFailure):
        return "You can't use this command here."
    if isinstance(cause, discord.Forbidden):
        return "Discord refused: I lack a permission for that in this channel."
    return None


def _permission_names(permissions: list[str]) -> str:
    return " and ".join(name.replace("_", " ").title() for name in permissions)


async def reply_ephemeral(interaction: discord.Interaction, content: str) -> None:
    """Answer or follow up, whichever the interaction still allows."""
    try:
        if interaction.response.is_done():
            await interaction.followup.send(content, ephemeral=True, allowed_mentions=discord.AllowedMentions.none())
        else:
            await interaction.response.send_message(
                content, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
            )
    except discord.HTTPException as exc:
        log.warning("could not answer interaction %s: %s", interaction.id, exc)


# -- running ------------------------------------------------------------------------------------------


def _fail(code: int, message: str) -> int:
    print(f"clio: error: {message}", file=sys.stderr)
    return code


async def run_bot_async(settings: Settings, *, handle_signals: bool = True) -> int:
    """Run until closed (SIGINT/SIGTERM close gracefully); returns the process exit code."""
    token = settings.discord_token.get_secret_value().strip() if settings.discord_token else ""
    if not token:
        return _fail(EXIT_NO_TOKEN, "DISCORD_TOKEN is not set. Put the bot token in the environment or in .env.")
    if problem := settings.shard_problem():
        return _fail(EXIT_ERROR, problem)
    configure_endpoints(settings)
    bot = create_bot(settings)
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM) if handle_signals else ()
    for sig in signals:
        loop.add_signal_handler(sig, lambda: asyncio.ensure_future(bot.close()))
    try:
        async with bot:
            await bot.start(token)
            # start returns as soon as the gateway closes, maybe while a signal's shutdown is still
            # writing: wait for all of it, or the store would be left open.
            await bot.close()
    except discord.LoginFailure:
        return _fail(EXIT_BAD_TOKEN, "Discord rejected DISCORD_TOKEN. Copy the token again from the Developer Portal.")
    except discord.PrivilegedIntentsRequired:
        return _fail(
            EXIT_NO_INTENT,
            "the Message Content intent is not enabled for this bot. Switch it on under Bot > Privileged "
            "Gateway Intents in the Developer Portal.",
        )
    except (aiohttp.ClientConnectionError, discord.GatewayNotFound) as exc:
        return _fail(EXIT_ERROR, f"cannot reach Discord ({exc}).")
    except UserError as exc:  # the database cannot be opened, say
        return _fail(EXIT_ERROR, str(exc))
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
    return EXIT_OK


def run_bot(settings: Settings) -> int:
    return asyncio.run(run_bot_async(settings))
