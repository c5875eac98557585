"""What the moderators' digest reads (counts of flags, decisions and cases, abuse scores of replies) and
the slots that keep it to one post per guild and period."""

from __future__ import annotations

import time
from collections.abc import Mapping

from bot.store.database import Database
from bot.store.moderation import OPEN
from bot.store.sql import ENSURE_GUILD


class ModerationReportStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def record_abuse_scores(self, guild_id: int, scores: Mapping[int, float]) -> None:
        """Keep the abuse score of evaluated messages; one deleted meanwhile is skipped, not an error."""
        await self.db.executemany(
            "INSERT INTO abuse_scores(message_id, guild_id, score) SELECT ?, ?, ?"
            " WHERE EXISTS (SELECT 1 FROM messages WHERE id = ? AND guild_id = ?)"
            " ON CONFLICT(message_id) DO UPDATE SET score = excluded.score",
            [(message_id, guild_id, float(score), message_id, guild_id) for message_id, score in scores.items()],
        )

    async def flags_by_kind(self, guild_id: int, since: float, until: float) -> dict[str, int]:
        rows = await self.db.fetchall(
            "SELECT flagger, COUNT(*) FROM flags WHERE guild_id = ? AND created_at >= ? AND created_at < ?"
            " GROUP BY flagger ORDER BY COUNT(*) DESC, flagger",
            (guild_id, since, until),
        )
        return {row[0]: row[1] for row in rows}

    async def open_items(self, guild_id: int) -> int:
        """Open review entries: flags posted together count once."""
        return await self.db.fetchvalue(
            "SELECT COUNT(DISTINCT COALESCE(queue_message_id, -id)) FROM flags WHERE guild_id = ? AND status = ?",
            (guild_id, OPEN),
        )

    async def decisions(self, guild_id: int, since: float, until: float) -> list[tuple[str, bool]]:
        """(status, was it a false positive) of the flags decided in the window."""
        rows = await self.db.fetchall(
            "SELECT f.status, fp.flag_id IS NOT NULL FROM flags f LEFT JOIN false_positives fp ON fp.flag_id = f.id"
            " WHERE f.guild_id = ? AND f.status != ? AND f.decided_at >= ? AND f.decided_at < ?",
            (guild_id, OPEN, since, until),
        )
        return [(row[0], bool(row[1])) for row in rows]

    async def cases_by_action(self, guild_id: int, since: float, until: float) -> dict[str, int]:
        rows = await self.db.fetchall(
            "SELECT action, COUNT(*) FROM cases WHERE guild_id = ? AND created_at >= ? AND created_at < ?"
            " GROUP BY action ORDER BY action",
            (guild_id, since, until),
        )
        return {row[0]: row[1] for row in rows}

    async def scored_replies(
        self, guild_id: int, since: float, until: float
    ) -> dict[int, tuple[int | None, int, float]]:
        """message id -> (the message it replies to, its channel, its abuse score), for scored messages."""
        rows = await self.db.fetchall(
            "SELECT m.id, m.reply_to_id, m.channel_id, s.score FROM messages m"
            " JOIN abuse_scores s ON s.message_id = m.id"
            " WHERE m.guild_id = ? AND m.created_at >= ? AND m.created_at < ?",
            (guild_id, since, until),
        )
        return {row[0]: (row[1], row[2], row[3]) for row in rows}


class DigestSlots:
    """One moderators' digest per (guild, slot): claimed before posting, released if posting fails."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def claim(self, guild_id: int, slot: str, now: float | None = None) -> bool:
        async with self.db.transaction() as conn:
            await conn.execute(ENSURE_GUILD, (guild_id,))
            changed = await conn.execute(
                "INSERT INTO moderation_digests(guild_id, slot, created_at) VALUES (?, ?, ?)"
                " ON CONFLICT(guild_id, slot) DO NOTHING",
                (guild_id, slot, time.time() if now is None else now),
            )
            return changed == 1

    async def posted(self, guild_id: int, slot: str, message_id: int) -> None:
        await self.db.execute(
            "UPDATE moderation_digests SET message_id = ? WHERE guild_id = ? AND slot = ?", (message_id, guild_id, slot)
        )

    async def release(self, guild_id: int, slot: str) -> None:
        await self.db.execute("DELETE FROM moderation_digests WHERE guild_id = ? AND slot = ?", (guild_id, slot))
