"""Shared test fixtures."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import uuid
from dataclasses import dataclass
from typing import Any, TypeVar

import asyncpg
import pytest

from bot.tooling.fakediscord import FakeDiscord, Guild

T = TypeVar("T")


def required(value: T | None) -> T:
    """``value``, asserting it is there: for lookups a test expects to find."""
    assert value is not None
    return value


# =============================================================================================
# Databases: tests that take ``database_url`` run once on a SQLite file and once on the real
# PostgreSQL (CLIO_TEST_POSTGRES, default the local server's ``test`` database), each PostgreSQL run
# in a schema of its own that is dropped afterwards. There is no skipping: CI has PostgreSQL.
# =============================================================================================

POSTGRES = os.environ.get("CLIO_TEST_POSTGRES", "postgresql://127.0.0.1:5432/test")
BACKENDS = ("sqlite", "postgresql")


async def _drop_schema(schema: str) -> None:
    conn = await asyncpg.connect(POSTGRES)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def postgres_schema():
    """The URL of a fresh PostgreSQL schema, dropped on exit."""
    schema = f"clio_test_{uuid.uuid4().hex[:12]}"
    try:
        yield f"{POSTGRES}?search_path={schema}"
    finally:
        await _drop_schema(schema)


@pytest.fixture(params=BACKENDS)
async def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield str(tmp_path / "clio.sqlite3")
        return
    async with postgres_schema() as url:
        yield url


# =============================================================================================
# Fake Discord (bot/tooling/fakediscord): run the real discord.py client against a loopback Discord.
#
#   async def test_x(fake_world, start_discord_client):
#       client = discord.Client(intents=..., guild_ready_timeout=0.1)
#       await start_discord_client(client)          # returns once on_ready has fired
#       await fake_world.fake.post_user_message(fake_world.channel_id, fake_world.alice_id, "hi")
#
# Any ERROR logged by discord.py (a failing command, listener or view) fails the test.
# =============================================================================================


class ErrorRecords(logging.Handler):
    """Collects ERROR records: the e2e fixtures fail a test that leaves any."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def discord_errors():
    """ERROR records from discord.py and the fake; the test fails at teardown if any are left.
    A test that expects an error can inspect and ``clear()`` the list."""
    handler = ErrorRecords()
    loggers = [logging.getLogger("discord"), logging.getLogger("bot.tooling.fakediscord")]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler.records
    for logger in loggers:
        logger.removeHandler(handler)
    if handler.records:
        formatter = logging.Formatter("%(name)s: %(message)s")
        report = "\n".join(formatter.format(record) for record in handler.records)
        pytest.fail(f"errors were logged during the test:\n{report}", pytrace=False)


@pytest.fixture
def point_discord_at():
    """``point_discord_at(fake)`` sends discord.py's REST calls and gateway connection to the fake;
    the original URLs come back after the test."""
    import discord.gateway
    import discord.http
    import yarl

    saved = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY

    def point(fake: FakeDiscord) -> None:
        discord.http.Route.BASE = fake.api_url
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)

    yield point
    discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved


@pytest.fixture
async def fake_discord(point_discord_at, discord_errors):
    """A started, empty FakeDiscord that discord.py points at."""
    async with FakeDiscord() as fake:
        point_discord_at(fake)
        yield fake
    assert not fake.errors, "the fake failed to handle requests:\n" + "\n".join(fake.errors)


@dataclass
class FakeWorld:
    """One guild with a #general channel, a plain member (alice) and a moderator (mod)."""

    fake: FakeDiscord
    guild: Guild
    channel: dict[str, Any]
    alice: dict[str, Any]
    moderator: dict[str, Any]

    @property
    def guild_id(self) -> str:
        return self.guild.id

    @property
    def channel_id(self) -> str:
        return self.channel["id"]

    @property
    def alice_id(self) -> str:
        return self.alice["user"]["id"]

    @property
    def moderator_id(self) -> str:
        return self.moderator["user"]["id"]


@pytest.fixture
def fake_world(fake_discord) -> FakeWorld:
    guild = fake_discord.add_guild("History Club")
    channel = fake_discord.add_channel(guild.id, "general")
    alice = fake_discord.add_member(guild.id, "alice")
    moderator = fake_discord.add_member(guild.id, "mod", moderator=True)
    return FakeWorld(fake_discord, guild, channel, alice, moderator)


@pytest.fixture
async def start_discord_client(fake_discord):
    """``await start_discord_client(client)`` logs the client in against the fake and returns, as the
    asyncio Task running ``client.start``, once on_ready has fired (or raises what start raised).
    Every client is closed after the test."""
    running: list[tuple[Any, asyncio.Task]] = []

    async def start(client: Any, *, token: str | None = None, timeout: float = 5.0) -> asyncio.Task:
        task = asyncio.create_task(client.start(token or fake_discord.token))
        running.append((client, task))
        ready = asyncio.create_task(client.wait_until_ready())
        done, _ = await asyncio.wait({task, ready}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if ready in done:
            return task
        ready.cancel()
        if task in done:
            task.result()  # raises what client.start raised
        raise TimeoutError(f"discord client not ready within {timeout}s")

    yield start
    for client, task in reversed(running):
        await client.close()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.wait_for(task, 5)
