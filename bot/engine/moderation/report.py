"""The moderators' digest: what the queue saw and decided over a window, and where tempers rose.

- Flags by kind: flags raised in the window, per flagger (member reports count as ``report``).
- Open items: entries waiting for a decision now, whatever their age.
- Decisions: flags decided in the window, as dismissed, false positive or acted on; cases opened.
- False-positive rate: false-positive decisions over all decisions in the window.
- Heated threads: reply chains of stored messages whose abuse scores rise reply after reply (see
  :func:`heated_threads`); every evaluated message's score is kept for this (``abuse_scores``).
- Threshold advice from :mod:`bot.engine.moderation.feedback`, when false positives call for it.

A digest is posted at most once per guild and slot (:class:`DigestSlots`).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.core.records import jump_url
from bot.engine.moderation.feedback import ThresholdAdvice
from bot.store import Store
from bot.store.database import Database
from bot.store.moderation import OPEN

# A heated thread: at least this many replies in a row whose scores never drop by more than the
# tolerance, rising by at least MIN_RISE from the first to the last.
MIN_CHAIN, MIN_RISE, TOLERANCE, MAX_DEPTH = 3, 0.25, 0.05, 50
HEATED_SHOWN = 5
DECISION_KINDS = ("dismissed", "false positive", "acted on")
REPORT_COLOUR = 0x5B7DB1


async def record_abuse_scores(db: Database, guild_id: int, scores: Mapping[int, float]) -> None:
    """Keep the abuse score of evaluated messages; one deleted meanwhile is skipped, not an error."""
    await db.executemany(
        "INSERT INTO abuse_scores(message_id, guild_id, score) SELECT ?, ?, ?"
        " WHERE EXISTS (SELECT 1 FROM messages WHERE id = ? AND guild_id = ?)"
        " ON CONFLICT(message_id) DO UPDATE SET score = excluded.score",
        [(message_id, guild_id, float(score), message_id, guild_id) for message_id, score in scores.items()],
    )


@dataclass(frozen=True)
class HeatedThread:
    channel_id: int
    message_ids: tuple[int, ...]  # first to last reply
    scores: tuple[float, ...]


def _rising_tail(scores: list[float]) -> int:
    """How many of the last scores form a run that never drops by more than the tolerance."""
    length = 1
    while length < len(scores) and scores[-length] >= scores[-length - 1] - TOLERANCE:
        length += 1
    return length


def heated_threads(nodes: Mapping[int, tuple[int | None, int, float]], limit: int = HEATED_SHOWN) -> list[HeatedThread]:
    """``nodes``: message id -> (id it replies to, channel id, abuse score). Walks each chain up from
    a message nobody replied to, keeps its rising tail, and returns the steepest chains first."""
    replied_to = {parent for parent, _, _ in nodes.values()}
    found: dict[int, HeatedThread] = {}
    for leaf in nodes:
        if leaf in replied_to:
            continue
        chain = [leaf]
        while len(chain) < MAX_DEPTH:
            parent = nodes[chain[-1]][0]
            if parent is None or parent not in nodes or parent in chain:
                break
            chain.append(parent)
        chain.reverse()
        scores = [nodes[m][2] for m in chain]
        tail = _rising_tail(scores)
        if tail >= MIN_CHAIN and scores[-1] - scores[-tail] >= MIN_RISE:
            start = chain[-tail]
            thread = HeatedThread(nodes[leaf][1], tuple(chain[-tail:]), tuple(scores[-tail:]))
            if start not in found or thread.scores[-1] > found[start].scores[-1]:
                found[start] = thread
    return sorted(found.values(), key=lambda t: (-(t.scores[-1] - t.scores[0]), t.message_ids))[:limit]


@dataclass
class ModerationReport:
    guild_id: int
    since: float
    until: float
    flags_by_kind: dict[str, int] = field(default_factory=dict)
    open_items: int = 0
    decisions: dict[str, int] = field(default_factory=dict)  # dismissed / false positive / acted on
    cases_by_action: dict[str, int] = field(default_factory=dict)
    heated: list[HeatedThread] = field(default_factory=list)
    advice: ThresholdAdvice | None = None

    @property
    def decided(self) -> int:
        return sum(self.decisions.values())

    @property
    def false_positive_rate(self) -> float | None:
        return self.decisions.get("false positive", 0) / self.decided if self.decided else None


async def build_report(
    store: Store, guild_id: int, since: float, until: float, advice: ThresholdAdvice | None = None
) -> ModerationReport:
    db, window = store.db, (guild_id, since, until)
    report = ModerationReport(guild_id, since, until, advice=advice)
    rows = await db.fetchall(
        "SELECT flagger, COUNT(*) FROM flags WHERE guild_id = ? AND created_at >= ? AND created_at < ?"
        " GROUP BY flagger ORDER BY COUNT(*) DESC, flagger",
        window,
    )
    report.flags_by_kind = {row[0]: row[1] for row in rows}
    report.open_items = await db.fetchvalue(
        "SELECT COUNT(DISTINCT COALESCE(queue_message_id, -id)) FROM flags WHERE guild_id = ? AND status = ?",
        (guild_id, OPEN),
    )
    rows = await db.fetchall(
        "SELECT f.status, fp.flag_id IS NOT NULL FROM flags f LEFT JOIN false_positives fp ON fp.flag_id = f.id"
        " WHERE f.guild_id = ? AND f.status != 'open' AND f.decided_at >= ? AND f.decided_at < ?",
        window,
    )
    decided = Counter(
        "false positive" if is_fp else ("dismissed" if status == "dismissed" else "acted on") for status, is_fp in rows
    )
    report.decisions = {kind: decided[kind] for kind in DECISION_KINDS if decided[kind]}
    rows = await db.fetchall(
        "SELECT action, COUNT(*) FROM cases WHERE guild_id = ? AND created_at >= ? AND created_at < ?"
        " GROUP BY action ORDER BY action",
        window,
    )
    report.cases_by_action = {row[0]: row[1] for row in rows}
    rows = await db.fetchall(
        "SELECT m.id, m.reply_to_id, m.channel_id, s.score FROM messages m JOIN abuse_scores s ON s.message_id = m.id"
        " WHERE m.guild_id = ? AND m.created_at >= ? AND m.created_at < ?",
        window,
    )
    report.heated = heated_threads({row[0]: (row[1], row[2], row[3]) for row in rows})
    return report


def _counts(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{name} {count}" for name, count in counts.items()) or "none"


def report_embed(report: ModerationReport) -> dict:
    rate = report.false_positive_rate
    fields = [
        {"name": "Flags by kind", "value": _counts(report.flags_by_kind), "inline": False},
        {"name": "Open items", "value": str(report.open_items), "inline": True},
        {
            "name": "Decisions",
            "value": f"{report.decided} ({_counts(report.decisions)})" if report.decided else "none",
            "inline": True,
        },
        {
            "name": "False-positive rate",
            "value": f"{rate:.0%}" if rate is not None else "n/a (nothing decided)",
            "inline": True,
        },
        {"name": "Cases opened", "value": _counts(report.cases_by_action), "inline": False},
    ]
    lines = [
        f"[{len(t.message_ids)} replies]({jump_url(report.guild_id, t.channel_id, t.message_ids[-1])}) in "
        f"<#{t.channel_id}>: abuse {' → '.join(f'{s:.2f}' for s in t.scores)}"
        for t in report.heated
    ]
    fields.append({"name": "Heated threads", "value": "\n".join(lines)[:1024] or "none", "inline": False})
    if report.advice is not None:
        advice = report.advice
        fields.append(
            {
                "name": "Abuse threshold",
                "value": f"{advice.false_positives} of the last {advice.decided} abuse flags decided were false positives "
                f"({advice.rate:.0%}). Raising the threshold from {advice.current:.2f} to {advice.proposed:.2f} "
                "would flag less; the button below applies it.",
                "inline": False,
            }
        )
    return {
        "title": "Moderators' digest",
        "description": f"<t:{int(report.since)}:f> to <t:{int(report.until)}:f>",
        "color": REPORT_COLOUR,
        "fields": fields,
    }


class DigestSlots:
    """One moderators' digest per (guild, slot): claimed before posting, released if posting fails."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def claim(self, guild_id: int, slot: str, now: float | None = None) -> bool:
        async with self.db.transaction() as conn:
            await conn.execute("INSERT OR IGNORE INTO guilds(id) VALUES (?)", (guild_id,))
            cursor = await conn.execute(
                "INSERT INTO moderation_digests(guild_id, slot, created_at) VALUES (?, ?, ?)"
                " ON CONFLICT(guild_id, slot) DO NOTHING",
                (guild_id, slot, time.time() if now is None else now),
            )
            return cursor.rowcount == 1

    async def posted(self, guild_id: int, slot: str, message_id: int) -> None:
        await self.db.execute(
            "UPDATE moderation_digests SET message_id = ? WHERE guild_id = ? AND slot = ?", (message_id, guild_id, slot)
        )

    async def release(self, guild_id: int, slot: str) -> None:
        await self.db.execute("DELETE FROM moderation_digests WHERE guild_id = ? AND slot = ?", (guild_id, slot))
