"""What every cog shares: the moderator check, channel checks, and sending without pings."""

from __future__ import annotations

import io
import logging
import zoneinfo

import discord
from discord import app_commands

from bot.adapter.client import ClioBot, explain, reply_ephemeral
from bot.core.errors import ChannelNotUsable

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
# A server channel that holds messages: a text channel, a thread, or a voice or stage channel's chat.
MessageChannel = discord.TextChannel | discord.Thread | discord.VoiceChannel | discord.StageChannel
# What can be watched: a channel that holds messages, or a forum, whose posts are threads.
WatchableChannel = MessageChannel | discord.ForumChannel
MODERATOR_PERMISSIONS = discord.Permissions(manage_messages=True)


_TIMEZONES = sorted(zoneinfo.available_timezones())


async def timezone_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    """Autocomplete for IANA time zone options."""
    needle = current.strip().lower()
    return [app_commands.Choice(name=tz, value=tz) for tz in _TIMEZONES if needle in tz.lower()][:25]


def guild_id_of(interaction: discord.Interaction) -> int:
    """The server an interaction came from: every Clio command and component is guild-only."""
    if interaction.guild_id is None:
        raise app_commands.NoPrivateMessage()
    return interaction.guild_id


def clio_of(interaction: discord.Interaction) -> ClioBot:
    """The bot an interaction reached, as Clio's own bot class (its engine and cogs)."""
    if not isinstance(interaction.client, ClioBot):
        raise TypeError(f"Clio's cogs need a ClioBot, not {type(interaction.client).__name__}")
    return interaction.client


def guild_of(interaction: discord.Interaction) -> discord.Guild:
    if interaction.guild is None:
        raise app_commands.NoPrivateMessage()
    return interaction.guild


def member_of(interaction: discord.Interaction) -> discord.Member:
    """Who ran a guild command, with their roles and permissions there."""
    if not isinstance(interaction.user, discord.Member):
        raise app_commands.NoPrivateMessage()
    return interaction.user


def _reads(channel: discord.abc.GuildChannel, who: discord.Role | discord.Member) -> bool:
    permissions = channel.permissions_for(who)
    return permissions.view_channel and permissions.read_message_history


def _channels_with_history(guild: discord.Guild) -> list[tuple[int, discord.abc.GuildChannel]]:
    """(id, the channel whose permissions govern it) for every channel and cached public thread."""
    found: list[tuple[int, discord.abc.GuildChannel]] = [
        (c.id, c) for c in guild.channels if not isinstance(c, discord.CategoryChannel)
    ]
    for thread in guild.threads:
        if not thread.is_private() and thread.parent is not None:  # a private thread's readers are its members
            found.append((thread.id, thread.parent))
    return found


def readable_by(guild: discord.Guild, member: discord.Member) -> set[int]:
    """The channels and threads a member can read."""
    return {channel_id for channel_id, governing in _channels_with_history(guild) if _reads(governing, member)}


def readable_by_audience(destination: MessageChannel) -> set[int]:
    """The channels everyone who can read ``destination`` can also read: what a post there may quote.

    Judged from the permissions discord.py computes, overwrites included, role by role (each role as
    its only role besides @everyone) and for every member the destination names in an overwrite. A
    private channel is left out of a digest posted anywhere its readers are not the only readers.
    """
    governing = destination.parent if isinstance(destination, discord.Thread) else destination
    if governing is None or (isinstance(destination, discord.Thread) and destination.is_private()):
        return set()
    guild = destination.guild
    audience: list[discord.Role | discord.Member] = [r for r in guild.roles if _reads(governing, r)]
    audience += [t for t in governing.overwrites if isinstance(t, discord.Member) and _reads(governing, t)]
    return {
        channel_id
        for channel_id, channel in _channels_with_history(guild)
        if all(_reads(channel, who) for who in audience)
    }


async def send_dm(client: discord.Client, user_id: int, text: str) -> bool:
    """Message a member privately; False (logged) when they do not accept the bot's DMs."""
    try:
        user = client.get_user(user_id) or await client.fetch_user(user_id)
        await user.send(text, allowed_mentions=NO_MENTIONS)
    except discord.HTTPException as exc:
        log.info("DM to %d failed: %s", user_id, exc)
        return False
    return True


async def is_moderator(interaction: discord.Interaction) -> bool:
    """Manage Messages, or the server's moderator role."""
    guild_id = guild_id_of(interaction)
    if interaction.permissions.manage_messages:
        return True
    role_id = (await clio_of(interaction).engine.store.settings.get(guild_id)).moderator_role
    member = interaction.user if isinstance(interaction.user, discord.Member) else None
    return role_id is not None and member is not None and any(role.id == role_id for role in member.roles)


async def require_moderator(interaction: discord.Interaction) -> bool:
    """The server-side half of moderator-only commands (``default_permissions`` is only a UI hint
    that server admins can override)."""
    if await is_moderator(interaction):
        return True
    raise app_commands.MissingPermissions(["manage_messages"])


def add_to_clio(bot: ClioBot, command: app_commands.Command | app_commands.Group) -> None:
    """Attach a cog's moderator command to ``/clio`` (``cogs.settings``), the top-level command Discord
    hides from members: a feature's moderator commands stay in its own cog."""
    clio = bot.tree.get_command("clio")
    if not isinstance(clio, app_commands.Group):
        log.warning("/clio %s is unavailable: the settings cog is not loaded", command.name)
        return
    clio.add_command(command)


def remove_from_clio(bot: ClioBot, command: app_commands.Command | app_commands.Group) -> None:
    clio = bot.tree.get_command("clio")
    if isinstance(clio, app_commands.Group):
        clio.remove_command(command.name)


def _require(channel: discord.abc.GuildChannel, needed: tuple[str, ...], doing: str) -> None:
    permissions = channel.permissions_for(channel.guild.me)
    missing = [name.replace("_", " ").title() for name in needed if not getattr(permissions, name)]
    if missing:
        raise ChannelNotUsable(f"I can't {doing} {channel.mention}: I need {', '.join(missing)} there.")


def ensure_readable(channel: discord.abc.GuildChannel) -> None:
    _require(channel, ("view_channel", "read_message_history"), "read")


def ensure_postable(channel: discord.abc.GuildChannel) -> None:
    _require(channel, ("view_channel", "send_messages", "embed_links", "attach_files"), "post in")


def embeds_of(dicts: list[dict]) -> list[discord.Embed]:
    return [discord.Embed.from_dict(d) for d in dicts]


def files_of(files: dict[str, bytes]) -> list[discord.File]:
    return [discord.File(io.BytesIO(data), filename=name) for name, data in files.items()]


async def answer(interaction: discord.Interaction, content: str | None = None, *, embed: discord.Embed | None = None):
    """Answer only the user, whether or not the command deferred first: a command whose answer could
    take more than two seconds (a DM, a call to Discord, a heavy query) defers before doing it."""
    embeds = [embed] if embed is not None else []
    if interaction.response.is_done():
        text = content if content is not None else discord.utils.MISSING
        await interaction.followup.send(text, embeds=embeds, ephemeral=True, allowed_mentions=NO_MENTIONS)
    else:
        await interaction.response.send_message(content, embeds=embeds, ephemeral=True, allowed_mentions=NO_MENTIONS)


async def answer_error(interaction: discord.Interaction, error: Exception) -> None:
    """What the bot's app-command error handler does, for components and modals, whose errors discord.py
    would otherwise only log."""
    message = explain(error)
    if message is None:
        log.error(
            "component %s failed in guild %s",
            (interaction.data or {}).get("custom_id"),
            interaction.guild_id,
            exc_info=error,
        )
        message = "Something went wrong on my side. The details are in the bot's log."
    await reply_ephemeral(interaction, message)


async def moderator_or_told(interaction: discord.Interaction) -> bool:
    """A component's moderator check: True for a moderator; anyone else is answered why not (a failed
    ``interaction_check`` is otherwise silent)."""
    try:
        return await require_moderator(interaction)
    except app_commands.AppCommandError as error:
        await answer_error(interaction, error)
        return False


class ModeratorItem:
    """Mixed in before ``DynamicItem``: a server-side moderator check that answers the refused user,
    and errors answered instead of only logged."""

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return await moderator_or_told(interaction)

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await self.run(interaction)
        except Exception as error:
            await answer_error(interaction, error)

    async def run(self, interaction: discord.Interaction) -> None:
        raise NotImplementedError
