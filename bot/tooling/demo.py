"""The whole engine on the bundled sample export: import, tag, discover, flag, digest."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.config import PROMPTS_ROOT
from bot.engine.digest import Digest, build_digest
from bot.engine.discovery import CandidateResult, discover
from bot.engine.importers import read_export
from bot.engine.moderation import ModerationService, contexts_from_ingest, flagged_only, policy_map
from bot.engine.wiring import Engine

SAMPLE_DIR = PROMPTS_ROOT / "sample"
INGEST_BATCH = 256


def sample_exports() -> list[Path]:
    return sorted(SAMPLE_DIR.glob("*.json"))


@dataclass
class DemoReport:
    guild_id: int = 0
    guild_name: str = ""
    messages: int = 0
    channels: int = 0
    authors: int = 0
    skipped_bots: int = 0
    tagged_messages: int = 0
    top_arguments: list[tuple[str, int, int]] = field(default_factory=list)  # slug, messages, authors
    candidates: list[CandidateResult] = field(default_factory=list)
    flags: list[dict] = field(default_factory=list)
    digest: Digest | None = None
    seconds: dict[str, float] = field(default_factory=dict)


async def run_demo(engine: Engine, exports: list[Path] | None = None) -> DemoReport:
    report = DemoReport()
    timer = time.perf_counter()

    parsed = [read_export(path) for path in exports or sample_exports()]
    messages = [m for export in parsed for m in export.messages]
    report.skipped_bots = sum(export.skipped_bots for export in parsed)
    report.messages = len(messages)
    report.channels = len({m.channel_id for m in messages})
    report.authors = len({m.author_id for m in messages})
    report.guild_id, report.guild_name = messages[0].guild_id, messages[0].guild_name
    results = [
        await engine.tagging.ingest(messages[i : i + INGEST_BATCH]) for i in range(0, len(messages), INGEST_BATCH)
    ]
    tags = {mid: pairs for result in results for mid, pairs in result.tags.items()}
    report.seconds["import_and_tag"] = time.perf_counter() - timer
    report.tagged_messages = len(tags)
    report.top_arguments = await _top_arguments(engine, report.guild_id, tags, messages)

    timer = time.perf_counter()
    report.candidates = await discover(engine.store, engine.tagging, report.guild_id, settings=engine.settings)
    report.seconds["discover"] = time.perf_counter() - timer

    timer = time.perf_counter()
    report.flags = await _flags(engine, messages, results)
    report.seconds["flag"] = time.perf_counter() - timer

    timer = time.perf_counter()
    since = min(m.created_at for m in messages)
    until = max(m.created_at for m in messages) + 1
    report.digest = await build_digest(engine.store, engine.tagging, report.guild_id, since, until)
    report.seconds["digest"] = time.perf_counter() - timer
    return report


async def _top_arguments(engine: Engine, guild_id: int, tags: dict, messages) -> list[tuple[str, int, int]]:
    author_of = {m.id: m.author_id for m in messages}
    counts: Counter[int] = Counter()
    authors: dict[int, set[int]] = {}
    for message_id, pairs in tags.items():
        for argument_id, _ in pairs:
            counts[argument_id] += 1
            authors.setdefault(argument_id, set()).add(author_of[message_id])
    slugs = {a.id: a.slug for a in await engine.store.arguments.list(guild_id)}
    return [(slugs[a], n, len(authors[a])) for a, n in counts.most_common()]


async def _flags(engine: Engine, messages, results) -> list[dict]:
    guild_id = messages[0].guild_id
    service = ModerationService.load()
    config = await engine.store.settings.get(guild_id)
    policies = policy_map(await engine.store.arguments.list(guild_id))
    by_id = {m.id: m for m in messages}
    flags = []
    for start, result in zip(range(0, len(messages), INGEST_BATCH), results):
        batch = messages[start : start + INGEST_BATCH]
        contexts = contexts_from_ingest(batch, result)
        await asyncio.to_thread(service.score_abuse, contexts, config)
        verdicts = flagged_only(service.evaluate(contexts, config, policies))
        for message_id, hits in verdicts.items():
            flags.extend(
                {
                    "message_id": message_id,
                    "flagger": flag.flagger,
                    "score": flag.score,
                    "reason": flag.reason,
                    "quote": by_id[message_id].content[:80],
                }
                for flag in hits
            )
    return flags
