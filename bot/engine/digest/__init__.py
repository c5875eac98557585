"""Digests: what was argued in a window, as counts and linked quotes, rendered for Discord or Markdown.

Part of the engine: imports the store, the core and the engine's catalogue; never discord.
"""

from bot.engine.digest.builder import VectorSource, build_digest
from bot.engine.digest.model import (
    COMPACT,
    FULL,
    STYLES,
    ArgumentDigest,
    CandidateDigest,
    CounterMention,
    Digest,
    Quote,
    ReplyChain,
    Source,
)
from bot.engine.digest.render import digest_to_json, render_compact, render_embeds, render_markdown, thread_name

__all__ = [
    "COMPACT",
    "FULL",
    "STYLES",
    "ArgumentDigest",
    "CandidateDigest",
    "CounterMention",
    "Digest",
    "Quote",
    "ReplyChain",
    "Source",
    "VectorSource",
    "build_digest",
    "digest_to_json",
    "render_compact",
    "render_embeds",
    "render_markdown",
    "thread_name",
]
