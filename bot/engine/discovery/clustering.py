"""Clustering for discovery, deterministic and numpy only (:func:`find_recurring_clusters`):

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
centre is as close as the members are: the cluster is that argument. Cost: the neighbour search
(every pair up to :data:`EXACT_UP_TO` distinct texts, an inverted-file search in about n * sqrt(n)
past it), plus a matrix-vector product per refinement round.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from bot.core.markdown import shorten

MIN_WORDS = 5
MAX_EXAMPLES = 5
CLAIM_CHARS = 300
_BLOCK = 1024
_REFINE_ROUNDS = 10
# Up to this many distinct texts every pair is compared; past it, only texts in nearby cells.
EXACT_UP_TO = 4_000
_PROBES = 8
_KMEANS_ROUNDS = 6

# Links, mentions and custom emoji: not words, and not what makes two texts different.
_NOISE = re.compile(r"https?://\S+|<a?:\w+:\d+>|<[@#][!&]?\d+>")
_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    return [w for w in _NOISE.sub(" ", text).split() if any(c.isalpha() for c in w)]


def text_key(text: str) -> str:
    """What two messages share when they are "the same text" for counting."""
    return " ".join(_WORD.findall(_NOISE.sub(" ", text).casefold()))


def trim(text: str, limit: int = CLAIM_CHARS) -> str:
    """A message as a one-line claim within ``limit``."""
    return shorten(" ".join(text.split()), limit)


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


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
    vectors = unit_rows(np.stack([group[0].vector for group in groups]))
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
    """For each text, the texts at cosine >= similarity (itself included)."""
    return _all_pairs(x, similarity) if len(x) <= EXACT_UP_TO else _within_cells(x, similarity)


def _all_pairs(x: np.ndarray, similarity: float) -> list[np.ndarray]:
    """Exact: one n x n pass."""
    found: list[np.ndarray] = []
    for start in range(0, len(x), _BLOCK):
        close = x[start : start + _BLOCK] @ x.T >= similarity
        found.extend(np.flatnonzero(row).astype(np.int32) for row in close)
    return found


def _cells(x: np.ndarray, count: int) -> np.ndarray:
    """Spherical k-means centroids, seeded with evenly spaced texts so that runs agree."""
    centroids = x[np.linspace(0, len(x) - 1, count).astype(int)].copy()
    for _ in range(_KMEANS_ROUNDS):
        nearest = np.argmax(x @ centroids.T, axis=1)
        order = np.argsort(nearest, kind="stable")
        used, starts = np.unique(nearest[order], return_index=True)
        centroids[used] = unit_rows(np.add.reduceat(x[order], starts, axis=0))  # empty cells stay put
    return centroids


def _within_cells(x: np.ndarray, similarity: float) -> list[np.ndarray]:
    """An inverted-file search: about sqrt(n) cells by k-means, each text living in its nearest cell
    and compared with the texts of its _PROBES nearest cells. About n * sqrt(n) * _PROBES products
    instead of n * n; a pair is kept when either text finds the other, and found pairs are exact
    similarities, so the only error is a rare missed pair of texts whose cells are far apart."""
    n = len(x)
    centroids = _cells(x, max(1, int(np.sqrt(n))))
    probes = np.argsort(-(x @ centroids.T), axis=1, kind="stable")[:, :_PROBES]
    cells = len(centroids)
    # The texts living in each cell, and the texts probing it, as slices of two sorted orders.
    living = np.argsort(probes[:, 0], kind="stable")
    living_bounds = np.searchsorted(probes[living, 0], np.arange(cells + 1))
    probing = np.argsort(probes.ravel(), kind="stable")
    probing_bounds = np.searchsorted(probes.ravel()[probing], np.arange(cells + 1))
    keys = [np.arange(n, dtype=np.int64) * (n + 1)]  # each text is its own neighbour
    for cell in range(cells):
        members = living[living_bounds[cell] : living_bounds[cell + 1]]
        queries = probing[probing_bounds[cell] : probing_bounds[cell + 1]] // _PROBES
        for start in range(0, len(queries) if len(members) else 0, _BLOCK):
            batch = queries[start : start + _BLOCK]
            rows, cols = np.nonzero(x[batch] @ x[members].T >= similarity)
            first, second = batch[rows].astype(np.int64), members[cols].astype(np.int64)
            keys += [first * n + second, second * n + first]
    pairs = np.sort(np.concatenate(keys))
    pairs = pairs[np.concatenate(([True], pairs[1:] != pairs[:-1]))]
    owners, found = pairs // n, (pairs % n).astype(np.int32)
    return np.split(found, np.searchsorted(owners, np.arange(1, n)))


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
    centroid = unit_rows(vectors.mean(axis=0))
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
