"""Engine benchmarks: ingest-and-tag throughput, digest time over a large store, memory."""

from __future__ import annotations

import resource
import statistics
import tempfile
import time
from pathlib import Path

from bot.core.config import Settings
from bot.core.records import MessageScope
from bot.engine.embedding import Embedder
from bot.engine.moderation import ModerationService, contexts_from_ingest, median_flag_ms, policy_map
from bot.engine.wiring import open_engine
from bot.tooling.benchmarks.synthetic import discord_like_messages

INGEST_BATCH = 256
RAW_THREADS, RAW_BATCH = 1, 16


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


async def run_engine_benchmarks(settings: Settings, messages: int = 3000, digest_messages: int = 10_000) -> dict:
    with tempfile.TemporaryDirectory(prefix="clio-bench-") as folder:
        settings = settings.model_copy(update={"database": str(Path(folder) / "bench.sqlite3")})
        async with open_engine(settings) as engine:
            figures: dict[str, str | int | float] = {"model_id": engine.embedder.model_id}
            corpus = discord_like_messages(max(messages, digest_messages))
            words = sorted(len(m.content.split()) for m in corpus[:messages])
            figures["median_words"] = statistics.median(words)

            await engine.tagging.matcher_for(1)  # index the catalogue outside the timed part
            batches = []
            started = time.perf_counter()
            for start in range(0, messages, INGEST_BATCH):
                batch = corpus[start : min(start + INGEST_BATCH, messages)]
                batches.append((batch, await engine.tagging.ingest(batch)))
            elapsed = time.perf_counter() - started
            figures["ingest_messages"] = messages
            figures["ingest_per_second"] = round(messages / elapsed, 1)
            raw = _raw_inference_per_second(settings, engine.embedder, [m.content for m in corpus[:messages]])
            figures["raw_inference_per_second"] = round(raw, 1)
            figures["ingest_to_raw_inference"] = round(messages / elapsed / raw, 3)
            figures["flag_median_ms"] = round(await _median_flag_ms(engine, batches), 3)

            for start in range(messages, digest_messages, INGEST_BATCH * 4):
                await engine.tagging.ingest(corpus[start : min(start + INGEST_BATCH * 4, digest_messages)])
            figures["digest_messages"] = await engine.store.messages.count(1)
            figures["digest_tagged_messages"] = len(
                {t.message_id for t in await engine.store.tags.accepted_in_window(MessageScope(1, 0, float("inf")))}
            )
            figures["digest_seconds"] = round(await _time_digest(engine, corpus), 3)
            figures["peak_rss_mb"] = round(peak_rss_mb(), 1)
            return figures


def _raw_inference_per_second(settings: Settings, embedder: Embedder, texts: list[str]) -> float:
    """Bare onnxruntime inference of the shipped model on the same texts: one thread, sorted by length,
    batches of 16, no store and no matcher. The ceiling ingest is measured against."""
    if (settings.threads, settings.batch_size) != (RAW_THREADS, RAW_BATCH):
        embedder = Embedder(settings.model_dir, threads=RAW_THREADS, batch_size=RAW_BATCH)
    started = time.perf_counter()
    embedder.encode(texts)
    return len(texts) / (time.perf_counter() - started)


async def _median_flag_ms(engine, batches) -> float:
    """What flagging adds per message once ingest has embedded and tagged it."""
    service = ModerationService.load()
    config = await engine.store.settings.get(1)
    policies = policy_map(await engine.store.arguments.list(1))
    contexts = [ctx for batch, result in batches for ctx in contexts_from_ingest(batch, result)]
    return median_flag_ms(service, contexts, config, policies)


async def _time_digest(engine, corpus) -> float:
    from bot.engine.digest import build_digest, render_embeds, render_markdown

    since, until = corpus[0].created_at, corpus[-1].created_at + 1
    started = time.perf_counter()
    digest = await build_digest(engine.store, engine.tagging, 1, since, until)
    render_markdown(digest)
    render_embeds(digest)
    return time.perf_counter() - started
