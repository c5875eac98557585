"""Seeding helpers for digest tests: messages, cached embeddings and tags written straight into the store."""

from __future__ import annotations

import numpy as np

from bot.engine.digest import split
from bot.store import Store
from tests.bot.conftest import GUILD, make_message

MODEL = "test-model"
DAY = 86400.0
SINCE = 1_760_000_000.0  # the window under test is [SINCE, UNTIL); the previous one is the week before
UNTIL = SINCE + 7 * DAY


class StoreVectors:
    """A vector source that only reads the store's cache, as the digest must."""

    def __init__(self, store: Store, model_id: str = MODEL) -> None:
        self.store, self.model_id = store, model_id
        self.requested: list[int] = []

    async def vectors(self, guild_id, texts_by_id):
        self.requested += list(texts_by_id)
        return await self.store.embeddings.get(guild_id, list(texts_by_id), self.model_id)


def unit(seed: int, dims: int = 16) -> np.ndarray:
    vector = np.random.default_rng(seed).normal(size=dims).astype(np.float32)
    return vector / np.linalg.norm(vector)


async def seed(store: Store, rows, *, guild_id: int = GUILD) -> list:
    """Store messages and tag them. Each row: (content, argument ids or (id, score) pairs, message kwargs).

    Messages get a random unit vector unless kwargs carry ``vector``.
    """
    messages, vectors, tags = [], {}, {}
    for content, argument_ids, kwargs in rows:
        kwargs = dict(kwargs)
        vector = kwargs.pop("vector", None)
        message = make_message(content, guild_id=guild_id, **kwargs)
        messages.append(message)
        vectors[message.id] = unit(message.id) if vector is None else np.asarray(vector, dtype=np.float32)
        tags[message.id] = [a if isinstance(a, tuple) else (a, 0.9) for a in argument_ids]
    await store.messages.upsert(messages)
    await store.embeddings.put(vectors, MODEL)
    await store.tags.replace_model_tags(guild_id, tags)
    return messages


def quote(message_id: int, text: str, author: str = "ada", channel_id: int = 1001, guild_id: int = GUILD):
    from bot.core.records import jump_url
    from bot.engine.digest import Quote

    return Quote(message_id, channel_id, author, text, jump_url(guild_id, channel_id, message_id), SINCE + message_id)


def make_digest(
    texts=("a quote",),
    *,
    author: str = "ada",
    title: str = "The USSR trained the Wehrmacht",
    arguments: int = 1,
    guild_name: str = "History",
    channel_name: str | None = None,
):
    """A digest with every section filled, its quotes taken from ``texts`` in turn."""
    from bot.engine.digest import ArgumentDigest, CandidateDigest, CounterMention, Digest, ReplyChain, Source

    ids = iter(range(1, 10**6))

    def next_quote():
        message_id = next(ids)
        return quote(message_id, texts[message_id % len(texts)], author)

    return Digest(
        guild_id=GUILD,
        guild_name=guild_name,
        channel_id=1001 if channel_name is not None else None,
        channel_name=channel_name,
        since=SINCE,
        until=UNTIL,
        total_messages=120,
        total_authors=14,
        arguments=[
            ArgumentDigest(
                argument_id=i,
                slug=f"arg-{i}",
                title=f"{title} {i}",
                claim=f"Claim {i}: {title}",
                count=12 - i % 10,
                authors=5,
                previous_count=i % 3,
                trend=("up", "down", "new", "flat")[i % 4],
                quotes=[next_quote() for _ in range(3)],
                sources=[
                    Source("Manfred Zeidler", "Reichswehr und Rote Armee", 1993),
                    Source("", "Online (essay)", None, "https://example.org/a b(c)"),
                    Source("Anon", "", "n.d.", "javascript:alert(1)"),
                    Source("Gabriel Gorodetsky", "Grand Delusion", 1999, role="rebuts"),
                ],
                counters=[
                    CounterMention(f"counter-{i}", f"Counter {title}", 3, next_quote(), replies=1),
                    CounterMention("quiet", "", 1, None),
                ],
                policy="flag" if i == 0 else None,
                standing=("rejected", "debated")[i % 2],
            )
            for i in range(arguments)
        ],
        candidates=[CandidateDigest(99, "versailles", f"Candidate: {title}", 6, 3, 2, [next_quote(), next_quote()])],
        chains=[ReplyChain(next_quote(), 7, 4, UNTIL - 60)],
        untagged_count=30,
    )


def all_quotes(digest):
    return [
        *(q for a in digest.arguments for q in a.quotes),
        *(c.quote for a in digest.arguments for c in a.counters if c.quote),
        *(q for c in digest.candidates for q in c.quotes),
        *(c.root for c in digest.chains),
    ]


def embed_texts(messages):
    for message in messages:
        for embed in message:
            yield embed.get("title", "")
            yield embed.get("description", "")
            yield embed.get("footer", {}).get("text", "")
            for item in embed.get("fields", ()):
                yield item["name"]
                yield item["value"]


def assert_within_limits(embed: dict) -> None:
    assert split.discord_len(embed.get("title", "")) <= split.TITLE
    assert split.discord_len(embed.get("description", "")) <= split.DESCRIPTION
    assert len(embed.get("fields", [])) <= split.FIELDS
    for item in embed.get("fields", []):
        assert 0 < split.discord_len(item["name"]) <= split.FIELD_NAME
        assert 0 < split.discord_len(item["value"]) <= split.FIELD_VALUE
    assert split.discord_len(embed.get("footer", {}).get("text", "")) <= split.FOOTER
    assert split.embed_length(embed) <= split.MESSAGE_TOTAL
