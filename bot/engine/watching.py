"""Which channels Clio reads, and what a deleted channel takes with it from a guild's settings."""

from __future__ import annotations

from typing import Any

from bot.core.guild_config import GuildConfig


def is_watched(config: GuildConfig, channel_id: int, parent_id: int | None = None) -> bool:
    """Watched channels, and the threads inside them."""
    watched = config.watched_channels
    return channel_id in watched or (parent_id is not None and parent_id in watched)


def without_channel(config: GuildConfig, channel_id: int) -> dict[str, Any]:
    """The settings changes that forget a channel; empty when no setting names it."""
    changes: dict[str, Any] = {}
    for key in ("watched_channels", "note_channels", "exempt_channels"):
        values = getattr(config, key)
        if channel_id in values:
            changes[key] = [c for c in values if c != channel_id]
    for key in ("digest_channel", "modlog_channel"):
        if getattr(config, key) == channel_id:
            changes[key] = None
    return changes
