import dataclasses

import numpy as np
import pytest

from bot.core.records import MessageScope
from bot.store.database import IntegrityError
from tests.bot.conftest import GUILD, OTHER_GUILD, make_message


async def test_upsert_is_idempotent_and_reports_only_new_or_changed(store):
    batch = [make_message(f"text {i}") for i in range(5)]
    assert sorted(await store.messages.upsert(batch)) == sorted(m.id for m in batch)
    assert await store.messages.upsert(batch) == []
    edited = dataclasses.replace(batch[0], content="edited", edited_at=batch[0].created_at + 60)
    assert await store.messages.upsert([edited]) == [edited.id]
    assert await store.messages.count(GUILD) == 5
    stored = await store.messages.get(GUILD, [edited.id])
    assert stored[edited.id].content == "edited"
    assert stored[edited.id].edited_at == edited.edited_at


async def test_an_edit_drops_the_embedding_and_model_tags_but_keeps_moderator_tags(store):
    message = make_message("stalin played both sides")
    await store.messages.upsert([message])
    arg_a = await store.arguments.add(GUILD, "a", "claim a")
    arg_b = await store.arguments.add(GUILD, "b", "claim b")
    await store.embeddings.put({message.id: np.ones(4, dtype=np.float32)}, "m1")
    await store.tags.replace_model_tags(GUILD, {message.id: [(arg_a, 0.9)]})
    await store.tags.set_by_moderator(GUILD, message.id, arg_b, True, moderator_id=5)

    await store.messages.upsert([dataclasses.replace(message, content="something else")])

    assert await store.embeddings.get(GUILD, [message.id], "m1") == {}
    tags = (await store.tags.for_messages(GUILD, [message.id]))[message.id]
    assert [(t.argument_id, t.source) for t in tags] == [(arg_b, "moderator")]


async def test_delete_removes_content_embedding_and_tags(store):
    message = make_message("to be deleted")
    await store.messages.upsert([message])
    arg = await store.arguments.add(GUILD, "a", "claim a")
    await store.embeddings.put({message.id: np.ones(4, dtype=np.float32)}, "m1")
    await store.tags.replace_model_tags(GUILD, {message.id: [(arg, 0.9)]})

    assert await store.messages.delete(GUILD, [message.id, 123]) == 1

    for table in ("messages", "message_embeddings", "tags"):
        column = "id" if table == "messages" else "message_id"
        row = await store.db.fetchone(f"SELECT COUNT(*) FROM {table} WHERE {column} = ?", (message.id,))
        assert row[0] == 0, table


async def test_a_message_id_cannot_move_to_another_guild(store):
    message = make_message("mine", guild_id=GUILD)
    await store.messages.upsert([message])
    forged = dataclasses.replace(message, guild_id=OTHER_GUILD, channel_id=999, content="stolen")
    assert await store.messages.upsert([forged]) == []
    assert (await store.messages.get(GUILD, [message.id]))[message.id].content == "mine"
    assert await store.messages.get(OTHER_GUILD, [message.id]) == {}


async def test_deleting_from_another_guild_deletes_nothing(store):
    message = make_message("mine", guild_id=GUILD)
    await store.messages.upsert([message])
    assert await store.messages.delete(OTHER_GUILD, [message.id]) == 0
    assert await store.messages.count(GUILD) == 1


async def test_a_scope_is_one_guild_one_window_and_its_channels(store):
    early, inside = make_message("early", created_at=100.0), make_message("inside", created_at=200.0)
    reply = make_message("reply", created_at=250.0, author_id=9, reply_to_id=inside.id)
    await store.messages.upsert(
        [
            early,
            inside,
            make_message("other channel", created_at=200.0, channel_id=1002, author_id=8),
            make_message("other guild", created_at=200.0, guild_id=OTHER_GUILD, channel_id=2001),
            make_message("late", created_at=300.0),
            reply,
            make_message("reply to the early one", created_at=260.0, reply_to_id=early.id),
        ]
    )
    totals = store.messages.window_totals
    assert await totals(MessageScope(GUILD, 150, 300)) == (4, 3)
    assert await totals(MessageScope(GUILD, 150, 300, channel_id=1001)) == (3, 2)
    assert await totals(MessageScope(GUILD, 150, 300, readable={1002})) == (1, 1)
    assert await totals(MessageScope(GUILD, 150, 300, readable=set())) == (0, 0)
    links = await store.messages.reply_links(MessageScope(GUILD, 150, 300))
    assert [(link.id, link.reply_to_id) for link in links] == [(inside.id, None), (reply.id, inside.id)]
    assert await store.messages.reply_links(MessageScope(GUILD, 150, 300, readable={1002})) == []


async def test_channel_delete_cascades_to_its_messages(store):
    await store.messages.upsert([make_message("a", channel_id=1001), make_message("b", channel_id=1002)])
    await store.messages.delete_channel(GUILD, 1001)
    assert [text for _, text in await store.messages.texts(GUILD)] == ["b"]


async def test_huge_and_empty_messages_are_stored_whole(store):
    huge = "word " * 200_000
    await store.messages.upsert([make_message(huge, message_id=1), make_message("", message_id=2)])
    stored = await store.messages.get(GUILD, [1, 2])
    assert stored[1].content == huge and stored[2].content == ""


async def test_a_batch_is_one_transaction(store, monkeypatch):
    good = make_message("good")
    bad = dataclasses.replace(make_message("bad"), created_at=None)  # NOT NULL violation
    with pytest.raises(IntegrityError):
        await store.messages.upsert([good, bad])
    assert await store.messages.count(GUILD) == 0


async def test_embeddings_are_stored_in_a_byte_per_dimension_and_read_as_float32(store):
    message = make_message("a vector")
    await store.messages.upsert([message])
    vector = np.random.default_rng(1).normal(size=384).astype(np.float32)
    vector /= np.linalg.norm(vector)
    await store.embeddings.put({message.id: vector}, "m1")
    stored = await store.db.fetchvalue("SELECT vector FROM message_embeddings WHERE message_id = ?", (message.id,))
    assert len(stored) == 4 + 384
    read = (await store.embeddings.get(GUILD, [message.id], "m1"))[message.id]
    assert read.dtype == np.float32 and float(read @ vector) > 0.999
    other = np.random.default_rng(2).normal(size=384).astype(np.float32)
    other /= np.linalg.norm(other)
    assert abs(float(read @ other) - float(vector @ other)) < 2e-3  # similarities barely move
