"""Messages stored but not yet processed (embedded, tagged and, for live ones, flagged).

:meth:`MessageStore.upsert` writes a row here in the same transaction as every new or changed text;
:mod:`bot.engine.processing` works through them and removes each once everything that follows from
it is written. A row's ``generation`` grows with every change of its text, so finishing an older
version of a message does not remove the work its newer text still needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.records import IncomingMessage
from bot.store.database import Database
from bot.store.sql import chunks, first_value, placeholders

# Written with the text (see MessageStore.upsert); review = 1 asks for the flaggers too.
MARK_UNPROCESSED = """
INSERT INTO unprocessed_messages(message_id, guild_id, review, generation) VALUES (?, ?, ?, 0)
ON CONFLICT(message_id) DO UPDATE SET
    generation = unprocessed_messages.generation + 1,
    review = CASE WHEN excluded.review = 1 THEN 1 ELSE unprocessed_messages.review END
"""

_SELECT = """
SELECT m.id, m.guild_id, m.channel_id, m.author_id, m.created_at, m.content, m.edited_at, m.reply_to_id,
       m.attachments, p.review, p.generation
FROM unprocessed_messages p JOIN messages m ON m.id = p.message_id
"""


@dataclass(frozen=True, slots=True)
class Unprocessed:
    message: IncomingMessage
    review: bool
    generation: int


def _unprocessed(row) -> Unprocessed:
    message = IncomingMessage(
        id=row[0],
        guild_id=row[1],
        channel_id=row[2],
        author_id=row[3],
        created_at=row[4],
        content=row[5],
        edited_at=row[6],
        reply_to_id=row[7],
        attachments=row[8],
    )
    return Unprocessed(message, bool(row[9]), row[10])


class PendingStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def next_batch(
        self, limit: int, shard_ids: Sequence[int] | None = None, shard_count: int = 1
    ) -> list[Unprocessed]:
        """The oldest unprocessed messages (in id, so time, order), of the guilds of these shards
        (Discord's rule: ``(guild_id >> 22) % shard_count``); all guilds without shards."""
        sql, params = _SELECT, []
        if shard_ids is not None:
            sql += f" WHERE ((p.guild_id / 4194304) % ?) IN ({placeholders(len(shard_ids))})"
            params = [shard_count, *shard_ids]
        rows = await self.db.fetchall(sql + " ORDER BY p.message_id LIMIT ?", [*params, limit])
        return [_unprocessed(row) for row in rows]

    async def of(self, message_ids: Sequence[int]) -> list[Unprocessed]:
        """The unprocessed among these messages, in id order."""
        found: list[Unprocessed] = []
        for chunk in chunks(list(message_ids)):
            rows = await self.db.fetchall(f"{_SELECT} WHERE p.message_id IN ({placeholders(len(chunk))})", chunk)
            found.extend(_unprocessed(row) for row in rows)
        return sorted(found, key=lambda u: u.message.id)

    async def done(self, finished: Sequence[Unprocessed]) -> None:
        """Processed: unless the text changed again since it was read."""
        await self.db.executemany(
            "DELETE FROM unprocessed_messages WHERE message_id = ? AND generation = ?",
            [(u.message.id, u.generation) for u in finished],
        )

    async def count(self) -> int:
        return first_value(await self.db.fetchone("SELECT COUNT(*) FROM unprocessed_messages"))
