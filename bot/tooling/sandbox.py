"""Clio against a local FakeDiscord, in this process: for ``clio sandbox``, benchmarks and tests.

Nothing here talks to the real Discord. :class:`BotRunner` starts and stops the real bot against
the fake; :func:`sample_world` builds a guild from the bundled DiscordChatExporter sample;
:func:`replay` posts its conversation through the gateway as users would.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from bot.adapter.client import ClioBot, configure_endpoints, create_bot
from bot.core.config import PROMPTS_ROOT, Settings
from bot.core.records import IncomingMessage
from bot.engine.importers import read_export
from bot.tooling.fakediscord import FakeDiscord

SAMPLE_DIR = PROMPTS_ROOT / "sample"


@runtime_checkable
class Idles(Protocol):
    """The ingest cog, as the runner sees it without importing cogs."""

    async def idle(self) -> None: ...


class BotRunner:
    """The real ClioBot run against a FakeDiscord; start, stop and start it again (same database)."""

    def __init__(self, fake: FakeDiscord, settings: Settings, guild_ready_timeout: float = 0.05) -> None:
        self.fake = fake
        self.settings = settings.model_copy(
            update={
                "discord_api": fake.api_url,
                "discord_gateway": fake.gateway_url,
                "discord_token": None,
            }
        )
        self.guild_ready_timeout = guild_ready_timeout
        self.bot: ClioBot | None = None
        self._task: asyncio.Task | None = None

    async def start(self, timeout: float = 60.0, **options) -> ClioBot:
        configure_endpoints(self.settings)
        options.setdefault("guild_ready_timeout", self.guild_ready_timeout)
        self.bot = create_bot(self.settings, **options)
        self._task = asyncio.create_task(self.bot.start(self.fake.token), name="clio-bot")
        ready = asyncio.create_task(self.bot.wait_until_ready())
        done, _ = await asyncio.wait({self._task, ready}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if ready not in done:
            ready.cancel()
            if self._task in done:
                self._task.result()  # raises what start raised
            raise TimeoutError(f"the bot was not ready within {timeout} s")
        await self.idle()  # start-up backfill
        return self.bot

    @property
    def running(self) -> ClioBot:
        if self.bot is None:
            raise RuntimeError("the bot is not running: call start() first")
        return self.bot

    async def stop(self) -> None:
        if self.bot is not None:
            await self.bot.close()
            if self._task is not None:
                await asyncio.wait_for(self._task, 30)
            self.bot = None

    async def idle(self) -> None:
        """Backfills done, queued messages written, ingest listeners finished."""
        ingest = self.bot.get_cog("Ingest") if self.bot else None
        if isinstance(ingest, Idles):
            await ingest.idle()


@dataclass
class SampleWorld:
    """A guild built from the sample export: its channels plus #digests and #mod-log."""

    guild_id: str
    guild_name: str
    channels: dict[str, str]  # name -> id
    members: dict[str, str]  # author name -> user id
    moderator_id: str
    conversation: list[IncomingMessage]  # oldest first, as exported


def read_sample(folder: Path = SAMPLE_DIR) -> list[IncomingMessage]:
    messages: list[IncomingMessage] = []
    for path in sorted(folder.glob("*.json")):
        messages += read_export(path).messages
    return sorted(messages, key=lambda m: (m.created_at, m.id))


def sample_world(fake: FakeDiscord, folder: Path = SAMPLE_DIR) -> SampleWorld:
    conversation = read_sample(folder)
    guild_name = conversation[0].guild_name or "Sample server"
    guild = fake.add_guild(guild_name)
    names = list(dict.fromkeys(m.channel_name for m in conversation)) + ["digests", "mod-log"]
    channels = {name: fake.add_channel(guild.id, name)["id"] for name in names}
    members = {
        name: fake.add_member(guild.id, name)["user"]["id"]
        for name in dict.fromkeys(m.author_name for m in conversation)
    }
    moderator_id = fake.add_member(guild.id, "sandbox-moderator", moderator=True)["user"]["id"]
    return SampleWorld(guild.id, guild_name, channels, members, moderator_id, conversation)


async def replay(
    fake: FakeDiscord,
    world: SampleWorld,
    messages: Sequence[IncomingMessage] | None = None,
    end_at: float | None = None,
) -> dict[int, str]:
    """Post the conversation through the gateway, its times shifted to end at ``end_at`` (now).

    Returns export id -> id of the posted message; replies point at the posted copies."""
    messages = list(world.conversation if messages is None else messages)
    shift = (end_at or time.time()) - max(m.created_at for m in messages)
    posted: dict[int, str] = {}
    for message in messages:
        reply_to = posted.get(message.reply_to_id) if message.reply_to_id else None
        sent = await fake.post_user_message(
            world.channels[message.channel_name],
            world.members[message.author_name],
            message.content,
            reply_to=reply_to,
            timestamp=message.created_at + shift,
        )
        posted[message.id] = sent["id"]
    return posted


# -- clio sandbox ------------------------------------------------------------------------------------


async def _answered(record, timeout: float = 60.0) -> dict:
    """Wait for the bot's answer with content (a deferred answer counts once it is filled in)."""
    return await record.wait_original(timeout)


async def _wait_stored(runner: BotRunner, guild_id: int, count: int, timeout: float = 60.0) -> None:
    store = runner.running.engine.store
    deadline = time.monotonic() + timeout
    while await store.messages.count(guild_id) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {await store.messages.count(guild_id)} of {count} messages were stored")
        await asyncio.sleep(0.1)
    await runner.idle()


async def _report_one(fake: FakeDiscord, world: SampleWorld, message_id: str) -> bool:
    """A member reports a message with the context menu, if the moderation cog offers it."""
    reporter = next(iter(world.members.values()))
    try:
        record = await fake.invoke_message_command("Report to moderators", message_id, reporter)
        modal = await record.wait_modal(timeout=15)
    except (LookupError, AssertionError, TimeoutError):
        return False
    reason = "Sandbox: a member reports this message."
    answer = await fake.submit_modal(record, {key: reason for key in _text_inputs(modal["components"])})
    await answer.wait_original(timeout=15)
    return True


def _text_inputs(components: list[dict]):
    """custom_ids of a modal's text inputs, inside action rows (type 1) or labels (type 18)."""
    for component in components:
        if component.get("type") == 4:
            yield component["custom_id"]
        nested = component.get("components") or ([component["component"]] if component.get("component") else [])
        yield from _text_inputs(nested)


async def run_sandbox(settings: Settings, echo=print) -> float:
    """Build the sample guild, run Clio on it, replay the conversation, ask for a digest and report a
    message; then print everything Clio posted. Returns the wall time in seconds."""
    started = time.perf_counter()
    async with FakeDiscord() as fake:
        world = sample_world(fake)
        guild_id = int(world.guild_id)
        runner = BotRunner(fake, settings)
        echo(f"Starting Clio against a local fake Discord ({world.guild_name})...")
        await runner.start()
        try:
            conversation_channels = [c for c in world.channels if c not in ("digests", "mod-log")]

            async def slash(name: str, options: dict) -> dict:
                return await _answered(
                    await fake.invoke_slash(
                        world.guild_id, world.channels["digests"], world.moderator_id, name, options
                    )
                )

            for name in conversation_channels:
                await slash("clio config watch", {"channel": world.channels[name]})
            await slash("clio config digest-channel", {"channel": world.channels["digests"]})
            await slash("clio config modlog-channel", {"channel": world.channels["mod-log"]})
            echo(
                f"Replaying {len(world.conversation)} messages in "
                f"{', '.join('#' + c for c in conversation_channels)}..."
            )
            posted = await replay(fake, world)
            await _wait_stored(runner, guild_id, len(world.conversation))
            echo("Asking for a digest of the last three weeks (/digest run-now)...")
            await slash("digest run-now", {"target": world.channels["digests"], "since": "3w"})
            reported = await _report_one(fake, world, posted[world.conversation[-1].id])
            if not reported:
                echo("(no 'Report to moderators' command: the moderation cog is not loaded)")
            await runner.idle()
        finally:
            await runner.stop()
        echo("")
        echo("What Clio posted")
        echo("================")
        for sent in fake.sent:
            echo(describe_post(fake, sent))
    return time.perf_counter() - started


def describe_post(fake: FakeDiscord, sent) -> str:
    """A message the bot sent, as plain text: where, then its content and embeds, whole: shortening them
    cut jump links in half or dropped them, and the links are what a digest is for."""
    channel = fake.state.channels.get(sent.channel_id or "", {})
    where = f"#{channel.get('name', '?')}" + (" (thread)" if channel.get("type") == 11 else "")
    private = " (only the user who asked sees it)" if (sent.message or {}).get("flags", 0) & 64 else ""
    lines = [f"--- {where}{private}"]
    if sent.content:
        lines.append(sent.content)
    for embed in sent.embeds:
        if embed.get("title"):
            lines.append(f"## {embed['title']}")
        if embed.get("description"):
            lines.append(embed["description"])
        for field in embed.get("fields") or []:
            lines.append(f"  {field['name']}: {field['value']}")
    lines += [f"  [attached: {upload.filename}]" for upload in sent.files]
    return "\n".join(lines)
