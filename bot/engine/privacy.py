"""Forgetting a member, and keeping data only for a guild's retention period.

Forgetting deletes what the member wrote (their stored messages, with embeddings, tags and abuse
scores by cascade, the latest text of their flagged edits, the context notes on their messages) and
their name, and redacts every copy of their words that Clio keeps elsewhere: quotes on flags, cases and
false positives, and the claims and phrasings that discovery took from their messages. The record of
moderation itself stays (flags, decisions, case numbers and reasons): a server must be able to show
what it did and why. What they wrote until then is never stored again, so a backfill after a restart
does not bring it back; and the database file and its WAL are scrubbed, so no deleted page keeps it.

Retention applies the same to everything older than ``retention_days``: messages are deleted and the
quotes of older flags, cases and false positives are redacted. It runs at start-up and daily.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import astuple, dataclass

from bot.engine.discovery.candidates import DISCOVERED, DISMISSED, MERGED, REMOVED
from bot.engine.discovery.clustering import text_key
from bot.engine.matcher_inputs import MatcherInputs
from bot.store import Store
from bot.store.arguments import ACTIVE, CANDIDATE
from bot.store.review import FlaggedEdits

log = logging.getLogger(__name__)

# What a discovered argument says when every word of it came from members who were forgotten.
FORGOTTEN_CLAIM = "(text removed: its author asked to be forgotten)"
# A server Clio is removed from keeps its data this long, in case it is invited back.
LEFT_GUILD_GRACE_DAYS = 30


@dataclass(frozen=True)
class Removed:
    messages: int = 0
    flag_quotes: int = 0
    case_quotes: int = 0
    false_positives: int = 0
    edits: int = 0
    arguments: int = 0  # discovered arguments whose claim or phrasings were the member's words
    notes: int = 0

    def __add__(self, other: Removed) -> Removed:
        return Removed(*(a + b for a, b in zip(self.counts(), other.counts())))

    def counts(self) -> tuple[int, ...]:
        return astuple(self)


async def forget_member(
    store: Store, guild_id: int, user_id: int, now: float | None = None, matcher_inputs: MatcherInputs | None = None
) -> Removed:
    """Forget a member in one guild. Pass the tagging service's ``inputs`` when a matcher may hold the
    guild's arguments: an approved argument whose claim was theirs changes what it sees.

    One unit of work: a crash midway forgets nothing, rather than half of it."""
    changing = matcher_inputs.change(guild_id) if matcher_inputs is not None else contextlib.nullcontext()
    async with changing, store.db.transaction():
        written = await store.messages.by_author(guild_id, user_id)
        removed = Removed(
            arguments=await _scrub_discovered(store, guild_id, written),
            notes=await store.notes.forget_messages(guild_id, list(written)),
            messages=await store.messages.forget_author(guild_id, user_id, time.time() if now is None else now),
            flag_quotes=await store.flags.redact_author(guild_id, user_id),
            case_quotes=await store.cases.redact_user(guild_id, user_id),
            false_positives=await store.false_positives.redact_author(guild_id, user_id),
            edits=await FlaggedEdits(store.db).delete_author(guild_id, user_id),
        )
    await store.db.scrub()
    return removed


def _theirs(text: str, keys: list[str]) -> bool:
    """Whether a claim or phrasing is one of the member's messages (discovery may have shortened it)."""
    key = text_key(text.rstrip("…"))
    return len(key) >= 3 and any(mine.startswith(key) for mine in keys)


async def _scrub_discovered(store: Store, guild_id: int, written: dict[int, str]) -> int:
    """Take the member's words and message ids out of discovered arguments, whatever their status.

    A claim that was theirs gives way to a phrasing that was not; with none left, the argument goes
    (a candidate) or keeps only its title (an approved one, which moderators chose to keep).
    """
    keys = [text_key(text) for text in written.values()]
    ids = set(written)
    changed = 0
    for argument in await store.arguments.list(guild_id, (ACTIVE, CANDIDATE, DISMISSED, MERGED, REMOVED)):
        if argument.origin != DISCOVERED:
            continue
        examples = [e for e in argument.examples if not _theirs(e, keys)]
        evidence = _without_messages(argument.evidence, ids)
        changes: dict = {}
        if _theirs(argument.claim, keys):
            if examples:
                changes["claim"] = examples.pop(0)
            elif argument.status == ACTIVE:
                changes["claim"] = argument.title or FORGOTTEN_CLAIM
            else:
                changes.update(claim=FORGOTTEN_CLAIM, status=REMOVED)
        if list(examples) != list(argument.examples) or "claim" in changes:
            changes["examples"] = examples
        if evidence != argument.evidence:
            changes["evidence"] = evidence
        if changes:
            await store.arguments.update(guild_id, argument.id, **changes)
            changed += 1
    return changed


def _without_messages(evidence: dict, ids: set[int]) -> dict:
    kept = dict(evidence)
    for key in ("message_ids", "example_message_ids"):
        if key in kept:
            kept[key] = [i for i in kept[key] if i not in ids]
    if kept.get("central_message_id") in ids:
        kept["central_message_id"] = None
    if "example_links" in kept:
        kept["example_links"] = [link for link in kept["example_links"] if _linked_id(link) not in ids]
    return kept


def _linked_id(link: str) -> int | None:
    """The message id a jump link ends with."""
    tail = str(link).rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else None


async def purge_expired(store: Store, guild_id: int, now: float | None = None) -> Removed:
    """Retention in one guild, as one unit of work."""
    config = await store.settings.get(guild_id)
    cutoff = (time.time() if now is None else now) - config.retention_days * 86400
    async with store.db.transaction():
        return Removed(
            messages=await store.messages.delete_older_than(guild_id, cutoff),
            flag_quotes=await store.flags.redact_before(guild_id, cutoff),
            case_quotes=await store.cases.redact_before(guild_id, cutoff),
            false_positives=await store.false_positives.redact_before(guild_id, cutoff),
            edits=await FlaggedEdits(store.db).delete_before(guild_id, cutoff),
        )


async def purge_departed(store: Store, now: float | None = None) -> list[int]:
    """Purge the servers Clio left more than LEFT_GUILD_GRACE_DAYS ago and was not invited back to."""
    cutoff = (time.time() if now is None else now) - LEFT_GUILD_GRACE_DAYS * 86400
    purged = await store.guilds.left_before(cutoff)
    for guild_id in purged:
        await store.guilds.purge(guild_id)
        log.info("purged guild %d: Clio left it more than %d days ago", guild_id, LEFT_GUILD_GRACE_DAYS)
    if purged:
        await store.db.scrub()
    return purged


async def purge_all(store: Store, now: float | None = None) -> Removed:
    """Retention over every stored guild, each with its own period."""
    total = Removed()
    for guild_id in await store.messages.guild_ids():
        removed = await purge_expired(store, guild_id, now)
        if any(removed.counts()):
            log.info("retention in guild %d: %s", guild_id, removed)
        total += removed
    return total
