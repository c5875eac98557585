"""The ingest path end to end on the real model: store, embed once, tag with the guild's arguments."""

import dataclasses

from bot.core.config import get_settings
from bot.engine.embedding import CachedEncoder, FunctionEncoder, shared_embedder
from bot.engine.tagging import TaggingService, profiles_for
from bot.store.tags import Correction
from tests.bot.conftest import GUILD, OTHER_GUILD, make_message
from tests.bot.engine.conftest import slug_of


async def test_ingest_tags_a_recurring_argument_and_leaves_chatter_alone(tagging, store):
    on_topic = make_message("the red army trained german pilots at lipetsk, look it up")
    chatter = make_message("anyone up for a game of chess tonight?")
    result = await tagging.ingest([on_topic, chatter])

    assert result.stored == 2 and result.embedded == 2
    assert chatter.id not in result.tags
    best, _ = result.tags[on_topic.id][0]
    assert await slug_of(store, best) == "lipetsk-training"
    stored = await store.tags.for_messages(GUILD, [on_topic.id])
    assert stored[on_topic.id][0].source == "model"


async def test_unchanged_messages_are_never_embedded_twice(tagging, store):
    message = make_message("stalin was talking to both london and berlin in august 1939")
    await tagging.ingest([message])
    again = await tagging.ingest([message])
    assert again.embedded == 0
    edited = await tagging.ingest([dataclasses.replace(message, content="chess tonight anyone?")])
    assert edited.embedded == 1 and edited.tags == {}
    assert await store.tags.for_messages(GUILD, [message.id]) == {}


async def test_empty_messages_are_stored_but_not_embedded(tagging, store):
    result = await tagging.ingest([make_message("", attachments=1)])
    assert result.stored == 1 and result.embedded == 0


async def test_each_guild_gets_its_own_copy_of_the_catalogue(tagging, store):
    await tagging.ingest(
        [
            make_message("stalin played both sides", guild_id=GUILD),
            make_message("stalin played both sides", guild_id=OTHER_GUILD, channel_id=2002),
        ]
    )
    mine = {a.slug: a.id for a in await store.arguments.list(GUILD)}
    theirs = {a.slug: a.id for a in await store.arguments.list(OTHER_GUILD)}
    assert set(mine) == set(theirs) == {"lipetsk-training", "both-sides"}
    assert not set(mine.values()) & set(theirs.values())


async def test_a_per_argument_threshold_of_one_silences_it(tagging, store):
    await tagging.ensure_guild(GUILD)
    argument = await store.arguments.by_slug(GUILD, "lipetsk-training")
    async with tagging.inputs.change(GUILD):
        await store.arguments.update(GUILD, argument.id, threshold=1.0)
    result = await tagging.ingest([make_message("the soviets trained the luftwaffe at lipetsk")])
    assert all(a != argument.id for pairs in result.tags.values() for a, _ in pairs)


async def test_a_matcher_is_rebuilt_only_when_its_inputs_change(tagging, store):
    first = await tagging.matcher_for(GUILD)
    assert await tagging.matcher_for(GUILD) is first
    await tagging.set_guild_threshold(GUILD, 0.99)
    rebuilt = await tagging.matcher_for(GUILD)
    assert rebuilt is not first and all(p.threshold == 0.99 for p in rebuilt.profiles)
    assert (await store.settings.get(GUILD)).tag_threshold == 0.99


async def test_a_change_made_while_a_matcher_is_built_is_not_lost(tagging, store, monkeypatch):
    await tagging.ensure_guild(GUILD)
    argument = await store.arguments.by_slug(GUILD, "lipetsk-training")
    real_corrections = store.tags.corrections

    async def corrections_then_a_concurrent_edit(guild_id):
        found = await real_corrections(guild_id)
        async with tagging.inputs.change(GUILD):  # lands after the arguments were read
            await store.arguments.update(GUILD, argument.id, threshold=1.0)
        return found

    monkeypatch.setattr(store.tags, "corrections", corrections_then_a_concurrent_edit)
    stale = await tagging.matcher_for(GUILD)
    monkeypatch.setattr(store.tags, "corrections", real_corrections)
    fresh = await tagging.matcher_for(GUILD)
    assert fresh is not stale
    assert [p.threshold for p in fresh.profiles if p.argument_id == argument.id] == [1.0]


async def test_retag_uses_cached_vectors_and_moderator_corrections(tagging, store):
    message = make_message("kazan and lipetsk were where the germans learned their trade")
    await tagging.ingest([message])
    argument = await store.arguments.by_slug(GUILD, "lipetsk-training")
    await store.tags.set_by_moderator(GUILD, message.id, argument.id, False, moderator_id=1)
    assert await tagging.retag_guild(GUILD) == 1
    tags = (await store.tags.for_messages(GUILD, [message.id]))[message.id]
    assert [(t.argument_id, t.source, t.accepted) for t in tags] == [(argument.id, "moderator", False)]


def test_profiles_fold_corrections_into_examples_and_rejections():
    from bot.store.arguments import Argument

    argument = Argument(
        id=1,
        guild_id=GUILD,
        slug="a",
        origin="catalogue",
        status="active",
        title="",
        claim="claim",
        examples=("ex",),
        threshold=None,
    )
    corrections = [Correction(1, 10, "yes this", True), Correction(1, 11, "not this", False)]
    (profile,) = profiles_for([argument], corrections, guild_threshold=0.9)
    assert profile.examples == ("ex", "yes this") and profile.rejected == ("not this",)
    assert profile.threshold == 0.9


async def test_a_second_process_reads_the_catalogue_vectors_from_the_store(tagging, store, catalogue_dir):
    first = await tagging.matcher_for(GUILD)
    assert await store.db.fetchvalue("SELECT COUNT(*) FROM text_embeddings") == 10  # claims, titles, phrasings

    def refuse(texts):
        raise AssertionError(f"embedded again: {texts[:2]}")

    settings = get_settings()
    second = TaggingService(store, shared_embedder(settings.model_dir), settings.model_dir, catalogue_dir, top_k=3)
    second._argument_encoder = CachedEncoder(FunctionEncoder(refuse))  # a process that never embedded them
    rebuilt = await second.matcher_for(GUILD)
    message = make_message("the soviets trained the german air force at lipetsk")
    vector = (await tagging.ingest([message])).vectors[message.id][None, :]
    assert rebuilt.tag(vector) == first.tag(vector) != [[]]
