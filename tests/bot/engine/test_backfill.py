"""Backfill against an in-memory channel history: whole, resumable, and reconciled with edits and deletes."""

from __future__ import annotations

import dataclasses

import pytest

from bot.core.records import IncomingMessage
from bot.engine.backfill import PAGE, RECONCILE_MESSAGES, Backfill
from tests.bot.conftest import CHANNEL, GUILD, make_message


class Channel:
    """A channel's history as Discord pages it: newest first, or oldest first after an id."""

    def __init__(self, messages: list[IncomingMessage]) -> None:
        self.messages = {m.id: m for m in messages}
        self.reads = 0
        self.fail_after: int | None = None  # the connection drops after this many messages

    async def history(self, after: int | None, before: int | None):
        ids = sorted(self.messages, reverse=after is None)
        for message_id in ids:
            if (after is not None and message_id <= after) or (before is not None and message_id >= before):
                continue
            if self.fail_after is not None and self.reads >= self.fail_after:
                raise ConnectionError("gateway went away")
            self.reads += 1
            message = self.messages[message_id]
            yield message_id, (None if message.author_is_bot else message)


def messages(count: int, start: int = 10_000, **extra) -> list[IncomingMessage]:
    return [
        make_message(f"message {n}", message_id=start + n, created_at=1_760_000_000.0 + n, **extra)
        for n in range(count)
    ]


def backfill(store, channel: Channel) -> Backfill:
    async def put(message):
        await store.messages.upsert([message])

    async def flush():
        pass

    return Backfill(store, GUILD, CHANNEL, channel.history, put, flush)


async def stored_ids(store) -> list[int]:
    rows = await store.db.fetchall("SELECT id FROM messages WHERE channel_id = ? ORDER BY id", (CHANNEL,))
    return [row[0] for row in rows]


async def test_an_empty_channel_is_read_whole(store):
    history = messages(3001) + [make_message("a bot", message_id=20_000, author_is_bot=True)]
    report = await backfill(store, Channel(history)).run()
    assert await stored_ids(store) == [m.id for m in history[:-1]]
    assert report.fetched == 3001 and report.complete and report.reconciled_since is None


async def test_an_interrupted_backfill_resumes_where_it_stopped(store):
    channel = Channel(messages(3 * PAGE + 50))
    channel.fail_after = 2 * PAGE + 30
    with pytest.raises(ConnectionError):
        await backfill(store, channel).run()
    cursor = await store.backfill.get(GUILD, CHANNEL)
    assert not cursor.complete and cursor.oldest_read_id == 10_000 + PAGE + 50  # two whole pages saved

    channel.fail_after, channel.reads = None, 0
    report = await backfill(store, channel).run()
    assert report.complete and await stored_ids(store) == sorted(channel.messages)
    # The second run re-read the newest stored messages and then only what lay before the cursor.
    assert channel.reads == 2 * PAGE + 30 + (PAGE + 50)


async def test_edits_and_deletions_while_away_are_applied_within_the_recent_window(store):
    history = messages(RECONCILE_MESSAGES + 200)
    await backfill(store, Channel(history)).run()
    channel = Channel(history)
    newest, oldest = history[-1], history[0]
    channel.messages[newest.id] = dataclasses.replace(newest, content="edited while the bot was down")
    del channel.messages[history[-2].id]  # deleted while down, inside the window
    del channel.messages[oldest.id]  # deleted too, but older than the window: not looked for
    said_while_down = messages(5, start=50_000)
    channel.messages.update({m.id: m for m in said_while_down})

    report = await backfill(store, channel).run()
    ids = await stored_ids(store)
    assert history[-2].id not in ids and oldest.id in ids
    assert set(ids) >= {m.id for m in said_while_down}
    assert (await store.messages.get(GUILD, [newest.id]))[newest.id].content == "edited while the bot was down"
    assert report.deleted == 1 and report.complete
    assert report.reconciled_since == history[200].created_at  # the 1000th newest stored message
    assert "1 deletions applied" in report.describe()
    # The edit is re-tagged like any new text.
    assert newest.id in {u.message.id for u in await store.pending.of([newest.id])}


async def test_a_channel_read_empty_or_with_bots_only_still_catches_up_later(store):
    channel = Channel([])
    assert (await backfill(store, channel).run()).complete  # watched while empty
    bots = messages(3, author_is_bot=True)
    channel.messages.update({m.id: m for m in bots})
    await backfill(store, channel).run()
    assert await stored_ids(store) == []
    # Said while the bot was down, after a history it read but stored nothing of.
    later = messages(150, start=30_000)
    channel.messages.update({m.id: m for m in later})
    channel.reads = 0
    report = await backfill(store, channel).run()
    assert await stored_ids(store) == [m.id for m in later]
    assert report.fetched == 150 and channel.reads == 150  # from the newest message read, not from the top
