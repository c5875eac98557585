"""One SQLite file in WAL mode, opened through aiosqlite, with versioned migrations.

Migrations are the numbered ``migrations/NNNN_name.sql`` files, applied in order inside one
transaction each and recorded in ``schema_migrations``. A killed process leaves either the old or the
new version behind, never half of one.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from bot.store.sql import first_value, row_id

MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class Migration:
    def __init__(self, version: int, name: str, sql: str) -> None:
        self.version, self.name, self.sql = version, name, sql


def bundled_migrations() -> list[Migration]:
    folder = resources.files("bot.store") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migrations must be numbered 0001, 0002... without gaps; found {versions}")
    return found


class Database:
    """A single aiosqlite connection plus a write lock so transactions never interleave."""

    def __init__(self, connection: aiosqlite.Connection, path: Path) -> None:
        self._conn = connection
        self.path = path
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str | Path, migrations: Sequence[Migration] | None = None) -> Database:
        path = Path(path)
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(path, isolation_level=None)
        conn.row_factory = aiosqlite.Row
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA foreign_keys=ON")
        await conn.execute("PRAGMA synchronous=NORMAL")
        await conn.execute("PRAGMA busy_timeout=5000")
        # Deleted rows are overwritten, not just unlinked: forgotten text must not linger in free pages.
        await conn.execute("PRAGMA secure_delete=ON")
        db = cls(conn, path)
        await db.migrate(bundled_migrations() if migrations is None else migrations)
        return db

    async def close(self) -> None:
        await self._conn.close()

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def migrate(self, migrations: Sequence[Migration]) -> list[int]:
        await self._conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
            " applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
        )
        applied = {row[0] for row in await self.fetchall("SELECT version FROM schema_migrations")}
        newly_applied = []
        for migration in migrations:
            if migration.version in applied:
                continue
            # executescript() commits on its own, so the migration text carries its own transaction.
            script = f"BEGIN IMMEDIATE;\n{migration.sql}\n;INSERT INTO schema_migrations(version, name) VALUES ({migration.version}, '{migration.name}');\nCOMMIT;"
            try:
                await self._conn.executescript(script)
            except Exception:
                if self._conn.in_transaction:
                    await self._conn.execute("ROLLBACK")
                raise
            newly_applied.append(migration.version)
        return newly_applied

    async def schema_version(self) -> int:
        return await self.fetchvalue("SELECT MAX(version) FROM schema_migrations") or 0

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Run a batch of writes atomically: everything commits, or nothing does."""
        async with self._write_lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            else:
                await self._conn.execute("COMMIT")

    async def execute(self, sql: str, params: Sequence[Any] | dict = ()) -> int:
        """A single write in its own transaction; returns lastrowid."""
        async with self.transaction() as conn:
            cursor = await conn.execute(sql, params)
            return row_id(cursor)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        async with self.transaction() as conn:
            await conn.executemany(sql, rows)

    async def fetchall(self, sql: str, params: Sequence[Any] | dict = ()) -> list[aiosqlite.Row]:
        async with self._conn.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def fetchone(self, sql: str, params: Sequence[Any] | dict = ()) -> aiosqlite.Row | None:
        async with self._conn.execute(sql, params) as cursor:
            return await cursor.fetchone()

    async def scrub(self) -> None:
        """Fold the WAL back into the database file and empty it, so deleted text survives in neither."""
        async with self._write_lock:
            await self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    async def fetchvalue(self, sql: str, params: Sequence[Any] | dict = ()) -> Any:
        """The first column of a query that always returns a row, such as ``SELECT COUNT(*)``."""
        return first_value(await self.fetchone(sql, params))
