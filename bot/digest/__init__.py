"""Digests: what was argued in a window, as counts and linked quotes, rendered for Discord or Markdown."""

from bot.digest.builder import VectorSource, build_digest
from bot.digest.model import ArgumentDigest, CandidateDigest, CounterMention, Digest, Quote, ReplyChain, Source
from bot.digest.render import digest_to_json, render_embeds, render_markdown

__all__ = [
    "ArgumentDigest", "CandidateDigest", "CounterMention", "Digest", "Quote", "ReplyChain", "Source",
    "VectorSource", "build_digest", "digest_to_json", "render_embeds", "render_markdown",
]
