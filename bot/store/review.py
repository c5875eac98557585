"""Review-queue records beside the flags and cases: edits of flagged messages and escalation proposals."""

from __future__ import annotations

import time
from dataclasses import dataclass

from bot.store.database import Database
from bot.store.sql import ENSURE_GUILD, LOCK_GUILD

# -- edits after flagging: a flagged message's latest text, so its queue entry can show both versions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FlaggedEdit:
    content: str
    edited_at: float


class FlaggedEdits:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def put(self, guild_id: int, message_id: int, author_id: int, content: str, edited_at: float) -> None:
        await self.db.execute(
            "INSERT INTO flagged_edits(guild_id, message_id, author_id, content, edited_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT(guild_id, message_id) DO UPDATE SET content = excluded.content,"
            " edited_at = excluded.edited_at",
            (guild_id, message_id, author_id, content, edited_at),
        )

    async def get(self, guild_id: int, message_id: int) -> FlaggedEdit | None:
        row = await self.db.fetchone(
            "SELECT content, edited_at FROM flagged_edits WHERE guild_id = ? AND message_id = ?", (guild_id, message_id)
        )
        return FlaggedEdit(*row) if row else None

    async def delete_message(self, guild_id: int, message_id: int) -> int:
        return await self._delete("message_id = ?", guild_id, message_id)

    async def delete_author(self, guild_id: int, author_id: int) -> int:
        return await self._delete("author_id = ?", guild_id, author_id)

    async def delete_before(self, guild_id: int, cutoff: float) -> int:
        return await self._delete("edited_at < ?", guild_id, cutoff)

    async def _delete(self, condition: str, guild_id: int, value: float) -> int:
        return await self.db.execute(f"DELETE FROM flagged_edits WHERE guild_id = ? AND {condition}", (guild_id, value))


# -- escalation proposals ------------------------------------------------------------------------

PROPOSED, CONFIRMED, REJECTED = "open", "confirmed", "dismissed"
_ESCALATION_COLUMNS = (
    "id, guild_id, user_id, warnings, days, minutes, status, decided_by, decided_at, case_number,"
    " message_id, created_at"
)


@dataclass(frozen=True)
class Escalation:
    id: int
    guild_id: int
    user_id: int
    warnings: int
    days: int
    minutes: int
    status: str
    decided_by: int | None
    decided_at: float | None
    case_number: int | None
    message_id: int | None
    created_at: float


class EscalationStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def propose(
        self, guild_id: int, user_id: int, warnings: int, days: int, minutes: int, now: float | None = None
    ) -> Escalation | None:
        """A new proposal, unless one for this member is already waiting."""
        now = time.time() if now is None else now
        async with self.db.transaction() as conn:
            await conn.execute(ENSURE_GUILD, (guild_id,))
            await conn.execute(LOCK_GUILD, (guild_id,))
            row = await conn.fetchone(
                "INSERT INTO escalations(guild_id, user_id, warnings, days, minutes, created_at)"
                " SELECT ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM escalations"
                " WHERE guild_id = ? AND user_id = ? AND status = ?) RETURNING id",
                (guild_id, user_id, warnings, days, minutes, now, guild_id, user_id, PROPOSED),
            )
        return await self.get(guild_id, row[0]) if row else None

    async def get(self, guild_id: int, escalation_id: int) -> Escalation | None:
        row = await self.db.fetchone(
            f"SELECT {_ESCALATION_COLUMNS} FROM escalations WHERE guild_id = ? AND id = ?", (guild_id, escalation_id)
        )
        return Escalation(*row) if row else None

    async def decide(
        self,
        guild_id: int,
        escalation_id: int,
        status: str,
        moderator_id: int | None,
        expected: str = PROPOSED,
        now: float | None = None,
    ) -> bool:
        changed = await self.db.execute(
            "UPDATE escalations SET status = ?, decided_by = ?, decided_at = ?"
            " WHERE guild_id = ? AND id = ? AND status = ?",
            (status, moderator_id, time.time() if now is None else now, guild_id, escalation_id, expected),
        )
        return changed == 1

    async def set_fields(self, guild_id: int, escalation_id: int, **values: int) -> None:
        """``message_id`` (the proposal's post) or ``case_number`` (the timeout it led to)."""
        assignments = ", ".join(f"{name} = ?" for name in values if name in ("message_id", "case_number"))
        await self.db.execute(
            f"UPDATE escalations SET {assignments} WHERE guild_id = ? AND id = ?",
            (*values.values(), guild_id, escalation_id),
        )

    async def last_confirmed_at(self, guild_id: int, user_id: int) -> float | None:
        row = await self.db.fetchone(
            "SELECT MAX(decided_at) FROM escalations WHERE guild_id = ? AND user_id = ? AND status = ?",
            (guild_id, user_id, CONFIRMED),
        )
        return row[0] if row else None
