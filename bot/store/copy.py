"""Copy a whole store from one database to another (SQLite to PostgreSQL, or back), and prove it.

The destination must be empty and at the same schema version. Everything is written in one
transaction, so a failed copy leaves the destination as empty as it was; afterwards every table's
row count is compared, and a mismatch is an error.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.core.errors import UserError
from bot.store.database import Database
from bot.store.sql import placeholders

BATCH = 5_000
# Columns that reference their own table: copied as NULL first and filled in once every row is there,
# since a row may point at one inserted after it.
_SELF_REFERENCES = {"arguments": ("id", "merged_into")}
_BOOKKEEPING = {"schema_migrations"}


async def row_counts(db: Database) -> dict[str, int]:
    return {
        table: await db.fetchvalue(f"SELECT COUNT(*) FROM {table}")
        for table in await db.tables()
        if table not in _BOOKKEEPING
    }


async def copy_store(
    source: Database, destination: Database, progress: Callable[[str, int], None] = lambda table, rows: None
) -> dict[str, int]:
    """Copy every row of ``source`` into the empty ``destination``; returns the rows per table."""
    if await source.schema_version() != await destination.schema_version():
        raise UserError("the two databases are at different schema versions: run `clio db upgrade` on both")
    occupied = {table: n for table, n in (await row_counts(destination)).items() if n}
    if occupied:
        listing = ", ".join(f"{table} ({n})" for table, n in sorted(occupied.items()))
        raise UserError(f"the destination is not empty: {listing}; copy into a new database")

    tables = [table for table in await source.tables() if table not in _BOOKKEEPING]
    async with destination.transaction() as conn:
        for table in tables:
            key, self_reference = _SELF_REFERENCES.get(table, ("", ""))
            links: list[tuple] = []
            copied = 0
            columns = await source.columns(table)
            async for rows in source.stream(f"SELECT {', '.join(columns)} FROM {table}", BATCH):
                values = [list(row) for row in rows]
                if self_reference:
                    at, key_at = columns.index(self_reference), columns.index(key)
                    links += [(row[at], row[key_at]) for row in values if row[at] is not None]
                    for row in values:
                        row[at] = None
                await conn.executemany(
                    f"INSERT INTO {table}({', '.join(columns)}) VALUES ({placeholders(len(columns))})", values
                )
                copied += len(values)
                progress(table, copied)
            if links:
                await conn.executemany(f"UPDATE {table} SET {self_reference} = ? WHERE {key} = ?", links)
    await destination.reset_id_sequences()

    expected, found = await row_counts(source), await row_counts(destination)
    if expected != found:
        differing = ", ".join(
            f"{t}: {expected.get(t)} vs {found.get(t)}" for t in sorted(expected) if expected.get(t) != found.get(t)
        )
        raise RuntimeError(f"row counts differ after the copy ({differing})")
    return found
