"""Quoted user text cannot ping anyone, format, link or break the line it is quoted on."""

import pytest

from bot.core.markdown import ZWSP, escape_inline

MENTIONS = ("@everyone", "@here", "<@", "<@&", "<#")


@pytest.mark.parametrize(
    "text",
    [
        "@everyone look",
        "hey @here",
        "@EVERYONE",
        "<@123456789012345678>",
        "<@!123456789012345678>",
        "<@&123456789012345678>",
        "<#123456789012345678>",
        "@every\x00one",
        "<\x07@123>",
        "@\u202eeveryone",
    ],
)
def test_mentions_are_neutralised(text):
    escaped = escape_inline(text)
    assert not any(m in escaped.lower() for m in MENTIONS)
    assert ZWSP in escaped


def test_markdown_is_escaped():
    assert escape_inline("**bold** _it_ ~~x~~ `code` ||spoiler|| > q # h") == (
        r"\*\*bold\*\* \_it\_ \~\~x\~\~ \`code\` \|\|spoiler\|\| \> q \# h"
    )
    assert escape_inline(r"already \*escaped") == r"already \\\*escaped"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("- not a list", r"\- not a list"),
        ("+ nor this", r"\+ nor this"),
        ("1. nor this", r"1\. nor this"),
        ("# nor a heading", r"\# nor a heading"),
        ("-# nor subtext", r"\-\# nor subtext"),
    ],
)
def test_leading_markers_are_escaped(text, expected):
    assert escape_inline(text) == expected


def test_masked_links_cannot_render():
    escaped = escape_inline("[free nitro](https://evil.example/steal)")
    assert escaped == "\\[free nitro\\]\\(https:" + ZWSP + "//evil.example/steal\\)"
    assert "https://" not in escape_inline("see https://example.com and http://x.org")


def test_newlines_whitespace_and_control_characters_collapse():
    assert escape_inline("line one\n\n> line two\r\n\tthree\x00\x1b[31m\u2028four") == (
        r"line one \> line two three\[31m four"
    )


def test_bidi_overrides_are_dropped_but_other_scripts_stay():
    assert escape_inline("abc\u202edef\u2066") == "abcdef"
    assert escape_inline("שלום 👋🏽 مرحبا") == "שלום 👋🏽 مرحبا"


def test_shortening_cuts_at_a_word_boundary():
    text = "the soviet union trained german officers at lipetsk and kazan"
    shortened = escape_inline(text, limit=30)
    assert shortened == "the soviet union trained…"
    assert len(shortened) <= 30
    assert escape_inline("x" * 100, limit=10) == "x" * 9 + "…"


def test_shortening_never_leaves_a_dangling_escape():
    shortened = escape_inline("abcdefgh*ijk", limit=10)
    assert shortened == "abcdefgh…"
