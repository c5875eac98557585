"""Build a digest of one window from the store: every number is a count of stored rows, every quote a stored message.

What a digest never quotes, though it counts it: a message with a flag awaiting a moderator, and the
messages of rule-breaking arguments (``policy: flag``, such as denial) unless the server turned
``quote_policy_arguments`` on. A digest is read by the whole channel it is posted in; reposting a
denial or an insult there, with a jump link, would amplify what moderators are about to remove.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import numpy as np

from bot.core.records import MessageScope, StoredMessage
from bot.engine.catalogue import counter_pairs
from bot.engine.digest.model import (
    ArgumentDigest,
    CandidateDigest,
    CounterMention,
    Digest,
    Quote,
    ReplyChain,
    Source,
)
from bot.engine.digest.selection import busiest_chains, pick_quotes
from bot.store import Store
from bot.store.arguments import CANDIDATE, Argument
from bot.store.tags import WindowTag

# Quotes are chosen among an argument's most confidently tagged messages; this bounds the work on
# a busy argument without moving its centroid much.
POOL_LIMIT = 1000
MAX_CANDIDATES = 5
MAX_CHAINS = 3


class VectorSource(Protocol):
    """Anything that returns stored messages' embeddings, such as :class:`bot.engine.tagging.TaggingService`."""

    async def vectors(self, guild_id: int, texts_by_id: dict[int, str]) -> dict[int, np.ndarray]: ...


def unix_seconds(when: float | datetime) -> float:
    if isinstance(when, datetime):
        return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()
    return float(when)


def trend(count: int, previous: int) -> str:
    if previous == 0:
        return "new" if count else "flat"
    return "up" if count > previous else "down" if count < previous else "flat"


def _tagged_ids(ranked_tags: Iterable[WindowTag], arguments: dict[int, Argument]) -> dict[int, list[int]]:
    """Argument id -> its tagged message ids, most confident first (moderator tags score 1), from tags
    ranked so (as ``accepted_in_window`` returns them).

    A message counts for one side of a debate only: when it carries an argument and one of its counters
    (tags set before the matcher kept them apart, or by hand), the more confident tag wins, so no quote
    is shown under an argument and its counter at once.
    """
    ranked = [t for t in ranked_tags if t.argument_id in arguments]
    slug_of = {argument_id: argument.slug for argument_id, argument in arguments.items()}
    counters = counter_pairs((argument.slug, argument.counters) for argument in arguments.values())
    tag_count = Counter(tag.message_id for tag in ranked)
    sides: dict[int, set[str]] = defaultdict(set)  # message id -> slugs it already counts for
    grouped: dict[int, list[int]] = defaultdict(list)
    for tag in ranked:
        if tag_count[tag.message_id] > 1:  # only a message with several tags can hold both sides
            slug = slug_of[tag.argument_id]
            if counters.get(slug, set()) & sides[tag.message_id]:
                continue
            sides[tag.message_id].add(slug)
        grouped[tag.argument_id].append(tag.message_id)
    return grouped


def _normalised(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def _pool(ids: Iterable[int], by_id: dict[int, StoredMessage]) -> list[int]:
    """Quotable messages: with text, one per distinct text, in the given order, at most POOL_LIMIT."""
    seen: set[str] = set()
    pool = []
    for message_id in ids:
        key = _normalised(by_id[message_id].content)
        if key and key not in seen:
            seen.add(key)
            pool.append(message_id)
            if len(pool) == POOL_LIMIT:
                break
    return pool


def _days(messages: Iterable[StoredMessage]) -> int:
    return len({datetime.fromtimestamp(m.created_at, UTC).date() for m in messages})


class _Quoter:
    """Picks quotes from pools of message ids, given the pools' embeddings."""

    def __init__(self, by_id: dict[int, StoredMessage], vectors: dict[int, np.ndarray], max_quotes: int) -> None:
        self.by_id = by_id
        self.vectors = vectors
        self.max_quotes = max_quotes
        self._dims = len(next(iter(vectors.values()))) if vectors else 1

    def _matrix(self, ids: Sequence[int]) -> np.ndarray:
        rows = np.zeros((len(ids), self._dims), dtype=np.float32)
        for row, message_id in enumerate(ids):
            vector = self.vectors.get(message_id)
            if vector is not None:
                rows[row] = vector
        return rows

    def centroid(self, ids: Sequence[int]) -> np.ndarray:
        return self._matrix(ids).mean(axis=0) if ids else np.zeros(self._dims, dtype=np.float32)

    def pick(self, ids: Sequence[int], k: int | None = None, centroid: np.ndarray | None = None) -> list[Quote]:
        authors = [self.by_id[i].author_id for i in ids]
        chosen = pick_quotes(self._matrix(ids), authors, self.max_quotes if k is None else k, centroid=centroid)
        return [Quote.of(self.by_id[ids[i]]) for i in chosen]


def _sources(argument: Argument) -> list[Source]:
    return [
        Source(
            author=str(s.get("author") or ""),
            title=str(s.get("title") or ""),
            year=s.get("year"),
            url=str(s.get("url") or ""),
            role="rebuts" if s.get("role") == "rebuts" else "supports",
        )
        for s in argument.sources
        if isinstance(s, dict)
    ]


def _evidence_ids(argument: Argument) -> list[int]:
    ids = argument.evidence.get("message_ids") if isinstance(argument.evidence, dict) else None
    return [i for i in ids if isinstance(i, int)] if isinstance(ids, list) else []


@dataclass
class _Window:
    """One window's messages and tags, with the quoter over their cached embeddings."""

    by_id: dict[int, StoredMessage]
    arguments: dict[int, Argument]
    current: dict[int, list[int]]
    previous: dict[int, list[int]]
    pools: dict[int, list[int]]
    quoter: _Quoter

    def authors(self, ids: Iterable[int]) -> int:
        return len({self.by_id[i].author_id for i in ids})

    def counter(self, argument_id: int, counter_id: int) -> CounterMention:
        targets = set(self.current[argument_id])
        replies = [i for i in self.current[counter_id] if self.by_id[i].reply_to_id in targets]
        # A reply to this argument shows the counter raised against it, so it is quoted first.
        quotable = set(self.pools[counter_id])
        pool = _pool([i for i in replies if i in quotable], self.by_id) or self.pools[counter_id]
        quotes = self.quoter.pick(pool, 1, centroid=self.quoter.centroid(self.pools[counter_id]))
        counter = self.arguments[counter_id]
        return CounterMention(
            counter.slug,
            counter.title or counter.claim,
            len(self.current[counter_id]),
            quotes[0] if quotes else None,
            replies=len(replies),
        )

    def argument(self, argument_id: int, counter_ids: Sequence[int]) -> ArgumentDigest:
        argument, ids = self.arguments[argument_id], self.current[argument_id]
        previous = len(self.previous.get(argument_id, ()))
        return ArgumentDigest(
            argument_id=argument_id,
            slug=argument.slug,
            title=argument.title,
            claim=argument.claim,
            count=len(ids),
            authors=self.authors(ids),
            previous_count=previous,
            trend=trend(len(ids), previous),
            quotes=self.quoter.pick(self.pools[argument_id]),
            sources=_sources(argument),
            counters=[self.counter(argument_id, c) for c in counter_ids],
            policy=argument.policy,
            standing=argument.standing,
        )

    def candidate(self, argument: Argument, ids: Sequence[int]) -> CandidateDigest:
        return CandidateDigest(
            argument_id=argument.id,
            slug=argument.slug,
            claim=argument.claim,
            messages=len(ids),
            authors=self.authors(ids),
            days=_days(self.by_id[i] for i in ids),
            quotes=self.quoter.pick(self.pools[argument.id]),
        )


async def _candidates(
    store: Store, scope: MessageScope
) -> tuple[list[tuple[Argument, list[int]]], dict[int, StoredMessage]]:
    """Candidate arguments with evidence in the window, and that evidence, most evidence first; and
    the evidence messages."""
    candidates = await store.arguments.list(scope.guild_id, statuses=(CANDIDATE,))
    evidence = {i for argument in candidates for i in _evidence_ids(argument)}
    stored = await store.messages.get(scope.guild_id, sorted(evidence))
    covered = {i: m for i, m in stored.items() if scope.covers(m)}
    found = []
    for argument in candidates:
        in_window = [i for i in dict.fromkeys(_evidence_ids(argument)) if i in covered]
        if in_window:
            found.append((argument, in_window))
    found.sort(key=lambda c: (-len(c[1]), c[0].slug))
    return found[:MAX_CANDIDATES], covered


async def _unquotable(
    store: Store,
    guild_id: int,
    message_ids: Collection[int],
    current: dict[int, list[int]],
    active: dict[int, Argument],
) -> set[int]:
    """Messages of the window a digest counts but never quotes (see the module's docstring)."""
    withheld = await store.flags.open_message_ids(guild_id, sorted(message_ids))
    if not (await store.settings.get(guild_id)).quote_policy_arguments:
        withheld.update(i for aid, ids in current.items() if active[aid].policy == "flag" for i in ids)
    return withheld


async def build_digest(
    store: Store,
    vector_source: VectorSource,
    guild_id: int,
    since: float | datetime,
    until: float | datetime,
    channel_id: int | None = None,
    max_quotes: int = 3,
    max_arguments: int = 15,
    readable: Collection[int] | None = None,
) -> Digest:
    """The digest of a guild (or one of its channels) over ``since <= created_at < until``.

    ``readable``: the channels its audience may see (the adapter works them out from Discord's
    permissions); messages elsewhere are neither counted nor quoted. None: every channel.

    The trend compares with the window of the same length just before. Embeddings come from
    ``vector_source``, which should serve them from the store's cache.

    The database counts the window and finds its reply chains; only the messages of the arguments and
    candidates shown are read, so a digest costs what it shows, not what the window holds.
    """
    since, until = unix_seconds(since), unix_seconds(until)
    if until <= since:
        raise ValueError("a digest window must end after it starts")
    scope = MessageScope(guild_id, since, until, channel_id, readable)
    total_messages, total_authors = await store.messages.window_totals(scope)
    active = {a.id: a for a in await store.arguments.list(guild_id)}
    current = _tagged_ids(await store.tags.accepted_in_window(scope), active)
    previous = _tagged_ids(await store.tags.accepted_in_window(scope.before()), active)

    shown = sorted(current, key=lambda aid: (-len(current[aid]), active[aid].slug))[:max_arguments]
    by_slug = {a.slug: a.id for a in active.values()}
    raised = {
        aid: [by_slug[slug] for slug in dict.fromkeys(active[aid].counters) if by_slug.get(slug) in current]
        for aid in shown
    }
    candidates, by_id = await _candidates(store, scope)
    described = set(shown) | {c for cs in raised.values() for c in cs}
    by_id.update(await store.messages.get(guild_id, sorted({i for aid in described for i in current[aid]})))
    links = await store.messages.reply_links(scope)
    withheld = await _unquotable(store, guild_id, {*by_id, *(link.id for link in links)}, current, active)
    pools = {aid: _pool([i for i in current[aid] if i not in withheld], by_id) for aid in described}
    pools.update({argument.id: _pool([i for i in ids if i not in withheld], by_id) for argument, ids in candidates})
    wanted = {i for pool in pools.values() for i in pool}
    vectors = await vector_source.vectors(guild_id, {i: by_id[i].content for i in wanted}) if wanted else {}
    window = _Window(by_id, active, current, previous, pools, _Quoter(by_id, vectors, max_quotes))
    chains = busiest_chains([link for link in links if link.id not in withheld], MAX_CHAINS)
    roots = await store.messages.get(guild_id, [chain.root_id for chain in chains])

    return Digest(
        guild_id=guild_id,
        guild_name=(await store.messages.guild_names()).get(guild_id, ""),
        channel_id=channel_id,
        channel_name=(await store.messages.channel_names(guild_id)).get(channel_id) if channel_id else None,
        since=since,
        until=until,
        total_messages=total_messages,
        total_authors=total_authors,
        arguments=[window.argument(aid, raised[aid]) for aid in shown],
        candidates=[window.candidate(argument, ids) for argument, ids in candidates],
        chains=[ReplyChain(Quote.of(roots[c.root_id]), c.replies, c.participants, c.last_at) for c in chains],
        untagged_count=total_messages - len({i for ids in current.values() for i in ids}),
        more_arguments=len(current) - len(shown),
    )
