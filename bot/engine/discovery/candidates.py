"""Moderators' decisions on discovered candidates: approve, dismiss, or merge into an existing argument."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.engine.discovery.clustering import text_key
from bot.store.arguments import ACTIVE, CANDIDATE, Argument

if TYPE_CHECKING:
    from bot.engine.tagging import TaggingService
    from bot.store import Store

DISCOVERED = "discovered"
DISMISSED = "dismissed"
MERGED = "merged"
REMOVED = "removed"

MERGE_EXAMPLE_CAP = 12


async def _discovered(store: Store, guild_id: int, argument_id: int) -> Argument:
    argument = await store.arguments.get(guild_id, argument_id)
    if argument is None:
        raise LookupError(f"guild {guild_id} has no argument {argument_id}")
    if argument.origin != DISCOVERED:
        raise ValueError(f"argument {argument_id} was not discovered (origin {argument.origin})")
    return argument


async def approve_candidate(
    store: Store,
    tagging: TaggingService,
    guild_id: int,
    argument_id: int,
    title: str | None = None,
    claim: str | None = None,
    *,
    retag: bool = True,
) -> Argument:
    """Make a candidate (or a dismissed one, on second thoughts) an active argument and tag with it.

    ``retag=False`` leaves the guild-wide re-tag to the caller, to run it in the background.
    """
    argument = await _discovered(store, guild_id, argument_id)
    if argument.status == MERGED:
        raise ValueError(f"argument {argument_id} was merged into argument {argument.merged_into}")
    changes: dict = {"status": ACTIVE}
    if title is not None:
        changes["title"] = title.strip()
    if claim is not None and claim.strip() != argument.claim:
        if not claim.strip():
            raise ValueError("a claim cannot be empty")
        changes["claim"] = claim.strip()
        # The suggested claim was a real message: still a phrasing worth matching.
        changes["examples"] = _merge_examples([*argument.examples], [argument.claim], changes["claim"])
    if argument.status == ACTIVE and set(changes) == {"status"}:
        return argument
    async with tagging.inputs.change(guild_id):
        await store.arguments.update(guild_id, argument_id, **changes)
    if retag:
        await tagging.retag_guild(guild_id)
    return await store.arguments.require(guild_id, argument_id)


async def dismiss_candidate(store: Store, guild_id: int, argument_id: int) -> Argument:
    """Bury a candidate: later discovery runs never propose it again."""
    argument = await _discovered(store, guild_id, argument_id)
    if argument.status == DISMISSED:
        return argument
    if argument.status != CANDIDATE:
        raise ValueError(f"argument {argument_id} is {argument.status}, not a candidate")
    await store.arguments.update(guild_id, argument_id, status=DISMISSED)
    return await store.arguments.require(guild_id, argument_id)


async def merge_candidate(
    store: Store,
    tagging: TaggingService,
    guild_id: int,
    candidate_id: int,
    into_argument_id: int,
    *,
    retag: bool = True,
) -> Argument:
    """Fold a candidate into an active argument: its phrasings become the target's examples.

    Returns the target. The target is written first, so a crash in between leaves a candidate
    that can simply be merged again.
    """
    candidate = await _discovered(store, guild_id, candidate_id)
    target = await store.arguments.get(guild_id, into_argument_id)
    if target is None:
        raise LookupError(f"guild {guild_id} has no argument {into_argument_id}")
    if candidate.status == MERGED and candidate.merged_into == target.id:
        return target
    if candidate.status not in (CANDIDATE, DISMISSED):
        raise ValueError(f"argument {candidate_id} is {candidate.status}, not a candidate")
    if target.id == candidate.id or target.status != ACTIVE:
        raise ValueError(f"argument {into_argument_id} is not an active argument to merge into")
    examples = _merge_examples([*target.examples], [candidate.claim, *candidate.examples], target.claim)
    async with tagging.inputs.change(guild_id):
        await store.arguments.update(guild_id, target.id, examples=examples)
        await store.arguments.update(guild_id, candidate.id, status=MERGED, merged_into=target.id)
    if retag:
        await tagging.retag_guild(guild_id)
    return await store.arguments.require(guild_id, target.id)


def _merge_examples(existing: list[str], new: Sequence[str], claim: str, cap: int = MERGE_EXAMPLE_CAP) -> list[str]:
    """Existing examples kept; new ones added up to ``cap``, but always at least one, or a merge would
    teach the matcher nothing."""
    seen = {text_key(t) for t in [claim, *existing]}
    out, added = list(existing), 0
    for text in new:
        key = text_key(text)
        if not key or key in seen:
            continue
        if len(out) >= cap and added:
            break
        out.append(text)
        seen.add(key)
        added += 1
    return out
