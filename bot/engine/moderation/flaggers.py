"""What every flagger takes and returns. A flag is a request for a moderator's eyes, never an action."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from bot.core.guild_config import GuildConfig


@dataclass(frozen=True, slots=True)
class Flag:
    flagger: str
    score: float  # 0..1, higher is more likely a problem
    flagged: bool
    reason: str  # for a moderator: what fired and how strongly


@dataclass(slots=True)
class MessageContext:
    message_id: int
    guild_id: int
    channel_id: int
    author_id: int | None  # None when unknown (a CSV without authors): per-author checks are skipped
    text: str
    created_at: float | None = None  # Unix seconds; None means "now" by the flagger's clock
    author_role_ids: tuple[int, ...] = ()
    # The abuse classifier's probability (ModerationService.score_abuse); None: the abuse flagger skips it.
    abuse_score: float | None = None
    tags: list[tuple[int, float]] = field(default_factory=list)  # (argument id, probability) from the matcher
    # Moderators may ping @everyone; the cog sets this from the author's permissions.
    author_is_moderator: bool = False


class Flagger(Protocol):
    name: str

    def check(self, ctx: MessageContext, config: GuildConfig) -> Flag | None:
        """A verdict on one message, or None when this flagger lacks what it needs to judge it."""
        ...


def contexts_from_ingest(
    messages, result, role_ids: dict[int, tuple[int, ...]] | None = None, moderators: frozenset[int] = frozenset()
) -> list[MessageContext]:
    """What the flaggers need, from an ingested batch: its messages plus the tags ingest made."""
    role_ids = role_ids or {}
    return [
        MessageContext(
            message_id=m.id,
            guild_id=m.guild_id,
            channel_id=m.channel_id,
            author_id=m.author_id,
            text=m.content,
            created_at=m.created_at,
            author_role_ids=role_ids.get(m.author_id, ()),
            tags=result.tags.get(m.id, []),
            author_is_moderator=m.author_id in moderators,
        )
        for m in messages
    ]
