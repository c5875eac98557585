"""When digests run: parse schedules into APScheduler triggers, name each slot, find missed slots.

Discord-free. A schedule is ``HH:MM`` (daily) or a cron expression, in an IANA timezone. Cron has
the usual five fields (minute hour day month weekday, Sunday = 0 or 7) and may carry a sixth,
*seconds*, field last (as croniter does): ``* * * * * */2`` fires every two seconds.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

from bot.core.errors import ScheduleError
from bot.engine.digest.model import FULL

log = logging.getLogger(__name__)
# The first run of a schedule, with no earlier run to start from, covers this much.
DEFAULT_WINDOW = timedelta(days=1)
_HH_MM = re.compile(r"(\d{1,2}):(\d{2})")
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# Scanning for a missed slot stops here: a seconds-level cron after weeks of downtime is absurd anyway.
_MAX_SCAN = 200_000


def parse_timezone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(
            f"Unknown timezone `{name}`: use an IANA name such as `UTC`, `Europe/Paris` or `America/New_York`."
        ) from None


def build_trigger(when: str, tz_name: str = "UTC") -> CronTrigger:
    """``HH:MM`` or a cron expression -> a trigger; raises ScheduleError saying what is wrong."""
    tz = parse_timezone(tz_name)
    text = when.strip()
    clock = _HH_MM.fullmatch(text)
    if clock:
        hour, minute = int(clock.group(1)), int(clock.group(2))
        if hour > 23 or minute > 59:
            raise ScheduleError(f"`{when}` is not a time of day: use HH:MM from 00:00 to 23:59.")
        return CronTrigger(hour=hour, minute=minute, second=0, timezone=tz)
    fields = text.split()
    if len(fields) not in (5, 6):
        raise ScheduleError(
            f"`{when}` is neither a time (HH:MM) nor a cron expression"
            " (minute hour day month weekday, optionally followed by seconds)."
        )
    minute, hour, day, month, weekday = fields[:5]
    second = fields[5] if len(fields) == 6 else "0"
    try:
        return CronTrigger(
            second=second,
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=_crontab_weekdays(weekday),
            timezone=tz,
        )
    except ValueError as exc:
        raise ScheduleError(f"Bad cron expression `{when}`: {exc}.") from None


def _crontab_weekdays(field: str) -> str:
    """Crontab weekday numbers (0 = Sunday) as names: APScheduler 3 counts 0 as Monday."""
    days: list[str] = []
    for item in field.split(","):
        base, _, step_text = item.partition("/")
        if not re.fullmatch(r"\*|\d+(-\d+)?", base) or (step_text and not step_text.isdigit()):
            days.append(item)  # names such as mon-fri: APScheduler reads those the crontab way
            continue
        first, _, last = ("0-6" if base == "*" else base).partition("-")
        numbers = range(int(first), int(last or first) + 1, int(step_text or 1))
        if not numbers or max(numbers) > 7:
            raise ValueError(f"weekday `{item}` is out of range 0-7")
        days.extend(_WEEKDAYS[n % 7] for n in numbers)
    return ",".join(dict.fromkeys(days))


def slot_key(schedule_id: int, slot: datetime) -> str:
    """The name of one scheduled run: a digest is posted at most once per key."""
    return f"schedule:{schedule_id}:{slot.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"


def is_scheduled_slot(key: str | None) -> bool:
    return bool(key) and key.startswith("schedule:")


def fire_times(trigger: CronTrigger, after: datetime, until: datetime):
    """Fire times t with after < t <= until, oldest first."""
    tick = timedelta(microseconds=1)
    current = trigger.get_next_fire_time(None, after + tick)
    for _ in range(_MAX_SCAN):
        if current is None or current > until:
            return
        yield current
        current = trigger.get_next_fire_time(current, current + tick)


def latest_slot(trigger: CronTrigger, after: datetime, until: datetime) -> datetime | None:
    """The newest fire time in (after, until]: missed runs collapse into this one catch-up slot."""
    latest = None
    for slot in fire_times(trigger, after, until):
        latest = slot
    return latest


def missed_slot(trigger: CronTrigger, schedule, now: datetime) -> datetime | None:
    """The newest slot a schedule did not post, or None: slots after its last run (or its creation)."""
    return latest_slot(trigger, to_datetime(schedule.last_run_at or schedule.created_at), now)


def min_interval(trigger: CronTrigger, now: datetime) -> timedelta | None:
    """The gap between the next two runs; a rough guard against schedules that would spam a channel."""
    first = trigger.get_next_fire_time(None, now)
    second = trigger.get_next_fire_time(first, first + timedelta(microseconds=1)) if first else None
    return second - first if first and second else None


@dataclass(frozen=True)
class DigestJob:
    """One digest to post: what it covers and where it goes; ``slot_key`` makes it exactly-once."""

    guild_id: int
    slot_key: str
    target_channel_id: int
    since: float
    until: float
    scope_channel_id: int | None = None
    schedule_id: int | None = None
    timezone: str = "UTC"  # for the chart's and the thread name's days
    style: str = FULL  # see bot.engine.digest.model.STYLES


def job_for_slot(schedule, slot: datetime) -> DigestJob:
    """The digest a schedule owes for a slot: everything since its last successful run."""
    until = slot.timestamp()
    since = schedule.last_run_at if schedule.last_run_at else until - DEFAULT_WINDOW.total_seconds()
    return DigestJob(
        guild_id=schedule.guild_id,
        slot_key=slot_key(schedule.id, slot),
        target_channel_id=schedule.target_channel_id,
        since=min(since, until),
        until=until,
        scope_channel_id=schedule.scope_channel_id,
        schedule_id=schedule.id,
        timezone=schedule.timezone,
        style=schedule.style,
    )


def repeat(scheduler, job_id: str, func, **interval: float) -> None:
    """Run ``func`` every ``interval`` (APScheduler's seconds=, minutes=...), one run at a time, and a
    run missed while the loop was busy only once: for the outboxes' retries."""
    scheduler.add_job(func, "interval", **interval, id=job_id, replace_existing=True, coalesce=True, max_instances=1)


def to_datetime(unix_seconds: float) -> datetime:
    return datetime.fromtimestamp(unix_seconds, UTC)


# -- running schedules -------------------------------------------------------------------------------


class DigestScheduler:
    """Runs each stored schedule on its trigger, through an APScheduler owned by the caller.

    Jobs live in memory; schedules live in the database. At start-up every schedule that missed
    slots while the bot was down owes ONE catch-up digest, for the newest missed slot, covering
    everything since its last successful run.

    A paused schedule has no job and owes nothing; a slot that fires as it is paused is skipped, since
    the schedule is read from the database each time.

    Clock jumps: a slot is owed only when it is newer than the end of the last posted window (the
    schedule's ``last_run_at``), and a schedule's slots run one at a time, each window starting where
    the last posted one ended. After a backward jump the slots the clock repeats were posted already
    and are skipped; the schedule goes on with the first slot past the last window. After a forward
    jump (or a stalled event loop) the late job still runs, however late, and the skipped slots
    collapse into one digest. So no slot is posted twice and no two windows overlap.

    A digest runs in a task of its own, not in the APScheduler job: stopping APScheduler cancels
    its jobs, and a digest cut off between posting a message and recording it would post that
    message again on retry. :meth:`close` lets running digests finish instead.
    """

    def __init__(self, scheduler, schedules, run, clock=None) -> None:
        self.scheduler = scheduler  # an APScheduler AsyncIOScheduler
        self.schedules = schedules  # a bot.store.digests.ScheduleStore
        self._run = run  # async (DigestJob) -> None; handles its own errors
        self._clock = clock or (lambda: datetime.now(UTC))
        self._triggers: dict[int, CronTrigger] = {}
        self._last_slot: dict[int, datetime] = {}
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._running: set[asyncio.Task] = set()

    async def restore(self) -> int:
        now = self._clock()
        restored = 0
        for schedule in await self.schedules.all():
            try:
                trigger = self.add(schedule)
            except ScheduleError as exc:  # e.g. a timezone that vanished from tzdata
                log.warning("schedule %d not restored: %s", schedule.id, exc)
                continue
            restored += 1
            missed = None if schedule.paused else missed_slot(trigger, schedule, now)
            if missed is not None:
                self._start(schedule.id, missed)
        return restored

    def add(self, schedule) -> CronTrigger:
        """Run a schedule on its trigger, or, paused, stop running it; raises ScheduleError if it is invalid."""
        trigger = build_trigger(schedule.cron, schedule.timezone)
        if schedule.paused:
            self.remove(schedule.id)
            return trigger
        self._triggers[schedule.id] = trigger
        self.scheduler.add_job(
            self._fire,
            trigger,
            args=(schedule.id,),
            id=self._job_id(schedule.id),
            replace_existing=True,
            coalesce=True,
            misfire_grace_time=None,  # a late slot still runs: _fire works out which slots it owes
        )
        return trigger

    async def pause(self, guild_id: int, schedule_id: int):
        """Stop a schedule posting, keeping its settings; None when the guild has no such schedule."""
        paused = await self.schedules.pause(guild_id, schedule_id, now=self._clock().timestamp())
        if paused is not None:
            self.remove(schedule_id)
        return paused

    async def resume(self, guild_id: int, schedule_id: int):
        """Let a paused schedule post again, from its next slot on: the slots it missed while paused are
        skipped, so resuming posts no burst and its next digest is no bigger than usual."""
        schedule = await self.schedules.get(guild_id, schedule_id)
        if schedule is None or not schedule.paused:  # a running schedule owes its missed slots: keep them
            return schedule
        skipped = missed_slot(build_trigger(schedule.cron, schedule.timezone), schedule, self._clock())
        resumed = await self.schedules.resume(guild_id, schedule_id, skip_to=skipped.timestamp() if skipped else None)
        if resumed is not None:
            self.add(resumed)
        return resumed

    def remove(self, schedule_id: int) -> None:
        self._triggers.pop(schedule_id, None)
        if self.scheduler.get_job(self._job_id(schedule_id)) is not None:
            self.scheduler.remove_job(self._job_id(schedule_id))

    def next_run(self, schedule_id: int) -> datetime | None:
        job = self.scheduler.get_job(self._job_id(schedule_id))
        return job.next_run_time if job else None

    async def close(self, timeout: float = 30.0) -> None:
        """Stop firing; give digests being posted ``timeout`` seconds to finish."""
        for schedule_id in list(self._triggers):
            self.remove(schedule_id)
        if self._running:
            _done, late = await asyncio.wait(self._running, timeout=timeout)
            for task in late:
                task.cancel()

    @staticmethod
    def _job_id(schedule_id: int) -> str:
        return f"digest-{schedule_id}"

    async def _fire(self, schedule_id: int) -> None:
        # APScheduler does not say which slot fired: it is the newest one past the last posted window.
        trigger = self._triggers.get(schedule_id)
        schedule = await self.schedules.get_by_id(schedule_id)
        if trigger is None or schedule is None or schedule.paused:
            return
        after = to_datetime(schedule.last_run_at or schedule.created_at)
        if schedule_id in self._last_slot:
            after = max(after, self._last_slot[schedule_id])
        slot = latest_slot(trigger, after, self._clock())
        if slot is not None:
            self._start(schedule_id, slot)

    def _start(self, schedule_id: int, slot: datetime) -> None:
        self._last_slot[schedule_id] = max(slot, self._last_slot.get(schedule_id, slot))
        task = asyncio.create_task(self.run_slot(schedule_id, slot), name=f"clio-digest-{schedule_id}")
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def run_slot(self, schedule_id: int, slot: datetime) -> None:
        # One slot at a time per schedule, so the next window starts where this one is recorded to end.
        async with self._locks[schedule_id]:
            schedule = await self.schedules.get_by_id(schedule_id)  # re-read: it may be gone, paused or have run
            if schedule is None or schedule.paused or (schedule.last_run_at or 0) >= slot.timestamp():
                return
            await self._run(job_for_slot(schedule, slot))
