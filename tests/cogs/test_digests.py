"""Digests end to end: /summary, schedules that fire, exactly-once posting through errors, threads."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.adapter.scheduling import UTC
from bot.engine.digest import thread_name
from bot.store import Store
from bot.tooling.fakediscord import VIEW_CHANNEL, overwrite
from tests.cogs.conftest import eventually

pytestmark = pytest.mark.slow

EPHEMERAL = 1 << 6
ON_TOPIC = [
    "stalin was literally talking to london and berlin at the same time and just took the best offer",
    "the allies kept the USSR at arms length for years, what did they expect stalin to do",
    "the soviets literally trained the luftwaffe at lipetsk, cant make this up",
]


def _posts(clio, channel: str):
    """Messages the bot created in a channel, and in threads started from it."""
    channel_id = clio.channels[channel]
    state = clio.fake.state.channels

    def in_channel(sent) -> bool:
        where = state.get(sent.channel_id, {})
        return sent.route == "channel.create" and channel_id in (sent.channel_id, where.get("parent_id"))

    return [s for s in clio.fake.sent if in_channel(s)]


async def _talk(clio) -> None:
    for n, text in enumerate(ON_TOPIC):
        await clio.say(("alice", "bob")[n % 2], text)
    await clio.wait_stored(len(ON_TOPIC))
    await clio.idle()


async def test_summary_posts_embeds_and_puts_the_rest_in_a_thread(clio):
    await clio.seed_sample()
    record = await clio.slash("summary", {"since": "3w", "post": True}, user="mod")
    assert (await record.response())["type"] == 5  # deferred first: building takes a moment
    original = await record.wait_original(timeout=30)
    assert not original["flags"] & EPHEMERAL
    assert original["embeds"][0]["title"].startswith("Digest")
    assert [a["filename"] for a in original["attachments"]] == ["trend.png"]
    await clio.commands_done()
    thread = clio.fake.state.channels[original["id"]]  # a thread started from a message has its id
    assert thread["parent_id"] == clio.channels["general"]
    in_thread = [s for s in clio.fake.sent if s.channel_id == thread["id"]]
    assert in_thread and all(s.route == "channel.create" for s in in_thread)


async def test_ephemeral_summary_is_private(clio):
    await _talk(clio)
    record = await clio.slash("summary", user="bob")  # only the asker sees it, unless a moderator posts it
    original = await record.wait_original(timeout=30)
    assert original["flags"] & EPHEMERAL
    assert "3 messages" in original["embeds"][0]["description"]


async def test_only_moderators_post_a_summary(clio):
    record = await clio.slash("summary", {"post": True}, user="alice")
    assert "Manage Messages" in await clio.reply_text(record)


async def test_a_private_channel_is_quoted_only_where_all_its_readers_can_read_it(clio_world):
    clio = clio_world
    guild = clio.fake.state.guild(clio.guild_id)
    hidden = [
        overwrite(guild.id, deny=VIEW_CHANNEL),  # @everyone's role has the guild's id
        overwrite(guild.moderator_role_id, allow=VIEW_CHANNEL),
        overwrite(guild.bot_role_id, allow=VIEW_CHANNEL),
    ]
    clio.channels["staff"] = clio.fake.add_channel(clio.guild_id, "staff", hidden)["id"]
    watched = [int(clio.channels["general"]), int(clio.channels["staff"])]
    await clio.configure(watched_channels=watched, digest_channel=int(clio.channels["digests"]))
    await clio.start()
    await clio.say("alice", ON_TOPIC[0])
    await clio.say("bob", ON_TOPIC[1])
    await clio.say("mod", ON_TOPIC[2], channel="staff")
    await clio.wait_stored(3)
    await clio.idle()

    def said(posts) -> str:
        return str([p.payload for p in posts])

    public = await clio.slash("digest run-now", {"target": clio.channels["digests"]})
    assert "Digest posted" in await clio.reply_text(public)
    assert "2 messages" in said(_posts(clio, "digests")) and "cant make this up" not in said(_posts(clio, "digests"))
    staff = await clio.slash("digest run-now", {"target": clio.channels["staff"]})
    assert "Digest posted" in await clio.reply_text(staff)
    assert "3 messages" in said(_posts(clio, "staff"))

    async def description(record) -> str:
        return (await record.wait_original(timeout=30))["embeds"][0]["description"]

    # One command each: /summary has a per-member cooldown.
    assert "2 messages" in await description(await clio.slash("summary", user="alice"))
    assert "3 messages" in await description(await clio.slash("digest preview", user="mod"))
    posted = await clio.slash("summary", {"post": True}, user="mod")  # in #general, which alice reads
    assert "2 messages" in await description(posted)
    asked = await clio.slash("summary", {"channel": clio.channels["staff"]}, user="bob")
    assert "you can't read it" in await clio.reply_text(asked)


async def test_summary_refuses_a_bad_duration_without_using_up_the_cooldown(clio):
    record = await clio.slash("summary", {"since": "yesterday-ish"}, user="alice")
    assert "not a duration" in await clio.reply_text(record)
    await _talk(clio)
    fixed = await clio.slash("summary", {"since": "2 weeks"}, user="alice")  # at once: the typo cost nothing
    assert (await fixed.wait_original(timeout=30))["embeds"], "answered with a digest"
    again = await clio.slash("summary", user="alice")
    assert "Slow down: try again in" in await clio.reply_text(again)


def _soon(seconds: float, tz: str = "UTC") -> tuple[datetime, str]:
    """A moment a few seconds ahead, and a daily cron (seconds last) that fires at it."""
    fire = (datetime.now(ZoneInfo(tz)) + timedelta(seconds=seconds)).replace(microsecond=0)
    return fire, f"{fire.minute} {fire.hour} * * * {fire.second}"


async def _posted(clio, count: int = 1):
    """The guild's digests, once ``count`` of them are fully posted."""

    async def done():
        digests = await clio.store.digests.recent(int(clio.guild_id))
        return digests if len([d for d in digests if d.posted]) >= count else None

    return await eventually(done, timeout=20, what=f"{count} digest(s) posted")


async def test_schedule_fires_and_posts_exactly_once(clio):
    await _talk(clio)
    fire, cron = _soon(3, "Europe/Paris")
    record = await clio.slash(
        "digest schedule", {"target": clio.channels["digests"], "when": cron, "timezone": "Europe/Paris"}
    )
    assert "scheduled" in await clio.reply_text(record) and "compact" in record.original["content"]
    [digest] = await _posted(clio)

    # Compact, the default: one embed of the top arguments in the channel, the full digest in a thread
    # named after what the digest covers.
    first, *rest = _posts(clio, "digests")
    assert first.channel_id == clio.channels["digests"] and len(first.payload["embeds"]) == 1
    compact = first.payload["embeds"][0]
    assert compact["title"].startswith("Digest") and compact["fields"]
    assert compact["fields"][0]["value"].startswith("Argued **")
    assert "<t:" in compact["description"] and "UTC" not in compact["description"]
    thread = clio.fake.state.channels[first.message["id"]]
    assert thread["name"] == thread_name(None, digest.window_start, digest.window_end, "Europe/Paris")
    assert thread["name"].startswith("Digest: whole server, ")
    assert rest and {s.channel_id for s in rest} == {thread["id"]}
    assert rest[0].payload["embeds"][0]["title"] == compact["title"]  # the full digest's header

    # The same slot firing again (a duplicate trigger, a restart mid-way) posts nothing more.
    schedule = (await clio.store.schedules.list(int(clio.guild_id)))[0]
    await clio.bot.get_cog("Digests").scheduler.run_slot(schedule.id, fire)
    await asyncio.sleep(0.5)
    assert len(_posts(clio, "digests")) == len(digest.message_ids)
    [digest] = await clio.store.digests.recent(int(clio.guild_id))
    assert digest.posted and digest.window_end == fire.timestamp()
    assert (await clio.store.schedules.get(int(clio.guild_id), schedule.id)).last_run_at == fire.timestamp()


async def test_pause_stops_posting_and_resume_restarts_without_a_burst(clio):
    await _talk(clio)
    fire, cron = _soon(4)
    await clio.reply_text(await clio.slash("digest schedule", {"target": clio.channels["digests"], "when": cron}))
    assert "paused" in await clio.reply_text(await clio.slash("digest pause", {"schedule": 1}))
    listing = await clio.reply_text(await clio.slash("digest list"))
    assert "**#1**" in listing and "paused" in listing and "next" not in listing
    typed = await clio.fake.autocomplete(
        clio.guild_id, clio.channels["general"], clio.users["mod"], "digest resume", {"schedule": ""}, "schedule"
    )
    assert [c["name"] for c in (await typed.response())["data"]["choices"]] == [f"#1 → #digests, {cron} UTC (paused)"]
    await asyncio.sleep(max(0.0, fire.timestamp() - time.time()) + 1.5)
    assert _posts(clio, "digests") == [] and await clio.store.digests.recent(int(clio.guild_id)) == []

    resumed = await clio.reply_text(await clio.slash("digest resume", {"schedule": 1}))
    assert "resumed" in resumed and "skipped" in resumed
    await asyncio.sleep(1)
    assert _posts(clio, "digests") == []  # the slot missed while paused is not posted late
    assert "is not paused" in await clio.reply_text(await clio.slash("digest resume", {"schedule": 1}))

    # Running again: its next slot posts (moved a few seconds ahead, rather than waiting a day).
    _fire, cron = _soon(3)
    assert "updated" in await clio.reply_text(await clio.slash("digest edit", {"schedule": 1, "when": cron}))
    [digest] = await _posted(clio)
    assert digest.window_start == fire.timestamp()  # it starts where the skipped slot ended
    assert len(_posts(clio, "digests")) == len(digest.message_ids)


async def test_edit_changes_a_schedule(clio):
    await _talk(clio)
    await clio.reply_text(await clio.slash("digest schedule", {"target": clio.channels["digests"], "when": "09:30"}))
    changes = {
        "schedule": 1,
        "target": clio.channels["random"],
        "timezone": "Europe/Paris",
        "channel": clio.channels["general"],
        "style": "full",
    }
    answer = await clio.reply_text(await clio.slash("digest edit", changes))
    assert f"<#{clio.channels['random']}> (only <#{clio.channels['general']}>): `09:30` Europe/Paris, full" in answer
    schedule = await clio.store.schedules.get(int(clio.guild_id), 1)
    assert (schedule.target_channel_id, schedule.scope_channel_id, schedule.timezone, schedule.style) == (
        int(clio.channels["random"]),
        int(clio.channels["general"]),
        "Europe/Paris",
        "full",
    )
    assert await clio.store.schedules.list(int(clio.guild_id)) == [schedule]
    refusals = {
        "Bad cron expression": {"schedule": 1, "when": "61 * * * *"},
        "at most every": {"schedule": 1, "when": "* * * * *"},
        "Unknown timezone": {"schedule": 1, "timezone": "Mars/Olympus_Mons"},
        "Nothing to change": {"schedule": 1, "style": "full"},
        "Pick one": {"schedule": 1, "channel": clio.channels["general"], "all_channels": True},
        "no digest schedule #9": {"schedule": 9, "style": "compact"},
    }
    for expected, options in refusals.items():
        assert expected in await clio.reply_text(await clio.slash("digest edit", options)), expected
    assert await clio.store.schedules.get(int(clio.guild_id), 1) == schedule
    refused = await clio.slash("digest edit", {"schedule": 1, "style": "compact"}, user="alice")
    assert "Manage Messages" in await clio.reply_text(refused)

    # Its job moved with it: the new time, in the new timezone, and back to the whole server, compact.
    _fire, cron = _soon(3, "Europe/Paris")
    edited = await clio.slash("digest edit", {"schedule": 1, "when": cron, "all_channels": True, "style": "compact"})
    assert "compact" in await clio.reply_text(edited)
    [digest] = await _posted(clio)
    first, *rest = _posts(clio, "random")
    assert first.channel_id == clio.channels["random"] and first.payload["embeds"][0]["fields"]
    assert clio.fake.state.channels[first.message["id"]]["name"].startswith("Digest: whole server, ")
    assert len(rest) + 1 == len(digest.message_ids) and _posts(clio, "digests") == []


async def test_a_compact_summary_threads_the_full_digest_and_a_private_one_follows_in_sequence(clio):
    await clio.seed_sample()
    record = await clio.slash("summary", {"since": "3w", "post": True, "style": "compact"}, user="mod")
    original = await record.wait_original(timeout=30)
    await clio.commands_done()
    [compact] = original["embeds"]
    assert len(compact["fields"]) == 5 and [a["filename"] for a in original["attachments"]] == ["trend.png"]
    thread = clio.fake.state.channels[original["id"]]
    assert thread["name"].startswith("Digest: whole server, ")
    in_thread = [s for s in clio.fake.sent if s.channel_id == thread["id"]]
    assert in_thread[0].payload["embeds"][0]["title"] == compact["title"]  # the full digest, from its header

    preview = await clio.slash("digest preview", {"since": "3w", "style": "compact"})
    first = await preview.wait_original(timeout=30)
    await clio.commands_done()
    assert first["flags"] & EPHEMERAL and len(first["embeds"]) == 1 and first["embeds"][0]["fields"]
    assert len(preview.followups) >= 2 and all(m["flags"] & EPHEMERAL for m in preview.followups)
    assert len([c for c in clio.fake.state.channels.values() if c.get("type") == 11]) == 1  # no thread for it


async def test_bad_schedules_are_refused_clearly(clio):
    cases = {
        ("61 * * * *", "UTC"): "Bad cron expression",
        ("25:00", "UTC"): "not a time of day",
        ("09:00", "Mars/Olympus_Mons"): "Unknown timezone",
        ("* * * * *", "UTC"): "at most every",
    }
    for (when, tz), expected in cases.items():
        record = await clio.slash("digest schedule", {"target": clio.channels["digests"], "when": when, "timezone": tz})
        assert expected in await clio.reply_text(record), when
    assert await clio.store.schedules.list(int(clio.guild_id)) == []


async def test_list_and_remove(clio):
    await clio.slash("digest schedule", {"target": clio.channels["digests"], "when": "09:30"})
    await clio.fake.wait_for_sent(lambda s: "scheduled" in s.content)
    listing = await clio.reply_text(await clio.slash("digest list"))
    assert "`09:30` UTC" in listing and "**#1**" in listing
    typed = await clio.fake.autocomplete(
        clio.guild_id, clio.channels["general"], clio.users["mod"], "digest remove", {"schedule": "1"}, "schedule"
    )
    choices = (await typed.response())["data"]["choices"]
    assert choices == [{"name": "#1 → #digests, 09:30 UTC", "value": 1}]
    assert "removed" in await clio.reply_text(await clio.slash("digest remove", {"schedule": 1}))
    assert "no digest schedule #1" in await clio.reply_text(await clio.slash("digest remove", {"schedule": 1}))
    assert not [job for job in clio.bot.scheduler.get_jobs() if job.id.startswith("digest-")]


async def test_digest_commands_are_for_moderators(clio):
    record = await clio.slash("digest run-now", {"target": clio.channels["digests"]}, user="alice")
    assert "Manage Messages" in await clio.reply_text(record)
    assert _posts(clio, "digests") == []


async def test_rate_limited_post_is_retried_and_posted_once(clio):
    await _talk(clio)
    path = rf"^/channels/{clio.channels['digests']}/messages$"
    clio.fake.fail_next("POST", path, status=429, retry_after=0.3)
    record = await clio.slash("digest run-now", {"target": clio.channels["digests"]})
    assert "Digest posted" in await clio.reply_text(record)
    assert len(_posts(clio, "digests")) == 1
    attempts = [r.status for r in clio.fake.requests if r.method == "POST" and r.path == path[1:-1]]
    assert attempts == [429, 200]


async def test_server_error_is_retried_without_double_posting(clio):
    await clio.seed_sample()
    clio.bot.get_cog("Digests").retry_backoff = 0.05
    digests = clio.channels["digests"]
    # The first message into the thread fails (503: discord.py does not retry it itself); the retry
    # resumes there, without posting the first message again.
    clio.fake.fail_next("POST", rf"^/channels/(?!{digests})\d+/messages$", status=503)
    record = await clio.slash("digest run-now", {"target": digests, "since": "3w"})
    assert "Digest posted" in await clio.reply_text(record, timeout=30)
    [digest] = await clio.store.digests.recent(int(clio.guild_id))
    pages = len(digest.message_ids)
    assert digest.posted and pages >= 2 and len(_posts(clio, "digests")) == pages
    statuses = [r.status for r in clio.fake.requests if r.path.endswith("/messages") and r.method == "POST"]
    assert statuses == [200, 503] + [200] * (pages - 1)


async def test_long_digest_goes_to_a_thread_with_the_chart_on_top(clio):
    await clio.seed_sample()
    record = await clio.slash("digest run-now", {"target": clio.channels["digests"], "since": "3w"})
    assert "Digest posted" in await clio.reply_text(record, timeout=30)
    first, *rest = _posts(clio, "digests")
    assert rest, "the sample's three weeks fill more than one message"
    assert first.channel_id == clio.channels["digests"]
    assert [f.filename for f in first.files] == ["trend.png"] and first.files[0].data.startswith(b"\x89PNG")
    assert {s.channel_id for s in rest} == {first.message["id"]}  # the thread started from the first post


async def test_missed_slots_get_one_catch_up_digest_after_a_restart(clio):
    await clio.stop()
    async with await Store.open(clio.database) as store:
        schedule = await store.schedules.add(int(clio.guild_id), int(clio.channels["digests"]), "0 0 1 1 *")
        two_years = time.time() - 2 * 365 * 86400
        await store.db.execute("UPDATE schedules SET created_at = ? WHERE id = ?", (two_years, schedule.id))
    await clio.start()
    await clio.fake.wait_for_sent(lambda s: s.channel_id == clio.channels["digests"], timeout=15)
    new_year = datetime(datetime.now(UTC).year, 1, 1, tzinfo=UTC).timestamp()
    [digest] = await clio.store.digests.recent(int(clio.guild_id))
    assert digest.window_end == new_year  # one digest, for the newest missed slot only
    await clio.restart()
    await asyncio.sleep(0.5)
    [digest] = await clio.store.digests.recent(int(clio.guild_id))
    assert len(_posts(clio, "digests")) == len(digest.message_ids)


async def test_preview_is_private_and_never_threads(clio):
    await clio.seed_sample()
    record = await clio.slash("digest preview", {"since": "3w"})
    original = await record.wait_original(timeout=30)
    await clio.commands_done()
    assert original["flags"] & EPHEMERAL
    assert len(record.followups) >= 2 and all(m["flags"] & EPHEMERAL for m in record.followups)
    assert not [s for s in clio.fake.sent if s.route == "channel.create"]


async def test_a_digest_cut_short_is_finished_after_a_restart(clio, clio_errors):
    await clio.seed_sample()
    guild, digests = int(clio.guild_id), clio.channels["digests"]
    digest_cog = clio.bot.get_cog("Digests")
    digest_cog.retry_backoff = 0.01
    schedule = await clio.store.schedules.add(guild, int(digests), "0 0 1 1 *")
    await clio.store.schedules.mark_run(schedule.id, time.time() - 21 * 86400)  # three weeks to cover
    # Discord fails every try at the thread: the digest gives up after its first message.
    clio.fake.fail_next("POST", rf"^/channels/(?!{digests})\d+/messages$", status=503, count=3)
    await digest_cog.scheduler.run_slot(schedule.id, datetime.now(UTC).replace(microsecond=0))
    [cut] = await clio.store.digests.recent(guild)
    assert cut.status == "failed" and len(cut.message_ids) == 1
    assert [r.name for r in clio_errors] == ["cogs.digest_posting"]  # giving up is worth an error in the log
    clio_errors.clear()

    await clio.restart()  # start-up finishes what was owed, after the message already posted

    async def finished():
        record = await clio.store.digests.get(guild, cut.slot_key)
        return record if record.posted else None

    done = await eventually(finished, what="digest finished")
    assert done.message_ids[0] == cut.message_ids[0]
    assert len(_posts(clio, "digests")) == len(done.message_ids) >= 2


async def test_clock_jumps_post_every_slot_once_without_overlap(clio):
    """The bot's clock jumps back two hours, then forward three: each slot is posted once and the
    windows follow each other exactly. (Only the clock is simulated: posting is real.)"""
    await _talk(clio)
    top = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    schedule = await clio.store.schedules.add(int(clio.guild_id), int(clio.channels["digests"]), "0 * * * *")
    await clio.store.schedules.mark_run(schedule.id, (top - timedelta(hours=1)).timestamp())
    scheduler = clio.bot.get_cog("Digests").scheduler
    scheduler.add(schedule)
    now = [top]
    scheduler._clock = lambda: now[0]

    async def at(moment: datetime) -> None:
        now[0] = moment
        await scheduler._fire(schedule.id)
        await asyncio.gather(*scheduler._running)

    await at(top + timedelta(minutes=5))
    for back in (timedelta(hours=-2, minutes=1), timedelta(hours=-1), timedelta(0)):  # the clock repeats them
        await at(top + back)
    await at(top + timedelta(hours=3, minutes=10))  # forward: the 01:00 and 02:00 slots were skipped
    await at(top + timedelta(hours=4))
    digests = sorted(await clio.store.digests.recent(int(clio.guild_id)), key=lambda d: d.window_start)
    windows = [(d.window_start, d.window_end) for d in digests]
    hours = [(round((s - top.timestamp()) / 3600), round((e - top.timestamp()) / 3600)) for s, e in windows]
    print(f"clock jumps: {len(digests)} digests, windows in hours from the first slot {hours}")
    assert hours == [(-1, 0), (0, 3), (3, 4)]
    assert all(d.posted for d in digests) and len({d.slot_key for d in digests}) == len(digests)
    firsts = [s for s in _posts(clio, "digests") if str(s.payload.get("nonce", "")).endswith("-0")]
    assert len(firsts) == len(digests)


async def test_a_failed_digest_is_retried_by_the_outbox_and_moderators_are_told(clio, clio_errors):
    await clio.seed_sample()
    guild, digests = int(clio.guild_id), clio.channels["digests"]
    modlog = clio.fake.add_channel(clio.guild_id, "modlog")["id"]
    await clio.store.settings.set(guild, modlog_channel=int(modlog))
    digest_cog = clio.bot.get_cog("Digests")
    digest_cog.retry_backoff = 0.01
    schedule = await clio.store.schedules.add(guild, int(digests), "0 0 1 1 *")
    await clio.store.schedules.mark_run(schedule.id, time.time() - 21 * 86400)
    clio.fake.fail_next("POST", rf"^/channels/{digests}/messages$", status=503, count=3)
    await digest_cog.scheduler.run_slot(schedule.id, datetime.now(UTC).replace(microsecond=0))
    [failed] = await clio.store.digests.recent(guild)
    assert failed.status == "failed" and failed.message_ids == ()
    clio_errors.clear()  # giving up is logged as an error; here it is the point
    [told] = [s for s in clio.fake.sent if s.channel_id == modlog]
    assert "could not be posted" in told.payload["content"] and f"<#{digests}>" in told.payload["content"]

    await digest_cog._resume_unfinished()  # what the retry job does every five minutes
    done = await clio.store.digests.get(guild, failed.slot_key)
    assert done is not None and done.posted
    assert len(_posts(clio, "digests")) == len(done.message_ids)
    assert len([s for s in clio.fake.sent if s.channel_id == modlog]) == 1  # told once


async def test_digest_options_fit_discords_limits(clio):
    """Discord takes 100 characters of a description; discord.py cuts a longer one with '…'."""
    synced = clio.fake.state.commands[None]

    def too_long(options):
        for option in options or []:
            description = option.get("description", "")
            if len(description) > 100 or description.endswith("…"):
                yield option["name"]
            yield from too_long(option.get("options"))

    assert [name for key in (("digest", 1), ("summary", 1)) for name in too_long(synced[key].get("options"))] == []
    style = next(o for o in synced[("summary", 1)]["options"] if o["name"] == "style")
    assert [c["value"] for c in style["choices"]] == ["compact", "full"]
