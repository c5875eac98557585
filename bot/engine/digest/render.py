"""Render a digest to Markdown, to Discord embed payloads, or to JSON.

Templates (``prompts/templates``) hold the wording; this module escapes every user-supplied text before
a template sees it, and keeps the embeds within Discord's limits (see :mod:`bot.engine.digest.split`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote as percent_encode
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import jinja2

from bot.core.markdown import discord_len, escape_inline, shorten
from bot.engine.catalogue import standing_text
from bot.engine.digest.model import ArgumentDigest, CandidateDigest, CounterMention, Digest, Quote, ReplyChain, Source
from bot.engine.digest.split import EmbedField, EmbedSpec, fit_embed, pack_messages

QUOTE_CHARS = 300
COMPACT_QUOTE_CHARS = 150
# The compact digest's arguments: a channel skims five; the rest are in the full digest under it.
COMPACT_ARGUMENTS = 5
THREAD_NAME_CHARS = 100  # Discord's limit
NAME_CHARS = 64
TITLE_CHARS = 200
CLAIM_CHARS = 500

COLORS = {
    "header": 0x5865F2,
    "new": 0xE74C3C,
    "up": 0xE67E22,
    "flat": 0x95A5A6,
    "down": 0x2ECC71,
    "candidates": 0x9B59B6,
    "chains": 0x3498DB,
}

# Characters allowed unencoded in a link target; brackets, parentheses and spaces would end the Markdown link.
_URL_SAFE = ":/?#@!$&'*+,;=%~-._"


@lru_cache(maxsize=4)
def _environment(templates_dir: str) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )


def _templates(templates_dir: Path | None) -> jinja2.Environment:
    if templates_dir is None:
        from bot.core.config import get_settings

        templates_dir = get_settings().templates_dir
    return _environment(str(templates_dir))


def _tidy(text: Any) -> str:
    return re.sub(r"\n{3,}", "\n\n", str(text)).strip()


def utc_text(ts: float, style: str = "f") -> str:
    """A time as readable UTC, for Markdown read outside Discord (Discord's ``style`` letters do not apply)."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M")


def discord_time(ts: float, style: str = "f") -> str:
    """A Discord timestamp, which every reader sees in their own time zone and language: ``d`` a date,
    ``f`` a date and time, ``R`` relative ("3 days ago")."""
    return f"<t:{int(ts)}:{style}>"


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


def safe_url(url: str) -> str | None:
    """An http(s) URL that cannot break out of a Markdown link, or None."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return percent_encode(url, safe=_URL_SAFE)


def _source(source: Source) -> dict:
    return {
        "author": escape_inline(source.author, NAME_CHARS),
        "title": escape_inline(source.title, TITLE_CHARS),
        "year": escape_inline(str(source.year or "")),
        "url": safe_url(source.url),
    }


def _sources_with_role(sources: list[Source], role: str) -> list[dict]:
    return [view for view in (_source(s) for s in sources if s.role == role) if any(view.values())]


@dataclass(frozen=True)
class _Viewer:
    """Turns a digest into what templates see: every text escaped, every time formatted by ``stamp``."""

    stamp: Callable[[float, str], str]
    # Said after the window's times: text times need their zone; Discord's are in each reader's own.
    zone: str = ""
    quote_chars: int = QUOTE_CHARS
    max_quotes: int | None = None  # per argument; None: all the builder picked

    def quote(self, quote: Quote | None, style: str = "d") -> dict | None:
        if quote is None:
            return None
        return {
            "text": escape_inline(quote.text, self.quote_chars),
            "author": escape_inline(quote.author_name, NAME_CHARS),
            "when": self.stamp(quote.created_at, style),
            "url": safe_url(quote.jump_url) or "",
        }

    def counter(self, counter: CounterMention) -> dict:
        return {
            "title": escape_inline(counter.title or counter.slug, TITLE_CHARS),
            "count": counter.count,
            "replies": counter.replies,
            "quote": self.quote(counter.quote),
        }

    def argument(self, argument: ArgumentDigest) -> dict:
        return {
            "title": escape_inline(argument.title or argument.claim or argument.slug, TITLE_CHARS),
            # The claim is shown under a title, and is the title when there is none.
            "claim": escape_inline(argument.claim, CLAIM_CHARS) if argument.title else "",
            "count": argument.count,
            "authors": argument.authors,
            "previous": argument.previous_count,
            "trend": argument.trend,
            "policy": argument.policy,
            "quotes": [self.quote(q) for q in argument.quotes[: self.max_quotes]],
            "standing": standing_text(argument.standing),
            "reading": _sources_with_role(argument.sources, "supports"),
            "rebuttals": _sources_with_role(argument.sources, "rebuts"),
            "counters": [self.counter(c) for c in argument.counters],
        }

    def candidate(self, candidate: CandidateDigest) -> dict:
        return {
            "claim": escape_inline(candidate.claim, CLAIM_CHARS),
            "slug": escape_inline(candidate.slug, NAME_CHARS),
            "messages": candidate.messages,
            "authors": candidate.authors,
            "days": candidate.days,
            "quotes": [self.quote(q) for q in candidate.quotes],
        }

    def chain(self, chain: ReplyChain) -> dict:
        return {
            "root": self.quote(chain.root),
            "replies": chain.replies,
            "participants": chain.participants,
            "last": self.stamp(chain.last_at, "R"),
        }

    def digest(self, digest: Digest) -> dict:
        return {
            "guild": escape_inline(digest.guild_name, NAME_CHARS) or str(digest.guild_id),
            "channel": (escape_inline(digest.channel_name or "", NAME_CHARS) or str(digest.channel_id))
            if digest.channel_id
            else "",
            "since": self.stamp(digest.since, "f"),
            "until": self.stamp(digest.until, "f"),
            "zone": self.zone,
            "total_messages": digest.total_messages,
            "total_authors": digest.total_authors,
            "untagged": digest.untagged_count,
            "arguments": [self.argument(a) for a in digest.arguments],
            "more": digest.more_arguments,
            "candidates": [self.candidate(c) for c in digest.candidates],
            "chains": [self.chain(c) for c in digest.chains],
        }


MARKDOWN = _Viewer(utc_text, zone="UTC")
DISCORD = _Viewer(discord_time)
# The compact embed holds every shown argument in one embed: one short quote each.
DISCORD_COMPACT = _Viewer(discord_time, quote_chars=COMPACT_QUOTE_CHARS, max_quotes=1)


def digest_view(digest: Digest, viewer: _Viewer = MARKDOWN) -> dict:
    """What templates see: the digest with every text escaped and every time formatted."""
    return viewer.digest(digest)


def render_markdown(digest: Digest, templates_dir: Path | None = None) -> str:
    return _tidy(_templates(templates_dir).get_template("digest.md.j2").render(d=digest_view(digest))) + "\n"


def _embed_parts(templates_dir: Path | None) -> Any:
    return _templates(templates_dir).get_template("digest_embed.j2").module


def _argument_spec(argument: dict, parts: Any) -> EmbedSpec:
    # Sources that back the claim and sources that rebut it are separate fields: a reader must never
    # take a rebuttal for support, or the reverse.
    fields = [
        EmbedField(_tidy(name), _tidy(value(argument)))
        for present, name, value in (
            (argument["reading"], parts.reading_name, parts.reading_value),
            (argument["rebuttals"], parts.rebuttals_name, parts.rebuttals_value),
            (argument["counters"], parts.counters_name, parts.counters_value),
        )
        if present
    ]
    return EmbedSpec(
        title=_tidy(parts.argument_title(argument)),
        description=_tidy(parts.argument_description(argument)),
        fields=fields,
        color=COLORS[argument["trend"]],
    )


def _embed_specs(view: dict, parts: Any, until: str) -> list[EmbedSpec]:
    specs = [
        EmbedSpec(
            title=_tidy(parts.header_title(view)),
            description=_tidy(parts.header_description(view)),
            color=COLORS["header"],
            footer=_tidy(parts.footer(view)),
            timestamp=until,
        )
    ]
    specs += [_argument_spec(argument, parts) for argument in view["arguments"]]
    if view["more"]:
        specs.append(EmbedSpec(description=_tidy(parts.more_description(view)), color=COLORS["header"]))
    for section in ("candidates", "chains"):
        if view[section]:
            specs.append(
                EmbedSpec(
                    title=_tidy(getattr(parts, f"{section}_title")(view)),
                    description=_tidy(getattr(parts, f"{section}_description")(view)),
                    color=COLORS[section],
                )
            )
    return specs


def render_embeds(digest: Digest, templates_dir: Path | None = None) -> list[list[dict]]:
    """Messages to post, in order, each a list of embed payloads within Discord's limits."""
    specs = _embed_specs(DISCORD.digest(digest), _embed_parts(templates_dir), _iso(digest.until))
    embeds = [embed for spec in specs for embed in fit_embed(spec)]
    return pack_messages(embeds)


def render_compact(digest: Digest, templates_dir: Path | None = None, top: int = COMPACT_ARGUMENTS) -> dict:
    """The compact digest: one embed with the ``top`` arguments, each with its count, its trend and one
    short quote, and how many more there are. Every part is bounded, so it always fits one embed."""
    shown = digest.arguments[:top]
    more = digest.more_arguments + len(digest.arguments) - len(shown)
    view = DISCORD_COMPACT.digest(dataclasses.replace(digest, arguments=shown, more_arguments=more))
    parts = _embed_parts(templates_dir)
    [embed] = fit_embed(
        EmbedSpec(
            title=_tidy(parts.compact_title(view)),
            description=_tidy(parts.compact_description(view)),
            fields=[
                EmbedField(_tidy(parts.compact_argument_name(a)), _tidy(parts.compact_argument_value(a)))
                for a in view["arguments"]
            ],
            color=COLORS["header"],
            footer=_tidy(parts.compact_footer(view)),
            timestamp=_iso(digest.until),
        )
    )
    return embed


def _day(day: date, year: bool) -> str:
    return f"{day.day} {day:%b}" + (f" {day.year}" if year else "")


def digest_period(since: float, until: float, tz: str = "UTC") -> str:
    """The days a window covers, as people write them: ``23 Nov``, ``17–23 Nov``, ``28 Nov – 4 Dec``,
    ``28 Dec 2025 – 3 Jan 2026``. ``until`` is excluded: a week ending at midnight ends the day before."""
    zone = ZoneInfo(tz)
    first = datetime.fromtimestamp(since, zone).date()
    last = max(first, datetime.fromtimestamp(until - 1, zone).date())
    if first == last:
        return _day(first, year=False)
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{_day(last, year=False)}"
    years = first.year != last.year
    return f"{_day(first, years)} – {_day(last, years)}"


def thread_name(channel_name: str | None, since: float, until: float, tz: str = "UTC") -> str:
    """The name of a digest's thread: what it covers and when, such as ``Digest: #ww2-debate, 17–23 Nov``
    (``whole server`` without a channel), within Discord's 100 characters."""
    period = f", {digest_period(since, until, tz)}"
    scope = f"#{channel_name}" if channel_name else "whole server"
    room = THREAD_NAME_CHARS - discord_len("Digest: ") - discord_len(period)
    return f"Digest: {shorten(scope, room)}{period}"


def digest_to_json(digest: Digest) -> dict:
    """The digest as plain JSON data, raw texts included (a consumer that displays them must escape them)."""
    payload = dataclasses.asdict(digest)
    payload["since_iso"], payload["until_iso"] = _iso(digest.since), _iso(digest.until)
    return payload
