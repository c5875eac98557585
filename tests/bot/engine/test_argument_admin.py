"""Moderators' changes to arguments, tag corrections and tag explanations, on the real model."""

from __future__ import annotations

import pytest

from bot.core.config import get_settings
from bot.core.errors import UnknownArgument, UserError
from bot.engine.argument_admin import (
    ArgumentForm,
    add_argument,
    correct_tag,
    edit_argument,
    explain_message,
    explanation_lines,
    find_argument,
    message_vector,
    parse_lines,
    parse_source,
    rank_arguments,
    remove_argument,
    source_line,
)
from bot.engine.embedding import shared_embedder
from bot.engine.tagging import TaggingService
from tests.bot.conftest import GUILD, OTHER_GUILD, make_message
from tests.bot.engine.conftest import PACK

FORM = ArgumentForm(
    title="Appeasement bought time",
    claim="Munich gave Britain a year to rearm.",
    examples="- munich bought time for the RAF\n\n• chamberlain needed a year of spitfires\n"
    "munich bought time for the RAF",
    counters="both-sides, lipetsk-training",
    sources="Robert Self - Neville Chamberlain (2006)\nAlan Author - Munich https://example.org/munich",
)


@pytest.fixture
def tagging(store, tmp_path):
    folder = tmp_path / "catalogue"
    folder.mkdir()
    (folder / "pack.yaml").write_text(PACK, encoding="utf-8")
    settings = get_settings()
    return TaggingService(store, shared_embedder(settings.model_dir), settings.model_dir, folder)


async def profile_ids(tagging, guild_id=GUILD):
    return {p.argument_id for p in (await tagging.matcher_for(guild_id)).profiles}


def test_form_parsing():
    assert parse_lines(" a \n\n- b\n• c ") == ["a", "b", "c"]
    source = parse_source("Jean-Paul Sartre — Being and Nothingness (1943) https://example.org/b")
    assert source == {
        "author": "Jean-Paul Sartre",
        "title": "Being and Nothingness",
        "year": 1943,
        "url": "https://example.org/b",
        "role": "supports",
    }
    assert parse_source(source_line(source)) == source
    rebuttal = parse_source("Rebuts: Edward Gibbon - The History of the Decline and Fall of the Roman Empire (1776)")
    assert rebuttal["role"] == "rebuts" and rebuttal["year"] == 1776
    assert parse_source(source_line(rebuttal)) == rebuttal
    with pytest.raises(UserError, match="Author - Title"):
        parse_source("just a title")
    with pytest.raises(UserError, match="year"):
        parse_source("A - B (9999)")


async def test_add_validates_and_the_matcher_learns_it(store, tagging):
    before = await profile_ids(tagging)
    argument = await add_argument(store, tagging, GUILD, " Appeasement ", FORM, threshold=0.7, policy="flag")
    assert (argument.slug, argument.origin, argument.status) == ("appeasement", "moderator", "active")
    assert argument.examples == ("munich bought time for the RAF", "chamberlain needed a year of spitfires")
    assert argument.counters == ("both-sides", "lipetsk-training")
    assert argument.sources[1] == {
        "author": "Alan Author",
        "title": "Munich",
        "url": "https://example.org/munich",
        "role": "supports",
    }
    assert (argument.threshold, argument.policy) == (0.7, "flag")
    assert await profile_ids(tagging) == before | {argument.id}  # invalidated, rebuilt with it

    for slug, form, error in [
        ("appeasement", FORM, "already has"),
        ("both-sides", FORM, "already has"),  # a catalogue name
        ("Not A Slug!", FORM, "short name"),
        ("new", ArgumentForm(claim=" "), "needs a claim"),
        ("new", ArgumentForm(claim="x" * 301), "300"),
        ("new", ArgumentForm(claim="c", counters="nope, both-sides"), "unknown: nope"),
        ("new", ArgumentForm(claim="c", counters="new"), "unknown: new"),
    ]:
        with pytest.raises(UserError, match=error):
            await add_argument(store, tagging, GUILD, slug, form)
    with pytest.raises(UnknownArgument):
        await find_argument(store, OTHER_GUILD, "appeasement")  # guilds never share arguments


async def test_edit_round_trips_the_form_and_remove_sticks(store, tagging):
    argument = await add_argument(store, tagging, GUILD, "appeasement", FORM)
    unchanged = await edit_argument(store, tagging, GUILD, argument, ArgumentForm.of(argument))
    assert unchanged == argument
    form = ArgumentForm(claim="Munich bought time.", examples="one\ntwo")
    edited = await edit_argument(store, tagging, GUILD, argument, form, threshold=None, policy=None)
    assert (edited.claim, edited.examples, edited.sources, edited.title) == (
        "Munich bought time.",
        ("one", "two"),
        (),
        "",
    )
    assert await find_argument(store, GUILD, f"#{argument.id}") == edited

    lipetsk = await find_argument(store, GUILD, "LIPETSK-training")
    await remove_argument(store, tagging, GUILD, lipetsk)
    with pytest.raises(UnknownArgument):
        await find_argument(store, GUILD, "lipetsk-training")
    assert lipetsk.id not in await profile_ids(tagging)
    # The catalogue is copied in again at each start, but never over a removal.
    await tagging.packs.sync_guild(GUILD)
    assert (await store.arguments.by_slug(GUILD, "lipetsk-training")).status == "removed"


async def test_corrections_are_scoped_and_teach_the_matcher(store, tagging):
    await tagging.ensure_guild(GUILD)
    await tagging.ensure_guild(OTHER_GUILD)
    message = make_message("honestly the whole 1939 thing was about oil prices", message_id=42)
    await store.messages.upsert([message])
    both_sides = await find_argument(store, GUILD, "both-sides")
    other = await find_argument(store, OTHER_GUILD, "both-sides")

    with pytest.raises(UserError, match="not stored"):
        await correct_tag(store, tagging, GUILD, 999, both_sides.id, True, 1)
    with pytest.raises(UserError, match="no longer active"):
        await correct_tag(store, tagging, GUILD, 42, other.id, True, 1)  # another guild's argument
    await correct_tag(store, tagging, GUILD, 42, both_sides.id, True, 1)
    tags = (await store.tags.for_messages(GUILD, [42]))[42]
    assert [(t.argument_id, t.source, t.accepted) for t in tags] == [(both_sides.id, "moderator", True)]
    profile = next(p for p in (await tagging.matcher_for(GUILD)).profiles if p.argument_id == both_sides.id)
    assert message.content in profile.examples

    [explained] = [e for e in await explain_message(store, tagging, GUILD, 42, "") if e.argument.id == both_sides.id]
    assert explained.verdict is True
    assert explained.best_kind == "confirmed message" and explained.best_text is None  # never quoted
    assert explained.best_similarity > 0.99
    assert "a moderator says it **is**" in explanation_lines([explained])[0]


async def test_explain_and_rank(store, tagging):
    await tagging.ensure_guild(GUILD)
    text = "the soviets literally trained the german air force at lipetsk"  # an example of the pack
    await store.messages.upsert([make_message(text, message_id=7)])
    [best, *_] = await explain_message(store, tagging, GUILD, 7, "")
    assert best.argument.slug == "lipetsk-training" and best.tagged
    assert (best.best_kind, best.best_text) == ("example", text)
    assert best.probability >= best.threshold

    # A message that is not stored is scored from its text, and nothing is cached for it.
    [[(first, probability), second]] = await rank_arguments(
        store, tagging, GUILD, (await message_vector(store, tagging, GUILD, 8, "stalin was playing both sides"))[None]
    )
    assert first.slug == "both-sides" and probability > second[1]
    assert await store.embeddings.get(GUILD, [8], tagging.embedder.model_id) == {}
    with pytest.raises(UserError, match="no text"):
        await message_vector(store, tagging, GUILD, 9, " ")

    chatter = await explain_message(store, tagging, GUILD, 10, "what time is the match tonight")
    assert len(chatter) == 2 and not any(e.tagged for e in chatter)  # the closest ones, untagged
