"""Parse the times people give a digest: ISO dates and datetimes (UTC unless they say otherwise), or `7d`."""

from __future__ import annotations

import re

from bot.core.records import iso_to_unix

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_when(text: str, now: float, *, end_of_day: bool = False) -> float:
    """Unix seconds for ``text``: "now", a duration before now ("7d", "24h", "30m", "2w"), or an ISO time.

    With ``end_of_day``, a bare date means the end of that day, so "--until 2026-10-14" includes the 14th.
    Raises ValueError for anything else.
    """
    text = text.strip()
    if text.lower() == "now":
        return now
    duration = _DURATION.match(text)
    if duration:
        return now - float(duration.group(1)) * _UNIT_SECONDS[duration.group(2).lower()]
    try:
        when = iso_to_unix(text)
    except ValueError:
        raise ValueError(f"{text!r} is neither an ISO date or datetime nor a duration like 7d or 24h") from None
    if end_of_day and _DATE_ONLY.match(text):
        when += 86400
    return when
