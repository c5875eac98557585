"""Small helpers: SQL over id lists without exceeding either database's parameter limit, and results that must exist."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeAlias

from bot.core.records import MessageScope

# SQLite allows 32766 variables per statement; a few hundred keeps statements small and cache-friendly.
CHUNK = 500


def placeholders(n: int) -> str:
    return ",".join("?" * n)


def chunks(items: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


# Prefix for a guild condition on rows already chosen by primary key: ``+m.guild_id`` is the same
# value, but SQLite will not use an index for it, so it looks the ids up instead of walking every
# message of the guild (on a big store, seconds instead of milliseconds). PostgreSQL ignores it.
BY_ID_IN_GUILD = "+m.guild_id = ?"

ENSURE_GUILD = "INSERT INTO guilds(id) VALUES (?) ON CONFLICT DO NOTHING"
# Takes the guild row's lock until the transaction ends. On PostgreSQL that serialises a guild's
# read-then-insert allocations (case numbers, one open escalation); SQLite's single writer already does.
LOCK_GUILD = "UPDATE guilds SET id = id WHERE id = ?"

# A tuple (SQLite) or an asyncpg.Record: the store reads columns by position.
Row: TypeAlias = Any


def required(row: Row | None) -> Row:
    """The row of a statement that always returns one (an aggregate, or INSERT ... RETURNING)."""
    if row is None:
        raise RuntimeError("the statement returned no row")
    return row


def first_value(row: Row | None) -> Any:
    return required(row)[0]


def in_scope(sql: str, params: list, scope: MessageScope, alias: str = "m", at: str = "created_at") -> tuple[str, list]:
    """``sql`` (ending in a WHERE clause over ``alias``, messages or rows with their ``guild_id``,
    ``channel_id`` and message time ``at``) narrowed to the scope's messages."""
    sql += f" AND {alias}.guild_id = ? AND {alias}.{at} >= ? AND {alias}.{at} < ?"
    params = [*params, scope.guild_id, scope.since, scope.until]
    if scope.channel_id is not None:
        sql += f" AND {alias}.channel_id = ?"
        params = [*params, scope.channel_id]
    if scope.readable is not None:
        allowed = sorted(scope.readable)
        sql += f" AND {alias}.channel_id IN ({placeholders(len(allowed))})" if allowed else " AND 1 = 0"
        params = [*params, *allowed]
    return sql, params
