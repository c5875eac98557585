"""The store at scale (``clio bench --database URL --messages N``): a year of one busy guild, on either backend.

The store is built from synthetic chat: N messages over a year in 8 channels by 2,000 members, a
reply in seven, an accepted tag on one in four, and an embedding for every one (random unit vectors:
the model would take hours on a million messages, and these queries only read the bytes). A store
that already holds the bench guild's N messages is reused, so a second run measures straight away.

Measured on that store: 7- and 30-day digests (time, and RSS added at peak), discovery over the last
30 days, the backfill resume query, real ingest and tagging into the big store, and bytes per message.
"""

from __future__ import annotations

import contextlib
import os
import random
import threading
import time
from collections.abc import Iterator

import numpy as np

from bot.core.config import Settings
from bot.core.records import IncomingMessage
from bot.engine.backfill import RECONCILE_MESSAGES
from bot.engine.digest import build_digest, render_embeds, render_markdown
from bot.engine.discovery import service as discovery
from bot.engine.wiring import Engine, open_engine
from bot.tooling.benchmarks.synthetic import discord_like_messages

GUILD = 4_000_000_000_000_000
CHANNELS = 8
AUTHORS = 2_000
DAY = 86_400.0
END = 1_767_000_000.0  # the synthetic year ends here; windows end here too
YEAR = 365 * DAY
BATCH = 5_000
REPLY_SHARE, TAGGED_SHARE = 1 / 7, 1 / 4
INGEST_MESSAGES = 500
DIMENSIONS = 384


def _page_size() -> int:
    return os.sysconf("SC_PAGE_SIZE")


def current_rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * _page_size() / 2**20


@contextlib.contextmanager
def rss_growth() -> Iterator[dict[str, float]]:
    """The most RSS grew above its starting level while the block ran, sampled every 5 ms."""
    result = {"mb": 0.0}
    baseline, peak, done = current_rss_mb(), [0.0], threading.Event()

    def sample() -> None:
        while not done.wait(0.005):
            peak[0] = max(peak[0], current_rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield result
    finally:
        done.set()
        sampler.join()
        result["mb"] = round(max(0.0, max(peak[0], current_rss_mb()) - baseline), 1)


def _batch(first: int, count: int, total: int) -> list[IncomingMessage]:
    """Messages ``first .. first+count`` of ``total``, spread evenly over the year before END."""
    spacing = YEAR / total
    return discord_like_messages(
        count,
        guild_id=GUILD,
        channels=CHANNELS,
        authors=AUTHORS,
        start=END - YEAR + first * spacing,
        seed=first,
        spacing=spacing,
        first_id=10**17 + first,
        reply_share=REPLY_SHARE,
    )


async def build_store(engine: Engine, total: int) -> float:
    """Fill the bench guild up to ``total`` messages; returns messages stored per second (0 if reused)."""
    store = engine.store
    have = await store.messages.count(GUILD)
    if have >= total:
        return 0.0
    if have:
        raise RuntimeError(f"the store holds {have} of the bench guild's messages, not {total}: use an empty database")
    await engine.tagging.ensure_guild(GUILD)
    arguments = [a.id for a in await store.arguments.list(GUILD)]
    rng, vectors_rng = random.Random(1), np.random.default_rng(1)
    started = time.perf_counter()
    for first in range(0, total, BATCH):
        batch = _batch(first, min(BATCH, total - first), total)
        await store.messages.upsert(batch, mark_unprocessed=False)  # embedded and tagged right here
        vectors = vectors_rng.normal(size=(len(batch), DIMENSIONS)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        await store.embeddings.put({m.id: v for m, v in zip(batch, vectors)}, engine.embedder.model_id)
        tags = {
            m.id: [(rng.choice(arguments), round(rng.uniform(0.8, 0.99), 3))]
            for m in batch
            if rng.random() < TAGGED_SHARE
        }
        await store.tags.replace_model_tags(GUILD, tags)
    return total / (time.perf_counter() - started)


async def _digest(engine: Engine, days: int) -> tuple[float, float]:
    with rss_growth() as growth:
        started = time.perf_counter()
        digest = await build_digest(engine.store, engine.tagging, GUILD, END - days * DAY, END)
        render_markdown(digest)
        render_embeds(digest)
        elapsed = time.perf_counter() - started
    return round(elapsed, 3), growth["mb"]


async def _backfill_resume_ms(engine: Engine, rounds: int = 20) -> float:
    """What a channel's backfill reads before asking Discord: where to reconcile from, and its cursor."""
    channels = [GUILD * 100 + n for n in range(CHANNELS)]
    started = time.perf_counter()
    for _ in range(rounds):
        for channel in channels:
            await engine.store.messages.nth_newest_id(GUILD, channel, RECONCILE_MESSAGES)
            await engine.store.backfill.get(GUILD, channel)
    return round((time.perf_counter() - started) * 1000 / (rounds * len(channels)), 3)


async def _ingest_per_second(engine: Engine, total: int) -> float:
    """The real path (store, embed, tag) for new messages arriving at the end of the year."""
    fresh = discord_like_messages(
        INGEST_MESSAGES,
        guild_id=GUILD,
        channels=CHANNELS,
        authors=AUTHORS,
        start=END,
        seed=total,
        first_id=10**17 + total,
    )
    await engine.tagging.matcher_for(GUILD)
    started = time.perf_counter()
    for first in range(0, len(fresh), 100):
        await engine.tagging.ingest(fresh[first : first + 100])
    elapsed = time.perf_counter() - started
    await engine.store.messages.delete(GUILD, [m.id for m in fresh])  # leave the store as it was built
    return round(len(fresh) / elapsed, 1)


async def run_scale_benchmark(settings: Settings, url: str, messages: int) -> dict:
    settings = settings.model_copy(update={"database": url})
    async with open_engine(settings) as engine:
        figures: dict[str, str | int | float] = {"backend": engine.store.db.dialect, "store_messages": messages}
        build_rate = await build_store(engine, messages)
        if build_rate:
            figures["build_messages_per_second"] = round(build_rate, 1)
        await engine.store.db.analyze()  # planner statistics, as a store that grew gradually would have
        # Once per store (later processes read the catalogue's vectors from it), so not part of what
        # a digest or a discovery run costs.
        started = time.perf_counter()
        await engine.tagging.matcher_for(GUILD)
        figures["matcher_build_seconds"] = round(time.perf_counter() - started, 3)
        figures["digest_7d_seconds"], figures["digest_7d_rss_mb"] = await _digest(engine, 7)
        figures["digest_30d_seconds"], figures["digest_30d_rss_mb"] = await _digest(engine, 30)
        started = time.perf_counter()
        await discovery.discover(engine.store, engine.tagging, GUILD, END - 30 * DAY, END, settings)
        figures["discover_seconds"] = round(time.perf_counter() - started, 3)
        figures["backfill_resume_ms"] = await _backfill_resume_ms(engine)
        figures["ingest_tag_per_second"] = await _ingest_per_second(engine, messages)
        figures["bytes_per_message"] = round(await engine.store.db.size_bytes() / messages)
        return figures
