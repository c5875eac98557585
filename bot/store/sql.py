"""Small helpers: SQL over id lists without exceeding SQLite's variable limit, and results that must exist."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any

import aiosqlite

# SQLite allows 32766 variables per statement; a few hundred keeps statements small and cache-friendly.
CHUNK = 500


def placeholders(n: int) -> str:
    return ",".join("?" * n)


def chunks(items: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def row_id(cursor: aiosqlite.Cursor) -> int:
    """The id of the row an INSERT just wrote."""
    if cursor.lastrowid is None:
        raise RuntimeError("the INSERT reported no row id")
    return cursor.lastrowid


def required(row: aiosqlite.Row | None) -> aiosqlite.Row:
    """The row of a statement that always returns one (an aggregate, or INSERT ... RETURNING)."""
    if row is None:
        raise RuntimeError("the statement returned no row")
    return row


def first_value(row: aiosqlite.Row | None) -> Any:
    return required(row)[0]


def in_channels(sql: str, params: list, channel_id: int | None, readable: Collection[int] | None) -> tuple[str, list]:
    """``sql`` (over messages ``m``) narrowed to one channel and/or to the ``readable`` ones."""
    if channel_id is not None:
        sql += " AND m.channel_id = ?"
        params = [*params, channel_id]
    if readable is not None:
        allowed = sorted(readable)
        sql += f" AND m.channel_id IN ({placeholders(len(allowed))})" if allowed else " AND 0"
        params = [*params, *allowed]
    return sql, params
