"""Fixtures for engine tests: a real store, on a SQLite file and on PostgreSQL (see ``database_url``)."""

from __future__ import annotations

import itertools

import pytest

from bot.core.records import IncomingMessage
from bot.store import Store

GUILD = 111
OTHER_GUILD = 222
CHANNEL = 1001


@pytest.fixture
async def store(database_url):
    opened = await Store.open(database_url)
    yield opened
    await opened.close()


_ids = itertools.count(10_000)


def make_message(
    content: str = "hello",
    *,
    guild_id: int = GUILD,
    channel_id: int = CHANNEL,
    author_id: int = 7,
    created_at: float = 1_760_000_000.0,
    message_id: int | None = None,
    **extra,
) -> IncomingMessage:
    return IncomingMessage(
        id=message_id if message_id is not None else next(_ids),
        guild_id=guild_id,
        channel_id=channel_id,
        author_id=author_id,
        created_at=created_at,
        content=content,
        author_name=f"user{author_id}",
        channel_name=f"channel{channel_id}",
        guild_name=f"guild{guild_id}",
        **extra,
    )
