"""Each guild's arguments: copied from the catalogue, discovered (candidates), or added by moderators."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.store.database import Database
from bot.store.sql import placeholders

ACTIVE = "active"
CANDIDATE = "candidate"

_COLUMNS = (
    "id, guild_id, slug, origin, status, title, claim, examples, counters, sources, policy,"
    " threshold, notes_enabled, pack, evidence, merged_into"
)


@dataclass(frozen=True)
class Argument:
    id: int
    guild_id: int
    slug: str
    origin: str
    status: str
    title: str
    claim: str
    examples: tuple[str, ...] = ()
    counters: tuple[str, ...] = ()
    sources: tuple[dict, ...] = ()
    policy: str | None = None
    threshold: float | None = None
    notes_enabled: bool = True
    pack: str | None = None
    evidence: dict = field(default_factory=dict)
    merged_into: int | None = None

    @property
    def label(self) -> str:
        return self.title or self.claim


def _argument(row) -> Argument:
    return Argument(
        id=row[0], guild_id=row[1], slug=row[2], origin=row[3], status=row[4], title=row[5], claim=row[6],
        examples=tuple(json.loads(row[7])), counters=tuple(json.loads(row[8])),
        sources=tuple(json.loads(row[9])), policy=row[10], threshold=row[11],
        notes_enabled=bool(row[12]), pack=row[13], evidence=json.loads(row[14]), merged_into=row[15],
    )


_JSON_FIELDS = {"examples", "counters", "sources", "evidence"}
_EDITABLE = {"title", "claim", "examples", "counters", "sources", "policy", "threshold", "notes_enabled", "status",
             "merged_into", "evidence"}


class ArgumentStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def sync_catalogue(self, guild_id: int, arguments: Iterable[Any], pack_of: dict[str, str]) -> int:
        """Copy catalogue arguments the guild lacks. Existing ones keep any moderator edits."""
        now = time.time()
        rows = [
            (guild_id, arg.id, "catalogue", ACTIVE, arg.title, arg.claim, json.dumps(list(arg.examples)),
             json.dumps(list(arg.counters)), json.dumps([s.model_dump(exclude_none=True) for s in arg.sources]),
             arg.policy, pack_of.get(arg.id), now, now)
            for arg in arguments
        ]
        async with self.db.transaction() as conn:
            await conn.execute("INSERT OR IGNORE INTO guilds(id) VALUES (?)", (guild_id,))
            before = conn.total_changes
            await conn.executemany(
                "INSERT INTO arguments(guild_id, slug, origin, status, title, claim, examples, counters, sources,"
                " policy, pack, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT(guild_id, slug) DO NOTHING",
                rows,
            )
            return conn.total_changes - before

    async def add(
        self, guild_id: int, slug: str, claim: str, *, origin: str = "moderator", status: str = ACTIVE,
        title: str = "", examples: Sequence[str] = (), counters: Sequence[str] = (),
        sources: Sequence[dict] = (), policy: str | None = None, evidence: dict | None = None,
    ) -> int:
        now = time.time()
        async with self.db.transaction() as conn:
            await conn.execute("INSERT OR IGNORE INTO guilds(id) VALUES (?)", (guild_id,))
            cursor = await conn.execute(
                "INSERT INTO arguments(guild_id, slug, origin, status, title, claim, examples, counters, sources,"
                " policy, evidence, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (guild_id, slug, origin, status, title, claim, json.dumps(list(examples)),
                 json.dumps(list(counters)), json.dumps(list(sources)), policy, json.dumps(evidence or {}), now, now),
            )
            return cursor.lastrowid

    async def update(self, guild_id: int, argument_id: int, **changes: Any) -> bool:
        unknown = set(changes) - _EDITABLE
        if unknown:
            raise ValueError(f"cannot edit argument fields {sorted(unknown)}")
        if not changes:
            return False
        assignments = ", ".join(f"{name} = ?" for name in changes)
        values = [json.dumps(list(v) if not isinstance(v, dict) else v) if k in _JSON_FIELDS else v
                  for k, v in changes.items()]
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                f"UPDATE arguments SET {assignments}, updated_at = ? WHERE guild_id = ? AND id = ?",
                [*values, time.time(), guild_id, argument_id],
            )
            return cursor.rowcount == 1

    async def list(self, guild_id: int, statuses: Sequence[str] = (ACTIVE,)) -> list[Argument]:
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM arguments WHERE guild_id = ? AND status IN ({placeholders(len(statuses))})"
            " ORDER BY id",
            [guild_id, *statuses],
        )
        return [_argument(row) for row in rows]

    async def get(self, guild_id: int, argument_id: int) -> Argument | None:
        row = await self.db.fetchone(
            f"SELECT {_COLUMNS} FROM arguments WHERE guild_id = ? AND id = ?", (guild_id, argument_id)
        )
        return _argument(row) if row else None

    async def by_slug(self, guild_id: int, slug: str) -> Argument | None:
        row = await self.db.fetchone(
            f"SELECT {_COLUMNS} FROM arguments WHERE guild_id = ? AND slug = ?", (guild_id, slug)
        )
        return _argument(row) if row else None

    async def search(self, guild_id: int, text: str, limit: int = 25) -> list[Argument]:
        """Active arguments whose slug, title or claim contains the text (for autocomplete)."""
        like = f"%{text.lower()}%"
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM arguments WHERE guild_id = ? AND status = 'active'"
            " AND (lower(slug) LIKE ? OR lower(title) LIKE ? OR lower(claim) LIKE ?) ORDER BY slug LIMIT ?",
            (guild_id, like, like, like, limit),
        )
        return [_argument(row) for row in rows]
