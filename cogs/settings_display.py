"""``/clio config show``: every per-server setting, each in the field that explains it.

``SHOWN`` names the settings each field covers, so a test can check that a new setting is never left
out of the listing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import discord

from bot.core.guild_config import GuildConfig
from bot.core.markdown import escape_inline
from bot.core.times import duration_text


def _channels(ids: list[int]) -> str:
    return ", ".join(f"<#{i}>" for i in ids) or "none"


def _channel(channel_id: int | None) -> str:
    return f"<#{channel_id}>" if channel_id else "not set"


def _probability(value: float | None) -> str:
    return "model default" if value is None else f"{value:.2f}"


def _notes(config: GuildConfig) -> str:
    every = duration_text(config.note_cooldown_hours * 3600) if config.note_cooldown_hours else "no cooldown"
    return (
        f"in {_channels(config.note_channels)}; when a tag is at least {config.note_threshold:.2f} sure; "
        f"at most one per channel every {every}"
    )


def _flagging(config: GuildConfig) -> str:
    return (
        f"abuse {_probability(config.abuse_threshold)}"
        f"{'' if config.flag_bare_swearing else ', swearing at nobody not flagged'}; "
        f"flood {config.flood_messages} msgs/10 s; mass mention {config.mass_mentions}"
    )


def _exempt(config: GuildConfig) -> str:
    exempt = [*(f"<#{c}>" for c in config.exempt_channels), *(f"<@&{r}>" for r in config.exempt_roles)]
    return ", ".join(exempt) or "none"


def _allowlist(config: GuildConfig) -> str:
    allowed = [*config.spam_allowed_domains, *(f"invite {code}" for code in config.spam_allowed_invites)]
    return escape_inline(", ".join(allowed), 1024) or "none"


def _escalation(config: GuildConfig) -> str:
    return (
        f"{config.escalation_warnings} warnings in {config.escalation_days} days"
        f" -> {config.escalation_timeout_minutes} min timeout"
    )


@dataclass(frozen=True)
class Shown:
    name: str
    settings: tuple[str, ...]  # the GuildConfig fields this embed field shows
    value: Callable[[GuildConfig], str]
    inline: bool = True


SHOWN: tuple[Shown, ...] = (
    Shown("Watched channels", ("watched_channels",), lambda c: _channels(c.watched_channels), inline=False),
    Shown("Digest channel", ("digest_channel",), lambda c: _channel(c.digest_channel)),
    Shown("Mod-log channel", ("modlog_channel",), lambda c: _channel(c.modlog_channel)),
    Shown("Tag threshold", ("tag_threshold",), lambda c: _probability(c.tag_threshold)),
    Shown("Context notes", ("note_channels", "note_threshold", "note_cooldown_hours"), _notes, inline=False),
    Shown("Retention", ("retention_days",), lambda c: f"{c.retention_days} days"),
    Shown("Flaggers", ("flaggers",), lambda c: ", ".join(c.flaggers) or "none", inline=False),
    Shown("Flagging", ("abuse_threshold", "flag_bare_swearing", "flood_messages", "mass_mentions"), _flagging),
    Shown("Exempt", ("exempt_channels", "exempt_roles"), _exempt),
    Shown(
        "Moderators' digest",
        ("modlog_digest_time", "modlog_digest_timezone"),
        lambda c: f"{c.modlog_digest_time} {c.modlog_digest_timezone}",
    ),
    Shown(
        "Moderator role",
        ("moderator_role",),
        lambda c: f"<@&{c.moderator_role}>" if c.moderator_role else "not set",
    ),
    Shown(
        "Rule-breaking arguments",
        ("quote_policy_arguments",),
        lambda c: "quoted" if c.quote_policy_arguments else "not quoted",
    ),
    Shown("Spam allowlist", ("spam_allowed_domains", "spam_allowed_invites"), _allowlist),
    Shown(
        "Escalation",
        ("escalation_warnings", "escalation_days", "escalation_timeout_minutes"),
        _escalation,
    ),
)


def describe(config: GuildConfig) -> discord.Embed:
    embed = discord.Embed(title="Clio settings")
    for shown in SHOWN:
        embed.add_field(name=shown.name, value=shown.value(config), inline=shown.inline)
    embed.set_footer(text="Change one with /clio config <setting>; /clio setup walks through the main ones.")
    return embed
