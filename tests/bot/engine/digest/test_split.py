"""Splitting keeps whole lines and whole words; fitted embeds and messages respect every Discord limit."""

import pytest

from bot.engine.digest.split import (
    EMBEDS_PER_MESSAGE,
    MESSAGE_TOTAL,
    TITLE,
    EmbedField,
    EmbedSpec,
    discord_len,
    embed_length,
    fit_embed,
    pack_messages,
    shorten,
    split_text,
)
from tests.bot.engine.digest.conftest import assert_within_limits


def test_discord_counts_utf16_units():
    assert discord_len("abc") == 3
    assert discord_len("👋") == 2
    assert discord_len("é") == 1


def test_short_text_is_one_chunk():
    assert split_text("one\ntwo", 100) == ["one\ntwo"]
    assert split_text("\n\n", 100) == []


def test_split_keeps_whole_lines():
    lines = [f"line {i} " + "word " * 10 for i in range(50)]
    chunks = split_text("\n".join(lines), 300)
    assert len(chunks) > 1
    assert all(discord_len(c) <= 300 for c in chunks)
    assert [line for chunk in chunks for line in chunk.split("\n")] == lines


def test_an_overlong_line_splits_between_words():
    words = [f"w{i:03d}" for i in range(400)]
    chunks = split_text(" ".join(words), 100)
    assert all(discord_len(c) <= 100 for c in chunks)
    assert [w for c in chunks for w in c.split(" ")] == words


def test_only_a_word_longer_than_the_limit_is_cut():
    chunks = split_text("short " + "x" * 250 + " tail", 100)
    assert chunks[0] == "short"
    assert "".join(chunks[1:-1]) + chunks[-1].removesuffix(" tail") == "x" * 250
    assert all(discord_len(c) <= 100 for c in chunks)


def test_a_cut_never_separates_an_escape_from_its_character():
    chunks = split_text("a" * 99 + "\\*" + "b" * 10, 100)
    assert chunks[0] == "a" * 99
    assert chunks[1].startswith("\\*")


def test_astral_characters_count_double():
    chunks = split_text("👋" * 100, 50)
    assert all(discord_len(c) <= 50 for c in chunks)
    assert "".join(chunks) == "👋" * 100


def test_shorten_keeps_whole_words():
    assert shorten("abc def ghi", 100) == "abc def ghi"
    assert shorten("abc def ghi", 9) == "abc def…"


def test_an_overflowing_description_becomes_several_embeds():
    lines = [f"> quote number {i} " + "lorem ipsum " * 30 for i in range(40)]
    embeds = fit_embed(
        EmbedSpec(
            title="T", description="\n".join(lines), color=1, footer="foot", timestamp="2026-10-14T00:00:00+00:00"
        )
    )
    assert len(embeds) > 1
    for embed in embeds:
        assert_within_limits(embed)
        assert embed["color"] == 1
    assert embeds[0]["title"] == "T" and all("title" not in e for e in embeds[1:])
    assert embeds[-1]["footer"] == {"text": "foot"} and "footer" not in embeds[0]
    assert embeds[-1]["timestamp"] == "2026-10-14T00:00:00+00:00"
    assert [line for e in embeds for line in e["description"].split("\n")] == lines


def test_overflowing_fields_split_into_more_fields_and_embeds():
    value = "\n".join(f"• source {i} " + "abc " * 20 for i in range(30))
    fields = [EmbedField(f"Field {i}", value) for i in range(12)] + [EmbedField("n" * 300, "v")]
    embeds = fit_embed(EmbedSpec(title="x" * 300, description="d", fields=fields))
    for embed in embeds:
        assert_within_limits(embed)
    assert embeds[0]["title"].endswith("…") and discord_len(embeds[0]["title"]) <= TITLE
    names = [f["name"] for e in embeds for f in e["fields"]]
    assert names.count("Field 0") > 1
    assert names[-1].endswith("…")
    values = [f["value"] for e in embeds for f in e["fields"] if f["name"] == "Field 3"]
    assert "\n".join(values) == value


def test_more_than_25_fields_overflow_into_another_embed():
    embeds = fit_embed(EmbedSpec(title="t", fields=[EmbedField(str(i), "v") for i in range(60)]))
    assert [len(e["fields"]) for e in embeds] == [25, 25, 10]


def test_an_empty_spec_gives_nothing():
    assert fit_embed(EmbedSpec()) == []


@pytest.mark.parametrize(
    "sizes, expected",
    [
        ([100] * 25, [10, 10, 5]),
        ([2500, 2500, 2500], [2, 1]),
        ([5999, 1, 1], [2, 1]),
    ],
)
def test_pack_messages_respects_embed_count_and_total(sizes, expected):
    embeds = [{"description": "x" * size} for size in sizes]
    messages = pack_messages(embeds)
    assert [len(m) for m in messages] == expected
    assert all(len(m) <= EMBEDS_PER_MESSAGE and sum(map(embed_length, m)) <= MESSAGE_TOTAL for m in messages)
    assert [e for m in messages for e in m] == embeds
