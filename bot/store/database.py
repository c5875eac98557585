"""The database behind the store: SQLite (the embedded default) or PostgreSQL, chosen by the URL.

Repositories write one SQL dialect: SQLite's, restricted to what PostgreSQL also understands (``?``
placeholders, ``ON CONFLICT``, ``RETURNING``, no ``INSERT OR ...``). The PostgreSQL backend rewrites the
placeholders and the migrations' column types; everything else is shared.

Units of work: :meth:`Database.transaction` opens one, and every repository call made inside it by the
same task joins it, reads included. So the engine can make a forget, a retention purge or a queue
decision atomic by wrapping several repository calls::

    async with store.db.transaction():
        await store.flags.decide(...)
        await store.cases.open(...)

Outside a unit of work a write is its own transaction and a read sees only committed data.
"""

from __future__ import annotations

import asyncio
import re
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from contextvars import ContextVar
from importlib import resources
from pathlib import Path
from typing import Any

from bot.core.errors import UserError
from bot.store.sql import Row, first_value

MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
POSTGRES_SCHEMES = ("postgresql://", "postgres://")

Params = Sequence[Any]


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


class IntegrityError(Exception):
    """A write broke a constraint (NOT NULL, UNIQUE, a foreign key), whichever database ran it."""


class DatabaseUnavailable(UserError):
    """The database a URL names cannot be opened (server down, bad path, no permission)."""


@contextmanager
def constraint_errors(backend_error: type[Exception]) -> Iterator[None]:
    """A backend's constraint violation as :class:`IntegrityError`, the one type callers catch."""
    try:
        yield
    except backend_error as error:
        raise IntegrityError(str(error)) from error


def redacted(url: str | Path) -> str:
    """A URL fit for messages and logs: any password replaced."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", str(url))


def is_postgres_url(url: str | Path) -> bool:
    return str(url).startswith(POSTGRES_SCHEMES)


def sqlite_path(url: str | Path) -> Path:
    """The file of a SQLite URL: a plain path, or ``sqlite:///relative`` / ``sqlite:////absolute``."""
    text = str(url)
    if text.startswith("sqlite:///"):
        return Path(text.removeprefix("sqlite:///"))
    if "://" in text:
        raise ValueError(f"unsupported database URL {text!r}: use a file path, sqlite:///path or postgresql://...")
    return Path(text)


class Connection(ABC):
    """One open transaction: what :meth:`Database.transaction` hands to the code inside it."""

    @abstractmethod
    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run a statement; returns how many rows it changed."""

    @abstractmethod
    async def executemany(self, sql: str, rows: Iterable[Params]) -> None: ...

    @abstractmethod
    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]: ...

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchvalue(self, sql: str, params: Params = ()) -> Any:
        """The first column of a statement that always returns a row (an aggregate, ``RETURNING``)."""
        return first_value(await self.fetchone(sql, params))


class Database(ABC):
    """A store's database. Subclasses provide transactions and committed reads; this class makes units
    of work reentrant, so repository calls inside one share its transaction."""

    dialect: str

    def __init__(self, url: str) -> None:
        self.url = url
        self._unit: ContextVar[tuple[asyncio.Task | None, Connection] | None] = ContextVar(
            f"clio_unit_of_work_{id(self)}", default=None
        )

    @staticmethod
    async def open(url: str | Path, migrations: Sequence[Migration] | None = None) -> Database:
        """Open (and migrate) the database a URL names: ``postgresql://...``, or a SQLite path."""
        if is_postgres_url(url):
            from bot.store.postgres import PostgresDatabase

            db: Database = await PostgresDatabase.connect(str(url))
        else:
            from bot.store.sqlite import SqliteDatabase

            db = await SqliteDatabase.connect(sqlite_path(url))
        try:
            await db.migrate(bundled_migrations() if migrations is None else migrations)
        except BaseException:
            await db.close()
            raise
        return db

    # -- what a backend provides --

    @abstractmethod
    def _begin(self) -> AbstractAsyncContextManager[Connection]:
        """An async context manager: a new transaction, committed on exit and rolled back on error."""

    @abstractmethod
    async def _read(self, sql: str, params: Params) -> list[Row]:
        """Rows of a query, on committed data only."""

    @abstractmethod
    async def migrate(self, migrations: Sequence[Migration]) -> list[int]:
        """Apply the migrations not applied yet, each in one transaction; returns their versions."""

    @abstractmethod
    async def scrub(self) -> None:
        """Make deleted rows unrecoverable from the database's files (after a forget)."""

    @abstractmethod
    def stream(self, sql: str, batch_size: int) -> AsyncIterator[list[Row]]:
        """The rows of a large query, a batch at a time, from one consistent snapshot."""

    @abstractmethod
    async def reset_id_sequences(self) -> None:
        """After rows were inserted with their ids given (a copy), make new ids continue after them."""

    @abstractmethod
    async def analyze(self) -> None:
        """Refresh the query planner's statistics (after a bulk load; PostgreSQL's autovacuum also does)."""

    @abstractmethod
    async def size_bytes(self) -> int:
        """What the store occupies: its tables with their indexes (and, for SQLite, the WAL)."""

    @abstractmethod
    async def columns(self, table: str) -> list[str]:
        """A table's columns, in their order."""

    @abstractmethod
    async def tables(self) -> list[str]:
        """Clio's tables in the order they were created, so each comes after those it references."""

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    def is_outage(self, error: BaseException) -> bool:
        """Whether a failed statement failed because of the database (down, locked, out of space, the
        connection lost), so the same write may succeed later, rather than because of what it wrote."""

    # -- shared --

    def _joined(self) -> Connection | None:
        """The unit of work the current task has open on this database, if any."""
        unit = self._unit.get()
        if unit is None or unit[0] is not asyncio.current_task():
            # A task started inside a unit of work inherits the context var, not the transaction.
            return None
        return unit[1]

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """A unit of work: everything inside commits, or nothing does. Nested calls join the outer one."""
        joined = self._joined()
        if joined is not None:
            yield joined
            return
        async with self._begin() as conn:
            token = self._unit.set((asyncio.current_task(), conn))
            try:
                yield conn
            finally:
                self._unit.reset(token)

    async def execute(self, sql: str, params: Params = ()) -> int:
        """A single write (joining the open unit of work, if any); returns the rows changed."""
        async with self.transaction() as conn:
            return await conn.execute(sql, params)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        async with self.transaction() as conn:
            await conn.executemany(sql, rows)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        joined = self._joined()
        if joined is not None:
            return await joined.fetchall(sql, params)
        return await self._read(sql, params)

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchvalue(self, sql: str, params: Params = ()) -> Any:
        """The first column of a query that always returns a row, such as ``SELECT COUNT(*)``."""
        return first_value(await self.fetchone(sql, params))

    async def schema_version(self) -> int:
        return await self.fetchvalue("SELECT MAX(version) FROM schema_migrations") or 0

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
