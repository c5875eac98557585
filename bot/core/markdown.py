"""The one Markdown escaper, and text measured and shortened the way Discord counts it.

Every text Clio shows that came from users (quotes, author, channel and server names, discovered claims)
goes through :func:`escape_inline`: it may be read, but it cannot ping, format or link. Lengths count
UTF-16 code units, as Discord's clients do, which is never less than Python's count of code points.
"""

from __future__ import annotations

import re

ZWSP = "\u200b"

_SPACING = re.compile("[\n\r\t\v\f\x1c-\x1f\x85\u2028\u2029]")
# Bidirectional overrides and isolates are dropped too: they can reorder the text around a quote, links included.
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
_WHITESPACE = re.compile(r"\s+")
_SCHEME = re.compile(r"(?<=[A-Za-z0-9+.-]):(?=//)")
_MENTION_START = re.compile(r"<(?=[@#])")
_EVERYONE = re.compile(r"@(?=everyone|here)", re.IGNORECASE)
_MARKDOWN = re.compile(r"([\\*_~`|>#\[\]()])")
_LEADING_MARKER = re.compile(r"^([-+]|\d+\.)")
_LONGEST_PATTERN = len("@everyone")


ELLIPSIS = "…"


def discord_len(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def prefix_within(text: str, limit: int) -> str:
    """The longest prefix of text within limit."""
    head = text[:limit]
    while discord_len(head) > limit:
        head = head[: len(head) - (discord_len(head) - limit + 1) // 2]
    return head


def without_dangling_escape(text: str) -> str:
    """A cut right after a backslash would make it escape whatever follows; drop that backslash."""
    trailing = len(text) - len(text.rstrip("\\"))
    return text[:-1] if trailing % 2 else text


def shorten(text: str, limit: int, ellipsis: str = ELLIPSIS) -> str:
    """Text within limit: unchanged if it fits, else cut at the last word boundary that fits, plus ellipsis."""
    if discord_len(text) <= limit:
        return text
    head = prefix_within(text, max(limit - discord_len(ellipsis), 0))
    boundary = head.rfind(" ")
    if boundary > 0:
        head = head[:boundary]
    return without_dangling_escape(head.rstrip()) + ellipsis


def strip_controls(text: str) -> str:
    """Drop control, lone-surrogate and bidi-override characters; line breaks and tabs become spaces."""
    return _INVISIBLE.sub("", _SPACING.sub(" ", text))


def neutralise_mentions(text: str) -> str:
    """Break @everyone, @here and <@id>, <@&id>, <#id> with a zero-width space so Discord shows them as text."""
    return _EVERYONE.sub("@" + ZWSP, _MENTION_START.sub("<" + ZWSP, text))


def mask_links(text: str) -> str:
    """Keep URLs readable but not clickable (and so never previewed or disguised)."""
    return _SCHEME.sub(":" + ZWSP, text)


def escape_markdown(text: str) -> str:
    escaped = _MARKDOWN.sub(r"\\\1", text)
    # A quote rendered at the start of a line must not turn into a list item.
    return _LEADING_MARKER.sub(lambda m: m.group(1)[:-1] + "\\" + m.group(1)[-1], escaped)


def escape_inline(text: str, limit: int | None = None) -> str:
    """One line of inert text, shortened at a word boundary with '…' to ``limit`` characters if given."""
    text = _WHITESPACE.sub(" ", strip_controls(text)).strip()
    if limit is not None:
        # Escaping only lengthens text, so nothing past the limit (plus the longest pattern) can show.
        text = text[: limit + _LONGEST_PATTERN]
    text = escape_markdown(mask_links(neutralise_mentions(text)))
    return shorten(text, limit) if limit is not None else text
