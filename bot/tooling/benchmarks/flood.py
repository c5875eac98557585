"""Flood: many members posting at once, far faster than the model can tag, through the real bot.

Every message must be stored, embedded and tagged once; floods raise one flag per author per burst;
slash commands stay answered within Discord's limits throughout; memory stays bounded, because the
backlog waits in the database (:mod:`bot.engine.processing`), not in the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import resource
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from bot.core.config import Settings
from bot.tooling.benchmarks.synthetic import discord_like_messages
from bot.tooling.fakediscord import FakeDiscord
from bot.tooling.sandbox import BotRunner

ACK_EVERY_SECONDS = 0.5


@dataclass
class FloodReport:
    messages: int
    authors: int
    stored: int  # rows in the store: equal to messages when nothing was lost or doubled
    not_embedded: int
    unprocessed: int
    flood_flags: int  # at most one per author per burst
    seconds: float  # first message sent -> every message stored, tagged and flagged
    acks: int  # slash commands answered during the flood
    ack_p99_ms: float
    peak_rss_mb: float

    def figures(self) -> dict:
        return {**asdict(self), "ingest_per_second": round(self.messages / self.seconds, 1) if self.seconds else 0.0}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else float("nan")


async def _ack_latencies(fake: FakeDiscord, guild_id: str, channel_id: str, user_id: str, stop: asyncio.Event):
    """Ask `/clio config show` every half second; how long each took to be acknowledged, in ms."""
    latencies: list[float] = []
    while not stop.is_set():
        started = time.perf_counter()
        record = await fake.invoke_slash(guild_id, channel_id, user_id, "clio config show", {})
        await record.response(timeout=30)
        latencies.append((time.perf_counter() - started) * 1000)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), ACK_EVERY_SECONDS)
    return latencies


async def run_flood_benchmark(settings: Settings, count: int = 100_000, authors: int = 5000) -> FloodReport:
    """A fresh guild with one watched channel on a local fake Discord, flooded by ``authors`` members."""
    with tempfile.TemporaryDirectory(prefix="clio-flood-") as folder:
        settings = settings.model_copy(update={"database": str(Path(folder) / "flood.sqlite3")})
        async with FakeDiscord() as fake:
            guild = fake.add_guild("Flood")
            channel = fake.add_channel(guild.id, "debate")["id"]
            members = [fake.add_member(guild.id, f"member{n}")["user"]["id"] for n in range(authors)]
            moderator = fake.add_member(guild.id, "moderator", moderator=True)["user"]["id"]
            runner = BotRunner(fake, settings)
            await runner.start()
            try:
                watch = await fake.invoke_slash(guild.id, channel, moderator, "clio config watch", {"channel": channel})
                await watch.wait_original(timeout=30)
                return await _flood(runner, guild.id, channel, members, moderator, count)
            finally:
                await runner.stop()


async def _flood(runner: BotRunner, guild_id: str, channel_id: str, members: list[str], moderator: str, count: int):
    fake, engine = runner.fake, runner.running.engine
    store = engine.store
    stop = asyncio.Event()
    acks = asyncio.create_task(_ack_latencies(fake, guild_id, channel_id, moderator, stop))
    started = time.perf_counter()
    # Each member posts a short burst in turn: every one of them floods.
    for index, message in enumerate(discord_like_messages(count, seed=5)):
        await fake.post_user_message(channel_id, members[(index // 20) % len(members)], message.content)
    while await store.messages.count(int(guild_id)) < count or await store.pending.count():
        await asyncio.sleep(0.2)
    await runner.idle()
    seconds = time.perf_counter() - started
    stop.set()
    latencies = await acks
    flags = await store.moderation_reports.flags_by_kind(int(guild_id), 0.0, time.time() + 1)
    missing = await store.embeddings.missing(int(guild_id), engine.embedder.model_id, limit=count)
    return FloodReport(
        messages=count,
        authors=len(members),
        stored=await store.messages.count(int(guild_id)),
        not_embedded=len(missing),
        unprocessed=await store.pending.count(),
        flood_flags=flags.get("flood", 0),
        seconds=round(seconds, 1),
        acks=len(latencies),
        ack_p99_ms=round(_p99(latencies), 1),
        peak_rss_mb=round(peak_rss_mb(), 1),
    )
