"""Digest schedules on both backends: their style, editing, pausing and resuming (migration 0012)."""

from __future__ import annotations

from dataclasses import replace

from bot.store.database import Database, bundled_migrations
from tests.bot.conftest import GUILD, OTHER_GUILD
from tests.conftest import required


async def test_a_new_schedule_is_compact_and_running_unless_told_otherwise(store):
    schedule = await store.schedules.add(GUILD, 55, "09:00")
    assert (schedule.style, schedule.paused) == ("compact", False)
    assert await store.schedules.get(GUILD, schedule.id) == schedule
    full = await store.schedules.add(GUILD, 55, "10:00", style="full")
    assert required(await store.schedules.get(GUILD, full.id)).style == "full"


async def test_existing_schedules_become_compact_and_existing_digests_stay_full(database_url):
    before = [m for m in bundled_migrations() if m.name < "0012"]
    async with await Database.open(database_url, migrations=before) as db:
        await db.execute("INSERT INTO guilds(id) VALUES (1)")
        await db.execute(
            "INSERT INTO schedules(id, guild_id, target_channel_id, cron, created_at) VALUES (4, 1, 55, '09:00', 0)"
        )
        await db.execute(
            "INSERT INTO digests(guild_id, schedule_id, slot_key, window_start, window_end, created_at)"
            " VALUES (1, 4, 'schedule:4:x', 0, 1, 0)"
        )
        await db.migrate(bundled_migrations())
        assert tuple(required(await db.fetchone("SELECT style, paused_at FROM schedules"))) == ("compact", None)
        # A digest claimed before the migration was being posted full: a retry must post the same pages.
        assert required(await db.fetchone("SELECT style FROM digests"))[0] == "full"


async def test_update_saves_what_a_moderator_may_change_in_their_guild_only(store):
    schedule = await store.schedules.add(GUILD, 55, "09:00", scope_channel_id=7)
    edited = replace(schedule, target_channel_id=56, cron="0 9 * * 1", timezone="Europe/Paris", style="full")
    assert await store.schedules.update(replace(edited, scope_channel_id=None))
    assert await store.schedules.get(GUILD, schedule.id) == replace(edited, scope_channel_id=None)
    assert not await store.schedules.update(replace(edited, guild_id=OTHER_GUILD))


async def test_pause_keeps_the_settings_and_resume_skips_to_a_slot(store):
    schedule = await store.schedules.add(GUILD, 55, "09:00", scope_channel_id=7, style="full")
    await store.schedules.mark_run(schedule.id, 1000.0)
    paused = required(await store.schedules.pause(GUILD, schedule.id, now=2000.0))
    assert paused == replace(schedule, paused_at=2000.0, last_run_at=1000.0) and paused.paused
    assert required(await store.schedules.pause(GUILD, schedule.id, now=3000.0)).paused_at == 2000.0
    assert [s.paused for s in await store.schedules.list(GUILD)] == [True]

    resumed = required(await store.schedules.resume(GUILD, schedule.id, skip_to=5000.0))
    assert (resumed.paused, resumed.last_run_at) == (False, 5000.0)
    await store.schedules.pause(GUILD, schedule.id)
    later = required(await store.schedules.resume(GUILD, schedule.id, skip_to=4000.0))
    assert later.last_run_at == 5000.0  # the next window never starts before the last one ended
    await store.schedules.pause(GUILD, schedule.id)
    assert required(await store.schedules.resume(GUILD, schedule.id)).last_run_at == 5000.0


async def test_pause_and_resume_touch_only_their_guild(store):
    schedule = await store.schedules.add(GUILD, 55, "09:00")
    assert await store.schedules.pause(OTHER_GUILD, schedule.id) is None
    await store.schedules.pause(GUILD, schedule.id)
    assert await store.schedules.resume(OTHER_GUILD, schedule.id, skip_to=9.0) is None
    assert required(await store.schedules.get(GUILD, schedule.id)).paused
    assert required(await store.schedules.get(GUILD, schedule.id)).last_run_at is None


async def test_a_digest_keeps_the_style_it_was_claimed_with(store):
    claimed = await store.digests.claim(GUILD, "schedule:1:a", 55, 0.0, 1.0, style="compact")
    assert claimed.style == "compact"
    again = await store.digests.claim(GUILD, "schedule:1:a", 55, 0.0, 1.0, style="full")
    assert again.style == "compact"  # the row as it stands: the pages already posted were compact ones
    assert (await store.digests.claim(GUILD, "run-now:2", 55, 0.0, 1.0)).style == "full"
