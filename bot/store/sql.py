"""Small helpers for building SQL over id lists without exceeding SQLite's variable limit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

# SQLite allows 32766 variables per statement; a few hundred keeps statements small and cache-friendly.
CHUNK = 500


def placeholders(n: int) -> str:
    return ",".join("?" * n)


def chunks(items: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]
