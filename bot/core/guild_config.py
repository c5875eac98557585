"""Per-guild settings with their defaults. Stored as JSON key/value rows; see GuildSettingsStore."""

from __future__ import annotations

from pydantic import BaseModel, Field


class GuildConfig(BaseModel):
    model_config = {"extra": "ignore", "validate_assignment": True}

    watched_channels: list[int] = Field(default_factory=list, description="Channels Clio stores and tags.")
    digest_channel: int | None = Field(default=None, description="Default channel for scheduled digests.")
    modlog_channel: int | None = Field(default=None, description="Where flags and cases are posted.")
    note_channels: list[int] = Field(default_factory=list, description="Channels with context notes on.")
    note_threshold: float = Field(default=0.8, ge=0, le=1, description="Probability a tag needs for a context note.")
    note_cooldown_hours: float = Field(default=24.0, ge=0)
    tag_threshold: float | None = Field(default=None, ge=0, le=1, description="Overrides the matcher's default.")
    # Moderation (see bot.engine.moderation).
    flaggers: list[str] = Field(default_factory=lambda: ["abuse", "spam", "flood", "policy"])
    abuse_threshold: float | None = Field(default=None, ge=0, le=1)
    flag_bare_swearing: bool = Field(
        default=True, description="Flag swearing aimed at nobody, as the public abuse datasets count it."
    )
    flood_messages: int = Field(
        default=6, ge=2, description="Messages from one author within 10 s that count as a flood."
    )
    mass_mentions: int = Field(
        default=5, ge=2, description="Distinct users mentioned in one message that count as spam."
    )
    spam_allowed_domains: list[str] = Field(default_factory=list, description="Links here are never spam signals.")
    spam_allowed_invites: list[str] = Field(default_factory=list, description="Invite codes of partner servers.")
    quote_policy_arguments: bool = Field(
        default=False, description="Quote messages of rule-breaking (policy: flag) arguments in digests."
    )
    modlog_digest_time: str = Field(default="00:05", description="When the moderators' digest is posted (HH:MM).")
    modlog_digest_timezone: str = Field(default="UTC", description="The IANA time zone of that time.")
    moderator_role: int | None = Field(
        default=None, description="Members with this role run moderator commands, as Manage Messages does."
    )
    exempt_channels: list[int] = Field(default_factory=list)
    exempt_roles: list[int] = Field(default_factory=list)
    escalation_warnings: int = Field(default=3, ge=1)
    escalation_days: int = Field(default=30, ge=1)
    escalation_timeout_minutes: int = Field(default=60, ge=1)
    retention_days: int = Field(default=365, ge=1, description="Messages older than this are deleted.")
