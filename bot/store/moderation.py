"""Flags awaiting review and the cases moderators open: guild-scoped, idempotent, race-safe.

- A flag is unique per (guild, message, flagger), so re-ingesting a message never queues it twice.
- Deciding a flag is a compare-and-set on its status: when two moderators press a button at once,
  exactly one update matches and the other learns it lost.
- Case numbers count up per guild and are allocated inside the insert, so they have no gaps or repeats.
- Quotes of messages are redacted when the message is deleted or its author asks to be forgotten.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from bot.store.database import Database
from bot.store.sql import ENSURE_GUILD, LOCK_GUILD, chunks, first_value, placeholders

OPEN, DISMISSED, ACTIONED, ESCALATED = "open", "dismissed", "actioned", "escalated"
FLAG_STATUSES = frozenset({OPEN, DISMISSED, ACTIONED, ESCALATED})
WARN = "warn"

_FLAG_COLUMNS = (
    "id, guild_id, message_id, channel_id, author_id, flagger, score, reason, quote, reporter_id, status,"
    " decided_by, decided_at, queue_message_id, created_at"
)
_CASE_COLUMNS = "guild_id, number, user_id, action, reason, moderator_id, flag_id, content, created_at"


@dataclass(frozen=True)
class StoredFlag:
    id: int
    guild_id: int
    message_id: int
    channel_id: int
    author_id: int
    flagger: str
    score: float
    reason: str
    quote: str | None
    reporter_id: int | None
    status: str
    decided_by: int | None
    decided_at: float | None
    queue_message_id: int | None
    created_at: float


@dataclass(frozen=True)
class Case:
    guild_id: int
    number: int
    user_id: int
    action: str
    reason: str | None
    moderator_id: int | None
    flag_id: int | None
    content: str | None
    created_at: float


class FlagStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(
        self,
        guild_id: int,
        message_id: int,
        channel_id: int,
        author_id: int,
        flagger: str,
        score: float,
        reason: str,
        quote: str | None = None,
        reporter_id: int | None = None,
        now: float | None = None,
    ) -> tuple[int, bool]:
        """Queue a flag unless this message already has one from this flagger. Returns (flag id, created)."""
        async with self.db.transaction() as conn:
            await conn.execute(ENSURE_GUILD, (guild_id,))
            changed = await conn.execute(
                "INSERT INTO flags(guild_id, message_id, channel_id, author_id, flagger, score, reason, quote,"
                " reporter_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(guild_id, message_id, flagger) DO NOTHING",
                (
                    guild_id,
                    message_id,
                    channel_id,
                    author_id,
                    flagger,
                    float(score),
                    reason,
                    quote,
                    reporter_id,
                    time.time() if now is None else now,
                ),
            )
            created = changed == 1
            row = await conn.fetchone(
                "SELECT id FROM flags WHERE guild_id = ? AND message_id = ? AND flagger = ?",
                (guild_id, message_id, flagger),
            )
            return first_value(row), created

    async def get(self, guild_id: int, flag_id: int) -> StoredFlag | None:
        row = await self.db.fetchone(
            f"SELECT {_FLAG_COLUMNS} FROM flags WHERE guild_id = ? AND id = ?", (guild_id, flag_id)
        )
        return StoredFlag(*row) if row else None

    async def decide(
        self,
        guild_id: int,
        flag_id: int,
        new_status: str,
        moderator_id: int,
        expected_status: str = OPEN,
        now: float | None = None,
    ) -> bool:
        """Move a flag from ``expected_status`` to ``new_status``. False if someone else got there first."""
        if new_status not in FLAG_STATUSES:
            raise ValueError(f"unknown flag status {new_status!r}; expected one of {sorted(FLAG_STATUSES)}")
        changed = await self.db.execute(
            "UPDATE flags SET status = ?, decided_by = ?, decided_at = ? WHERE guild_id = ? AND id = ? AND status = ?",
            (new_status, moderator_id, time.time() if now is None else now, guild_id, flag_id, expected_status),
        )
        return changed == 1

    async def set_queue_message(self, guild_id: int, flag_id: int, queue_message_id: int) -> None:
        """Remember the review-queue post of a flag, so its buttons can find it again."""
        await self.db.execute(
            "UPDATE flags SET queue_message_id = ? WHERE guild_id = ? AND id = ?", (queue_message_id, guild_id, flag_id)
        )

    async def by_queue_message(self, guild_id: int, queue_message_id: int) -> StoredFlag | None:
        row = await self.db.fetchone(
            f"SELECT {_FLAG_COLUMNS} FROM flags WHERE guild_id = ? AND queue_message_id = ?",
            (guild_id, queue_message_id),
        )
        return StoredFlag(*row) if row else None

    async def list_open(self, guild_id: int, limit: int = 50) -> list[StoredFlag]:
        """Open flags, oldest first: the review queue."""
        rows = await self.db.fetchall(
            f"SELECT {_FLAG_COLUMNS} FROM flags WHERE guild_id = ? AND status = ? ORDER BY created_at, id LIMIT ?",
            (guild_id, OPEN, limit),
        )
        return [StoredFlag(*row) for row in rows]

    async def unposted_messages(self, guild_id: int, limit: int = 100) -> list[int]:
        """Messages with an open flag that no mod-log entry shows yet: the review queue's outbox."""
        rows = await self.db.fetchall(
            "SELECT DISTINCT message_id FROM flags WHERE guild_id = ? AND status = ? AND queue_message_id IS NULL"
            " ORDER BY message_id LIMIT ?",
            (guild_id, OPEN, limit),
        )
        return [row[0] for row in rows]

    async def latest_open(self, guild_id: int, author_id: int, flagger: str) -> float | None:
        """When the author's newest open flag of this kind was raised (from the author index)."""
        row = await self.db.fetchone(
            "SELECT MAX(created_at) FROM flags WHERE guild_id = ? AND author_id = ? AND flagger = ? AND status = ?",
            (guild_id, author_id, flagger, OPEN),
        )
        return row[0] if row else None

    async def for_message(self, guild_id: int, message_id: int) -> list[StoredFlag]:
        rows = await self.db.fetchall(
            f"SELECT {_FLAG_COLUMNS} FROM flags WHERE guild_id = ? AND message_id = ? ORDER BY id",
            (guild_id, message_id),
        )
        return [StoredFlag(*row) for row in rows]

    async def entry_anchors(self, guild_id: int, column: str, value: int) -> list[int]:
        """The first flag id of each posted review entry whose flags have ``column`` = ``value``."""
        if column not in ("message_id", "author_id"):
            raise ValueError(f"entries are looked up by message_id or author_id, not {column}")
        rows = await self.db.fetchall(
            f"SELECT MIN(id) FROM flags WHERE guild_id = ? AND {column} = ? AND queue_message_id IS NOT NULL"
            " GROUP BY queue_message_id ORDER BY MIN(id)",
            (guild_id, value),
        )
        return [row[0] for row in rows]

    async def open_message_ids(self, guild_id: int, message_ids: Sequence[int]) -> set[int]:
        """Those of ``message_ids`` that have a flag still awaiting a moderator."""
        found: set[int] = set()
        for chunk in chunks(list(message_ids)):
            rows = await self.db.fetchall(
                f"SELECT DISTINCT message_id FROM flags WHERE guild_id = ? AND status = ?"
                f" AND message_id IN ({placeholders(len(chunk))})",
                (guild_id, OPEN, *chunk),
            )
            found.update(row[0] for row in rows)
        return found

    async def report_times(self, guild_id: int, reporter_id: int, since: float) -> list[float]:
        """When a member reported messages after ``since``, oldest first."""
        rows = await self.db.fetchall(
            "SELECT created_at FROM flags WHERE guild_id = ? AND reporter_id = ? AND created_at > ?"
            " ORDER BY created_at",
            (guild_id, reporter_id, since),
        )
        return [row[0] for row in rows]

    async def clear_decision(self, guild_id: int, flag_ids: Sequence[int]) -> None:
        """Forget who decided open flags and when: a decision whose action failed never happened."""
        for chunk in chunks(flag_ids):
            await self.db.execute(
                "UPDATE flags SET decided_by = NULL, decided_at = NULL WHERE guild_id = ? AND status = ?"
                f" AND id IN ({placeholders(len(chunk))})",
                (guild_id, OPEN, *chunk),
            )

    async def redact_before(self, guild_id: int, cutoff: float) -> int:
        """Drop the quotes of flags raised before ``cutoff`` (the guild's retention)."""
        return await self.db.execute(
            "UPDATE flags SET quote = NULL WHERE guild_id = ? AND created_at < ? AND quote IS NOT NULL",
            (guild_id, cutoff),
        )

    async def redact_message(self, guild_id: int, message_id: int) -> int:
        """Drop the quoted text of a deleted message; the flag and its decision stay. Returns flags changed."""
        return await self._redact("message_id", guild_id, message_id)

    async def redact_author(self, guild_id: int, author_id: int) -> int:
        return await self._redact("author_id", guild_id, author_id)

    async def _redact(self, column: str, guild_id: int, value: int) -> int:
        return await self.db.execute(
            f"UPDATE flags SET quote = NULL WHERE guild_id = ? AND {column} = ? AND quote IS NOT NULL",
            (guild_id, value),
        )


class CaseStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add_case(
        self,
        guild_id: int,
        user_id: int,
        action: str,
        reason: str | None = None,
        moderator_id: int | None = None,
        flag_id: int | None = None,
        content: str | None = None,
        now: float | None = None,
    ) -> Case:
        """Open the guild's next case. The number is allocated by the insert itself, under the guild's lock."""
        created_at = time.time() if now is None else now
        async with self.db.transaction() as conn:
            await conn.execute(ENSURE_GUILD, (guild_id,))
            await conn.execute(LOCK_GUILD, (guild_id,))
            row = await conn.fetchone(
                "INSERT INTO cases(guild_id, number, user_id, action, reason, moderator_id, flag_id, content, created_at)"
                " SELECT ?, COALESCE(MAX(number), 0) + 1, ?, ?, ?, ?, ?, ?, ? FROM cases WHERE guild_id = ?"
                " RETURNING number",
                (guild_id, user_id, action, reason, moderator_id, flag_id, content, created_at, guild_id),
            )
            number = first_value(row)
        return Case(guild_id, number, user_id, action, reason, moderator_id, flag_id, content, created_at)

    async def get(self, guild_id: int, number: int) -> Case | None:
        row = await self.db.fetchone(
            f"SELECT {_CASE_COLUMNS} FROM cases WHERE guild_id = ? AND number = ?", (guild_id, number)
        )
        return Case(*row) if row else None

    async def first_for_flag(self, guild_id: int, flag_id: int) -> Case | None:
        """The case a review-queue decision on this flag opened, if it opened one."""
        rows = await self._cases("WHERE guild_id = ? AND flag_id = ?", (guild_id, flag_id), limit=None)
        return min(rows, key=lambda case: case.number, default=None)

    async def set_reason(self, guild_id: int, number: int, reason: str) -> bool:
        changed = await self.db.execute(
            "UPDATE cases SET reason = ? WHERE guild_id = ? AND number = ?", (reason, guild_id, number)
        )
        return changed == 1

    async def for_user(self, guild_id: int, user_id: int, limit: int = 50) -> list[Case]:
        """A member's history, newest first."""
        return await self._cases("WHERE guild_id = ? AND user_id = ?", (guild_id, user_id), limit)

    async def recent(self, guild_id: int, limit: int = 20) -> list[Case]:
        return await self._cases("WHERE guild_id = ?", (guild_id,), limit)

    async def for_guild(self, guild_id: int) -> list[Case]:
        """Every case of the guild by number, as an export lists them."""
        rows = await self.db.fetchall(
            f"SELECT {_CASE_COLUMNS} FROM cases WHERE guild_id = ? ORDER BY number", (guild_id,)
        )
        return [Case(*row) for row in rows]

    async def _cases(self, where: str, params: tuple, limit: int | None) -> list[Case]:
        sql = f"SELECT {_CASE_COLUMNS} FROM cases {where} ORDER BY created_at DESC, number DESC"
        if limit is not None:
            sql, params = sql + " LIMIT ?", (*params, limit)
        rows = await self.db.fetchall(sql, params)
        return [Case(*row) for row in rows]

    async def count_recent_warnings(self, guild_id: int, user_id: int, days: float, now: float | None = None) -> int:
        """Warnings within the last ``days``: what escalation counts."""
        since = (time.time() if now is None else now) - days * 86400
        return await self.db.fetchvalue(
            "SELECT COUNT(*) FROM cases WHERE guild_id = ? AND user_id = ? AND action = ? AND created_at >= ?",
            (guild_id, user_id, WARN, since),
        )

    async def redact_before(self, guild_id: int, cutoff: float) -> int:
        """Drop the quoted content of cases opened before ``cutoff`` (the guild's retention)."""
        return await self.db.execute(
            "UPDATE cases SET content = NULL WHERE guild_id = ? AND created_at < ? AND content IS NOT NULL",
            (guild_id, cutoff),
        )

    async def redact_user(self, guild_id: int, user_id: int) -> int:
        """Forget what a member wrote: quoted content goes, the record of moderation stays."""
        return await self.db.execute(
            "UPDATE cases SET content = NULL WHERE guild_id = ? AND user_id = ? AND content IS NOT NULL",
            (guild_id, user_id),
        )
