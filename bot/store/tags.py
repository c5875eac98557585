"""Tags link a message to an argument, set by the model or by a moderator (whose word wins)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from bot.core.records import MessageScope
from bot.store.database import Database
from bot.store.sql import chunks, in_scope, placeholders


@dataclass(frozen=True)
class Tag:
    message_id: int
    argument_id: int
    score: float
    source: str
    accepted: bool


class WindowTag(NamedTuple):
    """An accepted tag of a message in a window, with the message's time. A tuple: a digest over a
    busy month reads tens of thousands, and building frozen dataclasses would cost more than the query."""

    message_id: int
    argument_id: int
    score: float
    created_at: float


@dataclass(frozen=True)
class Correction:
    """A moderator's verdict on one message, used as a training example or matcher hint."""

    argument_id: int
    message_id: int
    content: str
    accepted: bool


class TagStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def replace_model_tags(self, guild_id: int, tags: Mapping[int, Sequence[tuple[int, float]]]) -> None:
        """Set the model's tags of these messages, leaving moderator tags untouched."""
        now = time.time()
        async with self.db.transaction() as conn:
            for chunk in chunks(list(tags)):
                await conn.execute(
                    f"DELETE FROM tags WHERE guild_id = ? AND source = 'model'"
                    f" AND message_id IN ({placeholders(len(chunk))})",
                    [guild_id, *chunk],
                )
            await conn.executemany(
                "INSERT INTO tags(message_id, argument_id, guild_id, score, source, accepted, created_at,"
                " message_at, channel_id) SELECT m.id, ?, m.guild_id, ?, 'model', 1, ?, m.created_at, m.channel_id"
                " FROM messages m WHERE m.id = ? AND m.guild_id = ? ON CONFLICT(message_id, argument_id) DO NOTHING",
                [(aid, score, now, mid, guild_id) for mid, pairs in tags.items() for aid, score in pairs],
            )

    async def set_by_moderator(
        self, guild_id: int, message_id: int, argument_id: int, accepted: bool, moderator_id: int | None
    ) -> None:
        await self.db.execute(
            "INSERT INTO tags(message_id, argument_id, guild_id, score, source, accepted, set_by, created_at,"
            " message_at, channel_id)"
            " SELECT m.id, a.id, ?, ?, 'moderator', ?, ?, ?, m.created_at, m.channel_id FROM messages m, arguments a"
            " WHERE m.id = ? AND m.guild_id = ? AND a.id = ? AND a.guild_id = ?"
            " ON CONFLICT(message_id, argument_id) DO UPDATE SET score = excluded.score,"
            " source = 'moderator', accepted = excluded.accepted, set_by = excluded.set_by,"
            " created_at = excluded.created_at",
            (
                guild_id,
                1.0 if accepted else 0.0,
                int(accepted),
                moderator_id,
                time.time(),
                message_id,
                guild_id,
                argument_id,
                guild_id,
            ),
        )

    async def tagged_messages(self, guild_id: int) -> int:
        """How many of the guild's messages carry at least one accepted tag."""
        return await self.db.fetchvalue(
            "SELECT COUNT(DISTINCT message_id) FROM tags WHERE guild_id = ? AND accepted = 1", (guild_id,)
        )

    async def for_messages(self, guild_id: int, message_ids: Sequence[int]) -> dict[int, list[Tag]]:
        found: dict[int, list[Tag]] = {}
        for chunk in chunks(message_ids):
            rows = await self.db.fetchall(
                "SELECT message_id, argument_id, score, source, accepted FROM tags WHERE guild_id = ?"
                f" AND message_id IN ({placeholders(len(chunk))}) ORDER BY score DESC",
                [guild_id, *chunk],
            )
            for row in rows:
                found.setdefault(row[0], []).append(Tag(row[0], row[1], row[2], row[3], bool(row[4])))
        return found

    async def accepted_in_window(self, scope: MessageScope) -> list[WindowTag]:
        """Accepted tags of the scope's messages, most confident first (then by message id), from the
        tags' own copy of their message's time and channel (the (guild_id, message_at) index): no
        message of the window is read."""
        sql = "SELECT t.message_id, t.argument_id, t.score, t.message_at FROM tags t WHERE t.accepted = 1"
        sql, params = in_scope(sql, [], scope, alias="t", at="message_at")
        rows = await self.db.fetchall(sql + " ORDER BY t.score DESC, t.message_id, t.argument_id", params)
        return [WindowTag._make(row) for row in rows]

    async def corrections(self, guild_id: int | None = None) -> list[Correction]:
        sql = (
            "SELECT t.argument_id, t.message_id, m.content, t.accepted FROM tags t"
            " JOIN messages m ON m.id = t.message_id WHERE t.source = 'moderator'"
        )
        params: tuple = ()
        if guild_id is not None:
            sql += " AND t.guild_id = ?"
            params = (guild_id,)
        rows = await self.db.fetchall(sql + " ORDER BY t.created_at", params)
        return [Correction(row[0], row[1], row[2], bool(row[3])) for row in rows]
