"""Moderators' decisions, free of Discord: claim an entry (or an escalation), act, open the case, and undo
the claim when the action fails, so that it can be retried.

What a decision does on Discord goes through :class:`ModerationActions`: ``cogs.moderation`` implements
it with discord.py, and the tests with a recorder. Claims are compare-and-sets in the store, so of two
moderators clicking at once one decides and the other is told who did.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from bot.core.errors import UserError
from bot.core.markdown import escape_inline
from bot.core.records import jump_url
from bot.core.times import duration_text
from bot.engine.moderation import queue
from bot.store import Store
from bot.store.moderation import WARN, StoredFlag
from bot.store.review import CONFIRMED, PROPOSED, REJECTED, Escalation, EscalationStore, FlaggedEdits


class ModerationActions(Protocol):
    """What Clio does to members and messages when a moderator decides."""

    async def delete_message(self, channel_id: int, message_id: int) -> None:
        """Delete a message; one already gone counts as deleted."""
        ...

    async def timeout(self, user_id: int, seconds: float, reason: str) -> None:
        """Time a member out; raises UserError when they are no longer a member."""
        ...

    async def dm(self, user_id: int, text: str) -> bool:
        """Message a member privately; False when they do not accept it."""
        ...


@dataclass(frozen=True)
class FlagDecision:
    entry: queue.ReviewEntry  # as it stands after the decision
    note: str | None  # for the moderator who decided, when something needs saying


async def drop_text(store: Store, guild_id: int, message_id: int) -> bool:
    """A deleted message's text goes from its flags too (cases keep theirs as the record of the action)."""
    redacted = await store.flags.redact_message(guild_id, message_id)
    edits = await FlaggedEdits(store.db).delete_message(guild_id, message_id)
    return bool(redacted or edits)


async def load_entry(store: Store, guild_id: int, anchor_id: int) -> queue.ReviewEntry:
    entry = await queue.load_entry(store, guild_id, anchor_id)
    if entry is None:
        raise UserError("This flag no longer exists.")
    return entry


@contextlib.asynccontextmanager
async def _claimed(store: Store, entry: queue.ReviewEntry, action: str, moderator_id: int) -> AsyncIterator[None]:
    """Hold the entry for this decision; give it back if what follows fails."""
    decided = await queue.decide_entry(store, entry, action, moderator_id)
    if decided is None:
        raise UserError(queue.already_decided(await load_entry(store, entry.anchor.guild_id, entry.anchor.id)))
    try:
        yield
    except BaseException:
        await queue.reopen(store, entry.anchor.guild_id, decided, queue.ACTIONS[action])
        raise


async def decide_flag(
    store: Store,
    actions: ModerationActions,
    guild_id: int,
    anchor_id: int,
    action: str,
    moderator_id: int,
    *,
    choice: str | None = None,
    guild_name: str = "",
) -> FlagDecision:
    """Carry out a moderator's choice on a review-queue entry: dismiss, false positive, delete, warn or
    time out (``choice``: one of ``queue.TIMEOUT_SECONDS``)."""
    if action == queue.TIMEOUT and choice not in queue.TIMEOUT_SECONDS:
        raise UserError("Pick how long the timeout lasts.")
    entry = await load_entry(store, guild_id, anchor_id)
    async with _claimed(store, entry, action, moderator_id):
        note = await _carry_out(store, actions, entry, action, moderator_id, choice, guild_name)
    return FlagDecision(await load_entry(store, guild_id, anchor_id), note)


async def _carry_out(
    store: Store,
    actions: ModerationActions,
    entry: queue.ReviewEntry,
    action: str,
    moderator_id: int,
    choice: str | None,
    guild_name: str,
) -> str | None:
    anchor = entry.anchor
    reason = queue.case_reason(entry)
    if action == queue.FALSE_POSITIVE:
        await store.false_positives.add(anchor.guild_id, entry.flags, moderator_id)
    elif action == queue.DELETE:
        await actions.delete_message(anchor.channel_id, anchor.message_id)
        async with store.db.transaction():  # the message, its case and its quotes: all or nothing
            await store.messages.delete(anchor.guild_id, [anchor.message_id])
            await store.cases.add_case(
                anchor.guild_id, anchor.author_id, queue.DELETE, reason, moderator_id, anchor.id, entry.quote
            )
            await drop_text(store, anchor.guild_id, anchor.message_id)
    elif action == WARN:
        case = await store.cases.add_case(
            anchor.guild_id, anchor.author_id, WARN, reason, moderator_id, anchor.id, entry.quote
        )
        if not await actions.dm(anchor.author_id, warning_text(guild_name, anchor, case.number)):
            return f"Warned (case #{case.number}), but I could not DM them: they do not accept my messages."
    elif action == queue.TIMEOUT and choice is not None:
        seconds = queue.TIMEOUT_SECONDS[choice]
        await actions.timeout(anchor.author_id, seconds, f"Clio review queue, flag #{anchor.id}")
        await store.cases.add_case(
            anchor.guild_id,
            anchor.author_id,
            queue.TIMEOUT,
            f"{duration_text(seconds)}. {reason}",
            moderator_id,
            anchor.id,
            entry.quote,
        )
    return None


def warning_text(guild_name: str, anchor: StoredFlag, case_number: int) -> str:
    link = jump_url(anchor.guild_id, anchor.channel_id, anchor.message_id)
    return (
        f"The moderators of **{escape_inline(guild_name)}** warned you about "
        f"[a message you posted]({link}). Case #{case_number}."
    )


# -- escalation ---------------------------------------------------------------------------------------


async def load_escalation(store: Store, guild_id: int, escalation_id: int) -> Escalation:
    escalation = await EscalationStore(store.db).get(guild_id, escalation_id)
    if escalation is None:
        raise UserError("This escalation no longer exists.")
    return escalation


async def decide_escalation(
    store: Store,
    actions: ModerationActions,
    guild_id: int,
    escalation_id: int,
    confirm: bool,
    moderator_id: int,
    moderator_name: str = "",
) -> Escalation:
    """Confirm (time the member out, open a case) or reject a proposed timeout, once."""
    escalations = EscalationStore(store.db)
    escalation = await load_escalation(store, guild_id, escalation_id)
    status = CONFIRMED if confirm else REJECTED
    if not await escalations.decide(guild_id, escalation_id, status, moderator_id):
        current = await load_escalation(store, guild_id, escalation_id)
        raise UserError(f"Already {current.status} by <@{current.decided_by}>.")
    if confirm:
        seconds = escalation.minutes * 60
        try:
            await actions.timeout(
                escalation.user_id,
                seconds,
                f"Clio escalation #{escalation_id}, confirmed by {moderator_name or moderator_id}",
            )
        except BaseException:
            await escalations.decide(guild_id, escalation_id, PROPOSED, None, expected=CONFIRMED)
            raise
        case = await store.cases.add_case(
            guild_id,
            escalation.user_id,
            queue.TIMEOUT,
            f"{duration_text(seconds)}. Escalation: {escalation.warnings} warnings in {escalation.days} days.",
            moderator_id,
        )
        await escalations.set_fields(guild_id, escalation_id, case_number=case.number)
    return await load_escalation(store, guild_id, escalation_id)
