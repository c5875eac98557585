"""`clio run` killed with SIGKILL at random points of a busy channel's ingest, then restarted: every
message stored once, and none left without its embedding, tags or abuse score."""

from __future__ import annotations

import asyncio
import random
import time

import pytest

from bot.store import Store
from bot.tooling.fakediscord import FakeDiscord
from bot.tooling.process import ClioProcess
from tests.cogs.conftest import eventually
from tests.conftest import required

pytestmark = pytest.mark.slow

KILLS = 3

_UNFINISHED = """
SELECT
    (SELECT COUNT(*) FROM messages m WHERE NOT EXISTS (SELECT 1 FROM message_embeddings e WHERE e.message_id = m.id)),
    (SELECT COUNT(*) FROM messages m WHERE NOT EXISTS (SELECT 1 FROM abuse_scores s WHERE s.message_id = m.id)),
    (SELECT COUNT(*) FROM unprocessed_messages)
"""


async def _watched_guild(fake: FakeDiscord, url: str, members: int):
    """A guild whose #general Clio watches, and its members' ids."""
    guild = fake.add_guild("Crash Club")
    general = fake.add_channel(guild.id, "general")["id"]
    ids = [fake.add_member(guild.id, f"member{n}")["user"]["id"] for n in range(members)]
    async with await Store.open(url) as store:
        await store.settings.set(int(guild.id), watched_channels=[int(general)])
    return guild, general, ids


async def _stored(url: str, guild_id: int) -> int:
    async with await Store.open(url) as store:
        return await store.messages.count(guild_id)


async def test_kill_9_at_random_points_of_ingest_leaves_nothing_half_done(
    fake_discord: FakeDiscord, database_url: str, tmp_path
):
    fake = fake_discord
    guild, general, members = await _watched_guild(fake, database_url, 12)
    clio = ClioProcess("crash", fake, database_url, tmp_path)
    rng = random.Random(2026)
    said = 0
    left_at_kill: list[tuple[int, int]] = []  # (stored, stored but unprocessed) when each kill landed

    async def talk(count: int) -> None:
        nonlocal said
        for _ in range(count):
            await fake.post_user_message(general, members[said % len(members)], f"point number {said} in the debate")
            said += 1
            await asyncio.sleep(0.005)

    try:
        for _ in range(KILLS):
            clio.start()
            chatter = asyncio.create_task(talk(200))
            # Killed once some of the backlog is processed: mid-write, mid-embedding or mid-flagging.
            stored, unprocessed = await _progress(database_url, int(guild.id))
            target = stored - unprocessed + rng.randint(10, 120)
            await eventually(
                lambda target=target: _processed_at_least(database_url, int(guild.id), target),
                timeout=120,
                what="processing",
            )
            clio.kill()
            left_at_kill.append(await _progress(database_url, int(guild.id)))
            await chatter
        clio.start()
        await eventually(lambda: _finished(database_url, int(guild.id), said), timeout=180, what="recovery")
    finally:
        clio.stop()
    async with await Store.open(database_url) as store:
        stored = sorted(i for i, _ in await store.messages.texts(int(guild.id)))
        unembedded, unscored, unprocessed = required(await store.db.fetchone(_UNFINISHED))
    expected = sorted(int(m["id"]) for m in fake.messages_in(general))
    print(
        f"{KILLS} kills, leaving (stored, unprocessed) = {left_at_kill}: {len(expected)} said, {len(stored)} stored, {unembedded} without embedding,"
        f" {unscored} without an abuse score, {unprocessed} unprocessed"
    )
    assert stored == expected
    assert (unembedded, unscored, unprocessed) == (0, 0, 0)
    assert not clio.errors(), clio.log.read_text()[-3000:]


async def _progress(url: str, guild_id: int) -> tuple[int, int]:
    async with await Store.open(url) as store:
        return await store.messages.count(guild_id), await store.pending.count()


async def _processed_at_least(url: str, guild_id: int, count: int) -> bool:
    stored, unprocessed = await _progress(url, guild_id)
    return stored - unprocessed >= count


async def _at_least(url: str, guild_id: int, count: int) -> bool:
    return await _stored(url, guild_id) >= count


async def _finished(url: str, guild_id: int, said: int) -> bool:
    async with await Store.open(url) as store:
        if await store.messages.count(guild_id) < said:
            return False
        return tuple(required(await store.db.fetchone(_UNFINISHED))) == (0, 0, 0)


async def test_sigterm_during_a_flood_exits_promptly_and_loses_nothing(
    fake_discord: FakeDiscord, database_url, tmp_path
):
    fake = fake_discord
    guild, general, members = await _watched_guild(fake, database_url, 50)
    clio = ClioProcess("flood", fake, database_url, tmp_path)
    clio.start()
    try:
        for n in range(800):
            await fake.post_user_message(general, members[n % len(members)], f"flooding the channel, message {n}")
        await eventually(lambda: _at_least(database_url, int(guild.id), 300), timeout=120, what="the flood stored")
        started = time.monotonic()
        code = clio.stop(timeout=30)
        seconds = time.monotonic() - started
        stored, unprocessed = await _progress(database_url, int(guild.id))
        clio.start()
        await eventually(lambda: _finished(database_url, int(guild.id), 800), timeout=180, what="the restart")
    finally:
        clio.stop()
    print(f"SIGTERM mid-flood: exit code {code} after {seconds:.1f} s, {stored} stored ({unprocessed} unprocessed)")
    assert code == 0, "SIGTERM must end clio run by itself, cleanly"
    assert not clio.errors(), clio.log.read_text()[-3000:]
