"""Pure choices behind a digest: which messages to quote, and which reply chains were busiest."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from bot.core.records import StoredMessage
from bot.engine.digest.model import Quote, ReplyChain


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    # A missing embedding arrives as a zero row: it stays zero, so it is neither central nor similar to anything.
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


def pick_quotes(
    vectors: np.ndarray,
    authors: Sequence[Hashable],
    k: int,
    *,
    centroid: np.ndarray | None = None,
    diversity: float = 0.5,
    author_penalty: float = 0.15,
    duplicate_similarity: float = 0.95,
) -> list[int]:
    """Row indices of up to ``k`` quotes by maximal marginal relevance.

    The first pick is the row closest to the centroid (by default, of all rows); each next pick trades
    closeness to the centroid against similarity to the picks so far, and loses ``author_penalty`` when
    its author was already quoted. Rows nearly identical to a pick are never picked: a digest quoting the
    same sentence twice says less, not more. Ties keep the input order, so callers pass their best first.
    """
    n = len(authors)
    if n == 0 or k <= 0:
        return []
    rows = _unit_rows(np.asarray(vectors, dtype=np.float32).reshape(n, -1))
    centre = rows.mean(axis=0) if centroid is None else np.asarray(centroid, dtype=np.float32)
    centre_norm = float(np.linalg.norm(centre))
    relevance = rows @ (centre / centre_norm) if centre_norm > 0 else np.zeros(n, dtype=np.float32)
    code_of = {author: code for code, author in enumerate(dict.fromkeys(authors))}
    author_codes = np.fromiter((code_of[a] for a in authors), dtype=np.int64, count=n)

    closest = np.zeros(n, dtype=np.float32)
    available = np.ones(n, dtype=bool)
    quoted_authors = np.zeros(len(code_of), dtype=bool)
    picked: list[int] = []
    while len(picked) < k and available.any():
        score = (1 - diversity) * relevance - diversity * closest - author_penalty * quoted_authors[author_codes]
        score = np.where(available, score, -np.inf)
        best = int(np.argmax(score))
        picked.append(best)
        similarity = rows @ rows[best]
        closest = np.maximum(closest, similarity)
        available &= similarity < duplicate_similarity
        available[best] = False
        quoted_authors[author_codes[best]] = True
    return picked


class ReplyNode(Protocol):
    """What a reply chain is made of: a stored message, or just its reply link (see ``reply_links``)."""

    @property
    def id(self) -> int: ...
    @property
    def reply_to_id(self) -> int | None: ...
    @property
    def author_id(self) -> int: ...
    @property
    def created_at(self) -> float: ...


@dataclass(frozen=True)
class ChainShape:
    root_id: int
    replies: int
    participants: int
    last_at: float


def _roots(by_id: Mapping[int, ReplyNode]) -> dict[int, int]:
    """Each message's chain root: the oldest ancestor reachable by reply_to_id inside the window."""
    roots: dict[int, int] = {}
    for message_id in by_id:
        path: list[int] = []
        on_path: set[int] = set()
        node = message_id
        while node not in roots:
            path.append(node)
            on_path.add(node)
            parent = by_id[node].reply_to_id
            # A parent outside the window ends the walk; so does a cycle, which only forged data can hold.
            if parent is None or parent not in by_id or parent in on_path:
                roots[node] = node
                break
            node = parent
        for member in path:
            roots[member] = roots[node]
    return roots


def busiest_chains(nodes: Sequence[ReplyNode], limit: int = 3) -> list[ChainShape]:
    """The busiest reply chains (most messages, then most participants, then most recent) with a reply."""
    by_id = {node.id: node for node in nodes}
    members: dict[int, list[ReplyNode]] = defaultdict(list)
    for message_id, root in _roots(by_id).items():
        members[root].append(by_id[message_id])
    chains = [
        ChainShape(
            root_id=root,
            replies=len(chain) - 1,
            participants=len({m.author_id for m in chain}),
            last_at=max(m.created_at for m in chain),
        )
        for root, chain in members.items()
        if len(chain) > 1
    ]
    chains.sort(key=lambda c: (-c.replies, -c.participants, -c.last_at, c.root_id))
    return chains[:limit]


def reply_chains(messages: Sequence[StoredMessage], limit: int = 3) -> list[ReplyChain]:
    """:func:`busiest_chains` of whole messages, each root quoted."""
    by_id = {m.id: m for m in messages}
    return [
        ReplyChain(Quote.of(by_id[c.root_id]), c.replies, c.participants, c.last_at)
        for c in busiest_chains(messages, limit)
    ]
