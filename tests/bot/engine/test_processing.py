"""Processing from the store: stored first, then embedded, tagged and flagged, resumable at any point."""

from __future__ import annotations

import asyncio
import dataclasses

from bot.engine.ingest_queue import IngestQueue
from bot.engine.processing import MessageProcessor
from tests.bot.conftest import GUILD, make_message
from tests.bot.engine.conftest import slug_of

ON_TOPIC = "the red army trained german pilots at lipetsk, look it up"


async def _untagged(store) -> int:
    return await store.pending.count()


async def test_stored_messages_are_tagged_and_reviewed_then_done(tagging, store):
    heard = []

    async def listener(messages, result):
        heard.append(([m.id for m in messages], dict(result.tags)))

    processor = MessageProcessor(tagging, lambda: [listener], batch_size=2)
    queue = IngestQueue(store, interval=0.01, on_stored=processor.wake)
    queue.start()
    processor.start()
    messages = [make_message(ON_TOPIC), make_message("chess tonight?"), make_message("and a third")]
    for message in messages:
        await queue.put(message)
    await queue.drain()
    await processor.drain()
    assert await _untagged(store) == 0
    tags = await store.tags.for_messages(GUILD, [messages[0].id])
    assert await slug_of(store, tags[messages[0].id][0].argument_id) == "lipetsk-training"
    # Two batches, oldest first; the listeners hear every reviewed message, with its tags.
    assert [ids for ids, _ in heard] == [[messages[0].id, messages[1].id], [messages[2].id]]
    assert messages[0].id in heard[0][1]
    await queue.close()
    await processor.close()


async def test_a_start_repairs_what_a_crash_left_unprocessed(tagging, store):
    # A crash right after the text was written: stored, never embedded, tagged or flagged.
    crashed = [make_message(ON_TOPIC), make_message("anyone up for chess?")]
    await store.messages.upsert(crashed, review=True)
    assert await _untagged(store) == 2
    heard = []

    async def listener(messages, result):
        heard.extend(m.id for m in messages)

    processor = MessageProcessor(tagging, lambda: [listener])
    processor.start()
    await processor.drain()
    await processor.close()
    assert await _untagged(store) == 0 and heard == [m.id for m in crashed]
    assert await store.embeddings.missing(GUILD, tagging.embedder.model_id) == []
    assert crashed[0].id in await store.tags.for_messages(GUILD, [crashed[0].id])


async def test_a_reimport_finishes_what_a_killed_import_left(tagging, store):
    message = make_message(ON_TOPIC)
    await store.messages.upsert([message])  # killed before embedding
    result = await tagging.ingest([message])
    assert result.embedded == 1 and message.id in result.tags
    assert await _untagged(store) == 0


async def test_an_edit_while_processing_is_processed_again(tagging, store):
    message = make_message(ON_TOPIC)
    await store.messages.upsert([message], review=True)
    [first] = await store.pending.next_batch(10)
    await store.messages.upsert([dataclasses.replace(message, content="chess tonight?")], review=True)
    await tagging.process([first.message])
    await store.pending.done([first])  # the old text is done; the new one still waits
    [second] = await store.pending.next_batch(10)
    assert second.message.content == "chess tonight?" and second.generation > first.generation


async def test_a_failing_listener_or_a_deleted_message_does_not_stall_processing(tagging, store):
    async def broken(messages, result):
        raise RuntimeError("listener bug")

    gone, kept = make_message(ON_TOPIC), make_message("chess tonight?")
    await store.messages.upsert([gone, kept], review=True)
    batch = await store.pending.next_batch(10)
    await store.messages.delete(GUILD, [gone.id])  # deleted while its batch was in hand
    processor = MessageProcessor(tagging, lambda: [broken])
    await processor._process(batch)
    assert await _untagged(store) == 0
    assert await store.embeddings.missing(GUILD, tagging.embedder.model_id) == []
    assert await store.tags.for_messages(GUILD, [gone.id]) == {}


async def test_each_shard_processes_only_its_guilds(tagging, store):
    # Discord's rule: shard = (guild_id >> 22) % shard_count.
    on_shard_0, on_shard_1 = 6 << 22, 5 << 22
    mine = make_message("in my guild", guild_id=on_shard_0, channel_id=3001)
    theirs = make_message("in theirs", guild_id=on_shard_1, channel_id=3002)
    await store.messages.upsert([mine, theirs], review=True)
    assert [u.message.id for u in await store.pending.next_batch(10, [0], 2)] == [mine.id]
    processor = MessageProcessor(tagging, shard_ids=[1], shard_count=2)
    processor.start()
    await asyncio.wait_for(processor.drain(), 30)
    await processor.close()
    assert [u.message.id for u in await store.pending.next_batch(10)] == [mine.id]
