"""Markdown, embeds and JSON of a digest: everything shown is a count or a linked, escaped quote."""

import dataclasses
import json
import re
from datetime import UTC, datetime

import pytest

from bot.engine.digest import Source, digest_to_json, render_compact, render_embeds, render_markdown, thread_name
from bot.engine.digest.render import COMPACT_ARGUMENTS, COMPACT_QUOTE_CHARS, digest_period, safe_url
from bot.engine.digest.split import EMBEDS_PER_MESSAGE, MESSAGE_TOTAL, embed_length
from tests.bot.engine.digest.conftest import (
    SINCE,
    UNTIL,
    all_quotes,
    assert_within_limits,
    embed_texts,
    make_digest,
)

HOSTILE = "@everyone **look** at <@123> and <#456>\n# [free nitro](https://evil.example)"
QUOTED = re.compile(r"“([^”]*)”")


def test_markdown_has_every_section():
    digest = make_digest(("the soviets trained the luftwaffe",), channel_name="ww2")
    text = render_markdown(digest)
    assert text.startswith("# Digest: History · #ww2\n")
    assert "**120 messages** by **14 authors**; 30 of them" in text
    assert "### The USSR trained the Wehrmacht 0" in text
    assert "Argued **12 times** by **5 people** · ↑ up from 0 in the previous window" in text
    assert "Where historians stand: Historians reject this: it is a myth or contradicted by the record." in text
    reading, rebuttals = text.index("**Further reading**"), text.index("**Rebuttals**")
    assert "Sources" not in text
    assert reading < text.index("- Manfred Zeidler (1993), *Reichswehr und Rote Armee*") < rebuttals
    assert rebuttals < text.index("- Gabriel Gorodetsky (1999), *Grand Delusion*")
    assert "[Online \\(essay\\)](https://example.org/a%20b%28c%29)" in text
    assert "javascript:" not in text
    assert "**Counter The USSR trained the Wehrmacht**: 3 messages, 1 reply to this argument" in text
    assert "## Candidate arguments (awaiting review)" in text
    assert "**7 replies** from 4 participants, last reply 2025-10-16 08:52" in text
    for quote in all_quotes(digest):
        assert f"]({quote.jump_url})" in text
    # Markdown is read outside Discord: readable UTC times, not Discord timestamps.
    assert "2025-10-09 08:53 to 2025-10-16 08:53 (UTC)" in text and "<t:" not in text
    assert "> “the soviets trained the luftwaffe” — ada, 2025-10-09 08:53 · [jump](https://discord" in text


def test_trend_wording():
    digest = make_digest(arguments=4)
    text = render_markdown(digest)
    assert "down from 1 in the previous window" in text
    assert "none in the previous window" in text
    assert "as many as in the previous window" in text


def test_an_empty_digest_says_so():
    digest = dataclasses.replace(make_digest(), arguments=[], candidates=[], chains=[])
    text = render_markdown(digest)
    assert "No argument was tagged in this window." in text
    assert "Candidate" not in text and "reply chains" not in text
    [[header]] = render_embeds(digest)
    assert "No argument was tagged" in header["description"]


def test_quotes_and_names_are_escaped_everywhere():
    digest = make_digest((HOSTILE,), author="@here <@&9>", title="<#1> **t**", guild_name="@everyone")
    outputs = [render_markdown(digest), *embed_texts(render_embeds(digest))]
    for text in outputs:
        for mention in ("@everyone", "@here", "<@", "<#"):
            assert mention not in text
        assert "https://evil" not in text
        assert "[free nitro]" not in text


def test_embeds_have_header_arguments_and_sections():
    [message] = render_embeds(make_digest(channel_name="ww2"))
    header, argument, candidates, chains = message
    assert header["title"] == "Digest: History · #ww2"
    assert header["timestamp"].startswith("2025-10-16T")
    assert header["footer"]["text"]
    assert argument["title"] == "The USSR trained the Wehrmacht 0"
    assert [f["name"] for f in argument["fields"]] == ["Further reading", "Rebuttals", "Counter-arguments raised"]
    assert "Gorodetsky" not in argument["fields"][0]["value"]
    assert "Gorodetsky" in argument["fields"][1]["value"]
    assert "Where historians stand: Historians reject this" in argument["description"]
    assert candidates["title"].startswith("Candidate arguments")
    assert chains["title"] == "Busiest reply chains"
    for embed in message:
        assert_within_limits(embed)
        assert isinstance(embed["color"], int)


def test_an_overflowing_digest_splits_into_messages_without_cutting_words():
    long_quote = " ".join(f"w{i}x" for i in range(200))  # far longer than a quote may be
    digest = make_digest((long_quote, "short"), title="A rather long argument title " * 4, arguments=15)
    messages = render_embeds(digest)

    assert len(messages) > 1
    for message in messages:
        assert len(message) <= EMBEDS_PER_MESSAGE
        assert sum(map(embed_length, message)) <= MESSAGE_TOTAL
        for embed in message:
            assert_within_limits(embed)
    text = "\n".join(embed_texts(messages))
    for quote in all_quotes(digest):
        assert f"]({quote.jump_url})" in text
    # Shortened quotes end on a whole word and keep their link.
    assert re.search(r"w\d+x…” — ada, <t:\d+:d> · \[jump\]\(", text)
    quoted = [word for inner in QUOTED.findall(text) for word in inner.removesuffix("…").split(" ")]
    assert set(quoted) <= {*long_quote.split(" "), "short"}


def test_json_is_plain_data():
    digest = make_digest((HOSTILE,))
    payload = json.loads(json.dumps(digest_to_json(digest)))
    assert payload["guild_id"] == digest.guild_id
    assert payload["since_iso"].startswith("2025-10-09T")
    assert payload["arguments"][0]["quotes"][0]["text"] == HOSTILE
    assert payload["arguments"][0]["sources"][0]["author"] == "Manfred Zeidler"


def test_safe_url():
    assert safe_url("https://example.org/x") == "https://example.org/x"
    assert safe_url("https://example.org/a b)") == "https://example.org/a%20b%29"
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("ftp://example.org") is None
    assert safe_url("") is None


def test_custom_templates_change_the_wording(tmp_path):
    from bot.core.config import get_settings

    for template in get_settings().templates_dir.glob("*.j2"):
        (tmp_path / template.name).write_text(template.read_text("utf-8"), "utf-8")
    macros = tmp_path / "digest_macros.j2"
    macros.write_text(macros.read_text("utf-8").replace("in the previous window", "la semaine d'avant"), "utf-8")
    assert "la semaine d'avant" in render_markdown(make_digest(), templates_dir=tmp_path)


def test_embeds_show_discord_timestamps_not_utc_text():
    [message] = render_embeds(make_digest())
    header, argument, _candidates, chains = message
    assert header["description"].startswith(f"<t:{int(SINCE)}:f> to <t:{int(UNTIL)}:f>\n")
    assert re.search(r"— ada, <t:\d+:d> · \[jump\]\(https://discord\.com/channels/", argument["description"])
    assert f"last reply <t:{int(UNTIL - 60)}:R>" in chains["description"]
    assert "UTC" not in "\n".join(embed_texts([message]))


def test_an_argument_says_how_often_and_by_how_many_it_was_argued():
    digest = make_digest()
    one = dataclasses.replace(digest.arguments[0], count=1, authors=1, trend="new", previous_count=0)
    [[_header, argument, *_]] = render_embeds(dataclasses.replace(digest, arguments=[one]))
    assert argument["description"].startswith("Argued **1 time** by **1 person** · 🆕 none in the previous window")


def test_reading_and_rebuttals_are_never_merged():
    digest = make_digest()
    rebuttals_only = [s for s in digest.arguments[0].sources if s.role == "rebuts"]
    argument = dataclasses.replace(digest.arguments[0], sources=rebuttals_only, counters=[])
    [[_header, embed, *_]] = render_embeds(dataclasses.replace(digest, arguments=[argument]))
    assert [f["name"] for f in embed["fields"]] == ["Rebuttals"]
    many = [
        Source("Author", f"Book {i} " + "word " * 40, 1990 + i, role=("supports", "rebuts")[i % 2]) for i in range(40)
    ]
    argument = dataclasses.replace(argument, sources=many)
    fields = [
        f
        for m in render_embeds(dataclasses.replace(digest, arguments=[argument]))
        for e in m
        for f in e.get("fields", [])
    ]
    by_name = {
        name: "\n".join(f["value"] for f in fields if f["name"] == name) for name in ("Further reading", "Rebuttals")
    }
    assert {f["name"] for f in fields} == {"Further reading", "Rebuttals"}
    assert all(f"Book {i} " in by_name["Further reading"] for i in range(0, 40, 2))
    assert not any(f"Book {i} " in by_name["Further reading"] for i in range(1, 40, 2))
    assert all(f"Book {i} " in by_name["Rebuttals"] for i in range(1, 40, 2))


def test_cut_arguments_are_counted():
    digest = dataclasses.replace(make_digest(arguments=2), more_arguments=6)
    assert "…and 6 more arguments." in render_markdown(digest)
    texts = list(embed_texts(render_embeds(digest)))
    assert "…and 6 more arguments." in texts
    one_more = dataclasses.replace(digest, more_arguments=1)
    assert "…and 1 more argument." in render_markdown(one_more)
    nothing_cut = make_digest(arguments=2)
    assert "more argument" not in render_markdown(nothing_cut)
    assert not any("more argument" in text for text in embed_texts(render_embeds(nothing_cut)))


def test_the_compact_digest_is_one_embed_with_the_top_arguments():
    digest = dataclasses.replace(make_digest(("a short quote",), arguments=8, channel_name="ww2"), more_arguments=6)
    embed = render_compact(digest)
    assert_within_limits(embed)
    assert embed["title"] == "Digest: History · #ww2"
    assert embed["description"].startswith(f"<t:{int(SINCE)}:f> to <t:{int(UNTIL)}:f>\n")
    fields = embed["fields"]
    assert [f["name"] for f in fields] == [a.title for a in digest.arguments[:COMPACT_ARGUMENTS]]
    for field, argument in zip(fields, digest.arguments, strict=False):
        arrow = {"new": "🆕", "up": "↑", "down": "↓", "flat": "→"}[argument.trend]
        assert field["value"].startswith(f"Argued **{argument.count} times** by **5 people** · {arrow} ")
        assert field["value"].count("> “") == 1  # one quote, with its link
        assert f"[jump]({argument.quotes[0].jump_url})" in field["value"]
    assert embed["footer"]["text"].startswith("…and 9 more arguments. The full digest")  # 3 not shown + 6 cut


def test_the_compact_digest_shortens_its_quotes_and_says_when_nothing_was_argued():
    long_quote = " ".join(f"w{i}x" for i in range(200))
    embed = render_compact(make_digest((long_quote,), arguments=5, title="x" * 400))
    assert_within_limits(embed)
    quoted = [inner for f in embed["fields"] for inner in QUOTED.findall(f["value"])]
    assert len(quoted) == 5 and all(len(inner) <= COMPACT_QUOTE_CHARS for inner in quoted)
    empty = render_compact(dataclasses.replace(make_digest(), arguments=[]))
    assert "No argument was tagged in this window." in empty["description"] and "fields" not in empty


@pytest.mark.parametrize(
    ("since", "until", "tz", "period"),
    [
        ("2025-11-17T00:00", "2025-11-24T00:00", "UTC", "17–23 Nov"),  # the end is excluded
        ("2025-11-23T09:00", "2025-11-23T10:00", "UTC", "23 Nov"),
        ("2025-11-28T09:00", "2025-12-05T09:00", "UTC", "28 Nov – 5 Dec"),
        ("2025-12-28T00:00", "2026-01-04T00:00", "UTC", "28 Dec 2025 – 3 Jan 2026"),
        ("2025-11-16T23:30", "2025-11-23T23:30", "Europe/Paris", "17–24 Nov"),  # days where the schedule is
    ],
)
def test_digest_period(since, until, tz, period):
    def ts(text):
        return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()

    assert digest_period(ts(since), ts(until), tz) == period


def test_thread_name_says_what_the_digest_covers():
    since = datetime(2025, 11, 17, tzinfo=UTC).timestamp()
    until = since + 7 * 86400
    assert thread_name("ww2-debate", since, until) == "Digest: #ww2-debate, 17–23 Nov"
    assert thread_name(None, since, until) == "Digest: whole server, 17–23 Nov"
    long = thread_name("x" * 150, since, until)
    assert len(long) <= 100 and long.endswith("…, 17–23 Nov")
