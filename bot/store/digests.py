"""Digest schedules, and the digests posted for them.

A schedule has a style (``compact`` or ``full``, see :mod:`bot.engine.digest.model`) and may be paused:
a paused schedule keeps its settings and posts nothing until it is resumed.

A digest row is written *before* anything is posted and names its slot (UNIQUE per guild), so a
slot that fires twice, or a post retried after an error, finds the row and never posts twice.
The row lists the ids of the messages posted so far: a retry resumes after the last one.

Processes sharing the database may fire the same slot. The one that posts holds the row's lease
(``claim`` takes it, every saved page renews it, the final status releases it); a lease whose holder
died expires after :data:`LEASE_SECONDS` and can then be taken over, resuming after the last page.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from bot.store.database import Database
from bot.store.sql import ENSURE_GUILD

PENDING, POSTED, FAILED = "pending", "posted", "failed"
# Longer than posting a digest takes, retries included; short enough that a dead holder's slot is
# taken over within minutes.
LEASE_SECONDS = 600.0


class LeaseLost(RuntimeError):
    """Another process took over a digest whose lease this one let expire: it must stop posting."""


_SCHEDULE_COLUMNS = (
    "id, guild_id, scope_channel_id, target_channel_id, cron, timezone, kind, last_run_at, created_by, created_at,"
    " style, paused_at"
)
_DIGEST_COLUMNS = (
    "id, guild_id, schedule_id, slot_key, scope_channel_id, target_channel_id, window_start, window_end,"
    " status, posted_message_ids, lease_owner, style"
)
# The next digest of a schedule starts where the last one ended, which never moves back.
_MOVE_LAST_RUN = "UPDATE schedules SET last_run_at = ? WHERE id = ? AND (last_run_at IS NULL OR last_run_at < ?)"


@dataclass(frozen=True)
class Schedule:
    id: int
    guild_id: int
    scope_channel_id: int | None
    target_channel_id: int
    cron: str  # "HH:MM" or a cron expression, as the moderator typed it
    timezone: str
    kind: str
    last_run_at: float | None
    created_by: int | None
    created_at: float
    style: str = "compact"
    paused_at: float | None = None

    @property
    def paused(self) -> bool:
        return self.paused_at is not None


@dataclass(frozen=True)
class DigestRecord:
    id: int
    guild_id: int
    schedule_id: int | None
    slot_key: str | None
    scope_channel_id: int | None
    target_channel_id: int | None
    window_start: float
    window_end: float
    status: str
    message_ids: tuple[int, ...]
    lease_owner: str | None = None
    style: str = "full"  # the style it was claimed with: a retry posts the same pages

    @property
    def posted(self) -> bool:
        return self.status == POSTED


def _digest(row) -> DigestRecord:
    return DigestRecord(*row[:9], message_ids=tuple(json.loads(row[9])), lease_owner=row[10], style=row[11])


class ScheduleStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(
        self,
        guild_id: int,
        target_channel_id: int,
        cron: str,
        timezone: str = "UTC",
        *,
        scope_channel_id: int | None = None,
        created_by: int | None = None,
        kind: str = "digest",
        style: str = "compact",
    ) -> Schedule:
        now = time.time()
        async with self.db.transaction() as conn:
            await conn.execute(ENSURE_GUILD, (guild_id,))
            schedule_id = await conn.fetchvalue(
                "INSERT INTO schedules(guild_id, scope_channel_id, target_channel_id, cron, timezone, kind,"
                " created_by, created_at, style) VALUES (?,?,?,?,?,?,?,?,?) RETURNING id",
                (guild_id, scope_channel_id, target_channel_id, cron, timezone, kind, created_by, now, style),
            )
        return Schedule(
            schedule_id,
            guild_id,
            scope_channel_id,
            target_channel_id,
            cron,
            timezone,
            kind,
            None,
            created_by,
            now,
            style,
        )

    async def list(self, guild_id: int) -> list[Schedule]:
        rows = await self.db.fetchall(
            f"SELECT {_SCHEDULE_COLUMNS} FROM schedules WHERE guild_id = ? ORDER BY id", (guild_id,)
        )
        return [Schedule(*row) for row in rows]

    async def all(self) -> list[Schedule]:
        rows = await self.db.fetchall(f"SELECT {_SCHEDULE_COLUMNS} FROM schedules ORDER BY id")
        return [Schedule(*row) for row in rows]

    async def get(self, guild_id: int, schedule_id: int) -> Schedule | None:
        row = await self.db.fetchone(
            f"SELECT {_SCHEDULE_COLUMNS} FROM schedules WHERE guild_id = ? AND id = ?", (guild_id, schedule_id)
        )
        return Schedule(*row) if row else None

    async def get_by_id(self, schedule_id: int) -> Schedule | None:
        """For the scheduler, which holds ids only; commands must use :meth:`get` with their guild."""
        row = await self.db.fetchone(f"SELECT {_SCHEDULE_COLUMNS} FROM schedules WHERE id = ?", (schedule_id,))
        return Schedule(*row) if row else None

    async def remove(self, guild_id: int, schedule_id: int) -> bool:
        changed = await self.db.execute("DELETE FROM schedules WHERE guild_id = ? AND id = ?", (guild_id, schedule_id))
        return changed == 1

    async def update(self, schedule: Schedule) -> bool:
        """Save what a moderator may change (``/digest edit``): scope, target, when, timezone and style.
        False when the guild has no such schedule."""
        changed = await self.db.execute(
            "UPDATE schedules SET scope_channel_id = ?, target_channel_id = ?, cron = ?, timezone = ?, style = ?"
            " WHERE guild_id = ? AND id = ?",
            (
                schedule.scope_channel_id,
                schedule.target_channel_id,
                schedule.cron,
                schedule.timezone,
                schedule.style,
                schedule.guild_id,
                schedule.id,
            ),
        )
        return changed == 1

    async def pause(self, guild_id: int, schedule_id: int, now: float | None = None) -> Schedule | None:
        """Stop a schedule posting, keeping its settings; pausing a paused one keeps when it was paused."""
        await self.db.execute(
            "UPDATE schedules SET paused_at = COALESCE(paused_at, ?) WHERE guild_id = ? AND id = ?",
            (time.time() if now is None else now, guild_id, schedule_id),
        )
        return await self.get(guild_id, schedule_id)

    async def resume(self, guild_id: int, schedule_id: int, skip_to: float | None = None) -> Schedule | None:
        """Let a paused schedule post again. ``skip_to``: the slots it missed while paused end there, so
        its next digest starts from there rather than covering the whole pause at once."""
        async with self.db.transaction() as conn:
            changed = await conn.execute(
                "UPDATE schedules SET paused_at = NULL WHERE guild_id = ? AND id = ?", (guild_id, schedule_id)
            )
            if changed and skip_to is not None:
                await conn.execute(_MOVE_LAST_RUN, (skip_to, schedule_id, skip_to))
        return await self.get(guild_id, schedule_id)

    async def mark_run(self, schedule_id: int, until: float) -> None:
        """Record a successful run; the next digest starts where this one ended. Never moves back."""
        await self.db.execute(_MOVE_LAST_RUN, (until, schedule_id, until))


class DigestStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def claim(
        self,
        guild_id: int,
        slot_key: str,
        target_channel_id: int,
        window_start: float,
        window_end: float,
        *,
        scope_channel_id: int | None = None,
        schedule_id: int | None = None,
        owner: str | None = None,
        now: float | None = None,
        style: str = "full",
    ) -> DigestRecord:
        """The digest row of a slot: created pending on first call, returned as it stands afterwards.

        With an ``owner``, also take the row's lease unless the digest is posted or another owner
        holds an unexpired lease: the returned row's ``lease_owner`` says who posts it.
        """
        now = time.time() if now is None else now
        async with self.db.transaction() as conn:
            await conn.execute(ENSURE_GUILD, (guild_id,))
            await conn.execute(
                "INSERT INTO digests(guild_id, schedule_id, slot_key, scope_channel_id, target_channel_id,"
                " window_start, window_end, created_at, style) VALUES (?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT(guild_id, slot_key) DO NOTHING",
                (
                    guild_id,
                    schedule_id,
                    slot_key,
                    scope_channel_id,
                    target_channel_id,
                    window_start,
                    window_end,
                    now,
                    style,
                ),
            )
            if owner is not None:
                await conn.execute(
                    "UPDATE digests SET lease_owner = ?, lease_until = ? WHERE guild_id = ? AND slot_key = ?"
                    " AND status != 'posted' AND (lease_owner IS NULL OR lease_owner = ? OR lease_until < ?)",
                    (owner, now + LEASE_SECONDS, guild_id, slot_key, owner, now),
                )
            row = await conn.fetchone(
                f"SELECT {_DIGEST_COLUMNS} FROM digests WHERE guild_id = ? AND slot_key = ?", (guild_id, slot_key)
            )
            return _digest(row)

    async def record_messages(
        self, digest_id: int, message_ids: list[int], owner: str | None = None, now: float | None = None
    ) -> None:
        """Save progress after each message, so a retry does not post it again; renews ``owner``'s lease.
        Raises :class:`LeaseLost` if another process has taken the digest over."""
        now = time.time() if now is None else now
        if owner is None:
            await self.db.execute(
                "UPDATE digests SET posted_message_ids = ? WHERE id = ?", (json.dumps(message_ids), digest_id)
            )
            return
        saved = await self.db.execute(
            "UPDATE digests SET posted_message_ids = ?, lease_until = ? WHERE id = ? AND lease_owner = ?",
            (json.dumps(message_ids), now + LEASE_SECONDS, digest_id, owner),
        )
        if not saved:
            raise LeaseLost(f"digest {digest_id} was taken over by another process")

    async def set_status(self, digest_id: int, status: str) -> None:
        """The digest's outcome; its lease is released either way."""
        posted_at = time.time() if status == POSTED else None
        await self.db.execute(
            "UPDATE digests SET status = ?, posted_at = COALESCE(?, posted_at), lease_owner = NULL,"
            " lease_until = NULL WHERE id = ?",
            (status, posted_at, digest_id),
        )

    async def get(self, guild_id: int, slot_key: str) -> DigestRecord | None:
        row = await self.db.fetchone(
            f"SELECT {_DIGEST_COLUMNS} FROM digests WHERE guild_id = ? AND slot_key = ?", (guild_id, slot_key)
        )
        return _digest(row) if row else None

    async def unfinished(self, since: float = 0.0) -> list[DigestRecord]:
        """Digests created since then and left pending or failed (a crash, or Discord down): retried."""
        rows = await self.db.fetchall(
            f"SELECT {_DIGEST_COLUMNS} FROM digests WHERE status != 'posted' AND created_at >= ? ORDER BY id",
            (since,),
        )
        return [_digest(row) for row in rows]

    async def recent(self, guild_id: int, limit: int = 10) -> list[DigestRecord]:
        rows = await self.db.fetchall(
            f"SELECT {_DIGEST_COLUMNS} FROM digests WHERE guild_id = ? ORDER BY id DESC LIMIT ?", (guild_id, limit)
        )
        return [_digest(row) for row in rows]

    async def for_guild(self, guild_id: int) -> list[DigestRecord]:
        """Every digest of the guild, oldest first, as an export lists them."""
        rows = await self.db.fetchall(
            f"SELECT {_DIGEST_COLUMNS} FROM digests WHERE guild_id = ? ORDER BY id", (guild_id,)
        )
        return [_digest(row) for row in rows]
