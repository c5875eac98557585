"""Render a digest to Markdown, to Discord embed payloads, or to JSON.

Templates (``prompts/templates``) hold the wording; this module escapes every user-supplied text before
a template sees it, and keeps the embeds within Discord's limits (see :mod:`bot.engine.digest.split`).
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote as percent_encode
from urllib.parse import urlsplit

import jinja2

from bot.core.markdown import escape_inline
from bot.engine.catalogue import standing_text
from bot.engine.digest.model import ArgumentDigest, CandidateDigest, CounterMention, Digest, Quote, ReplyChain, Source
from bot.engine.digest.split import EmbedField, EmbedSpec, fit_embed, pack_messages

QUOTE_CHARS = 300
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


def _when(ts: float) -> str:
    # A no-break space keeps a date used as link text in one piece when a line is split between words.
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d\u00a0%H:%M")


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


def _quote(quote: Quote | None) -> dict | None:
    if quote is None:
        return None
    return {
        "text": escape_inline(quote.text, QUOTE_CHARS),
        "author": escape_inline(quote.author_name, NAME_CHARS),
        "when": _when(quote.created_at),
        "url": safe_url(quote.jump_url) or "",
    }


def _source(source: Source) -> dict:
    return {
        "author": escape_inline(source.author, NAME_CHARS),
        "title": escape_inline(source.title, TITLE_CHARS),
        "year": escape_inline(str(source.year or "")),
        "url": safe_url(source.url),
    }


def _sources_with_role(sources: list[Source], role: str) -> list[dict]:
    return [view for view in (_source(s) for s in sources if s.role == role) if any(view.values())]


def _counter(counter: CounterMention) -> dict:
    return {
        "title": escape_inline(counter.title or counter.slug, TITLE_CHARS),
        "count": counter.count,
        "replies": counter.replies,
        "quote": _quote(counter.quote),
    }


def _argument(argument: ArgumentDigest) -> dict:
    return {
        "title": escape_inline(argument.title or argument.claim or argument.slug, TITLE_CHARS),
        # The claim is shown under a title, and is the title when there is none.
        "claim": escape_inline(argument.claim, CLAIM_CHARS) if argument.title else "",
        "count": argument.count,
        "authors": argument.authors,
        "previous": argument.previous_count,
        "trend": argument.trend,
        "policy": argument.policy,
        "quotes": [_quote(q) for q in argument.quotes],
        "standing": standing_text(argument.standing),
        "reading": _sources_with_role(argument.sources, "supports"),
        "rebuttals": _sources_with_role(argument.sources, "rebuts"),
        "counters": [_counter(c) for c in argument.counters],
    }


def _candidate(candidate: CandidateDigest) -> dict:
    return {
        "claim": escape_inline(candidate.claim, CLAIM_CHARS),
        "slug": escape_inline(candidate.slug, NAME_CHARS),
        "messages": candidate.messages,
        "authors": candidate.authors,
        "days": candidate.days,
        "quotes": [_quote(q) for q in candidate.quotes],
    }


def _chain(chain: ReplyChain) -> dict:
    return {
        "root": _quote(chain.root),
        "replies": chain.replies,
        "participants": chain.participants,
        "last": _when(chain.last_at),
    }


def digest_view(digest: Digest) -> dict:
    """What templates see: the digest with every text escaped and every time formatted."""
    return {
        "guild": escape_inline(digest.guild_name, NAME_CHARS) or str(digest.guild_id),
        "channel": (escape_inline(digest.channel_name or "", NAME_CHARS) or str(digest.channel_id))
        if digest.channel_id
        else "",
        "since": _when(digest.since),
        "until": _when(digest.until),
        "total_messages": digest.total_messages,
        "total_authors": digest.total_authors,
        "untagged": digest.untagged_count,
        "arguments": [_argument(a) for a in digest.arguments],
        "candidates": [_candidate(c) for c in digest.candidates],
        "chains": [_chain(c) for c in digest.chains],
    }


def render_markdown(digest: Digest, templates_dir: Path | None = None) -> str:
    return _tidy(_templates(templates_dir).get_template("digest.md.j2").render(d=digest_view(digest))) + "\n"


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
    for argument in view["arguments"]:
        fields = [
            EmbedField(_tidy(name), _tidy(value(argument)))
            for present, name, value in (
                (argument["reading"], parts.reading_name, parts.reading_value),
                (argument["rebuttals"], parts.rebuttals_name, parts.rebuttals_value),
                (argument["counters"], parts.counters_name, parts.counters_value),
            )
            if present
        ]
        specs.append(
            EmbedSpec(
                title=_tidy(parts.argument_title(argument)),
                description=_tidy(parts.argument_description(argument)),
                fields=fields,
                color=COLORS[argument["trend"]],
            )
        )
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
    parts = _templates(templates_dir).get_template("digest_embed.j2").module
    specs = _embed_specs(digest_view(digest), parts, _iso(digest.until))
    embeds = [embed for spec in specs for embed in fit_embed(spec)]
    return pack_messages(embeds)


def digest_to_json(digest: Digest) -> dict:
    """The digest as plain JSON data, raw texts included (a consumer that displays them must escape them)."""
    payload = dataclasses.asdict(digest)
    payload["since_iso"], payload["until_iso"] = _iso(digest.since), _iso(digest.until)
    return payload
