"""What a digest says, as plain data: counts and quotes of stored messages, never generated text.

Texts here are raw (as stored); escaping for Discord and Markdown happens when rendering.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.records import StoredMessage

TRENDS = ("new", "up", "down", "flat")

# How a digest is posted. Compact: one embed with the top arguments, the full digest in a thread under
# it (what a channel skims). Full: the whole digest, its first message in the channel.
COMPACT, FULL = "compact", "full"
STYLES = (COMPACT, FULL)


@dataclass(frozen=True)
class Quote:
    message_id: int
    channel_id: int
    author_name: str
    text: str
    jump_url: str
    created_at: float

    @classmethod
    def of(cls, message: StoredMessage) -> Quote:
        return cls(
            message.id, message.channel_id, message.author_name, message.content, message.jump_url, message.created_at
        )


@dataclass(frozen=True)
class Source:
    """A reference from the catalogue: every field may be missing."""

    author: str = ""
    title: str = ""
    year: int | str | None = None
    url: str = ""
    role: str = "supports"  # or "rebuts": works arguing against the claim


@dataclass(frozen=True)
class CounterMention:
    """A catalogued counter of an argument that was also tagged in the window."""

    slug: str
    title: str
    count: int
    quote: Quote | None
    # how many of the counter's messages reply to a message of the argument it counters
    replies: int = 0


@dataclass(frozen=True)
class ArgumentDigest:
    argument_id: int
    slug: str
    title: str
    claim: str
    count: int
    authors: int
    previous_count: int
    trend: str
    quotes: list[Quote] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    counters: list[CounterMention] = field(default_factory=list)
    policy: str | None = None
    standing: str | None = None  # consensus | debated | rejected, from the catalogue


@dataclass(frozen=True)
class CandidateDigest:
    """A discovered argument awaiting review, counted over its evidence messages in the window."""

    argument_id: int
    slug: str
    claim: str
    messages: int
    authors: int
    days: int
    quotes: list[Quote] = field(default_factory=list)


@dataclass(frozen=True)
class ReplyChain:
    root: Quote
    replies: int
    participants: int
    last_at: float


@dataclass(frozen=True)
class Digest:
    guild_id: int
    guild_name: str
    channel_id: int | None
    channel_name: str | None
    since: float
    until: float
    total_messages: int
    total_authors: int
    arguments: list[ArgumentDigest] = field(default_factory=list)
    candidates: list[CandidateDigest] = field(default_factory=list)
    chains: list[ReplyChain] = field(default_factory=list)
    untagged_count: int = 0
    # Arguments tagged in the window but left out by the builder's max_arguments.
    more_arguments: int = 0
