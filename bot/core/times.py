"""The one reader of the times and durations people type, and the one way Clio says a duration.

A duration is one or more ``<number><unit>`` parts, summed: ``90m``, ``1.5h``, ``1d12h``, ``2 weeks``,
``1y``, with units ``s``, ``m``/``min``, ``h``, ``d``, ``w``, ``mo`` (30 days) and ``y`` (365 days), each
also spelled out (``minutes``, ``hours``, ``days``, ``weeks``, ``months``, ``years``). A time is ``now``, a duration before now, or ISO 8601
(UTC unless it says otherwise, as Discord's own timestamps are).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from bot.core.errors import BadTime

_UNIT_SECONDS = {
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600),
    **dict.fromkeys(("d", "day", "days"), 86400),
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), 7 * 86400),
    **dict.fromkeys(("mo", "month", "months"), 30 * 86400),
    **dict.fromkeys(("y", "yr", "yrs", "year", "years"), 365 * 86400),
}
# Longest units first, so "min" is not read as "m" followed by "in".
_PART = re.compile(r"(\d+(?:\.\d+)?)(" + "|".join(sorted(_UNIT_SECONDS, key=len, reverse=True)) + ")", re.IGNORECASE)
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SPOKEN_UNITS = (("week", 7 * 86400), ("day", 86400), ("hour", 3600), ("minute", 60))


def parse_duration(text: str) -> timedelta:
    """``90m``, ``12h``, ``3d``, ``2 weeks``, ``1y`` or sums such as ``1d12h`` -> a positive timedelta;
    BadTime otherwise."""
    compact = "".join(text.split())
    parts = list(_PART.finditer(compact))
    if not parts or "".join(p.group(0) for p in parts) != compact:
        raise BadTime(f"`{text}` is not a duration: try `90m`, `12h`, `3d`, `2 weeks` or `1y`.")
    seconds = sum(float(p.group(1)) * _UNIT_SECONDS[p.group(2).lower()] for p in parts)
    if seconds <= 0:
        raise BadTime("A duration must be longer than zero.")
    return timedelta(seconds=seconds)


def iso_to_unix(text: str) -> float:
    """Unix seconds of an ISO 8601 time; without an offset it is UTC. ValueError for anything else."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def parse_when(text: str, now: float, *, end_of_day: bool = False) -> float:
    """Unix seconds for ``text``: ``now``, a duration before now (``7d``, ``24h``) or an ISO time.

    With ``end_of_day``, a bare date means the end of that day, so "--until 2026-10-14" includes the 14th.
    Raises BadTime (a ValueError) for anything else.
    """
    text = text.strip()
    if text.lower() == "now":
        return now
    if _PART.match(text):
        try:
            return now - parse_duration(text).total_seconds()
        except BadTime:
            pass  # "2026-10-01" starts like a duration too
    try:
        when = iso_to_unix(text)
    except ValueError:
        raise BadTime(f"`{text}` is neither an ISO date or datetime nor a duration like 7d or 24h.") from None
    if end_of_day and _DATE_ONLY.match(text):
        when += 86400
    return when


def duration_text(seconds: float) -> str:
    """A duration as people say it: "90 minutes", "1 week", "45 seconds"."""
    for unit, size in _SPOKEN_UNITS:
        if seconds >= size and seconds % size == 0:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{int(seconds)} seconds"
