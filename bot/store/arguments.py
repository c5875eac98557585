"""Each guild's arguments: copied from the catalogue, discovered (candidates), or added by moderators."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.store.database import Database
from bot.store.sql import ENSURE_GUILD, placeholders

ACTIVE = "active"
CANDIDATE = "candidate"

_COLUMNS = (
    "id, guild_id, slug, origin, status, title, claim, examples, counters, sources, policy,"
    " threshold, notes_enabled, pack, evidence, merged_into, standing, pack_version, edited"
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
    standing: str | None = None
    pack_version: int | None = None
    edited: bool = False

    @property
    def label(self) -> str:
        return self.title or self.claim


def _argument(row) -> Argument:
    return Argument(
        id=row[0],
        guild_id=row[1],
        slug=row[2],
        origin=row[3],
        status=row[4],
        title=row[5],
        claim=row[6],
        examples=tuple(json.loads(row[7])),
        counters=tuple(json.loads(row[8])),
        sources=tuple(json.loads(row[9])),
        policy=row[10],
        threshold=row[11],
        notes_enabled=bool(row[12]),
        pack=row[13],
        evidence=json.loads(row[14]),
        merged_into=row[15],
        standing=row[16],
        pack_version=row[17],
        edited=bool(row[18]),
    )


_JSON_FIELDS = {"examples", "counters", "sources", "evidence"}
_EDITABLE = {
    "title",
    "claim",
    "examples",
    "counters",
    "sources",
    "policy",
    "threshold",
    "notes_enabled",
    "status",
    "merged_into",
    "evidence",
    "standing",
}
# Changing any of these makes the argument the moderators' own: pack upgrades no longer touch it.
_CONTENT = {"title", "claim", "examples", "counters", "sources", "policy", "standing"}


class ArgumentStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(
        self,
        guild_id: int,
        slug: str,
        claim: str,
        *,
        origin: str = "moderator",
        status: str = ACTIVE,
        title: str = "",
        examples: Sequence[str] = (),
        counters: Sequence[str] = (),
        sources: Sequence[dict] = (),
        policy: str | None = None,
        evidence: dict | None = None,
    ) -> int:
        now = time.time()
        async with self.db.transaction() as conn:
            await conn.execute(ENSURE_GUILD, (guild_id,))
            return await conn.fetchvalue(
                "INSERT INTO arguments(guild_id, slug, origin, status, title, claim, examples, counters, sources,"
                " policy, evidence, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
                (
                    guild_id,
                    slug,
                    origin,
                    status,
                    title,
                    claim,
                    json.dumps(list(examples)),
                    json.dumps(list(counters)),
                    json.dumps(list(sources)),
                    policy,
                    json.dumps(evidence or {}),
                    now,
                    now,
                ),
            )

    async def update(self, guild_id: int, argument_id: int, **changes: Any) -> bool:
        unknown = set(changes) - _EDITABLE
        if unknown:
            raise ValueError(f"cannot edit argument fields {sorted(unknown)}")
        if not changes:
            return False
        values = [
            json.dumps(list(v) if not isinstance(v, dict) else v) if k in _JSON_FIELDS else v
            for k, v in changes.items()
        ]
        assignments = ", ".join(f"{name} = ?" for name in changes)
        content = [(name, value) for name, value in zip(changes, values) if name in _CONTENT]
        if content:
            # Only a real change makes the argument the moderators' own; saving the form unchanged does not.
            assignments += ", edited = CASE WHEN " + " OR ".join(f"{name} IS DISTINCT FROM ?" for name, _ in content)
            assignments += " THEN 1 ELSE edited END"
            values += [value for _, value in content]
        changed = await self.db.execute(
            f"UPDATE arguments SET {assignments}, updated_at = ? WHERE guild_id = ? AND id = ?",
            [*values, time.time(), guild_id, argument_id],
        )
        return changed == 1

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

    async def require(self, guild_id: int, argument_id: int) -> Argument:
        """An argument that must exist (one just written); LookupError otherwise."""
        argument = await self.get(guild_id, argument_id)
        if argument is None:
            raise LookupError(f"guild {guild_id} has no argument {argument_id}")
        return argument

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
