"""Live ingest: what reaches the store, what does not, and nothing lost across restarts and reconnects."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.cogs.conftest import eventually

pytestmark = pytest.mark.slow

ON_TOPIC = "stalin was literally talking to london and berlin at the same time and just took the best offer"


async def _content(clio, message_id: int) -> str | None:
    stored = await clio.store.messages.get(int(clio.guild_id), [message_id])
    return stored[message_id].content if message_id in stored else None


async def test_new_message_is_stored_and_tagged(clio):
    received = []

    async def on_clio_ingested(messages, result):
        received.append((messages, result))

    clio.bot.add_listener(on_clio_ingested)
    sent = await clio.say("alice", ON_TOPIC)
    ids = await clio.wait_stored(1)
    await clio.idle()
    assert ids == [int(sent["id"])]
    stored = (await clio.store.messages.get(int(clio.guild_id), ids))[ids[0]]
    assert stored.content == ON_TOPIC and stored.author_name == "Alice"
    tags = await clio.store.tags.for_messages(int(clio.guild_id), ids)
    slugs = {(await clio.store.arguments.get(int(clio.guild_id), t.argument_id)).slug for t in tags[ids[0]]}
    assert "stalin-played-both-sides" in slugs
    # Other cogs hear about every batch, with its tags.
    await eventually(lambda: received, what="clio_ingested event")
    messages, result = received[0]
    assert [m.id for m in messages] == ids and ids[0] in result.tags


async def test_edit_delete_and_bulk_delete(clio):
    first, second, third = [await clio.say("alice", f"message {n}") for n in range(3)]
    await clio.wait_stored(3)
    await clio.fake.edit_user_message(clio.channels["general"], first["id"], "message 0, corrected")
    assert await eventually(lambda: _content_is(clio, int(first["id"]), "message 0, corrected"), what="edit")

    await clio.fake.delete_user_message(clio.channels["general"], second["id"])
    await clio.fake.bulk_delete(clio.channels["general"], [first["id"]])
    await eventually(lambda: _ids_are(clio, [int(third["id"])]), what="deletes")


async def _content_is(clio, message_id: int, text: str) -> bool:
    return await _content(clio, message_id) == text


async def _ids_are(clio, expected: list[int]) -> bool:
    return await clio.stored_ids() == expected


async def test_deleted_channel_takes_its_messages_and_settings(clio):
    await clio.say("alice", "soon gone")
    await clio.wait_stored(1)
    await clio.fake.delete_channel(clio.channels["general"])
    await eventually(lambda: _ids_are(clio, []), what="channel delete")
    config = await clio.store.settings.get(int(clio.guild_id))
    assert config.watched_channels == []


async def test_unwatched_channels_bots_and_dms_are_ignored(clio):
    await clio.say("alice", "in random, which nobody watches", channel="random")
    await clio.say("otherbot", "beep, I am another bot")
    dm = clio.fake.open_dm(clio.users["bob"])
    await clio.fake.post_user_message(dm["id"], clio.users["bob"], "psst, a direct message")
    marker = await clio.say("bob", "the last message")
    await clio.wait_stored(1)
    await clio.idle()
    assert await clio.stored_ids() == [int(marker["id"])]


async def test_backfill_after_downtime_stores_every_message_once(clio):
    before = await clio.say("alice", "said while the bot was up")
    await clio.wait_stored(1)
    await clio.stop()
    missed = [
        clio.fake.seed_history(clio.channels["general"], clio.users["bob"], f"said while down {n}", None)
        for n in range(150)  # more than one page of history
    ]
    await clio.start()
    expected = sorted([int(before["id"])] + [int(m["id"]) for m in missed])
    assert await clio.stored_ids() == expected
    # A second restart fetches only what is newer: nothing new, nothing doubled.
    await clio.restart()
    assert await clio.stored_ids() == expected


async def test_live_message_right_after_start_does_not_hide_the_gap(clio):
    first = await clio.say("alice", "stored before the restart")
    await clio.wait_stored(1)
    await clio.stop()
    gap = clio.fake.seed_history(clio.channels["general"], clio.users["bob"], "missed", None)
    # The first live message lands as the bot connects, while on_ready is still pending.
    starting = asyncio.create_task(clio.start(guild_ready_timeout=1.0))
    await clio.fake.wait_for_event("READY")
    live = await clio.say("alice", "live, just after connecting")
    await starting
    expected = sorted(int(m["id"]) for m in (first, gap, live))
    await eventually(lambda: _ids_are(clio, expected), what="gap and live")


async def test_gateway_disconnect_and_resume_lose_nothing(clio):
    await clio.say("alice", "before the drop")
    await clio.wait_stored(1)
    resumes = len(clio.fake.gateway_log)
    await clio.fake.disconnect_gateway(4000)
    during = [await clio.say("bob", f"while disconnected {n}") for n in range(5)]
    await clio.fake.wait_for_op(6, timeout=15, since=resumes)  # the client sent RESUME
    after = await clio.say("alice", "after the resume")
    ids = await clio.wait_stored(7)
    assert set(ids) >= {int(m["id"]) for m in during} | {int(after["id"])}
    assert len(ids) == 7


async def test_sharded_bot_ingests_too(clio_world):
    clio_world.runner.settings = clio_world.runner.settings.model_copy(update={"sharded": True})
    bot = await clio_world.start()
    assert bot.shard_count == 1  # asked GET /gateway/bot, as AutoShardedClient does
    sent = await clio_world.say("alice", "hello from shard zero")
    assert await clio_world.wait_stored(1) == [int(sent["id"])]


async def test_a_3000_message_gap_in_an_empty_channel_is_read_whole(clio):
    # Watched, then the bot went down before storing anything: the whole history is the gap.
    await clio.stop()
    general, bob = clio.channels["general"], clio.users["bob"]
    missed = [clio.fake.seed_history(general, bob, f"said while down {n}", None) for n in range(3000)]
    await clio.start()
    await clio.idle()
    stored = await clio.stored_ids()
    expected = sorted(int(m["id"]) for m in missed)
    untagged = await clio.store.embeddings.missing(int(clio.guild_id), clio.bot.engine.embedder.model_id)
    print(f"gap of {len(expected)}: {len(set(stored) & set(expected))} stored, {len(untagged)} not embedded")
    assert stored == expected and untagged == []
    assert await clio.store.pending.count() == 0
    cursor = await clio.store.backfill.get(int(clio.guild_id), int(general))
    assert cursor.complete


async def test_edits_and_deletions_made_while_down_are_applied_after_a_restart(clio):
    sent = [await clio.say("alice", f"message {n}") for n in range(4)]
    await clio.wait_stored(4)
    await clio.stop()
    general = clio.channels["general"]
    await clio.fake.edit_user_message(general, sent[0]["id"], "message 0, corrected while the bot was down")
    await clio.fake.delete_user_message(general, sent[1]["id"])
    await clio.start()
    await clio.idle()
    assert await clio.stored_ids() == [int(sent[n]["id"]) for n in (0, 2, 3)]
    assert await _content(clio, int(sent[0]["id"])) == "message 0, corrected while the bot was down"


async def test_malformed_gateway_events_are_skipped(clio, caplog):
    guild, general = clio.guild_id, clio.channels["general"]
    alice = {"id": clio.users["alice"], "username": "alice", "discriminator": "0", "avatar": None}
    base = {"channel_id": general, "guild_id": guild, "content": "x", "timestamp": "2026-11-30T10:00:00+00:00"}
    clio.fake.gateway.dispatch("MESSAGE_CREATE", {**base, "id": clio.fake.new_snowflake()})  # no author
    clio.fake.gateway.dispatch("MESSAGE_CREATE", {**base, "id": "not-a-number", "author": alice})
    await clio.fake.gateway.flush()
    sent = await clio.say("alice", "still listening")
    assert await clio.wait_stored(1) == [int(sent["id"])]
    assert sum("skipped a malformed MESSAGE_CREATE event" in r.getMessage() for r in caplog.records) == 2


async def test_a_5000_message_channel_with_an_archived_thread_is_backfilled_once(clio):
    await clio.stop()
    general, bob = clio.channels["general"], clio.users["bob"]
    history = [clio.fake.seed_history(general, bob, f"said while down {n}", None) for n in range(5000)]
    thread = clio.fake.add_thread(general, "a side debate")
    in_thread = [clio.fake.seed_history(thread["id"], bob, f"in the thread {n}", None) for n in range(120)]
    clio.fake.archive_thread(thread["id"])
    await clio.start()
    await clio.idle()
    expected = sorted(int(m["id"]) for m in history + in_thread)
    stored = await clio.stored_ids()
    print(f"backfill: {len(expected)} in history ({len(in_thread)} in an archived thread), {len(stored)} stored")
    assert stored == expected
    await clio.restart()
    assert await clio.stored_ids() == expected  # nothing twice


async def test_a_forum_is_watched_with_its_posts_old_and_new(clio):
    forum = clio.fake.add_forum(clio.guild_id, "debates")
    post = clio.fake.add_thread(forum["id"], "was the pact defensive?", clio.users["alice"])
    old = clio.fake.add_thread(forum["id"], "an old post", clio.users["bob"])
    said = [clio.fake.seed_history(t["id"], clio.users["bob"], f"in {t['name']}", None) for t in (post, old)]
    clio.fake.archive_thread(old["id"])
    record = await clio.slash("clio config watch", {"channel": forum["id"]})
    assert "Now watching" in await clio.reply_text(record)
    await clio.wait_stored(2)
    live = await clio.fake.post_user_message(post["id"], clio.users["alice"], "and a live reply in the post")
    await clio.wait_stored(3)
    assert await clio.stored_ids() == sorted(int(m["id"]) for m in [*said, live])

    refused = await clio.slash("clio import-history", {"channel": forum["id"]}, user="alice")
    assert "Manage Messages" in await clio.reply_text(refused)
    record = await clio.slash("clio import-history", {"channel": forum["id"]})
    answer = await clio.reply_text(record, timeout=30)
    assert "Read 3 messages" in answer and "2 channel(s) and thread(s)" in answer  # re-read, stored once
    assert len(await clio.stored_ids()) == 3


async def test_a_server_that_removes_clio_is_marked_for_purging(clio):
    await clio.say("alice", "soon to be forgotten")
    await clio.wait_stored(1)
    await clio.fake.remove_bot(clio.guild_id)
    await eventually(lambda: clio.store.guilds.left_before(time.time() + 1), what="the departure recorded")
    assert await clio.stored_ids() != []  # kept through the grace period, in case Clio is invited back
