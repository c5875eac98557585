"""Forgetting a member, and keeping data only for a guild's retention period.

Forgetting deletes what the member wrote (their stored messages, with embeddings, tags and abuse
scores by cascade, and the latest text of their flagged edits) and redacts every copy of it that
moderation keeps: quotes on flags, cases and false positives. The record of moderation itself stays
(flags, decisions, case numbers and reasons): a server must be able to show what it did and why.

Retention applies the same to everything older than ``retention_days``: messages are deleted and the
quotes of older flags, cases and false positives are redacted. It runs at start-up and daily.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from bot.store import Store
from bot.store.review import FlaggedEdits

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Removed:
    messages: int = 0
    flag_quotes: int = 0
    case_quotes: int = 0
    false_positives: int = 0
    edits: int = 0

    def __add__(self, other: Removed) -> Removed:
        return Removed(*(a + b for a, b in zip(self.counts(), other.counts())))

    def counts(self) -> tuple[int, ...]:
        return (self.messages, self.flag_quotes, self.case_quotes, self.false_positives, self.edits)


async def forget_member(store: Store, guild_id: int, user_id: int) -> Removed:
    return Removed(
        messages=await store.messages.delete_author(guild_id, user_id),
        flag_quotes=await store.flags.redact_author(guild_id, user_id),
        case_quotes=await store.cases.redact_user(guild_id, user_id),
        false_positives=await store.false_positives.redact_author(guild_id, user_id),
        edits=await FlaggedEdits(store.db).delete_author(guild_id, user_id),
    )


async def purge_expired(store: Store, guild_id: int, now: float | None = None) -> Removed:
    config = await store.settings.get(guild_id)
    cutoff = (time.time() if now is None else now) - config.retention_days * 86400
    return Removed(
        messages=await store.messages.delete_older_than(guild_id, cutoff),
        flag_quotes=await store.flags.redact_before(guild_id, cutoff),
        case_quotes=await store.cases.redact_before(guild_id, cutoff),
        false_positives=await store.false_positives.redact_before(guild_id, cutoff),
        edits=await FlaggedEdits(store.db).delete_before(guild_id, cutoff),
    )


async def purge_all(store: Store, now: float | None = None) -> Removed:
    """Retention over every stored guild, each with its own period."""
    total = Removed()
    for guild_id in await store.messages.guild_ids():
        removed = await purge_expired(store, guild_id, now)
        if any(removed.counts()):
            log.info("retention in guild %d: %s", guild_id, removed)
        total += removed
    return total
