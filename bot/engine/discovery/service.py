"""Discovery over the store: the window's unexplained messages, clustered, become candidate arguments.

Messages with no accepted tag are clustered by embedding across the whole window, not per day, so
that an argument made on Monday and again on Thursday lands in one cluster (see
:mod:`bot.engine.discovery.clustering`). A cluster that *recurs* becomes a candidate argument: its most
central message is the suggested claim, a few diverse members are its examples. Moderators then
approve, dismiss or merge it (:mod:`bot.engine.discovery.candidates`).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from bot.core.config import Settings, get_settings
from bot.core.records import jump_url
from bot.engine.discovery.candidates import DISCOVERED, DISMISSED, MERGED, REMOVED
from bot.engine.discovery.clustering import (
    MIN_WORDS,
    Cluster,
    ClusterItem,
    find_recurring_clusters,
    trim,
    unit_rows,
    words,
)
from bot.store.arguments import ACTIVE, CANDIDATE, Argument

if TYPE_CHECKING:  # the tagging service pulls in the matcher and catalogue; discovery needs neither
    from bot.engine.tagging import TaggingService
    from bot.store import Store

log = logging.getLogger(__name__)

# A new cluster sharing at least this share of the smaller member list is the same candidate.
SAME_MEMBERS = 0.5
# The newest unexplained messages clustered per run: enough for weeks of a busy server.
MAX_MESSAGES = 20_000
# The shortest text of MIN_WORDS words: what the database can rule out before Python counts words.
MIN_CHARS = 2 * MIN_WORDS - 1


@dataclass(frozen=True, eq=False)
class CandidateResult:
    argument: Argument
    cluster: Cluster
    created: bool  # False: an existing candidate was refreshed


async def discover(
    store: Store,
    tagging: TaggingService,
    guild_id: int,
    since: float | None = None,
    until: float | None = None,
    settings: Settings | None = None,
    max_messages: int = MAX_MESSAGES,
) -> list[CandidateResult]:
    """Cluster the window's unexplained messages and create or refresh candidates. Safe to re-run.

    A cluster close to an active argument is skipped (already explained), one that matches a
    dismissed, merged or removed argument stays buried, and one that matches a live candidate
    refreshes it (its evidence then describes this run's window). Of ``tagging`` only
    ``ensure_guild``, ``vectors``, ``matcher_for`` and ``argument_vectors`` are used.
    """
    settings = settings or get_settings()
    similarity = settings.discovery_similarity
    await tagging.ensure_guild(guild_id)
    rows = await _latest_unexplained(
        store, guild_id, since if since is not None else 0.0, until if until is not None else math.inf, max_messages
    )
    if not rows:
        return []
    vectors = await tagging.vectors(guild_id, {row[0]: row[4] for row in rows})
    rows = [row for row in rows if row[0] in vectors]
    rows = await _drop_probably_explained(tagging, guild_id, rows, vectors, settings.discovery_explained)
    items = [ClusterItem(row[0], row[2], row[3], row[4], vectors[row[0]]) for row in rows]
    clusters = await asyncio.to_thread(
        find_recurring_clusters,
        items,
        settings.discovery_min_messages,
        settings.discovery_min_authors,
        settings.discovery_min_days,
        similarity,
    )
    if not clusters:
        return []
    channel_of = {row[0]: row[1] for row in rows}
    known = await store.arguments.list(guild_id, (ACTIVE, CANDIDATE, DISMISSED, MERGED, REMOVED))
    known_vectors = await _argument_vectors(tagging, known)
    results: list[CandidateResult] = []
    refreshed: set[int] = set()
    for cluster in clusters:
        match = _match(cluster, known, known_vectors, similarity)
        if match is not None and (match.status != CANDIDATE or match.id in refreshed):
            # Explained by an active argument, buried by a moderator, or the twin of a candidate
            # this run already refreshed.
            log.debug(
                "guild %d: cluster of %d skipped, matches argument %d (%s)",
                guild_id,
                cluster.messages,
                match.id,
                match.status,
            )
            continue
        fields = _candidate_fields(guild_id, cluster, channel_of)
        if match is None:
            argument_id = await store.arguments.add(
                guild_id, await _free_slug(store, guild_id, cluster), origin=DISCOVERED, status=CANDIDATE, **fields
            )
        else:
            argument_id = match.id
            await store.arguments.update(guild_id, argument_id, **fields)
        argument = await store.arguments.require(guild_id, argument_id)
        refreshed.add(argument_id)
        if match is None:
            known.append(argument)
            known_vectors[argument_id] = unit_rows(np.stack([e.vector for e in cluster.examples]))
        results.append(CandidateResult(argument, cluster, created=match is None))
    log.info(
        "guild %d: %d recurring clusters, %d candidates (%d new)",
        guild_id,
        len(clusters),
        len(results),
        sum(r.created for r in results),
    )
    return results


async def _latest_unexplained(store: Store, guild_id: int, since: float, until: float, cap: int) -> list[tuple]:
    """The newest ``cap`` unexplained messages long enough to cluster, oldest first. Past the cap the
    most recent messages are the ones that matter, so the database reads pages from the newest down
    and stops there, however many older messages the window holds."""
    kept: list[tuple] = []
    before = None
    while len(kept) < cap:
        page = await store.messages.unexplained(guild_id, since, until, min_chars=MIN_CHARS, limit=cap, before=before)
        kept += [row for row in page if len(words(row[4])) >= MIN_WORDS]
        if len(page) < cap:
            break
        before = (page[-1][3], page[-1][0])
    if len(kept) >= cap:
        log.warning("guild %d: clustering only the latest %d unexplained messages of the window", guild_id, cap)
    return sorted(kept[:cap], key=lambda row: row[0])


async def _drop_probably_explained(
    tagging: TaggingService, guild_id: int, rows: list, vectors: dict, explained: float
) -> list:
    """Leave out messages a known argument probably explains, though not surely enough to tag them.

    Tags are chosen for precision, so many messages about catalogued arguments stay untagged; without
    this step they would cluster into "new" arguments the catalogue already has.
    """
    if not rows:
        return rows
    matcher = await tagging.matcher_for(guild_id)
    if not matcher.profiles:
        return rows
    best = matcher.probabilities(np.stack([vectors[row[0]] for row in rows])).max(axis=1)
    return [row for row, probability in zip(rows, best) if probability < explained]


async def _argument_vectors(tagging: TaggingService, arguments: Sequence[Argument]) -> dict[int, np.ndarray]:
    """Each argument's claim and examples, embedded: what the matcher compares messages with."""
    texts = [[a.claim, *a.examples] for a in arguments]
    flat = [t for group in texts for t in group]
    if not flat:
        return {}
    embedded = unit_rows(await tagging.argument_vectors(flat))
    out, start = {}, 0
    for argument, group in zip(arguments, texts):
        out[argument.id] = embedded[start : start + len(group)]
        start += len(group)
    return out


def _match(
    cluster: Cluster, known: Sequence[Argument], vectors: dict[int, np.ndarray], similarity: float
) -> Argument | None:
    """The known argument this cluster is: shared members first, then closeness of meaning."""
    members = set(cluster.message_ids)
    core = math.sqrt(similarity)
    best, best_key = None, (0.0, 0.0)
    for argument in known:
        previous = set(argument.evidence.get("message_ids", ()))
        overlap = len(members & previous) / min(len(members), len(previous)) if previous else 0.0
        closeness = float((vectors[argument.id] @ cluster.centroid).max())
        key = (overlap if overlap >= SAME_MEMBERS else 0.0, closeness if closeness >= core else 0.0)
        if key > best_key:
            best, best_key = argument, key
    return best


def _candidate_fields(guild_id: int, cluster: Cluster, channel_of: dict[int, int]) -> dict:
    examples = [e for e in cluster.examples if e is not cluster.central]
    evidence = {
        "message_ids": cluster.message_ids,
        "central_message_id": cluster.central.message_id,
        "example_message_ids": [e.message_id for e in cluster.examples],
        "example_links": [jump_url(guild_id, channel_of[e.message_id], e.message_id) for e in cluster.examples],
        "messages": cluster.messages,
        "distinct_texts": cluster.distinct_texts,
        "authors": cluster.authors,
        "days": cluster.days,
        "first_seen": cluster.first_seen,
        "last_seen": cluster.last_seen,
        "cohesion": round(cluster.cohesion, 4),
    }
    return {"claim": trim(cluster.central.text), "examples": [trim(e.text) for e in examples], "evidence": evidence}


async def _free_slug(store: Store, guild_id: int, cluster: Cluster) -> str:
    base = "candidate-" + hashlib.sha1(str(cluster.central.message_id).encode()).hexdigest()[:10]
    slug, n = base, 1
    while await store.arguments.by_slug(guild_id, slug) is not None:
        n += 1
        slug = f"{base}-{n}"
    return slug
