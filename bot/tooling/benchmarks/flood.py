"""Flood: many members posting at once, far faster than the model can tag, into a real `clio run`.

The bot runs as a child process (so its memory is its own) against a local fake Discord. Halfway
through, it gets SIGTERM and is started again, as a deploy would do. At the end every message must be
stored, embedded and tagged exactly once, with one flood flag per author; slash commands must have
been acknowledged quickly throughout; memory must have stayed bounded, because the backlog waits in
the database (:mod:`bot.engine.processing`), not in the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from bot.core.config import Settings
from bot.store import Store
from bot.tooling.benchmarks.synthetic import discord_like_messages
from bot.tooling.fakediscord import FakeDiscord
from bot.tooling.process import ClioProcess

ACK_EVERY_SECONDS = 0.5
BURST = 20  # messages each member posts in a row: every member floods


@dataclass
class FloodReport:
    messages: int
    authors: int
    stored: int  # rows in the store: equal to messages when nothing was lost or doubled
    not_embedded: int
    unprocessed: int
    flood_flags: int  # one per author per burst
    seconds: float  # first message sent -> every message stored, tagged and flagged
    acks: int  # slash commands answered during the flood
    ack_p99_ms: float
    peak_rss_mb: float  # the bot process's
    sigterm_exit_seconds: float
    sigterm_exit_code: int | None

    def figures(self) -> dict:
        return {**asdict(self), "ingest_per_second": round(self.messages / self.seconds, 1) if self.seconds else 0.0}


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else float("nan")


class _Acks:
    """Asks `/clio config show` every half second while the bot is up; how long each acknowledgement took."""

    def __init__(self, fake: FakeDiscord, guild_id: str, channel_id: str, user_id: str) -> None:
        self.fake, self.where = fake, (guild_id, channel_id, user_id)
        self.latencies_ms: list[float] = []
        self.up = asyncio.Event()
        self.done = asyncio.Event()

    async def run(self) -> None:
        while not self.done.is_set():
            await self.up.wait()
            started = time.perf_counter()
            record = await self.fake.invoke_slash(*self.where, "clio config show", {})
            await record.response(timeout=60)
            self.latencies_ms.append((time.perf_counter() - started) * 1000)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.done.wait(), ACK_EVERY_SECONDS)


async def run_flood_benchmark(settings: Settings, count: int = 100_000, authors: int = 5000) -> FloodReport:
    with tempfile.TemporaryDirectory(prefix="clio-flood-") as folder:
        database = str(Path(folder) / "flood.sqlite3")
        async with FakeDiscord() as fake:
            guild = fake.add_guild("Flood")
            channel = fake.add_channel(guild.id, "debate")["id"]
            members = [fake.add_member(guild.id, f"member{n}")["user"]["id"] for n in range(authors)]
            moderator = fake.add_member(guild.id, "moderator", moderator=True)["user"]["id"]
            async with await Store.open(database) as store:
                await store.settings.set(int(guild.id), watched_channels=[int(channel)])
            bot = ClioProcess("flood", fake, database, Path(folder))
            bot.env["CLIO_DEFAULT_PACKS"] = settings.default_packs
            try:
                return await _flood(fake, bot, database, guild.id, channel, members, moderator, count)
            finally:
                bot.stop()


async def _start(fake: FakeDiscord, bot: ClioProcess, acks: _Acks) -> None:
    since = len(fake.gateway_log)
    bot.start()
    await fake.wait_for_event("READY", timeout=120, since=since)
    acks.up.set()


async def _flood(fake, bot, database: str, guild_id: str, channel_id: str, members, moderator, count: int):
    acks = _Acks(fake, guild_id, channel_id, moderator)
    asking = asyncio.create_task(acks.run())
    await _start(fake, bot, acks)
    peak_rss, exit_seconds, exit_code = 0.0, float("nan"), None
    started = time.perf_counter()
    for index, message in enumerate(discord_like_messages(count, seed=5)):
        await fake.post_user_message(channel_id, members[(index // BURST) % len(members)], message.content)
        if index == count // 2:  # a deploy mid-flood: what was received must survive it
            peak_rss = bot.peak_rss_mb()
            acks.up.clear()
            stopping = time.perf_counter()
            exit_code = await asyncio.to_thread(bot.stop, 60)
            exit_seconds = time.perf_counter() - stopping
            await _start(fake, bot, acks)
    async with await Store.open(database) as store:
        while await store.messages.count(int(guild_id)) < count or await store.pending.count():
            peak_rss = max(peak_rss, bot.peak_rss_mb())
            await asyncio.sleep(1)
        seconds = time.perf_counter() - started
        peak_rss = max(peak_rss, bot.peak_rss_mb())
        acks.done.set()
        await asyncio.wait_for(asking, 60)
        flags = await store.moderation_reports.flags_by_kind(int(guild_id), 0.0, time.time() + 1)
        return FloodReport(
            messages=count,
            authors=len(members),
            stored=await store.messages.count(int(guild_id)),
            not_embedded=await store.embeddings.count_unembedded(int(guild_id)),
            unprocessed=await store.pending.count(),
            flood_flags=flags.get("flood", 0),
            seconds=round(seconds, 1),
            acks=len(acks.latencies_ms),
            ack_p99_ms=round(_p99(acks.latencies_ms), 1),
            peak_rss_mb=round(peak_rss, 1),
            sigterm_exit_seconds=round(exit_seconds, 2),
            sigterm_exit_code=exit_code,
        )
