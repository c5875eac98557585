"""End-to-end fixtures: the real ClioBot, with its real engine, against FakeDiscord on loopback.

    async def test_x(clio):                      # bot started, #general watched, on_ready fired
        await clio.say("alice", "the pact was defensive")
        await clio.wait_stored(1)

Teardown closes the bot, and fails the test on any ERROR logged by the bot, its cogs, the
scheduler or discord.py, and on any post made without ``allowed_mentions`` none.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from bot.adapter.client import ClioBot
from bot.core.config import Settings
from bot.engine.embedding import shared_embedder
from bot.store import Store
from bot.tooling.fakediscord import FakeDiscord, InteractionRecord
from bot.tooling.sandbox import BotRunner, read_sample
from tests.conftest import ErrorRecords

NO_MENTIONS = {"parse": []}


@pytest.fixture(scope="session")
def embedder():
    """The model loads once per test process; every bot of the session shares it."""
    settings = Settings()
    return shared_embedder(settings.model_dir, threads=settings.threads, batch_size=settings.batch_size)


@pytest.fixture
def clio_errors():
    """ERROR records from Clio, its scheduler and asyncio (a task that died unseen); discord.py's
    are watched by ``discord_errors``."""
    handler = ErrorRecords()
    loggers = [logging.getLogger(name) for name in ("bot", "cogs", "apscheduler", "asyncio")]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler.records
    for logger in loggers:
        logger.removeHandler(handler)
    if handler.records:
        report = "\n".join(logging.Formatter("%(name)s: %(message)s").format(r) for r in handler.records)
        pytest.fail(f"errors were logged during the test:\n{report}", pytrace=False)


async def eventually(check, timeout: float = 10.0, interval: float = 0.05, what: str = "condition"):
    """Poll an async (or plain) check until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout}s (last value {value!r})")
        await asyncio.sleep(interval)


@dataclass
class Clio:
    """One guild and the bot that serves it, plus the calls a test makes as its users."""

    fake: FakeDiscord
    database: str  # a SQLite file or a PostgreSQL schema: see ``database_url``
    guild_id: str
    channels: dict[str, str]  # name -> id
    users: dict[str, str]  # name -> user id
    runner: BotRunner = field(init=False)

    def __post_init__(self) -> None:
        # The sample conversation argues about the pact: a server with that one topic pack enabled.
        self.runner = BotRunner(self.fake, Settings(database=self.database, default_packs="nazi-soviet-pact"))

    @property
    def bot(self) -> ClioBot:
        bot = self.runner.bot
        assert bot is not None, "the bot is not started"
        return bot

    async def configure(self, **values: Any) -> None:
        """Change guild settings straight in the database, while the bot is stopped."""
        async with await Store.open(self.database) as store:
            await store.settings.set(int(self.guild_id), **values)

    async def start(self, guild_ready_timeout: float = 0.05) -> ClioBot:
        return await self.runner.start(guild_ready_timeout=guild_ready_timeout)

    async def stop(self) -> None:
        await self.runner.stop()

    async def restart(self) -> ClioBot:
        await self.stop()
        return await self.start()

    # -- what the bot holds ---------------------------------------------------------------------

    @property
    def store(self) -> Store:
        return self.bot.engine.store

    @property
    def ingest(self):
        return self.bot.get_cog("Ingest")

    async def idle(self) -> None:
        await self.runner.idle()

    async def commands_done(self, timeout: float = 30.0) -> None:
        """Every slash command being answered has finished (discord.py names their tasks)."""
        running = [t for t in asyncio.all_tasks() if t.get_name() == "CommandTree-invoker"]
        if running:
            await asyncio.wait(running, timeout=timeout)

    async def stored_ids(self, channel: str | None = None) -> list[int]:
        sql = "SELECT id FROM messages WHERE guild_id = ?"
        params: list = [int(self.guild_id)]
        if channel:
            sql += " AND channel_id = ?"
            params.append(int(self.channels[channel]))
        return [row[0] for row in await self.store.db.fetchall(sql + " ORDER BY id", params)]

    async def wait_stored(self, count: int, channel: str | None = None, timeout: float = 10.0) -> list[int]:
        async def enough():
            ids = await self.stored_ids(channel)
            return ids if len(ids) >= count else None

        return await eventually(enough, timeout, what=f"{count} stored messages")

    async def seed_sample(self, channel: str = "general", days_ago: float = 0.0) -> int:
        """Store the bundled sample conversation (14 days) as if said in this guild, ending now.

        Straight through the engine: the path through Discord is what test_ingest covers."""
        messages = read_sample()
        shift = time.time() - days_ago * 86400 - 60 - max(m.created_at for m in messages)
        messages = [
            replace(
                m,
                guild_id=int(self.guild_id),
                channel_id=int(self.channels[channel]),
                created_at=m.created_at + shift,
                channel_name=channel,
            )
            for m in messages
        ]
        for start in range(0, len(messages), 256):
            await self.bot.engine.tagging.ingest(messages[start : start + 256])
        return len(messages)

    # -- the users' side ------------------------------------------------------------------------

    async def say(self, user: str, content: str, channel: str = "general", **kwargs: Any) -> dict[str, Any]:
        return await self.fake.post_user_message(self.channels[channel], self.users[user], content, **kwargs)

    async def slash(
        self, name: str, options: dict[str, Any] | None = None, user: str = "mod", channel: str = "general"
    ) -> InteractionRecord:
        return await self.fake.invoke_slash(self.guild_id, self.channels[channel], self.users[user], name, options)

    async def reply_text(self, record: InteractionRecord, timeout: float = 10.0) -> str:
        """The text of the first answer with content: a direct reply or the first follow-up."""
        await record.wait_original(timeout)
        return (record.original or {}).get("content", "")


@pytest.fixture
async def clio_world(fake_discord: FakeDiscord, database_url: str, embedder, clio_errors) -> AsyncIterator[Clio]:
    """A guild with #general (watched), #random (not watched) and #digests; alice and bob, a
    moderator, and another bot. The bot is not started."""
    fake = fake_discord
    guild = fake.add_guild("History Club")
    channels = {name: fake.add_channel(guild.id, name)["id"] for name in ("general", "random", "digests")}
    users = {name: fake.add_member(guild.id, name)["user"]["id"] for name in ("alice", "bob")}
    users["mod"] = fake.add_member(guild.id, "mod", moderator=True)["user"]["id"]
    users["otherbot"] = fake.add_member(guild.id, "otherbot", bot=True)["user"]["id"]
    world = Clio(fake, database_url, guild.id, channels, users)
    await world.configure(watched_channels=[int(channels["general"])], digest_channel=int(channels["digests"]))
    yield world
    await world.stop()
    unmuted = [s for s in fake.sent if s.allowed_mentions != NO_MENTIONS]
    assert not unmuted, "posts without allowed_mentions none:\n" + "\n".join(
        f"{s.route}: {s.payload}"[:300] for s in unmuted
    )


@pytest.fixture
async def clio(clio_world: Clio) -> Clio:
    """The world above with the bot started and ready."""
    await clio_world.start()
    return clio_world
