"""SQLite: one file in WAL mode, one connection that writes and one that reads.

Writes go through one connection under a lock, so transactions never interleave. Reads go through a
second connection: in WAL mode it sees the last committed state, never a transaction still open on the
writer (a reader sharing the writer's connection would see rows that may yet be rolled back).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from bot.store.database import Connection, Database, DatabaseUnavailable, Migration, Params, constraint_errors
from bot.store.sql import Row

_PRAGMAS = (
    # First: switching to WAL needs a moment's exclusive lock, which another process may hold.
    "PRAGMA busy_timeout=5000",
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
    # Deleted rows are overwritten, not just unlinked: forgotten text must not linger in free pages.
    "PRAGMA secure_delete=ON",
)


async def _connect(path: Path, attempts: int = 20) -> aiosqlite.Connection:
    for attempt in range(attempts):
        # Rows stay plain tuples: a digest over a busy month reads tens of thousands, and the store
        # reads columns by position.
        conn = await aiosqlite.connect(path, isolation_level=None)
        try:
            for pragma in _PRAGMAS:
                await conn.execute(pragma)
            return conn
        except sqlite3.OperationalError as error:
            await conn.close()
            # Opening a file another process is creating or recovering can be refused without the
            # busy handler ever being called; it clears within moments.
            if "locked" not in str(error) or attempt == attempts - 1:
                raise
            await asyncio.sleep(0.05 * (attempt + 1))
        except BaseException:
            await conn.close()
            raise
    raise AssertionError("unreachable")


def _statements(script: str) -> list[str]:
    """The statements of a migration, one by one (executescript() would commit the open transaction)."""
    statements, pending = [], ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):  # not a ';' inside a string or a trigger body
            statements.append(pending.strip())
            pending = ""
    return [s for s in statements if _code(s)]


def _code(statement: str) -> str:
    """A statement without its comments: empty for a piece holding only comments."""
    return "".join(line.split("--", 1)[0] for line in statement.splitlines()).strip(" ;\n")


class SqliteConnection(Connection):
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        with constraint_errors(sqlite3.IntegrityError):
            cursor = await self._conn.execute(sql, params)
        return cursor.rowcount

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        with constraint_errors(sqlite3.IntegrityError):
            await self._conn.executemany(sql, rows)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        with constraint_errors(sqlite3.IntegrityError):  # INSERT ... RETURNING
            async with self._conn.execute(sql, params) as cursor:
                return list(await cursor.fetchall())


class SqliteDatabase(Database):
    dialect = "sqlite"

    def __init__(self, writer: aiosqlite.Connection, reader: aiosqlite.Connection, path: Path) -> None:
        super().__init__(str(path))
        self.path = path
        self._writer = writer
        self._reader = reader
        self._write_lock = asyncio.Lock()

    @classmethod
    async def connect(cls, path: Path) -> SqliteDatabase:
        if str(path) == ":memory:":
            raise ValueError("an in-memory SQLite database cannot be shared by a writer and a reader: use a file")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            writer = await _connect(path)
        except (OSError, sqlite3.Error) as error:
            raise DatabaseUnavailable(f"cannot open the SQLite database {path}: {error}") from error
        try:
            reader = await _connect(path)
        except BaseException:
            await writer.close()
            raise
        return cls(writer, reader, path)

    async def close(self) -> None:
        await self._reader.close()
        await self._writer.close()

    def is_outage(self, error: BaseException) -> bool:
        # OperationalError: locked or busy past the timeout, disk full or failing, read-only file.
        return isinstance(error, (sqlite3.OperationalError, OSError))

    @asynccontextmanager
    async def _begin(self) -> AsyncIterator[Connection]:
        async with self._write_lock:
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield SqliteConnection(self._writer)
            except BaseException:
                await self._writer.execute("ROLLBACK")
                raise
            else:
                await self._writer.execute("COMMIT")

    async def _read(self, sql: str, params: Params) -> list[Row]:
        async with self._reader.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def migrate(self, migrations: Sequence[Migration]) -> list[int]:
        await self._writer.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
            " applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
        )
        newly_applied = []
        for migration in migrations:
            # Checked inside the write transaction: another process may have applied it meanwhile.
            async with self.transaction() as conn:
                if await conn.fetchone("SELECT 1 FROM schema_migrations WHERE version = ?", (migration.version,)):
                    continue
                for statement in _statements(migration.sql):
                    await conn.execute(statement)
                await conn.execute(
                    "INSERT INTO schema_migrations(version, name) VALUES (?, ?)", (migration.version, migration.name)
                )
            newly_applied.append(migration.version)
        return newly_applied

    async def stream(self, sql: str, batch_size: int) -> AsyncIterator[list[Row]]:
        async with self._reader.execute(sql) as cursor:
            while rows := await cursor.fetchmany(batch_size):
                yield list(rows)

    async def reset_id_sequences(self) -> None:
        """Nothing to do: SQLite's AUTOINCREMENT counters already follow the largest id inserted."""

    async def analyze(self) -> None:
        async with self.transaction() as conn:
            await conn.execute("ANALYZE")

    async def size_bytes(self) -> int:
        files = [self.path, self.path.with_name(self.path.name + "-wal")]
        return sum(f.stat().st_size for f in files if f.exists())

    async def columns(self, table: str) -> list[str]:
        return [row[1] for row in await self._read(f"PRAGMA table_info({table})", ())]

    async def tables(self) -> list[str]:
        rows = await self._read(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid", ()
        )
        return [row[0] for row in rows]

    async def scrub(self) -> None:
        """Fold the WAL back into the database file and empty it, so deleted text survives in neither."""
        async with self._write_lock:
            await self._writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
