"""Fit text into Discord's embed limits by splitting it, never by cutting words.

Text splits at line boundaries first; a line too long on its own splits between words; only a single
word longer than a whole limit is cut inside. Lengths count UTF-16 code units, as Discord's clients do,
which is never less than Python's count of code points.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from bot.core.markdown import discord_len, prefix_within, shorten, without_dangling_escape

TITLE = 256
DESCRIPTION = 4096
FIELD_NAME = 256
FIELD_VALUE = 1024
FIELDS = 25
FOOTER = 2048
# Discord's 6000 applies to all embeds of one message together, so it bounds each embed too.
MESSAGE_TOTAL = 6000
EMBEDS_PER_MESSAGE = 10


def _hard_split(word: str, limit: int) -> Iterator[str]:
    while discord_len(word) > limit:
        piece = without_dangling_escape(prefix_within(word, limit)) or word[0]
        yield piece
        word = word[len(piece) :]
    if word:
        yield word


def _line_pieces(line: str, limit: int) -> Iterator[str]:
    """A line in pieces within limit, split between words when it is too long."""
    if discord_len(line) <= limit:
        yield line
        return
    current, size = "", 0
    for word in line.split(" "):
        word_size = discord_len(word)
        if current and size + 1 + word_size <= limit:
            current, size = f"{current} {word}", size + 1 + word_size
            continue
        if current:
            yield current
        current, size = "", 0
        if word_size > limit:
            *whole, word = _hard_split(word, limit)
            yield from whole
            word_size = discord_len(word)
        current, size = word, word_size
    if current:
        yield current


def split_text(text: str, limit: int) -> list[str]:
    """Chunks within limit, each made of whole lines where a line fits; blank edges are dropped."""
    chunks: list[str] = []
    current: list[str] = []
    size = -1  # the newline before the first line is not written
    for line in text.split("\n"):
        for piece in _line_pieces(line, limit):
            piece_size = discord_len(piece)
            if current and size + 1 + piece_size > limit:
                chunks.append("\n".join(current))
                current, size = [], -1
            current.append(piece)
            size += 1 + piece_size
    chunks.append("\n".join(current))
    return [chunk.strip("\n") for chunk in chunks if chunk.strip()]


@dataclass
class EmbedField:
    name: str
    value: str
    inline: bool = False


@dataclass
class EmbedSpec:
    """An embed before fitting: any part may exceed Discord's limits."""

    title: str = ""
    description: str = ""
    fields: list[EmbedField] = field(default_factory=list)
    color: int | None = None
    footer: str = ""
    timestamp: str | None = None


def embed_length(embed: dict) -> int:
    """The characters Discord counts towards the 6000 of a message."""
    parts = [
        embed.get("title", ""),
        embed.get("description", ""),
        embed.get("footer", {}).get("text", ""),
        embed.get("author", {}).get("name", ""),
    ]
    for item in embed.get("fields", ()):
        parts += [item["name"], item["value"]]
    return sum(map(discord_len, parts))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _new_embed(spec: EmbedSpec, title: str = "", description: str = "") -> dict:
    embed: dict = {}
    if title:
        embed["title"] = title
    if description:
        embed["description"] = description
    if spec.color is not None:
        embed["color"] = spec.color
    embed["fields"] = []
    return embed


def fit_embed(spec: EmbedSpec) -> list[dict]:
    """One embed, or several when its text overflows; continuations carry no title, the last the footer."""
    title = shorten(_one_line(spec.title), TITLE)
    footer = shorten(spec.footer.strip(), FOOTER)
    # Every embed keeps room for the footer, since which one ends up last is only known at the end.
    reserve = discord_len(footer)
    descriptions = split_text(spec.description, min(DESCRIPTION, MESSAGE_TOTAL - discord_len(title) - reserve))
    embeds = [_new_embed(spec, title if not i else "", text) for i, text in enumerate(descriptions or [""])]
    for item in spec.fields:
        name = shorten(_one_line(item.name), FIELD_NAME) or "\u200b"
        for value in split_text(item.value, FIELD_VALUE):
            size = discord_len(name) + discord_len(value)
            if len(embeds[-1]["fields"]) == FIELDS or embed_length(embeds[-1]) + size + reserve > MESSAGE_TOTAL:
                embeds.append(_new_embed(spec))
            embeds[-1]["fields"].append({"name": name, "value": value, "inline": item.inline})
    if footer:
        embeds[-1]["footer"] = {"text": footer}
    if spec.timestamp:
        embeds[-1]["timestamp"] = spec.timestamp
    for embed in embeds:
        if not embed["fields"]:
            del embed["fields"]
    return [e for e in embeds if e.keys() & {"title", "description", "fields", "footer"}]


def pack_messages(embeds: Sequence[dict]) -> list[list[dict]]:
    """Group fitted embeds, in order, into as few messages as Discord's per-message limits allow."""
    messages: list[list[dict]] = []
    total = MESSAGE_TOTAL + 1
    for embed in embeds:
        size = embed_length(embed)
        if not messages or len(messages[-1]) == EMBEDS_PER_MESSAGE or total + size > MESSAGE_TOTAL:
            messages.append([])
            total = 0
        messages[-1].append(embed)
        total += size
    return messages
