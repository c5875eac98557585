"""Helpers for the moderation tests."""

from __future__ import annotations

import itertools

from bot.engine.moderation import MessageContext

GUILD, OTHER_GUILD = 111, 222
_ids = itertools.count(1)


def ctx(
    text: str = "hello",
    *,
    guild_id: int = GUILD,
    channel_id: int = 1001,
    author_id: int | None = 7,
    created_at: float | None = 1_000.0,
    **extra,
) -> MessageContext:
    return MessageContext(
        message_id=next(_ids),
        guild_id=guild_id,
        channel_id=channel_id,
        author_id=author_id,
        text=text,
        created_at=created_at,
        **extra,
    )


class FakeClock:
    def __init__(self, now: float = 5_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
