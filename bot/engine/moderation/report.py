"""The moderators' digest: what the queue saw and decided over a window, and where tempers rose.

- Flags by kind: flags raised in the window, per flagger (member reports count as ``report``).
- Open items: entries waiting for a decision now, whatever their age.
- Decisions: flags decided in the window, as dismissed, false positive or acted on; cases opened.
- False-positive rate: false-positive decisions over all decisions in the window.
- Heated threads: reply chains of stored messages whose abuse scores rise reply after reply (see
  :func:`heated_threads`); every evaluated message's score is kept for this (``abuse_scores``).
- Threshold advice from :mod:`bot.engine.moderation.feedback`, when false positives call for it.

A digest is posted at most once per guild and slot (:class:`bot.store.moderation_reports.DigestSlots`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.core.records import jump_url
from bot.engine.moderation.feedback import ThresholdAdvice
from bot.store import Store

# A heated thread: at least this many replies in a row whose scores never drop by more than the
# tolerance, rising by at least MIN_RISE from the first to the last.
MIN_CHAIN, MIN_RISE, TOLERANCE, MAX_DEPTH = 3, 0.25, 0.05, 50
HEATED_SHOWN = 5
DECISION_KINDS = ("dismissed", "false positive", "acted on")
REPORT_COLOUR = 0x5B7DB1


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
    reports = store.moderation_reports
    report = ModerationReport(guild_id, since, until, advice=advice)
    report.flags_by_kind = await reports.flags_by_kind(guild_id, since, until)
    report.open_items = await reports.open_items(guild_id)
    decided = Counter(
        "false positive" if is_fp else ("dismissed" if status == "dismissed" else "acted on")
        for status, is_fp in await reports.decisions(guild_id, since, until)
    )
    report.decisions = {kind: decided[kind] for kind in DECISION_KINDS if decided[kind]}
    report.cases_by_action = await reports.cases_by_action(guild_id, since, until)
    report.heated = heated_threads(await reports.scored_replies(guild_id, since, until))
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
