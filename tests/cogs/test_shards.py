"""Two `clio run` processes on two shard ranges of one bot, sharing one PostgreSQL, against the fake Discord.

The fake routes each guild's events to the session whose IDENTIFY shard covers it
(``(guild_id >> 22) % shard_count``). One guild per shard; the first has a digest every minute.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass

import pytest

from bot.store import Store
from bot.tooling.fakediscord import FakeDiscord
from bot.tooling.process import ClioProcess
from tests.cogs.conftest import eventually
from tests.conftest import postgres_schema

pytestmark = pytest.mark.slow

SHARDS = 2


@dataclass(frozen=True)
class ShardGuild:
    id: str
    general: str
    digests: str
    alice: str

    @property
    def shard(self) -> int:
        return (int(self.id) >> 22) % SHARDS


def one_guild_per_shard(fake: FakeDiscord) -> list[ShardGuild]:
    """Guild ids come from the clock: add guilds until each shard has one."""
    found: dict[int, ShardGuild] = {}
    for n in range(200):
        guild = fake.add_guild(f"Server {n}")
        shard = (int(guild.id) >> 22) % SHARDS
        if shard not in found:
            channels = {name: fake.add_channel(guild.id, name)["id"] for name in ("general", "digests")}
            alice = fake.add_member(guild.id, "alice")["user"]["id"]
            found[shard] = ShardGuild(guild.id, channels["general"], channels["digests"], alice)
        if len(found) == SHARDS:
            return [found[shard] for shard in range(SHARDS)]
        fake.new_snowflake()  # move the clock on a little
    raise AssertionError("could not place a guild on every shard")


async def stored_ids(url: str, guild: ShardGuild) -> list[int]:
    async with await Store.open(url) as store:
        return sorted(store_id for store_id, _ in await store.messages.texts(int(guild.id)))


def digest_posts(fake: FakeDiscord, guild: ShardGuild) -> Counter:
    """First pages of digests posted in the guild's digest channel, by digest row (their nonce)."""
    return Counter(
        str(sent.payload.get("nonce"))
        for sent in fake.sent
        if sent.channel_id == guild.digests and str(sent.payload.get("nonce", "")).endswith("-0")
    )


async def test_two_shard_processes_share_one_database(fake_discord: FakeDiscord, tmp_path):
    fake = fake_discord
    first, second = one_guild_per_shard(fake)
    async with postgres_schema() as url:
        async with await Store.open(url) as store:
            for guild in (first, second):
                await store.settings.set(int(guild.id), watched_channels=[int(guild.general)])
            await store.schedules.add(int(first.id), int(first.digests), "* * * * *")
        processes = [
            ClioProcess(f"shard{shard}", fake, url, tmp_path, "--shard-ids", str(shard), "--shard-count", str(SHARDS))
            for shard in range(SHARDS)
        ]
        try:
            for process in processes:
                process.start()
            await _run(fake, url, first, second, processes)
        finally:
            for process in processes:
                process.stop()
        problems = [f"{p.name}: {line}" for p in processes for line in p.errors()]
        assert not problems, "\n".join(problems) + "\n" + processes[0].log.read_text()[-3000:]


async def _run(fake, url, first: ShardGuild, second: ShardGuild, processes: list[ClioProcess]) -> None:
    # Both up: each guild's messages reach the process running its shard, and are stored once.
    said = [await fake.post_user_message(g.general, g.alice, f"hello from shard {g.shard}") for g in (first, second)]
    await eventually(
        lambda: _all_stored(url, {first: [said[0]], second: [said[1]]}), timeout=90, what="both shards ingesting"
    )
    shards = sorted(tuple(s.shard) for s in fake.gateway.sessions.values() if s.shard)
    assert shards == [(0, SHARDS), (1, SHARDS)]

    # The first guild's digest fires in both processes each minute; it is posted once per slot.
    await eventually(lambda: digest_posts(fake, first), timeout=75, what="a scheduled digest")
    await asyncio.sleep(3)
    assert set(digest_posts(fake, first).values()) == {1}

    # The second process is killed mid-ingest; messages keep coming while it is down.
    burst = []
    for n in range(40):
        burst.append(await fake.post_user_message(second.general, second.alice, f"message {n} in a busy channel"))
        if n == 15:
            await eventually(lambda: _some_stored(url, second, 3), timeout=30, what="the burst being stored")
            processes[1].kill()
    # The survivor goes on: it ingests its own guild and posts the next digest; the dead shard's
    # guild is nobody else's to ingest.
    survivor_said = await fake.post_user_message(first.general, first.alice, "still here on shard 0")
    await eventually(lambda: _all_stored(url, {first: [said[0], survivor_said]}), timeout=30, what="survivor ingest")
    slots = len(digest_posts(fake, first))
    await eventually(lambda: len(digest_posts(fake, first)) > slots, timeout=75, what="the survivor's next digest")

    # Restarted, the second process backfills what it missed: nothing lost, nothing twice.
    processes[1].start()
    expected = {second: [said[1], *burst]}
    await eventually(lambda: _all_stored(url, expected), timeout=90, what="backfill after the restart")
    assert await stored_ids(url, second) == sorted(int(m["id"]) for m in fake.messages_in(second.general))
    assert set(digest_posts(fake, first).values()) == {1}


async def _all_stored(url: str, expected: dict[ShardGuild, list[dict]]) -> bool:
    for guild, messages in expected.items():
        stored = set(await stored_ids(url, guild))
        if not {int(m["id"]) for m in messages} <= stored:
            return False
    return True


async def _some_stored(url: str, guild: ShardGuild, count: int) -> bool:
    return len(await stored_ids(url, guild)) >= count
