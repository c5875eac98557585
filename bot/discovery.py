"""Discovery: recurring arguments that no argument of the guild explains yet.

Messages with no accepted tag are clustered by embedding across the whole window, not per day, so
that an argument made on Monday and again on Thursday lands in one cluster. A cluster that *recurs*
(enough distinct texts, authors and days; see :class:`bot.config.Settings`) becomes a candidate
argument: its most central message is the suggested claim, a few diverse members are its examples.
Moderators then approve, dismiss or merge it into an existing argument.

Clustering (:func:`find_recurring_clusters`), deterministic and numpy only:

1. messages under :data:`MIN_WORDS` words are dropped ("lol", "agreed" would form junk clusters),
   and identical texts (after dropping case, punctuation, links and mentions) collapse into one:
   spam posted ten times is one text, not a recurring argument;
2. each text's density is its number of neighbours at cosine >= ``similarity``;
3. from the densest unclaimed text down, a seed's unclaimed neighbours form a star, which is then
   refined by average linkage: a text belongs when its mean similarity to the other members is at
   least ``similarity``, repeated until stable. The star only decides where to look; the refinement
   drops the star's outliers and takes in texts the seed was too far from. Members are claimed even
   when the cluster does not recur: a one-author rant must not feed the cluster next door;
4. clusters that meet the recurrence rule are returned, biggest first.

A cluster is compared with known arguments through its unit centroid. Texts pairwise about ``s``
similar sit about ``sqrt(s)`` from their centroid, so an argument text at least that close to the
centre is as close as the members are: the cluster is that argument. Cost: two passes of blocked
matrix products over the distinct texts, plus a matrix-vector product per refinement round.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from bot.config import Settings, get_settings
from bot.records import jump_url
from bot.store.arguments import ACTIVE, CANDIDATE, Argument

if TYPE_CHECKING:  # the tagging service pulls in the matcher and catalogue; discovery needs neither
    from bot.store import Store
    from bot.tagging import TaggingService

log = logging.getLogger(__name__)

DISCOVERED = "discovered"
DISMISSED = "dismissed"
MERGED = "merged"
REMOVED = "removed"

MIN_WORDS = 5
MAX_EXAMPLES = 5
CLAIM_CHARS = 300
MERGE_EXAMPLE_CAP = 12
# A new cluster sharing at least this share of the smaller member list is the same candidate.
SAME_MEMBERS = 0.5
# Clustering is quadratic: at this cap, a few seconds and under 100 MB on two cores.
MAX_MESSAGES = 20_000
_BLOCK = 1024
_REFINE_ROUNDS = 10

# Links, mentions and custom emoji: not words, and not what makes two texts different.
_NOISE = re.compile(r"https?://\S+|<a?:\w+:\d+>|<[@#][!&]?\d+>")
_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    return [w for w in _NOISE.sub(" ", text).split() if any(c.isalpha() for c in w)]


def text_key(text: str) -> str:
    """What two messages share when they are "the same text" for counting."""
    return " ".join(_WORD.findall(_NOISE.sub(" ", text).casefold()))


def trim(text: str, limit: int = CLAIM_CHARS) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:-") + "…"


def _unit(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


# --- clustering (pure) ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class ClusterItem:
    message_id: int
    author_id: int
    created_at: float
    text: str
    vector: np.ndarray


@dataclass(frozen=True, eq=False)
class Cluster:
    members: tuple[ClusterItem, ...]  # every message, duplicates included, oldest first
    central: ClusterItem  # highest mean similarity to the other texts: the suggested claim
    examples: tuple[ClusterItem, ...]  # central first, then members close to the centre but unlike each other
    centroid: np.ndarray  # unit length
    distinct_texts: int
    authors: int
    days: int
    cohesion: float  # mean similarity of the distinct texts to the centroid

    @property
    def message_ids(self) -> list[int]:
        return sorted(m.message_id for m in self.members)

    @property
    def messages(self) -> int:
        return len(self.members)

    @property
    def first_seen(self) -> float:
        return self.members[0].created_at

    @property
    def last_seen(self) -> float:
        return self.members[-1].created_at


def find_recurring_clusters(
    items: Sequence[ClusterItem],
    min_messages: int = 5,
    min_authors: int = 3,
    min_days: int = 2,
    similarity: float = 0.55,
    min_words: int = MIN_WORDS,
) -> list[Cluster]:
    """Clusters of unexplained messages that recur: >= min_messages distinct texts from >= min_authors
    authors on >= min_days UTC days. Deterministic whatever the order of ``items``."""
    groups = _distinct_texts(items, min_words)
    if len(groups) < min_messages:
        return []
    vectors = _unit(np.stack([group[0].vector for group in groups]))
    found = []
    for indices in _partition(vectors, min_messages, similarity):
        cluster = _describe([groups[i] for i in indices], vectors[indices])
        if cluster.distinct_texts >= min_messages and cluster.authors >= min_authors and cluster.days >= min_days:
            found.append(cluster)
    found.sort(key=lambda c: (-c.distinct_texts, -c.authors, c.members[0].message_id))
    return found


def _distinct_texts(items: Sequence[ClusterItem], min_words: int) -> list[list[ClusterItem]]:
    """Eligible messages grouped by text, each group and the list ordered by message id."""
    groups: dict[str, list[ClusterItem]] = {}
    for item in sorted(items, key=lambda i: i.message_id):
        if len(words(item.text)) >= min_words:
            groups.setdefault(text_key(item.text), []).append(item)
    return list(groups.values())


def _neighbours(x: np.ndarray, similarity: float) -> list[np.ndarray]:
    """For each text, the texts at cosine >= similarity (itself included): the one n x n pass."""
    found: list[np.ndarray] = []
    for start in range(0, len(x), _BLOCK):
        close = x[start : start + _BLOCK] @ x.T >= similarity
        found.extend(np.flatnonzero(row).astype(np.int32) for row in close)
    return found


def _partition(x: np.ndarray, min_size: int, similarity: float) -> Iterator[np.ndarray]:
    neighbours = _neighbours(x, similarity)
    density = np.array([len(found) for found in neighbours])
    # Densest first; among equals the earliest message, so ties never depend on input order.
    order = np.lexsort((np.arange(len(x)), -density))
    taken = np.zeros(len(x), dtype=bool)
    for seed in order[density[order] >= min_size]:
        if taken[seed]:
            continue
        members = neighbours[seed][~taken[neighbours[seed]]]
        if len(members) < min_size:
            continue
        for _ in range(_REFINE_ROUNDS):
            # Average linkage: a text's mean similarity to the members, its own left out. A text
            # whose mean reaches the threshold is some member's neighbour, so only those are scored.
            pool = np.unique(np.concatenate([neighbours[m] for m in members]))
            pool = pool[~taken[pool]]
            own = np.isin(pool, members).astype(np.float32)
            mean_sim = (x[pool] @ x[members].sum(axis=0) - own) / np.maximum(len(members) - own, 1)
            refined = pool[mean_sim >= similarity]
            if np.array_equal(refined, members) or len(refined) == 0:
                break
            members = refined
        taken[members] = True
        yield members


def _describe(groups: list[list[ClusterItem]], vectors: np.ndarray) -> Cluster:
    sims = vectors @ vectors.T
    n = len(groups)
    mean_sim = (sims.sum(axis=1) - np.diag(sims)) / max(n - 1, 1)
    central = int(np.argmax(mean_sim))
    centroid = _unit(vectors.mean(axis=0))
    closeness = vectors @ centroid
    chosen = [central]
    while len(chosen) < min(MAX_EXAMPLES, n):
        # Maximal marginal relevance: near the centre, far from the examples already chosen.
        score = closeness - sims[:, chosen].max(axis=1)
        score[chosen] = -np.inf
        chosen.append(int(np.argmax(score)))
    members = sorted((m for group in groups for m in group), key=lambda m: (m.created_at, m.message_id))
    return Cluster(
        members=tuple(members),
        central=groups[central][0],
        examples=tuple(groups[i][0] for i in chosen),
        centroid=centroid,
        distinct_texts=n,
        authors=len({m.author_id for m in members}),
        days=len({int(m.created_at // 86400) for m in members}),
        cohesion=float(closeness.mean()),
    )


# --- discovery over the store --------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class CandidateResult:
    argument: Argument
    cluster: Cluster
    created: bool  # False: an existing candidate was refreshed


_UNEXPLAINED = """
SELECT m.id, m.channel_id, m.author_id, m.created_at, m.content FROM messages m
LEFT JOIN authors a ON a.guild_id = m.guild_id AND a.id = m.author_id
WHERE m.guild_id = ? AND m.created_at >= ? AND m.created_at < ? AND COALESCE(a.is_bot, 0) = 0
  AND NOT EXISTS (
    SELECT 1 FROM tags t JOIN arguments g ON g.id = t.argument_id
    WHERE t.message_id = m.id AND t.accepted = 1 AND g.status = 'active')
ORDER BY m.id
"""


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
    rows = await store.db.fetchall(
        _UNEXPLAINED, (guild_id, since if since is not None else 0.0, until if until is not None else math.inf)
    )
    rows = [row for row in rows if len(words(row[4])) >= MIN_WORDS]
    if len(rows) > max_messages:
        # Clustering is quadratic: past the cap, the most recent messages are the ones that matter.
        log.warning("guild %d: clustering the latest %d of %d unexplained messages", guild_id, max_messages, len(rows))
        rows = sorted(sorted(rows, key=lambda r: (r[3], r[0]))[-max_messages:], key=lambda r: r[0])
    if not rows:
        return []
    vectors = await tagging.vectors(guild_id, {row[0]: row[4] for row in rows})
    rows = [row for row in rows if row[0] in vectors]
    rows = await _drop_probably_explained(tagging, guild_id, rows, vectors, settings.discovery_explained)
    items = [ClusterItem(row[0], row[2], row[3], row[4], vectors[row[0]]) for row in rows]
    clusters = await asyncio.to_thread(
        find_recurring_clusters, items, settings.discovery_min_messages, settings.discovery_min_authors,
        settings.discovery_min_days, similarity,
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
            log.debug("guild %d: cluster of %d skipped, matches argument %d (%s)",
                      guild_id, cluster.messages, match.id, match.status)
            continue
        fields = _candidate_fields(guild_id, cluster, channel_of)
        if match is None:
            argument_id = await store.arguments.add(
                guild_id, await _free_slug(store, guild_id, cluster), origin=DISCOVERED, status=CANDIDATE, **fields
            )
        else:
            argument_id = match.id
            await store.arguments.update(guild_id, argument_id, **fields)
        argument = await store.arguments.get(guild_id, argument_id)
        refreshed.add(argument_id)
        if match is None:
            known.append(argument)
            known_vectors[argument_id] = _unit(np.stack([e.vector for e in cluster.examples]))
        results.append(CandidateResult(argument, cluster, created=match is None))
    log.info("guild %d: %d recurring clusters, %d candidates (%d new)", guild_id, len(clusters),
             len(results), sum(r.created for r in results))
    return results


async def _drop_probably_explained(tagging: TaggingService, guild_id: int, rows: list, vectors: dict,
                                   explained: float) -> list:
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
    embedded = _unit(await tagging.argument_vectors(flat))
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


# --- moderator actions ---------------------------------------------------------------------------


async def _discovered(store: Store, guild_id: int, argument_id: int) -> Argument:
    argument = await store.arguments.get(guild_id, argument_id)
    if argument is None:
        raise LookupError(f"guild {guild_id} has no argument {argument_id}")
    if argument.origin != DISCOVERED:
        raise ValueError(f"argument {argument_id} was not discovered (origin {argument.origin})")
    return argument


async def approve_candidate(
    store: Store, tagging: TaggingService, guild_id: int, argument_id: int,
    title: str | None = None, claim: str | None = None, *, retag: bool = True,
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
    await store.arguments.update(guild_id, argument_id, **changes)
    tagging.invalidate(guild_id)
    if retag:
        await tagging.retag_guild(guild_id)
    return await store.arguments.get(guild_id, argument_id)


async def dismiss_candidate(store: Store, guild_id: int, argument_id: int) -> Argument:
    """Bury a candidate: later discovery runs never propose it again."""
    argument = await _discovered(store, guild_id, argument_id)
    if argument.status == DISMISSED:
        return argument
    if argument.status != CANDIDATE:
        raise ValueError(f"argument {argument_id} is {argument.status}, not a candidate")
    await store.arguments.update(guild_id, argument_id, status=DISMISSED)
    return await store.arguments.get(guild_id, argument_id)


async def merge_candidate(
    store: Store, tagging: TaggingService, guild_id: int, candidate_id: int, into_argument_id: int,
    *, retag: bool = True,
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
    await store.arguments.update(guild_id, target.id, examples=examples)
    await store.arguments.update(guild_id, candidate.id, status=MERGED, merged_into=target.id)
    tagging.invalidate(guild_id)
    if retag:
        await tagging.retag_guild(guild_id)
    return await store.arguments.get(guild_id, target.id)


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
