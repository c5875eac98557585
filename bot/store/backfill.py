"""Backfill cursors: how far back each watched channel's history has been read (bot.engine.backfill)."""

from __future__ import annotations

import time
from typing import NamedTuple

from bot.store.database import Database
from bot.store.sql import ENSURE_GUILD


class BackfillCursor(NamedTuple):
    oldest_read_id: int | None  # None: reading back has not started
    newest_read_id: int | None  # the newest message read, stored or not (None: none read)
    complete: bool  # the channel's first message has been read


NOT_STARTED = BackfillCursor(None, None, False)


class BackfillStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, guild_id: int, channel_id: int) -> BackfillCursor:
        row = await self.db.fetchone(
            "SELECT oldest_read_id, newest_read_id, complete FROM backfill_cursors"
            " WHERE guild_id = ? AND channel_id = ?",
            (guild_id, channel_id),
        )
        return BackfillCursor(row[0], row[1], bool(row[2])) if row else NOT_STARTED

    async def save(self, guild_id: int, channel_id: int, cursor: BackfillCursor) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(ENSURE_GUILD, (guild_id,))
            await conn.execute(
                "INSERT INTO backfill_cursors(guild_id, channel_id, oldest_read_id, newest_read_id, complete,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(guild_id, channel_id) DO UPDATE SET"
                " oldest_read_id = excluded.oldest_read_id, newest_read_id = excluded.newest_read_id,"
                " complete = excluded.complete, updated_at = excluded.updated_at",
                (guild_id, channel_id, cursor.oldest_read_id, cursor.newest_read_id, int(cursor.complete), time.time()),
            )

    async def forget(self, guild_id: int, channel_id: int) -> None:
        """A deleted channel's cursor goes with it."""
        await self.db.execute(
            "DELETE FROM backfill_cursors WHERE guild_id = ? AND channel_id = ?", (guild_id, channel_id)
        )
