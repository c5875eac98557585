"""Schedules without Discord: parsing, slots, catch-up after downtime, exactly-once bookkeeping."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from bot.adapter.scheduling import (
    UTC,
    DigestScheduler,
    build_trigger,
    job_for_slot,
    latest_slot,
    min_interval,
    slot_key,
    to_datetime,
)
from bot.core.errors import ScheduleError
from tests.conftest import required


def _next(trigger, after: datetime) -> datetime:
    return trigger.get_next_fire_time(None, after)


def test_hh_mm_is_daily_in_the_given_timezone():
    trigger = build_trigger("09:30", "Europe/Paris")
    fire = _next(trigger, datetime(2026, 7, 1, 12, 0, tzinfo=UTC))
    assert fire == datetime(2026, 7, 2, 9, 30, tzinfo=ZoneInfo("Europe/Paris"))
    assert fire.astimezone(UTC).hour == 7  # summer time


def test_cron_weekdays_count_from_sunday_as_crontab_does():
    monday_nine = build_trigger("0 9 * * 1")  # APScheduler alone would read 1 as Tuesday
    assert _next(monday_nine, datetime(2026, 11, 24, tzinfo=UTC)).strftime("%a %H:%M") == "Mon 09:00"
    weekend = build_trigger("0 9 * * 0,6")
    days = set()
    moment = datetime(2026, 11, 24, tzinfo=UTC)
    for _ in range(4):
        moment = _next(weekend, moment + timedelta(seconds=1))
        days.add(moment.strftime("%a"))
    assert days == {"Sat", "Sun"}
    assert _next(build_trigger("0 9 * * 7"), datetime(2026, 11, 24, tzinfo=UTC)).strftime("%a") == "Sun"
    assert _next(build_trigger("0 9 * * mon-fri"), datetime(2026, 11, 28, tzinfo=UTC)).strftime("%a") == "Mon"


def test_a_sixth_field_is_seconds():
    trigger = build_trigger("* * * * * */2")
    start = datetime(2026, 11, 24, 10, 0, 1, tzinfo=UTC)
    assert _next(trigger, start) == datetime(2026, 11, 24, 10, 0, 2, tzinfo=UTC)
    assert min_interval(trigger, start) == timedelta(seconds=2)


@pytest.mark.parametrize(
    ("when", "tz", "message"),
    [
        ("25:00", "UTC", "not a time of day"),
        ("61 * * * *", "UTC", "Bad cron expression"),
        ("0 9 * * 8", "UTC", "Bad cron expression"),
        ("every day", "UTC", "neither a time"),
        ("09:00", "Not/AZone", "Unknown timezone"),
    ],
)
def test_bad_schedules_say_what_is_wrong(when, tz, message):
    with pytest.raises(ScheduleError, match=message):
        build_trigger(when, tz)


def test_missed_slots_collapse_into_the_newest():
    hourly = build_trigger("0 * * * *")
    down_since = datetime(2026, 11, 24, 1, 30, tzinfo=UTC)
    back_at = datetime(2026, 11, 24, 6, 10, tzinfo=UTC)
    assert latest_slot(hourly, down_since, back_at) == datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
    assert latest_slot(hourly, back_at - timedelta(minutes=5), back_at) is None


def _schedule(**fields):
    values = dict(
        id=7,
        guild_id=1,
        scope_channel_id=None,
        target_channel_id=5,
        cron="0 * * * *",
        timezone="UTC",
        last_run_at=None,
        created_at=0.0,
        style="compact",
        paused=False,
    )
    return SimpleNamespace(**{**values, **fields})


def test_a_job_covers_the_time_since_the_last_run():
    slot = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
    job = job_for_slot(_schedule(last_run_at=slot.timestamp() - 7200), slot)
    assert (job.since, job.until) == (slot.timestamp() - 7200, slot.timestamp())
    assert job.slot_key == slot_key(7, slot) == "schedule:7:2026-11-24T06:00:00Z"
    first = job_for_slot(_schedule(), slot)
    assert first.until - first.since == 86400  # no earlier run: the day before


class _FakeAPScheduler:
    def __init__(self):
        self.jobs = {}

    def add_job(self, func, trigger, args, id, **options):
        self.jobs[id] = (func, trigger, args)

    def get_job(self, job_id):
        return self.jobs.get(job_id)

    def remove_job(self, job_id):
        del self.jobs[job_id]


class _Schedules:
    def __init__(self, *schedules):
        self.by_id = {s.id: s for s in schedules}

    async def all(self):
        return list(self.by_id.values())

    async def get_by_id(self, schedule_id):
        return self.by_id.get(schedule_id)


async def test_restore_owes_one_catch_up_per_schedule_and_fires_later_slots():
    now = datetime(2026, 11, 24, 6, 10, tzinfo=UTC)
    behind = _schedule(id=1, last_run_at=(now - timedelta(hours=5)).timestamp())
    current = _schedule(id=2, last_run_at=datetime(2026, 11, 24, 6, 0, tzinfo=UTC).timestamp())
    jobs = []

    async def run(job):
        jobs.append(job)

    scheduler = DigestScheduler(_FakeAPScheduler(), _Schedules(behind, current), run, clock=lambda: now)
    assert await scheduler.restore() == 2
    await scheduler.close()  # lets the catch-up task finish
    assert [(j.schedule_id, j.until) for j in jobs] == [(1, datetime(2026, 11, 24, 6, tzinfo=UTC).timestamp())]
    assert set(scheduler.scheduler.jobs) == set()  # close removed the jobs

    # A slot firing runs the newest slot not after now, once.
    scheduler = DigestScheduler(_FakeAPScheduler(), _Schedules(current), run, clock=lambda: now + timedelta(hours=1))
    scheduler.add(current)
    await scheduler._fire(2)
    await scheduler.close()
    assert jobs[-1].slot_key == "schedule:2:2026-11-24T07:00:00Z"


class _Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _posting(schedule, windows: list[tuple[datetime, datetime]]):
    """A digest run that takes a moment, then records its window as the schedule's last run."""

    async def run(job):
        await asyncio.sleep(0.01)
        windows.append((to_datetime(job.since), to_datetime(job.until)))
        schedule.last_run_at = job.until

    return run


def _at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 24, hour, minute, tzinfo=UTC)


async def test_clock_jumps_post_every_slot_once_with_no_overlap():
    schedule = _schedule(last_run_at=_at(10).timestamp())
    windows: list[tuple[datetime, datetime]] = []
    clock = _Clock(_at(10, 30))
    scheduler = DigestScheduler(_FakeAPScheduler(), _Schedules(schedule), _posting(schedule, windows), clock=clock)
    scheduler.add(schedule)

    # Back two hours: the 09:00 and 10:00 slots come round again, but were posted already.
    for hour in (9, 10):
        clock.now = _at(hour)
        await scheduler._fire(schedule.id)
    await scheduler.close(timeout=5)
    assert windows == []
    scheduler.add(schedule)
    clock.now = _at(11)
    await scheduler._fire(schedule.id)
    # Forward three hours and more: one late digest covers the slots the clock skipped.
    clock.now = _at(14, 20)
    await scheduler._fire(schedule.id)
    clock.now = _at(15)
    await scheduler._fire(schedule.id)
    await scheduler.close(timeout=5)
    assert windows == [(_at(10), _at(11)), (_at(11), _at(14)), (_at(14), _at(15))]


async def test_a_catch_up_and_the_next_slot_never_overlap():
    schedule = _schedule(last_run_at=_at(6).timestamp())
    windows: list[tuple[datetime, datetime]] = []
    clock = _Clock(_at(9, 59))
    scheduler = DigestScheduler(_FakeAPScheduler(), _Schedules(schedule), _posting(schedule, windows), clock=clock)
    await scheduler.restore()  # owes the 09:00 catch-up, which is still posting when 10:00 fires
    clock.now = _at(10)
    await scheduler._fire(schedule.id)
    await scheduler.close(timeout=5)
    assert windows == [(_at(6), _at(9)), (_at(9), _at(10))]


async def test_a_paused_schedule_does_not_post_and_resuming_skips_what_it_missed(store):
    """On the real store: paused, a schedule has no job, its slots run nothing and a restart owes no
    catch-up; resumed, it runs again from its next slot, its window starting at the last one it missed."""
    schedule = await store.schedules.add(1, 5, "0 * * * *", style="full")
    await store.schedules.mark_run(schedule.id, _at(6).timestamp())
    jobs = []

    async def run(job):
        jobs.append(job)

    clock = _Clock(_at(6, 30))
    scheduler = DigestScheduler(_FakeAPScheduler(), store.schedules, run, clock=clock)
    scheduler.add(schedule)
    assert required(await scheduler.pause(1, schedule.id)).paused
    assert scheduler.scheduler.jobs == {}
    assert await scheduler.pause(2, schedule.id) is None  # another guild's number
    clock.now = _at(9, 10)
    await scheduler._fire(schedule.id)
    await scheduler.run_slot(schedule.id, _at(9))
    assert await scheduler.restore() == 1 and scheduler.scheduler.jobs == {}
    await scheduler.close()
    assert jobs == []

    resumed = required(await scheduler.resume(1, schedule.id))
    assert not resumed.paused and resumed.last_run_at == _at(9).timestamp()  # 07:00-09:00 skipped
    assert set(scheduler.scheduler.jobs) == {f"digest-{schedule.id}"}
    clock.now = _at(10)
    await scheduler._fire(schedule.id)
    await scheduler.close()
    assert [(j.since, j.until, j.style) for j in jobs] == [(_at(9).timestamp(), _at(10).timestamp(), "full")]


async def test_resuming_a_running_schedule_changes_nothing(store):
    schedule = await store.schedules.add(1, 5, "0 * * * *")
    await store.schedules.mark_run(schedule.id, _at(6).timestamp())

    async def run(job):
        raise AssertionError("nothing is owed by resuming")

    scheduler = DigestScheduler(_FakeAPScheduler(), store.schedules, run, clock=_Clock(_at(9, 10)))
    assert await scheduler.resume(1, schedule.id) == await store.schedules.get(1, schedule.id)
    # Its 09:00 is still owed, and will be posted: only a pause gives up the slots it missed.
    assert required(await store.schedules.get(1, schedule.id)).last_run_at == _at(6).timestamp()


def test_a_job_carries_its_schedules_style():
    slot = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
    assert job_for_slot(_schedule(), slot).style == "compact"
    assert job_for_slot(_schedule(style="full"), slot).style == "full"
