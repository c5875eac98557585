"""False positives: the flags moderators said were wrong, with the score and the quoted text.

What they feed (threshold advice, extra training negatives) is in :mod:`bot.engine.moderation.feedback`.
The texts are personal data: redacted with their author, and when they outlive the guild's retention.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from bot.store.database import Database
from bot.store.moderation import OPEN, StoredFlag


class FalsePositiveStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(
        self, guild_id: int, flags: Sequence[StoredFlag], moderator_id: int, now: float | None = None
    ) -> None:
        now = time.time() if now is None else now
        await self.db.executemany(
            "INSERT INTO false_positives(flag_id, guild_id, flagger, score, author_id, text, moderator_id,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [
                (f.id, guild_id, f.flagger, f.score, f.author_id, f.quote, moderator_id, now)
                for f in flags
                if f.guild_id == guild_id
            ],
        )

    async def has(self, guild_id: int, flag_id: int) -> bool:
        row = await self.db.fetchone(
            "SELECT 1 FROM false_positives WHERE guild_id = ? AND flag_id = ?", (guild_id, flag_id)
        )
        return row is not None

    async def decided_abuse(self, guild_id: int, since: float) -> list[tuple[float, bool]]:
        """(score, was it a false positive) of the abuse flags moderators decided since ``since``."""
        rows = await self.db.fetchall(
            "SELECT f.score, fp.flag_id IS NOT NULL FROM flags f"
            " LEFT JOIN false_positives fp ON fp.flag_id = f.id"
            " WHERE f.guild_id = ? AND f.flagger = 'abuse' AND f.status != ? AND f.decided_at >= ?",
            (guild_id, OPEN, since),
        )
        return [(row[0], bool(row[1])) for row in rows]

    async def texts(self, guild_id: int | None = None, flagger: str = "abuse") -> list[str]:
        """Unredacted texts, oldest first; every guild's when ``guild_id`` is None (for training)."""
        sql = "SELECT text FROM false_positives WHERE flagger = ? AND text IS NOT NULL AND text != ''"
        params: list = [flagger]
        if guild_id is not None:
            sql += " AND guild_id = ?"
            params.append(guild_id)
        return [row[0] for row in await self.db.fetchall(sql + " ORDER BY created_at, flag_id", params)]

    async def redact_author(self, guild_id: int, author_id: int) -> int:
        return await self._redact("guild_id = ? AND author_id = ?", (guild_id, author_id))

    async def redact_before(self, guild_id: int, cutoff: float) -> int:
        return await self._redact("guild_id = ? AND created_at < ?", (guild_id, cutoff))

    async def _redact(self, where: str, params: tuple) -> int:
        return await self.db.execute(
            f"UPDATE false_positives SET text = NULL WHERE {where} AND text IS NOT NULL", params
        )
