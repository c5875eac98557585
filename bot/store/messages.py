"""Messages and their context (guilds, channels, authors): batched idempotent upserts and guild-scoped reads."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from bot.core.records import IncomingMessage, MessageScope, StoredMessage
from bot.store.database import Database
from bot.store.pending import MARK_UNPROCESSED
from bot.store.sql import BY_ID_IN_GUILD, ENSURE_GUILD, chunks, in_scope, placeholders

_UPSERT_GUILD = """
INSERT INTO guilds(id, name) VALUES (?, ?)
ON CONFLICT(id) DO UPDATE SET name = excluded.name WHERE excluded.name != ''
"""
_UPSERT_CHANNEL = """
INSERT INTO channels(id, guild_id, name) VALUES (?, ?, ?)
ON CONFLICT(id) DO UPDATE SET name = excluded.name
    WHERE excluded.name != '' AND channels.guild_id = excluded.guild_id
"""
_UPSERT_AUTHOR = """
INSERT INTO authors(guild_id, id, name, display_name, is_bot) VALUES (?, ?, ?, ?, ?)
ON CONFLICT(guild_id, id) DO UPDATE SET
    name = CASE WHEN excluded.name != '' THEN excluded.name ELSE authors.name END,
    display_name = COALESCE(excluded.display_name, authors.display_name),
    is_bot = excluded.is_bot
"""
# The guild check stops a forged or mistaken id from moving a message into another guild.
_UPSERT_MESSAGE = """
INSERT INTO messages(id, guild_id, channel_id, author_id, created_at, edited_at, content, reply_to_id, attachments)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(id) DO UPDATE SET
    edited_at = excluded.edited_at, content = excluded.content, attachments = excluded.attachments
    WHERE messages.guild_id = excluded.guild_id
"""

_SELECT_STORED = """
SELECT m.id, m.guild_id, m.channel_id, m.author_id,
       COALESCE(a.display_name, a.name, '') AS author_name,
       m.created_at, m.content, m.reply_to_id, m.edited_at
FROM messages m LEFT JOIN authors a ON a.guild_id = m.guild_id AND a.id = m.author_id
"""


class ReplyLink(NamedTuple):
    """A message of a reply chain without its text; ``reply_to_id`` only when the parent is in the window."""

    id: int
    reply_to_id: int | None
    author_id: int
    created_at: float


def _stored(row) -> StoredMessage:
    return StoredMessage(*row)


_UNEXPLAINED = """
SELECT m.id, m.channel_id, m.author_id, m.created_at, m.content FROM messages m
LEFT JOIN authors a ON a.guild_id = m.guild_id AND a.id = m.author_id
WHERE m.guild_id = ? AND m.created_at >= ? AND m.created_at < ? AND LENGTH(m.content) >= ?
  AND COALESCE(a.is_bot, 0) = 0
  AND NOT EXISTS (
    SELECT 1 FROM tags t JOIN arguments g ON g.id = t.argument_id
    WHERE t.message_id = m.id AND t.accepted = 1 AND g.status = 'active')
"""


def _from_before_forgetting(message: IncomingMessage, forgotten: dict[tuple[int, int], float]) -> bool:
    when = forgotten.get((message.guild_id, message.author_id))
    return when is not None and message.created_at is not None and message.created_at <= when


class MessageStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def upsert(
        self, messages: Sequence[IncomingMessage], review: bool = False, mark_unprocessed: bool = True
    ) -> list[int]:
        """Store a batch in one transaction. Returns the ids that are new or whose text changed.

        A changed text invalidates the message's embedding and model tags (moderator tags stay) and is
        marked unprocessed in the same transaction (see :mod:`bot.store.pending`); ``review`` asks for
        the flaggers as well as the tagger. Only a caller that writes the embeddings and tags itself
        (the scale benchmark) turns ``mark_unprocessed`` off.
        """
        if not messages:
            return []
        # The last copy of a message in a batch wins, as it would arriving one by one.
        latest = {m.id: m for m in messages}
        async with self.db.transaction() as conn:
            previous: dict[int, tuple[int, str]] = {}
            for chunk in chunks(list(latest)):
                rows = await conn.fetchall(
                    f"SELECT id, guild_id, content FROM messages WHERE id IN ({placeholders(len(chunk))})", chunk
                )
                previous.update({row[0]: (row[1], row[2]) for row in rows})
            forgotten = await self._forgotten(conn, {m.guild_id for m in latest.values()})
            accepted = [
                m
                for m in latest.values()
                if (m.id not in previous or previous[m.id][0] == m.guild_id)
                and not _from_before_forgetting(m, forgotten)
            ]
            await conn.executemany(_UPSERT_GUILD, {(m.guild_id, m.guild_name) for m in accepted})
            await conn.executemany(_UPSERT_CHANNEL, {(m.channel_id, m.guild_id, m.channel_name) for m in accepted})
            await conn.executemany(
                _UPSERT_AUTHOR,
                {
                    (m.guild_id, m.author_id, m.author_name, m.author_display_name, int(m.author_is_bot))
                    for m in accepted
                },
            )
            await conn.executemany(
                _UPSERT_MESSAGE,
                [
                    (
                        m.id,
                        m.guild_id,
                        m.channel_id,
                        m.author_id,
                        m.created_at,
                        m.edited_at,
                        m.content,
                        m.reply_to_id,
                        m.attachments,
                    )
                    for m in accepted
                ],
            )
            changed = [m.id for m in accepted if m.id not in previous or previous[m.id][1] != m.content]
            stale = [m.id for m in accepted if m.id in previous and previous[m.id][1] != m.content]
            for chunk in chunks(stale):
                marks = placeholders(len(chunk))
                await conn.execute(f"DELETE FROM message_embeddings WHERE message_id IN ({marks})", chunk)
                await conn.execute(f"DELETE FROM tags WHERE source = 'model' AND message_id IN ({marks})", chunk)
            fresh = set(changed) if mark_unprocessed else set()
            await conn.executemany(
                MARK_UNPROCESSED,
                [(m.id, m.guild_id, int(review)) for m in accepted if m.id in fresh and m.content.strip()],
            )
        return changed

    async def delete(self, guild_id: int, message_ids: Sequence[int]) -> int:
        """Delete messages with their embeddings and tags (by cascade). Returns how many existed."""
        deleted = 0
        async with self.db.transaction() as conn:
            for chunk in chunks(list(message_ids)):
                deleted += await conn.execute(
                    f"DELETE FROM messages WHERE guild_id = ? AND id IN ({placeholders(len(chunk))})",
                    [guild_id, *chunk],
                )
        return deleted

    async def delete_channel(self, guild_id: int, channel_id: int) -> None:
        await self.db.execute("DELETE FROM channels WHERE guild_id = ? AND id = ?", (guild_id, channel_id))

    @staticmethod
    async def _forgotten(conn, guild_ids: set[int]) -> dict[tuple[int, int], float]:
        """(guild, member) -> when they were forgotten, for the guilds of a batch."""
        found: dict[tuple[int, int], float] = {}
        for chunk in chunks(sorted(guild_ids)):
            rows = await conn.fetchall(
                "SELECT guild_id, user_id, forgotten_at FROM forgotten_members"
                f" WHERE guild_id IN ({placeholders(len(chunk))})",
                chunk,
            )
            found.update({(row[0], row[1]): row[2] for row in rows})
        return found

    async def by_author(self, guild_id: int, author_id: int) -> dict[int, str]:
        """message id -> text of everything a member wrote that is stored."""
        rows = await self.db.fetchall(
            "SELECT id, content FROM messages WHERE guild_id = ? AND author_id = ?", (guild_id, author_id)
        )
        return {row[0]: row[1] for row in rows}

    async def forget_author(self, guild_id: int, author_id: int, now: float) -> int:
        """Delete a member's messages and name, and refuse what they wrote until ``now`` from then on.

        Returns the messages deleted; embeddings, tags and abuse scores go with them.
        """
        async with self.db.transaction() as conn:
            await conn.execute(ENSURE_GUILD, (guild_id,))
            await conn.execute(
                "INSERT INTO forgotten_members(guild_id, user_id, forgotten_at) VALUES (?, ?, ?)"
                " ON CONFLICT(guild_id, user_id) DO UPDATE SET forgotten_at = excluded.forgotten_at",
                (guild_id, author_id, now),
            )
            changed = await conn.execute(
                "DELETE FROM messages WHERE guild_id = ? AND author_id = ?", (guild_id, author_id)
            )
            await conn.execute("DELETE FROM authors WHERE guild_id = ? AND id = ?", (guild_id, author_id))
            return changed

    async def delete_older_than(self, guild_id: int, cutoff: float) -> int:
        return await self.db.execute("DELETE FROM messages WHERE guild_id = ? AND created_at < ?", (guild_id, cutoff))

    async def get(self, guild_id: int, message_ids: Sequence[int]) -> dict[int, StoredMessage]:
        found: dict[int, StoredMessage] = {}
        for chunk in chunks(list(message_ids)):
            rows = await self.db.fetchall(
                f"{_SELECT_STORED} WHERE {BY_ID_IN_GUILD} AND m.id IN ({placeholders(len(chunk))})",
                [guild_id, *chunk],
            )
            found.update({row[0]: _stored(row) for row in rows})
        return found

    async def window_totals(self, scope: MessageScope) -> tuple[int, int]:
        """(messages, distinct authors) of the scope, counted by the database."""
        sql, params = in_scope("SELECT COUNT(*), COUNT(DISTINCT m.author_id) FROM messages m WHERE 1 = 1", [], scope)
        row = await self.db.fetchone(sql, params)
        return (row[0], row[1]) if row else (0, 0)

    async def reply_links(self, scope: MessageScope) -> list[ReplyLink]:
        """The scope's replies to messages of the same scope, and those messages: all a digest needs
        to find its busiest reply chains without reading the whole window."""
        sql = (
            "SELECT m.id, m.reply_to_id, m.author_id, m.created_at, p.id, p.author_id, p.created_at"
            " FROM messages m JOIN messages p ON p.id = m.reply_to_id WHERE 1 = 1"
        )
        sql, params = in_scope(sql, [], scope, alias="m")
        sql, params = in_scope(sql, params, scope, alias="p")
        links: dict[int, ReplyLink] = {}
        for row in await self.db.fetchall(sql, params):
            links[row[0]] = ReplyLink(row[0], row[1], row[2], row[3])
            links.setdefault(row[4], ReplyLink(row[4], None, row[5], row[6]))
        return sorted(links.values(), key=lambda link: link.id)

    async def texts(self, guild_id: int) -> list[tuple[int, str]]:
        """(id, content) of every stored message of a guild that has text, oldest first."""
        rows = await self.db.fetchall(
            "SELECT id, content FROM messages WHERE guild_id = ? AND content != '' ORDER BY id", (guild_id,)
        )
        return [(row[0], row[1]) for row in rows]

    async def unexplained(
        self,
        guild_id: int,
        since: float,
        until: float,
        *,
        min_chars: int = 0,
        limit: int | None = None,
        before: tuple[float, int] | None = None,
    ) -> list[tuple]:
        """(id, channel_id, author_id, created_at, content) of the humans' messages in [since, until),
        of at least ``min_chars``, that no active argument has an accepted tag on: what discovery
        clusters. Newest first, read in pages: ``limit`` rows older than ``before`` (created_at, id)."""
        sql, params = _UNEXPLAINED, [guild_id, since, until, min_chars]
        if before is not None:
            sql += " AND (m.created_at < ? OR (m.created_at = ? AND m.id < ?))"
            params += [before[0], before[0], before[1]]
        sql += " ORDER BY m.created_at DESC, m.id DESC"
        if limit is not None:
            sql, params = sql + " LIMIT ?", [*params, limit]
        return [tuple(row) for row in await self.db.fetchall(sql, params)]

    async def guilds_of(self, message_ids: Sequence[int]) -> dict[int, int]:
        """message id -> the guild it is stored under, for the ids that are stored."""
        return await self._owners("messages", message_ids)

    async def channel_guilds(self, channel_ids: Sequence[int]) -> dict[int, int]:
        """channel id -> the guild it is stored under, for the channels that are stored."""
        return await self._owners("channels", channel_ids)

    async def _owners(self, table: str, ids: Sequence[int]) -> dict[int, int]:
        found: dict[int, int] = {}
        for chunk in chunks(sorted(set(ids))):
            rows = await self.db.fetchall(
                f"SELECT id, guild_id FROM {table} WHERE id IN ({placeholders(len(chunk))})", chunk
            )
            found.update({row[0]: row[1] for row in rows})
        return found

    async def nth_newest_id(self, guild_id: int, channel_id: int, n: int) -> int | None:
        """The id of a channel's n-th newest stored message (its oldest when it has fewer); None when empty."""
        row = await self.db.fetchone(
            "SELECT MIN(id) FROM (SELECT id FROM messages WHERE guild_id = ? AND channel_id = ?"
            " ORDER BY id DESC LIMIT ?) newest",
            (guild_id, channel_id, n),
        )
        return row[0] if row else None

    async def ids_between(self, guild_id: int, channel_id: int, first: int, last: int) -> set[int]:
        """The stored ids of a channel from ``first`` to ``last``, both included."""
        rows = await self.db.fetchall(
            "SELECT id FROM messages WHERE guild_id = ? AND channel_id = ? AND id >= ? AND id <= ?",
            (guild_id, channel_id, first, last),
        )
        return {row[0] for row in rows}

    async def count(self, guild_id: int) -> int:
        return await self.db.fetchvalue("SELECT COUNT(*) FROM messages WHERE guild_id = ?", (guild_id,))

    async def time_span(self, guild_id: int, channel_id: int | None = None) -> tuple[float, float] | None:
        """When the guild's (or channel's) first and last stored messages were written; None when it has none."""
        sql, params = "SELECT MIN(created_at), MAX(created_at) FROM messages WHERE guild_id = ?", [guild_id]
        if channel_id is not None:
            sql, params = sql + " AND channel_id = ?", [*params, channel_id]
        row = await self.db.fetchone(sql, params)
        return (row[0], row[1]) if row and row[0] is not None else None

    async def guild_ids(self) -> list[int]:
        return [row[0] for row in await self.db.fetchall("SELECT id FROM guilds ORDER BY id")]

    async def guild_names(self) -> dict[int, str]:
        """Every stored guild's id and name ('' when the name is unknown), ordered by id."""
        rows = await self.db.fetchall("SELECT id, name FROM guilds ORDER BY id")
        return {row[0]: row[1] for row in rows}

    async def channel_names(self, guild_id: int) -> dict[int, str]:
        rows = await self.db.fetchall("SELECT id, name FROM channels WHERE guild_id = ?", (guild_id,))
        return {row[0]: row[1] for row in rows}

    async def channel_by_name(self, guild_id: int, name: str) -> int | None:
        row = await self.db.fetchone(
            "SELECT id FROM channels WHERE guild_id = ? AND name = ?", (guild_id, name.lstrip("#"))
        )
        return row[0] if row else None
