"""Context notes: which freshly tagged messages get one, what it says, and the note records."""

from __future__ import annotations

from dataclasses import replace

from bot.core.guild_config import GuildConfig
from bot.engine.notes import (
    Note,
    TaggedMessage,
    argument_fields,
    bullet_list,
    choose_notes,
    counters_of,
    note_embed,
    source_text,
    usage_text,
)
from bot.store.arguments import Argument
from bot.store.notes import Usage
from tests.bot.conftest import GUILD, OTHER_GUILD, make_message

NOW = 1_760_000_000.0
NOTES_ON = 500
THREAD = 501
OTHER = 600

PACT = Argument(
    id=1,
    guild_id=GUILD,
    slug="pact",
    origin="catalogue",
    status="active",
    title="The pact",
    claim="The pact was defensive.",
    counters=("rebuttal", "missing"),
    standing="rejected",
    sources=(
        {
            "author": "A. Historian",
            "title": "The Pact",
            "year": 2014,
            "url": "https://example.org/p",
            "role": "supports",
        },
        {"author": "B. Critic", "title": "No Pact", "year": 2016, "role": "rebuts"},
    ),
)
REBUTTAL = replace(
    PACT, id=2, slug="rebuttal", title="Rebuttal", claim="It was not.", counters=(), sources=(), standing=None
)
QUIET = replace(
    PACT, id=3, slug="quiet", title="", claim="Notes are off for this one.", notes_enabled=False, standing=None
)
ARGUMENTS = {a.id: a for a in (PACT, REBUTTAL, QUIET)}
CONFIG = GuildConfig(note_channels=[NOTES_ON], note_threshold=0.8, note_cooldown_hours=24)


def tagged(
    message_id: int, *tags: tuple[int, float], channel: int = NOTES_ON, age: float = 10.0, parent: int | None = None
) -> TaggedMessage:
    return TaggedMessage(message_id, channel, NOW - age, list(tags), parent)


def choose(messages, config=CONFIG, last=None, noted=(), arguments=ARGUMENTS):
    return choose_notes(messages, config, arguments, last or {}, set(noted), NOW)


def test_a_confident_tag_in_a_notes_channel_gets_a_note():
    assert choose([tagged(10, (1, 0.93))]) == [Note(10, NOTES_ON, 1, 0.93)]


def test_only_opted_in_channels_and_their_threads():
    assert choose([tagged(10, (1, 0.9), channel=OTHER)]) == []
    assert choose([tagged(10, (1, 0.9), channel=THREAD, parent=NOTES_ON)]) == [Note(10, THREAD, 1, 0.9)]


def test_below_the_note_threshold_no_note_even_when_tagged():
    assert choose([tagged(10, (1, 0.79))]) == []
    assert choose([tagged(10, (1, 0.79))], config=CONFIG.model_copy(update={"note_threshold": 0.7})) != []


def test_the_best_qualifying_argument_only_and_one_note_per_message():
    # Notes are off for QUIET, so the next argument of the message is used.
    assert choose([tagged(10, (3, 0.99), (1, 0.9), (2, 0.85))]) == [Note(10, NOTES_ON, 1, 0.9)]


def test_inactive_unknown_or_notes_off_arguments_get_none():
    removed = {**ARGUMENTS, 1: replace(PACT, status="removed")}
    assert choose([tagged(10, (1, 0.9))], arguments=removed) == []
    assert choose([tagged(10, (99, 0.9))]) == []
    assert choose([tagged(10, (3, 0.99))]) == []


def test_cooldown_per_channel_and_argument():
    recent = {(NOTES_ON, 1): NOW - 23 * 3600}
    assert choose([tagged(10, (1, 0.9))], last=recent) == []
    # Another argument in the same channel is not held back.
    assert choose([tagged(10, (1, 0.95), (2, 0.9))], last=recent) == [Note(10, NOTES_ON, 2, 0.9)]
    assert choose([tagged(10, (1, 0.9))], last={(NOTES_ON, 1): NOW - 25 * 3600}) == [Note(10, NOTES_ON, 1, 0.9)]
    no_cooldown = CONFIG.model_copy(update={"note_cooldown_hours": 0})
    assert choose([tagged(10, (1, 0.9))], last=recent, config=no_cooldown) != []


def test_a_batch_honours_its_own_cooldown():
    notes = choose([tagged(12, (1, 0.99)), tagged(11, (1, 0.9)), tagged(13, (2, 0.9))])
    assert notes == [Note(11, NOTES_ON, 1, 0.9), Note(13, NOTES_ON, 2, 0.9)]


def test_old_and_already_noted_messages_get_none():
    assert choose([tagged(10, (1, 0.9), age=2 * 3600)]) == []
    assert choose([tagged(10, (1, 0.9))], noted={10}) == []


def test_what_a_note_says():
    usage = Usage(messages=3, authors=2, total=7)
    embed = note_embed(PACT, counters_of(PACT, list(ARGUMENTS.values())), usage)
    assert embed["title"] == "Context: The pact"
    assert embed["description"] == PACT.claim
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Where historians stand"] == "Historians reject this: it is a myth or contradicted by the record."
    assert fields["Further reading"] == "• A. Historian, [The Pact](https://example.org/p) (2014)"
    assert fields["Rebuttals"] == "• B. Critic, *No Pact* (2016)"
    assert "Sources" not in fields
    assert fields["Counter-arguments"] == "• Rebuttal"  # the unknown slug is left out
    assert fields["How often it comes up"] == "3 times from 2 people in the last 30 days (7 in all)."


def test_rendering_helpers():
    assert source_text({"author": "X", "title": "Y"}) == "X, *Y*"
    assert usage_text(Usage()) == "Not seen in this server yet."
    assert usage_text(Usage(1, 1, 1)) == "1 time from 1 person in the last 30 days (1 in all)."
    assert [f["name"] for f in argument_fields(REBUTTAL, [], Usage())] == ["How often it comes up"]
    many = bullet_list([f"line {i}" for i in range(500)], limit=200)
    assert len(many) <= 200 and many.endswith("more")
    assert bullet_list(["a", "b"]) == "• a\n• b"
    assert counters_of(replace(PACT, counters=("pact",)), [PACT]) == []  # never itself


# --- the store side --------------------------------------------------------------------------------


async def test_note_records_and_cooldown_times(store):
    await store.messages.upsert(
        [make_message("x", message_id=1), make_message("x", message_id=5, guild_id=OTHER_GUILD)]
    )
    await store.arguments.add(GUILD, "a", "claim a")
    await store.arguments.add(OTHER_GUILD, "b", "claim b")
    a = (await store.arguments.by_slug(GUILD, "a")).id
    b = (await store.arguments.by_slug(OTHER_GUILD, "b")).id
    assert await store.notes.record(GUILD, 100, a, 1, NOW - 100)
    assert not await store.notes.record(GUILD, 100, a, 1, NOW)  # one note per message
    assert await store.notes.record(GUILD, 100, a, 2, NOW - 10)
    assert await store.notes.record(OTHER_GUILD, 100, b, 3, NOW)
    assert await store.notes.last_posted(GUILD, [100], NOW - 3600) == {(100, a): NOW - 10}
    assert await store.notes.last_posted(GUILD, [100], NOW - 5) == {}
    assert await store.notes.noted(GUILD, [1, 2, 3]) == {1, 2}
    await store.notes.forget(GUILD, 2)
    assert await store.notes.last_posted(GUILD, [100], NOW - 3600) == {(100, a): NOW - 100}
    await store.notes.forget(GUILD, 3)  # another guild's note stays
    assert await store.notes.noted(OTHER_GUILD, [3]) == {3}


async def test_usage_counts_accepted_tags_by_window(store):
    day = 86400.0
    messages = [
        make_message("a", message_id=1, author_id=7, created_at=NOW - day),
        make_message("b", message_id=2, author_id=7, created_at=NOW - 2 * day),
        make_message("c", message_id=3, author_id=8, created_at=NOW - 3 * day),
        make_message("d", message_id=4, author_id=9, created_at=NOW - 60 * day),
        make_message("e", message_id=5, author_id=9, created_at=NOW - day),
    ]
    await store.messages.upsert(messages)
    argument = await store.arguments.add(GUILD, "a", "claim a")
    other = await store.arguments.add(GUILD, "b", "claim b")
    await store.tags.replace_model_tags(
        GUILD,
        {1: [(argument, 0.9)], 2: [(argument, 0.9)], 3: [(argument, 0.9)], 4: [(argument, 0.9)], 5: [(argument, 0.9)]},
    )
    await store.tags.set_by_moderator(GUILD, 5, argument, False, 1)  # "is not" does not count
    usage = await store.notes.usage(GUILD, [argument, other], NOW - 30 * day)
    assert usage[argument] == Usage(messages=3, authors=2, total=4)
    assert usage[other] == Usage()
    assert await store.notes.usage(OTHER_GUILD, [argument], NOW - 30 * day) == {argument: Usage()}
