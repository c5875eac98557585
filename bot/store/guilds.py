"""Servers as a whole: when Clio left one, and purging everything stored about it."""

from __future__ import annotations

from bot.store.database import Database
from bot.store.sql import ENSURE_GUILD


class GuildStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def mark_left(self, guild_id: int, at: float) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(ENSURE_GUILD, (guild_id,))
            await conn.execute("UPDATE guilds SET left_at = ? WHERE id = ? AND left_at IS NULL", (at, guild_id))

    async def mark_present(self, guild_id: int) -> None:
        await self.db.execute("UPDATE guilds SET left_at = NULL WHERE id = ? AND left_at IS NOT NULL", (guild_id,))

    async def left_before(self, cutoff: float) -> list[int]:
        rows = await self.db.fetchall("SELECT id FROM guilds WHERE left_at < ? ORDER BY id", (cutoff,))
        return [row[0] for row in rows]

    async def purge(self, guild_id: int) -> None:
        """Everything stored about a server: every table with guild data references its row, on delete cascade."""
        await self.db.execute("DELETE FROM guilds WHERE id = ?", (guild_id,))
