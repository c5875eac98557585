"""The live-ingest queue and the digest bookkeeping, against a real store and no model."""

from __future__ import annotations

import asyncio
import logging
import sqlite3

import asyncpg
import pytest

from bot.engine.ingest_queue import IngestQueue
from bot.store import Store
from tests.bot.conftest import GUILD, make_message
from tests.conftest import postgres_schema


async def _ids(store) -> list[int]:
    return [row[0] for row in await store.db.fetchall("SELECT id FROM messages ORDER BY id")]


async def test_messages_are_stored_in_batches_and_marked_for_processing(store):
    batches = []
    queue = IngestQueue(store, max_batch=128, interval=0.05, on_stored=lambda: batches.append(queue.ingested))
    queue.start()
    messages = [make_message(f"m{n}") for n in range(300)] + [make_message("", attachments=1)]
    for message in messages:
        await queue.put(message)
    await queue.drain()
    assert await _ids(store) == sorted(m.id for m in messages)
    assert batches == [128, 256, 301]
    # Every text waits for the tagger and the flaggers; an empty message has nothing to process.
    unprocessed = await store.pending.of([m.id for m in messages])
    assert [u.message.id for u in unprocessed] == [m.id for m in messages[:-1]]
    assert all(u.review for u in unprocessed)
    await queue.close()


async def test_a_full_queue_makes_producers_wait(store):
    queue = IngestQueue(store, max_batch=4, interval=0.05, max_pending=8)
    messages = [make_message(f"m{n}") for n in range(20)]
    producer = asyncio.gather(*(queue.put(m) for m in messages))
    await asyncio.sleep(0.1)
    assert not producer.done()  # the writer has not started: the queue holds 8 and the rest wait
    queue.start()
    await producer
    await queue.close()
    assert await _ids(store) == sorted(m.id for m in messages)


async def test_deletes_apply_in_arrival_order(store):
    queue = IngestQueue(store, interval=0.05)
    queue.start()
    kept, gone, bulk = make_message("kept"), make_message("gone"), make_message("bulk")
    for message in (kept, gone, bulk):
        await queue.put(message)
    queue.delete(GUILD, [gone.id])
    queue.delete(GUILD, [bulk.id])
    await queue.put(make_message("other channel", channel_id=2002))
    queue.delete_channel(GUILD, 2002)
    await queue.close()  # close writes everything queued first
    assert await _ids(store) == [kept.id]
    assert [u.message.id for u in await store.pending.next_batch(10)] == [kept.id]


async def test_a_bad_message_costs_only_itself(store, caplog):
    queue = IngestQueue(store, interval=0.05)
    queue.start()
    good = [make_message("fine"), make_message("also fine")]
    await queue.put(good[0])
    await queue.put(make_message("a lone surrogate \ud800 no database can store"))
    await queue.put(good[1])
    with caplog.at_level(logging.ERROR, logger="bot.engine.ingest_queue"):
        await queue.close()
    assert await _ids(store) == [m.id for m in good]
    assert len([r for r in caplog.records if r.levelno == logging.ERROR]) == 1


async def _until_logged(caplog, text: str) -> None:
    async def poll():
        while not any(text in r.getMessage() for r in caplog.records):
            await asyncio.sleep(0.05)

    await asyncio.wait_for(poll(), 30)


async def test_a_locked_database_delays_writes_and_loses_nothing(tmp_path, caplog):
    path = tmp_path / "clio.sqlite3"
    store = await Store.open(str(path))
    # Another process holds the write lock past the busy timeout (a long import, a backup).
    blocker = sqlite3.connect(path, isolation_level=None)
    try:
        queue = IngestQueue(store, interval=0.05, max_retry_pause=0.2)
        queue.start()
        blocker.execute("BEGIN EXCLUSIVE")
        kept, gone = make_message("kept"), make_message("gone")
        with caplog.at_level(logging.WARNING, logger="bot.engine.ingest_queue"):
            await queue.put(kept)
            await queue.put(gone)
            queue.delete(GUILD, [gone.id])
            await _until_logged(caplog, "database unavailable")
            assert await _ids(store) == []
            blocker.execute("ROLLBACK")
            await queue.drain()
        assert await _ids(store) == [kept.id]  # stored, and the deletion applied after it, in order
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
        await queue.close()
    finally:
        blocker.close()
        await store.close()


async def test_an_outage_while_retrying_one_by_one_writes_each_message_once(tmp_path, caplog):
    path = tmp_path / "clio.sqlite3"
    store = await Store.open(str(path))
    blocker = sqlite3.connect(path, isolation_level=None)

    def lock_after_first_store() -> None:
        # The batch failed on the bad message and is being retried one by one; the database
        # becomes unavailable right after the first of them is stored.
        if queue.ingested == 1:
            blocker.execute("BEGIN EXCLUSIVE")

    try:
        queue = IngestQueue(store, interval=0.05, max_retry_pause=0.2, on_stored=lock_after_first_store)
        good = [make_message("first"), make_message("last")]
        await queue.put(good[0])
        await queue.put(make_message("a lone surrogate \ud800 no database can store"))
        await queue.put(good[1])
        with caplog.at_level(logging.WARNING, logger="bot.engine.ingest_queue"):
            queue.start()
            await _until_logged(caplog, "database unavailable")
            assert await _ids(store) == [good[0].id]
            blocker.execute("ROLLBACK")
            await queue.close()
        assert await _ids(store) == [m.id for m in good]
        assert queue.ingested == 2  # the first message was not put back and written again
        # Only the rest of the batch was retried: the bad message was refused (and logged) once.
        assert len([r for r in caplog.records if r.levelno == logging.ERROR]) == 1
    finally:
        blocker.close()
        await store.close()


async def _backend_waiting_on_a_lock(admin) -> int:
    while True:
        pid = await admin.fetchval(
            "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        if pid is not None:
            return pid
        await asyncio.sleep(0.05)


async def test_a_postgres_connection_killed_mid_write_loses_nothing(caplog):
    async with postgres_schema() as url:
        store = await Store.open(url)
        locker, admin = await asyncpg.connect(url), await asyncpg.connect(url)
        try:
            queue = IngestQueue(store, interval=0.05, max_retry_pause=0.2)
            queue.start()
            before = [make_message(f"before {n}") for n in range(3)]
            for message in before:
                await queue.put(message)
            await queue.drain()
            # A write waits on a lock when the server drops its connection (a restart, a failover).
            held = locker.transaction()
            await held.start()
            await locker.execute("LOCK TABLE messages IN ACCESS EXCLUSIVE MODE")
            after = [make_message(f"after {n}") for n in range(3)]
            with caplog.at_level(logging.WARNING, logger="bot.engine.ingest_queue"):
                for message in after:
                    await queue.put(message)
                waiting = await asyncio.wait_for(_backend_waiting_on_a_lock(admin), 30)
                assert await admin.fetchval("SELECT pg_terminate_backend($1)", waiting)
                await _until_logged(caplog, "database unavailable")
                await held.rollback()
                await queue.drain()
            assert await _ids(store) == sorted(m.id for m in before + after)
            await queue.close()
        finally:
            await locker.close()
            await admin.close()
            await store.close()


async def test_shutdown_with_the_database_down_gives_up_and_says_what_was_lost(tmp_path, caplog):
    path = tmp_path / "clio.sqlite3"
    store = await Store.open(str(path))
    blocker = sqlite3.connect(path, isolation_level=None)
    try:
        queue = IngestQueue(store, interval=0.05, max_retry_pause=0.1, close_attempts=1)
        queue.start()
        blocker.execute("BEGIN EXCLUSIVE")
        with caplog.at_level(logging.WARNING, logger="bot.engine.ingest_queue"):
            await queue.put(make_message("never written"))
            await queue.close()
        errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
        assert errors == [
            "shutting down with the database unavailable: 1 messages and 0 deletions not written "
            "(backfill fetches the messages again at the next start)"
        ]
        assert not queue.busy
    finally:
        blocker.close()
        await store.close()


async def test_a_digest_slot_is_claimed_once(store):
    first = await store.digests.claim(GUILD, "schedule:1:2026-11-24T09:00:00Z", 55, 100.0, 200.0)
    again = await store.digests.claim(GUILD, "schedule:1:2026-11-24T09:00:00Z", 55, 150.0, 250.0)
    assert again.id == first.id and (again.window_start, again.window_end) == (100.0, 200.0)
    await store.digests.record_messages(first.id, [11, 12])
    await store.digests.set_status(first.id, "posted")
    done = await store.digests.get(GUILD, first.slot_key)
    assert done.posted and done.message_ids == (11, 12)
    assert await store.digests.unfinished() == []


async def test_schedules_are_per_guild_and_last_run_never_moves_back(store):
    schedule = await store.schedules.add(GUILD, 55, "09:00", "Europe/Paris", created_by=7)
    assert await store.schedules.get(GUILD + 1, schedule.id) is None
    assert not await store.schedules.remove(GUILD + 1, schedule.id)
    await store.schedules.mark_run(schedule.id, 500.0)
    await store.schedules.mark_run(schedule.id, 400.0)
    assert (await store.schedules.get(GUILD, schedule.id)).last_run_at == 500.0
    assert await store.schedules.remove(GUILD, schedule.id)
    assert await store.schedules.list(GUILD) == []


async def test_of_processes_firing_one_slot_one_holds_the_lease_until_it_posts_or_dies(store):
    from bot.store.digests import LEASE_SECONDS, LeaseLost

    slot, now = "schedule:1:2026-11-24T09:00:00Z", 1_000.0
    first = await store.digests.claim(GUILD, slot, 55, 100.0, 200.0, owner="a", now=now)
    second = await store.digests.claim(GUILD, slot, 55, 100.0, 200.0, owner="b", now=now + 1)
    assert (first.lease_owner, second.lease_owner) == ("a", "a")  # b sees a posting, and stays out
    await store.digests.record_messages(first.id, [11], owner="a", now=now + 60)  # renews a's lease

    # a dies: once its lease runs out, b takes over and resumes after a's last page.
    late = now + 60 + LEASE_SECONDS + 1
    taken = await store.digests.claim(GUILD, slot, 55, 100.0, 200.0, owner="b", now=late)
    assert (taken.lease_owner, taken.message_ids) == ("b", (11,))
    with pytest.raises(LeaseLost):
        await store.digests.record_messages(first.id, [11, 12], owner="a", now=late + 1)
    await store.digests.record_messages(first.id, [11, 12], owner="b", now=late + 1)
    await store.digests.set_status(first.id, "posted")
    done = await store.digests.claim(GUILD, slot, 55, 100.0, 200.0, owner="a", now=late + 2)
    assert done.posted and done.lease_owner is None and done.message_ids == (11, 12)


async def test_racing_processes_never_both_hold_a_slot(database_url):
    from bot.store import Store

    stores = [await Store.open(database_url) for _ in range(2)]
    try:
        slot = "schedule:1:2026-11-24T10:00:00Z"
        claims = await asyncio.gather(
            *(s.digests.claim(GUILD, slot, 55, 0.0, 1.0, owner=f"p{n}") for n, s in enumerate(stores * 5))
        )
        assert len({c.lease_owner for c in claims}) == 1 and len({c.id for c in claims}) == 1
    finally:
        for s in stores:
            await s.close()
