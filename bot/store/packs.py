"""Which topic packs each guild has enabled, and bringing a guild's copy of a pack up to date."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass

from bot.store.database import Database
from bot.store.sql import ENSURE_GUILD, placeholders


@dataclass(frozen=True)
class PackState:
    pack: str
    enabled: bool
    version: int


@dataclass(frozen=True)
class PackArgument:
    """One catalogue argument as a guild stores it."""

    slug: str
    title: str
    claim: str
    examples: tuple[str, ...]
    counters: tuple[str, ...]
    sources: tuple[dict, ...]
    policy: str | None
    standing: str


class PackStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def states(self, guild_id: int) -> dict[str, PackState]:
        rows = await self.db.fetchall("SELECT pack, enabled, version FROM guild_packs WHERE guild_id = ?", (guild_id,))
        return {row[0]: PackState(row[0], bool(row[1]), row[2]) for row in rows}

    async def packs_with_arguments(self, guild_id: int) -> set[str]:
        """Packs the guild holds arguments of: guilds seeded before per-server packs existed."""
        rows = await self.db.fetchall(
            "SELECT DISTINCT pack FROM arguments WHERE guild_id = ? AND pack IS NOT NULL", (guild_id,)
        )
        return {row[0] for row in rows}

    async def set_enabled(self, guild_id: int, pack: str, enabled: bool) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE guild_packs SET enabled = ?, updated_at = ? WHERE guild_id = ? AND pack = ?",
                (int(enabled), time.time(), guild_id, pack),
            )

    async def apply(
        self, guild_id: int, pack: str, version: int, enabled: bool, arguments: Sequence[PackArgument]
    ) -> int:
        """Bring the guild's copy of ``pack`` to ``version`` and record its state, in one transaction.

        New arguments are added; arguments a moderator has not edited take the pack's new text;
        arguments the pack dropped are removed unless a moderator edited them. Returns how many
        arguments were added or changed.
        """
        now = time.time()
        rows = [
            (
                guild_id,
                a.slug,
                a.title,
                a.claim,
                json.dumps(list(a.examples)),
                json.dumps(list(a.counters)),
                json.dumps(list(a.sources)),
                a.policy,
                a.standing,
                pack,
                version,
                now,
                now,
            )
            for a in arguments
        ]
        async with self.db.transaction() as conn:
            await conn.execute(ENSURE_GUILD, (guild_id,))
            changed = 0
            for row in rows:  # one by one: the count of arguments changed is the sum of the row counts
                changed += await conn.execute(
                    "INSERT INTO arguments(guild_id, slug, origin, status, title, claim, examples, counters, sources,"
                    " policy, standing, pack, pack_version, created_at, updated_at)"
                    " VALUES (?, ?, 'catalogue', 'active', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT(guild_id, slug) DO UPDATE SET title = excluded.title, claim = excluded.claim,"
                    " examples = excluded.examples, counters = excluded.counters, sources = excluded.sources,"
                    " policy = excluded.policy, standing = excluded.standing, pack = excluded.pack,"
                    " pack_version = excluded.pack_version, updated_at = excluded.updated_at"
                    " WHERE arguments.origin = 'catalogue' AND arguments.edited = 0"
                    " AND (arguments.pack_version IS NULL OR arguments.pack_version < excluded.pack_version"
                    "      OR arguments.standing IS NULL)",
                    row,
                )
            slugs = [a.slug for a in arguments]
            kept = f"slug NOT IN ({placeholders(len(slugs))})" if slugs else "1 = 1"
            changed += await conn.execute(
                "UPDATE arguments SET status = 'removed', updated_at = ?"
                " WHERE guild_id = ? AND pack = ? AND origin = 'catalogue' AND edited = 0 AND status = 'active'"
                f" AND {kept}",
                [now, guild_id, pack, *slugs],
            )
            await conn.execute(
                "INSERT INTO guild_packs(guild_id, pack, enabled, version, updated_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT(guild_id, pack) DO UPDATE SET enabled = excluded.enabled,"
                " version = excluded.version, updated_at = excluded.updated_at",
                (guild_id, pack, int(enabled), version, now),
            )
            return changed

    async def record(self, guild_id: int, pack: str, version: int, enabled: bool) -> None:
        """Remember a pack the guild does not use (yet), so that a new server's choice sticks."""
        async with self.db.transaction() as conn:
            await conn.execute(ENSURE_GUILD, (guild_id,))
            await conn.execute(
                "INSERT INTO guild_packs(guild_id, pack, enabled, version, updated_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT(guild_id, pack) DO NOTHING",
                (guild_id, pack, int(enabled), version, time.time()),
            )
