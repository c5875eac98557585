from datetime import UTC, datetime, timedelta

import pytest

from bot.core.errors import BadTime, UserError
from bot.core.times import duration_text, parse_duration, parse_when

DAY = 86400.0


def test_durations():
    assert parse_duration("90m") == parse_duration("90min") == timedelta(minutes=90)
    assert parse_duration("1d12h") == parse_duration("1d 12h") == timedelta(hours=36)
    assert parse_duration("2w") == timedelta(days=14)
    assert parse_duration("1.5h") == timedelta(minutes=90)
    assert parse_duration("30s") == timedelta(seconds=30)
    # Spelled-out units, months and years, as people type them.
    assert parse_duration("2 weeks") == parse_duration("2 Weeks") == timedelta(days=14)
    assert parse_duration("1y") == parse_duration("1 year") == timedelta(days=365)
    assert parse_duration("3 days 12 hours") == timedelta(hours=84)
    assert parse_duration("2mo") == parse_duration("2 months") == timedelta(days=60)
    assert parse_duration("45 minutes") == parse_duration("45mins") == timedelta(minutes=45)
    for bad in ("", "3", "soon", "0h", "5 parsecs", "2026-10-01", "2 weeksago", "1 yearly"):
        with pytest.raises(BadTime):
            parse_duration(bad)


def test_a_bad_time_is_the_users_mistake():
    with pytest.raises(UserError, match="not a duration"):
        parse_duration("soon")


def test_parse_when():
    now = 1_800_000_000.0
    assert parse_when("now", now) == now
    assert parse_when("7d", now) == now - 7 * DAY
    assert parse_when("24h", now) == parse_when("1d", now)
    assert parse_when("1d12h", now) == now - 1.5 * DAY  # the same grammar as every other duration
    assert parse_when("2026-10-01", now) == datetime(2026, 10, 1, tzinfo=UTC).timestamp()
    assert parse_when("2026-10-14", now, end_of_day=True) == datetime(2026, 10, 15, tzinfo=UTC).timestamp()
    assert parse_when("2026-10-01T12:00:00+02:00", now) == datetime(2026, 10, 1, 10, tzinfo=UTC).timestamp()
    for bad in ("last tuesday", "0h", ""):
        with pytest.raises(ValueError):
            parse_when(bad, now)


def test_durations_read_naturally():
    assert [duration_text(s) for s in (600, 3600, 86400, 7 * 86400, 90 * 60, 45)] == [
        "10 minutes",
        "1 hour",
        "1 day",
        "1 week",
        "90 minutes",
        "45 seconds",
    ]
