"""The review queue, free of Discord: entries, decisions, escalation and member reports.

An entry is one post in the mod-log channel about one message, with every flag raised on it while it
was open. Its first flag (the anchor) names it: buttons carry the anchor's id, and deciding the entry
is a compare-and-set on the anchor (``FlagStore.decide``), so when two moderators click at once one
wins and the other is told who decided. The rest of the entry's flags follow the anchor.

Everything shown is rendered from the database (:func:`load_entry` then :func:`entry_embed`), so a
refresh after a click, an edit or a deletion shows the same state whichever comes last.

Escalation: when a warning brings a member to ``escalation_warnings`` within ``escalation_days``
(counted since their last confirmed escalation), a timeout of ``escalation_timeout_minutes`` is
proposed to moderators; nothing happens until one confirms.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core import times
from bot.core.guild_config import GuildConfig
from bot.core.markdown import escape_inline
from bot.core.records import jump_url
from bot.engine.moderation.flaggers import Flag
from bot.store import Store
from bot.store.moderation import ACTIONED, DISMISSED, OPEN, WARN, Case, StoredFlag
from bot.store.review import CONFIRMED, PROPOSED, REJECTED, Escalation, EscalationStore, FlaggedEdit, FlaggedEdits

DISMISS, DELETE, TIMEOUT, FALSE_POSITIVE = "dismiss", "delete", "timeout", "fp"
ACTIONS = {DISMISS: DISMISSED, FALSE_POSITIVE: DISMISSED, DELETE: ACTIONED, WARN: ACTIONED, TIMEOUT: ACTIONED}
CASE_LABELS = {WARN: "Warned", TIMEOUT: "Timed out", DELETE: "Message deleted"}
TIMEOUT_SECONDS = {value: times.parse_duration(value).total_seconds() for value in ("10m", "1h", "1d", "1w")}
# (select value, label, seconds)
TIMEOUT_CHOICES = tuple((value, times.duration_text(seconds), seconds) for value, seconds in TIMEOUT_SECONDS.items())
REPORT = "report"  # the flagger name of members' reports
REPORT_LIMIT, REPORT_WINDOW = 3, 600.0
# A flood raises a flag on every message past the limit; one entry per author per burst is enough.
FLOOD_BURST = 300.0
EARLIER_CASES = 5

OPEN_COLOUR, DECIDED_COLOUR, ESCALATION_COLOUR = 0xE0A526, 0x6C757D, 0xC0392B


def _when(at: float, style: str = "f") -> str:
    return f"<t:{int(at)}:{style}>"


# -- recording ---------------------------------------------------------------------------------------


async def record_flags(store: Store, message, flags: Sequence[Flag], now: float | None = None) -> list[int]:
    """Record what fired on a message (anything with id, guild_id, channel_id, author_id, content).
    Returns the ids of flags that are new: the message needs its entry posted or refreshed."""
    now = time.time() if now is None else now
    created = []
    for flag in flags:
        if flag.flagger == "flood" and await _in_flagged_flood(store, message, now):
            continue
        flag_id, new = await store.flags.record(
            message.guild_id,
            message.id,
            message.channel_id,
            message.author_id,
            flag.flagger,
            flag.score,
            flag.reason,
            quote=message.content,
            now=now,
        )
        if new:
            created.append(flag_id)
    return created


async def _in_flagged_flood(store: Store, message, now: float) -> bool:
    """The author already has an open flood flag from this burst: one entry per burst is enough."""
    latest = await store.flags.latest_open(message.guild_id, message.author_id, "flood")
    return latest is not None and now - latest < FLOOD_BURST


async def open_entry_of(store: Store, guild_id: int, message_id: int) -> StoredFlag | None:
    """The anchor of the message's open, posted entry (new flags join it), if there is one."""
    flags = await store.flags.for_message(guild_id, message_id)  # oldest first: an entry's anchor leads
    posted = {f.queue_message_id for f in flags if f.status == OPEN and f.queue_message_id is not None}
    return next((f for f in flags if f.queue_message_id in posted), None)


async def unposted(store: Store, guild_id: int, message_id: int) -> list[StoredFlag]:
    """Open flags of a message that no entry shows yet: they are posted together."""
    return [
        f
        for f in await store.flags.for_message(guild_id, message_id)
        if f.status == OPEN and f.queue_message_id is None
    ]


async def entry_anchors(store: Store, guild_id: int, column: str, value: int) -> list[int]:
    """The anchors of the posted entries about a message (``message_id``) or a member (``author_id``)."""
    return await store.flags.entry_anchors(guild_id, column, value)


async def report_retry_after(
    store: Store,
    guild_id: int,
    user_id: int,
    now: float | None = None,
    limit: int = REPORT_LIMIT,
    window: float = REPORT_WINDOW,
) -> float | None:
    """Seconds until a member may report again; None while under the limit. Counted from stored
    reports, so a restart does not reset it."""
    now = time.time() if now is None else now
    reported = await store.flags.report_times(guild_id, user_id, now - window)
    if len(reported) < limit:
        return None
    return max(reported[len(reported) - limit] + window - now, 1.0)


# -- entries -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    label: str  # "Dismissed", "False positive", "Warned (case #4)"...
    moderator_id: int | None
    at: float | None

    def text(self) -> str:
        who = f" by <@{self.moderator_id}>" if self.moderator_id else ""
        return f"{self.label}{who}" + (f" {_when(self.at)}" if self.at else "")


@dataclass(frozen=True)
class ReviewEntry:
    flags: tuple[StoredFlag, ...]  # the anchor first
    author_name: str
    edit: FlaggedEdit | None
    earlier_cases: tuple[Case, ...]
    decision: Decision | None

    @property
    def anchor(self) -> StoredFlag:
        return self.flags[0]

    @property
    def is_open(self) -> bool:
        return self.anchor.status == OPEN

    @property
    def quote(self) -> str | None:
        return next((f.quote for f in self.flags if f.quote is not None), None)

    @property
    def flag_ids(self) -> list[int]:
        return [f.id for f in self.flags]


async def load_entry(store: Store, guild_id: int, anchor_id: int) -> ReviewEntry | None:
    anchor = await store.flags.get(guild_id, anchor_id)
    if anchor is None:
        return None
    siblings = await store.flags.for_message(guild_id, anchor.message_id)
    if anchor.queue_message_id is not None:
        members = [f for f in siblings if f.queue_message_id == anchor.queue_message_id and f.id != anchor.id]
    else:
        members = [f for f in siblings if f.status == OPEN and f.queue_message_id is None and f.id != anchor.id]
    flags = (anchor, *members)
    stored = (await store.messages.get(guild_id, [anchor.message_id])).get(anchor.message_id)
    edit = await FlaggedEdits(store.db).get(guild_id, anchor.message_id)
    own = {f.id for f in flags}
    cases = [
        c
        for c in await store.cases.for_user(guild_id, anchor.author_id, limit=EARLIER_CASES + len(own))
        if c.flag_id not in own
    ][:EARLIER_CASES]
    decision = None if anchor.status == OPEN else await decision_of(store, anchor)
    return ReviewEntry(flags, stored.author_name if stored else "", edit, tuple(cases), decision)


async def decision_of(store: Store, anchor: StoredFlag) -> Decision:
    case = await store.cases.first_for_flag(anchor.guild_id, anchor.id)
    if case is not None:
        label = f"{CASE_LABELS.get(case.action, case.action)} (case #{case.number})"
    elif await store.false_positives.has(anchor.guild_id, anchor.id):
        label = "False positive"
    else:
        label = anchor.status.title()
    return Decision(label, anchor.decided_by, anchor.decided_at)


async def decide_entry(
    store: Store, entry: ReviewEntry, action: str, moderator_id: int, now: float | None = None
) -> list[int] | None:
    """Claim the entry for one decision, all its flags at once; None if another moderator got there
    first. Returns the flag ids decided, for :func:`reopen` should the action itself fail."""
    status, guild_id = ACTIONS[action], entry.anchor.guild_id
    now = time.time() if now is None else now
    async with store.db.transaction():
        if not await store.flags.decide(guild_id, entry.anchor.id, status, moderator_id, now=now):
            return None
        decided = [entry.anchor.id]
        for flag in entry.flags[1:]:
            if await store.flags.decide(guild_id, flag.id, status, moderator_id, now=now):
                decided.append(flag.id)
        return decided


async def reopen(store: Store, guild_id: int, flag_ids: Sequence[int], status: str) -> None:
    """Undo a claim whose action failed (the member left, Discord refused), so it can be retried."""
    async with store.db.transaction():
        for flag_id in flag_ids:
            await store.flags.decide(guild_id, flag_id, OPEN, 0, expected_status=status)
        await store.flags.clear_decision(guild_id, flag_ids)


def case_reason(entry: ReviewEntry) -> str:
    """What a case opened from an entry says by default: what fired, as the moderator saw it."""
    return "; ".join(f"{f.flagger}: {f.reason}" for f in entry.flags)[:500]


def already_decided(entry: ReviewEntry) -> str:
    decision = entry.decision or Decision("Decided", None, None)
    return f"Already decided: {decision.text()}."


# -- rendering ---------------------------------------------------------------------------------------


def _flag_line(flag: StoredFlag) -> str:
    if flag.flagger == REPORT:
        return f"**report** from <@{flag.reporter_id}>: {escape_inline(flag.reason, 300)}"
    return f"**{flag.flagger}** {flag.score:.2f}: {escape_inline(flag.reason, 300)}"


def case_line(case: Case, with_user: bool = False) -> str:
    user = f" <@{case.user_id}>" if with_user else ""
    reason = escape_inline(case.reason, 120) if case.reason else "no reason given"
    return f"**#{case.number}** {case.action}{user} {_when(case.created_at, 'd')}: {reason}"


def entry_embed(entry: ReviewEntry) -> dict:
    anchor = entry.anchor
    reported = all(f.flagger == REPORT for f in entry.flags)
    kinds = ", ".join(dict.fromkeys(f.flagger for f in entry.flags))
    quote = entry.quote
    description = (
        f"> {escape_inline(quote, 1000)}"
        if quote
        else "*The text is gone: the message was deleted, or its author asked to be forgotten.*"
    )
    name = f" ({escape_inline(entry.author_name, 80)})" if entry.author_name else ""
    link = jump_url(anchor.guild_id, anchor.channel_id, anchor.message_id)
    fields = [
        {"name": "Author", "value": f"<@{anchor.author_id}>{name}", "inline": True},
        {"name": "Message", "value": f"[Jump to message]({link}) in <#{anchor.channel_id}>", "inline": True},
        {
            "name": "Reports" if reported else "Scores and reasons",
            "value": "\n".join(_flag_line(f) for f in entry.flags)[:1024],
            "inline": False,
        },
    ]
    if entry.edit is not None and quote is not None:
        fields.append(
            {
                "name": "Edited after flagging",
                "value": f"{_when(entry.edit.edited_at, 'R')}: {escape_inline(entry.edit.content, 900)}",
                "inline": False,
            }
        )
    fields.append(
        {
            "name": "Earlier cases",
            "value": "\n".join(case_line(c) for c in entry.earlier_cases)[:1024] or "None",
            "inline": False,
        }
    )
    fields.append(
        {
            "name": "Decision",
            "value": entry.decision.text() if entry.decision else "Open: Clio only flags; a moderator decides.",
            "inline": False,
        }
    )
    return {
        "title": "Reported by a member" if reported else f"Flagged: {kinds}",
        "description": description,
        "color": OPEN_COLOUR if entry.is_open else DECIDED_COLOUR,
        "fields": fields,
        "footer": {"text": f"Flag #{anchor.id}"},
        "timestamp": _iso(anchor.created_at),
    }


def _iso(at: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(at))


def case_embed(case: Case) -> dict:
    content = f"> {escape_inline(case.content, 1000)}" if case.content else "*No quoted message (or redacted).*"
    return {
        "title": f"Case #{case.number}: {case.action}",
        "description": content,
        "color": DECIDED_COLOUR,
        "fields": [
            {"name": "Member", "value": f"<@{case.user_id}>", "inline": True},
            {"name": "Moderator", "value": f"<@{case.moderator_id}>" if case.moderator_id else "Clio", "inline": True},
            {"name": "When", "value": _when(case.created_at), "inline": True},
            {
                "name": "Reason",
                "value": escape_inline(case.reason, 1000) if case.reason else "None yet: set one with /case reason",
                "inline": False,
            },
        ],
        "footer": {"text": f"From flag #{case.flag_id}" if case.flag_id else "Case"},
    }


# -- escalation ---------------------------------------------------------------------------------------


def escalation_due(warnings: int, config: GuildConfig) -> bool:
    return warnings >= config.escalation_warnings


async def propose_escalation(
    store: Store, config: GuildConfig, guild_id: int, user_id: int, now: float | None = None
) -> Escalation | None:
    """After a warning: a proposal when the rule is met, counting warnings since the last confirmed one."""
    now = time.time() if now is None else now
    escalations = EscalationStore(store.db)
    days = float(config.escalation_days)
    last = await escalations.last_confirmed_at(guild_id, user_id)
    if last is not None:
        days = min(days, max(now - last, 0.0) / 86400)
    warnings = await store.cases.count_recent_warnings(guild_id, user_id, days, now=now)
    if not escalation_due(warnings, config):
        return None
    return await escalations.propose(
        guild_id, user_id, warnings, config.escalation_days, config.escalation_timeout_minutes, now
    )


async def escalation_warnings(store: Store, escalation: Escalation) -> list[Case]:
    since = escalation.created_at - escalation.days * 86400
    cases = await store.cases.for_user(escalation.guild_id, escalation.user_id, limit=50)
    return [c for c in cases if c.action == WARN and since <= c.created_at <= escalation.created_at]


def escalation_embed(escalation: Escalation, warnings: Sequence[Case]) -> dict:
    timeout = times.duration_text(escalation.minutes * 60)
    if escalation.status == CONFIRMED:
        title = "Escalation confirmed"
        decision = f"Timed out for {timeout}" + (f" (case #{escalation.case_number})" if escalation.case_number else "")
    elif escalation.status == REJECTED:
        title, decision = "Escalation dismissed", "Dismissed"
    else:
        title, decision = "Escalation proposed", "Open: nothing happens until a moderator confirms."
    if escalation.decided_by and escalation.decided_at is not None:
        decision += f" by <@{escalation.decided_by}> {_when(escalation.decided_at)}"
    return {
        "title": title,
        "description": f"<@{escalation.user_id}> has {escalation.warnings} warnings in the last "
        f"{escalation.days} days. The server's rule proposes a timeout of {timeout}.",
        "color": ESCALATION_COLOUR if escalation.status == PROPOSED else DECIDED_COLOUR,
        "fields": [
            {"name": "Warnings", "value": "\n".join(case_line(c) for c in warnings)[:1024] or "None", "inline": False},
            {"name": "Decision", "value": decision, "inline": False},
        ],
        "footer": {"text": f"Escalation #{escalation.id}"},
    }
