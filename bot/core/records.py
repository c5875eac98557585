"""Plain data passed between importers, the store and the engine (no I/O here)."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """A message as it arrives from Discord or an export, with the names needed to store its context."""

    id: int
    guild_id: int
    channel_id: int
    author_id: int
    created_at: float
    content: str
    edited_at: float | None = None
    reply_to_id: int | None = None
    attachments: int = 0
    author_name: str = ""
    author_display_name: str | None = None
    author_is_bot: bool = False
    channel_name: str = ""
    guild_name: str = ""


# A str never holds a surrogate pair (those decode to one code point), so any surrogate is a lone one.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable_text(text: str) -> str:
    """Text every database can store: a NUL or a lone surrogate (JSON allows ``\\ud800``) becomes U+FFFD.
    For live messages, which cannot be refused; imports refuse such text instead."""
    return _UNSTORABLE.sub("\ufffd", text)


@dataclass(frozen=True, slots=True)
class StoredMessage:
    id: int
    guild_id: int
    channel_id: int
    author_id: int
    author_name: str
    created_at: float
    content: str
    reply_to_id: int | None
    edited_at: float | None = None

    @property
    def jump_url(self) -> str:
        return jump_url(self.guild_id, self.channel_id, self.id)


def jump_url(guild_id: int, channel_id: int, message_id: int) -> str:
    return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"


DISCORD_EPOCH_MS = 1420070400000


def snowflake_time(snowflake: int) -> float:
    """Unix seconds encoded in a Discord snowflake."""
    return ((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000.0


def time_snowflake(unix_seconds: float, high: bool = False) -> int:
    """The smallest (or largest) snowflake of a given instant, for id-range queries."""
    base = (int(unix_seconds * 1000) - DISCORD_EPOCH_MS) << 22
    return base + (2**22 - 1 if high else 0)


@dataclass(frozen=True)
class MessageScope:
    """The stored messages a digest or chart covers: one guild's window ``since <= created_at < until``,
    narrowed to one channel and/or to the ``readable`` channels (those its audience can see)."""

    guild_id: int
    since: float
    until: float
    channel_id: int | None = None
    readable: Collection[int] | None = None

    def covers(self, message: StoredMessage) -> bool:
        return (
            message.guild_id == self.guild_id
            and self.since <= message.created_at < self.until
            and (self.channel_id is None or message.channel_id == self.channel_id)
            and (self.readable is None or message.channel_id in self.readable)
        )

    def before(self) -> MessageScope:
        """The window of the same length just before this one, over the same channels."""
        return replace(self, since=2 * self.since - self.until, until=self.since)
