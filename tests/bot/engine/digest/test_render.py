"""Markdown, embeds and JSON of a digest: everything shown is a count or a linked, escaped quote."""

import dataclasses
import json
import re

from bot.engine.digest import digest_to_json, render_embeds, render_markdown
from bot.engine.digest.render import safe_url
from bot.engine.digest.split import EMBEDS_PER_MESSAGE, MESSAGE_TOTAL, embed_length
from tests.bot.engine.digest.conftest import all_quotes, assert_within_limits, embed_texts, make_digest

HOSTILE = "@everyone **look** at <@123> and <#456>\n# [free nitro](https://evil.example)"
QUOTED = re.compile(r"“([^”]*)”")


def test_markdown_has_every_section():
    digest = make_digest(("the soviets trained the luftwaffe",), channel_name="ww2")
    text = render_markdown(digest)
    assert text.startswith("# Digest: History · #ww2\n")
    assert "**120 messages** by **14 authors**; 30 of them" in text
    assert "### The USSR trained the Wehrmacht 0" in text
    assert "**12 messages** by **5 authors** · up from 0 in the previous window" in text
    assert "Where historians stand: Historians reject this: it is a myth or contradicted by the record." in text
    reading, rebuttals = text.index("**Further reading**"), text.index("**Rebuttals**")
    assert "Sources" not in text
    assert reading < text.index("- Manfred Zeidler (1993), *Reichswehr und Rote Armee*") < rebuttals
    assert rebuttals < text.index("- Gabriel Gorodetsky (1999), *Grand Delusion*")
    assert "[Online \\(essay\\)](https://example.org/a%20b%28c%29)" in text
    assert "javascript:" not in text
    assert "**Counter The USSR trained the Wehrmacht**: 3 messages, 1 reply to this argument" in text
    assert "## Candidate arguments (awaiting review)" in text
    assert "**7 replies** from 4 participants" in text
    for quote in all_quotes(digest):
        assert f"]({quote.jump_url})" in text
    assert "> “the soviets trained the luftwaffe” — ada, [2025-10-09" in text


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
    assert re.search(r"w\d+x…” — ada, \[", text)
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
