"""``/clio config``: moderators set what Clio watches and where it posts."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import TypeVar

import discord
from discord import app_commands
from discord.ext import commands
from pydantic import ValidationError

from bot.adapter.client import ClioBot
from bot.adapter.scheduling import build_trigger
from bot.core.errors import UserError
from bot.core.guild_config import GuildConfig
from bot.core.times import duration_text, parse_duration
from bot.engine.moderation import FLAGGER_NAMES
from bot.engine.moderation.spam import allowlist_domain, allowlist_invite
from cogs.common import (
    NO_MENTIONS,
    answer,
    ensure_postable,
    ensure_readable,
    guild_id_of,
    require_moderator,
    timezone_choices,
)
from cogs.ingest import Ingest
from cogs.settings_display import describe

log = logging.getLogger(__name__)
T = TypeVar("T")


def toggled(items: list[T], item: T, present: bool) -> list[T]:
    """``items`` with ``item`` added at the end, or removed."""
    others = [i for i in items if i != item]
    return [*others, item] if present else others


# Follow-ups to an interaction expire after 15 minutes: a longer import answers before then.
IMPORT_ANSWER_WITHIN = 14 * 60


# Everything under /clio is for moderators: hidden from members by default permissions, and checked
# server-side too (interaction_check), since server admins can override the default. Other cogs attach
# their moderator commands here (cogs.common.add_to_clio); members' commands are top-level of their own.
@app_commands.guild_only()
@app_commands.default_permissions(manage_messages=True)
class Settings(commands.GroupCog, group_name="clio", group_description="Clio's settings for this server"):
    config = app_commands.Group(name="config", description="Show or change Clio's settings")
    packs = app_commands.Group(name="packs", description="Topic packs: the catalogued debates Clio tags")

    def __init__(self, bot: ClioBot) -> None:
        self.bot = bot
        self.engine = bot.engine
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return await require_moderator(interaction)

    async def _update(self, interaction: discord.Interaction, **values) -> GuildConfig:
        return await self._validated(self.engine.store.settings.set(guild_id_of(interaction), **values))

    async def _toggle(self, guild_id: int, key: str, item: int | str, present: bool) -> GuildConfig:
        """Add ``item`` to (or remove it from) the list setting ``key``, under the settings lock."""
        return await self._validated(
            self.engine.store.settings.update(
                guild_id, lambda config: {key: toggled(getattr(config, key), item, present)}
            )
        )

    @staticmethod
    async def _validated(write: Awaitable[GuildConfig]) -> GuildConfig:
        try:
            return await write
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise UserError(f"That value is not allowed ({problems}).") from None

    async def _done(self, interaction: discord.Interaction, text: str) -> None:
        await answer(interaction, text)

    @config.command(name="show", description="Show this server's settings")
    async def show(self, interaction: discord.Interaction) -> None:
        config = await self.engine.store.settings.get(guild_id_of(interaction))
        await interaction.response.send_message(embed=describe(config), ephemeral=True, allowed_mentions=NO_MENTIONS)

    @config.command(name="watch", description="Store and tag the messages of a channel or forum, threads included")
    @app_commands.describe(channel="A text channel (its threads too) or a forum (its posts)")
    async def watch(
        self, interaction: discord.Interaction, channel: discord.TextChannel | discord.ForumChannel
    ) -> None:
        if not await self.watch_channel(guild_id_of(interaction), channel):
            await self._done(interaction, f"{channel.mention} is already watched.")
            return
        await self._done(interaction, f"Now watching {channel.mention}; reading its history and its threads'.")

    async def watch_channel(self, guild_id: int, channel: discord.TextChannel | discord.ForumChannel) -> bool:
        """Watch a channel and start reading its history; False when it was watched already."""
        ensure_readable(channel)
        if channel.id in (await self.engine.store.settings.get(guild_id)).watched_channels:
            return False
        await self._toggle(guild_id, "watched_channels", channel.id, True)
        self._ingest().start_backfill(channel)
        return True

    @app_commands.command(
        name="import-history", description="Read a watched channel's whole history, threads included, now"
    )
    @app_commands.describe(channel="A watched channel or forum")
    async def import_history(
        self, interaction: discord.Interaction, channel: discord.TextChannel | discord.ForumChannel
    ) -> None:
        ensure_readable(channel)
        config = await self.engine.store.settings.get(guild_id_of(interaction))
        if channel.id not in config.watched_channels:
            raise UserError(f"{channel.mention} is not watched: `/clio config watch` it first.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        reading = self._ingest().start_backfill(channel)
        try:
            reports = await asyncio.wait_for(asyncio.shield(reading), IMPORT_ANSWER_WITHIN)
        except TimeoutError:
            await answer(interaction, f"Still reading {channel.mention}: a long history. It goes on in the background.")
            return
        read = sum(r.fetched for r in reports)
        whole = all(r.complete for r in reports)
        await answer(
            interaction,
            f"Read {read:,} messages of {channel.mention} in {len(reports)} channel(s) and thread(s)."
            + ("" if whole else " Part of it is still being read from an earlier start; it resumes on its own."),
        )

    def _ingest(self) -> Ingest:
        ingest = self.bot.get_cog("Ingest")
        if not isinstance(ingest, Ingest):
            raise UserError("Message storing is switched off in this bot (its ingest cog is not loaded).")
        return ingest

    @config.command(name="unwatch", description="Stop storing a channel's new messages")
    @app_commands.describe(channel="A watched channel or forum")
    async def unwatch(
        self, interaction: discord.Interaction, channel: discord.TextChannel | discord.ForumChannel
    ) -> None:
        config = await self.engine.store.settings.get(guild_id_of(interaction))
        if channel.id not in config.watched_channels:
            raise UserError(f"{channel.mention} is not watched.")
        await self._toggle(guild_id_of(interaction), "watched_channels", channel.id, False)
        await self._done(
            interaction, f"No longer watching {channel.mention}. Its stored messages stay until they expire."
        )

    @config.command(name="digest-channel", description="Where scheduled digests go by default")
    @app_commands.describe(channel="The channel digests are posted in; everyone who reads it sees them")
    async def digest_channel(self, interaction: discord.Interaction, channel: discord.TextChannel) -> None:
        ensure_postable(channel)
        await self._update(interaction, digest_channel=channel.id)
        await self._done(interaction, f"Digests will go to {channel.mention}.")

    @config.command(name="modlog-channel", description="Where flags and moderation cases are posted")
    @app_commands.describe(channel="A channel only moderators can read")
    async def modlog_channel(self, interaction: discord.Interaction, channel: discord.TextChannel) -> None:
        ensure_postable(channel)
        await self._update(interaction, modlog_channel=channel.id)
        await self._done(interaction, f"Moderation notices will go to {channel.mention}.")

    @config.command(name="threshold", description="How sure the model must be to tag a message (blank: default)")
    @app_commands.describe(value="A probability from 0 to 1; leave it out to use the model's calibrated default")
    async def threshold(
        self, interaction: discord.Interaction, value: app_commands.Range[float, 0.0, 1.0] | None = None
    ) -> None:
        await self._validated(self.engine.tagging.set_guild_threshold(guild_id_of(interaction), value))
        shown = "the model's default" if value is None else f"{value:.2f}"
        await self._done(
            interaction,
            f"Tag threshold set to {shown}. New messages are tagged with it; run `clio tag` to re-tag stored ones.",
        )

    @config.command(name="notes", description="Turn context notes on or off in a channel")
    @app_commands.describe(channel="Where Clio may reply to a recurring argument", enabled="On or off there")
    async def notes(self, interaction: discord.Interaction, channel: discord.TextChannel, enabled: bool) -> None:
        if enabled:
            ensure_postable(channel)
        await self._toggle(guild_id_of(interaction), "note_channels", channel.id, enabled)
        await self._done(interaction, f"Context notes {'on' if enabled else 'off'} in {channel.mention}.")

    @config.command(name="note-threshold", description="How sure a tag must be before Clio posts a context note")
    @app_commands.describe(value="A probability from 0 to 1 (default 0.80); higher means fewer, surer notes")
    async def note_threshold(
        self, interaction: discord.Interaction, value: app_commands.Range[float, 0.0, 1.0]
    ) -> None:
        await self._update(interaction, note_threshold=value)
        await self._done(interaction, f"Context notes need a tag at least {value:.2f} sure.")

    @config.command(name="note-cooldown", description="How long Clio waits between two context notes in a channel")
    @app_commands.describe(every="A duration such as `6h`, `1 day` or `90m` (default 24h); `0` for no cooldown")
    async def note_cooldown(self, interaction: discord.Interaction, every: str) -> None:
        seconds = 0.0 if every.strip() in ("0", "0h") else parse_duration(every).total_seconds()
        await self._update(interaction, note_cooldown_hours=seconds / 3600)
        shown = f"at most one every {duration_text(seconds)}" if seconds else "no cooldown"
        await self._done(interaction, f"Context notes: {shown} per channel.")

    @config.command(name="retention", description="Delete stored messages older than this many days")
    @app_commands.describe(days="From 1 to 3650; older messages, their tags and scores are deleted daily")
    async def retention(self, interaction: discord.Interaction, days: app_commands.Range[int, 1, 3650]) -> None:
        await self._update(interaction, retention_days=days)
        await self._done(interaction, f"Stored messages are kept for {days} days.")

    # --- moderation ------------------------------------------------------------------------------

    @config.command(name="flagger", description="Turn one kind of flagging on or off")
    @app_commands.describe(name="abuse, spam, flood or policy (rule-breaking arguments)", enabled="On or off")
    @app_commands.choices(name=[app_commands.Choice(name=n, value=n) for n in FLAGGER_NAMES])
    async def flagger(self, interaction: discord.Interaction, name: app_commands.Choice[str], enabled: bool) -> None:
        await self._toggle(guild_id_of(interaction), "flaggers", name.value, enabled)
        await self._done(interaction, f"The {name.value} flagger is {'on' if enabled else 'off'}.")

    @config.command(name="flagging", description="Thresholds of the abuse, flood and mass-mention flaggers")
    @app_commands.describe(
        abuse="Abuse score (0-1) that flags a message",
        reset_abuse="Go back to the abuse model's shipped threshold",
        bare_swearing='Flag swearing aimed at nobody ("this fucking traffic"); on by default',
        flood="Messages from one author within 10 seconds that count as a flood",
        mass_mentions="Distinct members mentioned in one message that count as spam",
    )
    async def flagging(
        self,
        interaction: discord.Interaction,
        abuse: app_commands.Range[float, 0.0, 1.0] | None = None,
        reset_abuse: bool = False,
        bare_swearing: bool | None = None,
        flood: app_commands.Range[int, 2, 100] | None = None,
        mass_mentions: app_commands.Range[int, 2, 100] | None = None,
    ) -> None:
        changes: dict[str, float | int | bool | None] = {
            key: value
            for key, value in (
                ("abuse_threshold", abuse),
                ("flag_bare_swearing", bare_swearing),
                ("flood_messages", flood),
                ("mass_mentions", mass_mentions),
            )
            if value is not None
        }
        if reset_abuse:
            changes["abuse_threshold"] = None
        if not changes:
            raise UserError("Give at least one value to change.")
        config = await self._update(interaction, **changes)
        abuse_shown = "model default" if config.abuse_threshold is None else f"{config.abuse_threshold:.2f}"
        swearing = "flagged" if config.flag_bare_swearing else "not flagged"
        await self._done(
            interaction,
            f"Abuse threshold {abuse_shown}; swearing aimed at nobody {swearing}; flood at {config.flood_messages}"
            f" messages in 10 s; mass mention at {config.mass_mentions} members.",
        )

    @config.command(name="exempt", description="Exempt a channel or a role from flagging, or end the exemption")
    @app_commands.describe(
        exempt="On exempts it; off ends the exemption",
        channel="A channel whose messages are never flagged (give this or a role)",
        role="A role whose members are never flagged (give this or a channel)",
    )
    async def exempt(
        self,
        interaction: discord.Interaction,
        exempt: bool,
        channel: discord.TextChannel | None = None,
        role: discord.Role | None = None,
    ) -> None:
        if channel is not None and role is None:
            key, target_id, shown = "exempt_channels", channel.id, channel.mention
        elif role is not None and channel is None:
            key, target_id, shown = "exempt_roles", role.id, role.mention
        else:
            raise UserError("Name exactly one channel or one role.")
        await self._toggle(guild_id_of(interaction), key, target_id, exempt)
        await self._done(interaction, f"{shown} is {'now' if exempt else 'no longer'} exempt from flagging.")

    @config.command(name="spam-allow", description="Never count a domain's links, or a partner's invite, as spam")
    @app_commands.describe(
        allowed="Off takes it back off the allowlist",
        domain="A domain such as jstor.org (its subdomains too)",
        invite="A partner server's invite link or code",
    )
    async def spam_allow(
        self, interaction: discord.Interaction, allowed: bool, domain: str | None = None, invite: str | None = None
    ) -> None:
        if domain is not None and invite is None:
            key, value = "spam_allowed_domains", allowlist_domain(domain)
        elif invite is not None and domain is None:
            key, value = "spam_allowed_invites", allowlist_invite(invite)
        else:
            raise UserError("Name exactly one domain or one invite.")
        await self._toggle(guild_id_of(interaction), key, value, allowed)
        await self._done(interaction, f"`{value}` is {'now' if allowed else 'no longer'} on the spam allowlist.")

    @config.command(name="modlog-digest", description="When the moderators' digest is posted each day")
    @app_commands.describe(time="HH:MM, 24-hour clock", timezone="IANA time zone, such as Europe/Paris (default UTC)")
    @app_commands.autocomplete(timezone=timezone_choices)
    async def modlog_digest(self, interaction: discord.Interaction, time: str, timezone: str = "UTC") -> None:
        build_trigger(time, timezone)  # raises ScheduleError, which says what is wrong
        await self._update(interaction, modlog_digest_time=time.strip(), modlog_digest_timezone=timezone.strip())
        await self._done(interaction, f"The moderators' digest will be posted daily at {time.strip()} ({timezone}).")

    @config.command(name="moderator-role", description="A role whose members run Clio's moderator commands")
    @app_commands.describe(role="Leave it out to go back to Manage Messages alone")
    async def moderator_role(self, interaction: discord.Interaction, role: discord.Role | None = None) -> None:
        await self._update(interaction, moderator_role=role.id if role else None)
        shown = f"Members with {role.mention} and" if role else "Only"
        await self._done(
            interaction,
            f"{shown} members with Manage Messages can run Clio's moderator commands. Discord still shows "
            "those commands only to Manage Messages; a server admin can open them to the role under "
            "Server Settings > Integrations.",
        )

    @config.command(name="quote-policy", description="Quote rule-breaking arguments (such as denial) in digests")
    @app_commands.describe(enabled="On: digests quote their messages too; off (the default): counted, never quoted")
    async def quote_policy(self, interaction: discord.Interaction, enabled: bool) -> None:
        await self._update(interaction, quote_policy_arguments=enabled)
        shown = "quote" if enabled else "count, without quoting,"
        await self._done(interaction, f"Digests will {shown} the messages of rule-breaking arguments.")

    @config.command(name="escalation", description="When warnings lead to a proposed timeout")
    @app_commands.describe(
        warnings="This many warnings...",
        days="...within this many days...",
        timeout_minutes="...propose a timeout this long (a moderator confirms it)",
    )
    async def escalation(
        self,
        interaction: discord.Interaction,
        warnings: app_commands.Range[int, 1, 50],
        days: app_commands.Range[int, 1, 365],
        timeout_minutes: app_commands.Range[int, 1, 40320],
    ) -> None:
        await self._update(
            interaction, escalation_warnings=warnings, escalation_days=days, escalation_timeout_minutes=timeout_minutes
        )
        await self._done(
            interaction,
            f"{warnings} warnings within {days} days propose a {timeout_minutes}-minute"
            " timeout for moderators to confirm.",
        )

    # --- topic packs -----------------------------------------------------------------------------

    @packs.command(name="list", description="Every topic pack, and whether this server uses it")
    async def packs_list(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)  # a guild's first use syncs its packs
        await self.engine.tagging.ensure_guild(guild_id_of(interaction))
        packs = await self.engine.tagging.packs.list(guild_id_of(interaction))
        lines = [
            f"{'✅' if p.enabled else '⬜'} **{p.title}** (`{p.pack}`, v{p.version}, {p.arguments} arguments)"
            for p in packs
        ]
        embed = discord.Embed(title="Topic packs", description="\n".join(lines) or "No packs in the catalogue.")
        embed.set_footer(
            text="/clio packs enable or disable a pack. A disabled pack stops tagging; its past tags stay."
        )
        await answer(interaction, embed=embed)

    async def _pack_names(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        packs = await self.engine.tagging.packs.list(guild_id_of(interaction))
        return [
            app_commands.Choice(name=f"{p.title} ({p.pack})"[:100], value=p.pack)
            for p in packs
            if current.lower() in (p.pack + p.title).lower()
        ][:25]

    async def _set_pack(self, interaction: discord.Interaction, pack: str, enabled: bool) -> None:
        # Waits for any matcher being rebuilt for the guild, and may sync its packs first.
        await interaction.response.defer(ephemeral=True, thinking=True)
        changed = await self.engine.tagging.set_pack_enabled(guild_id_of(interaction), pack, enabled)
        state = "on" if enabled else "off"
        if not changed:
            await self._done(interaction, f"`{pack}` is already {state}.")
            return
        after = (
            "Its arguments tag new messages now."
            if enabled
            else "Its arguments no longer tag new messages; what they tagged before stays in history."
        )
        await self._done(interaction, f"Topic pack `{pack}` is {state}. {after}")

    @packs.command(name="enable", description="Tag this pack's arguments in this server")
    @app_commands.describe(pack="The topic pack to turn on")
    async def packs_enable(self, interaction: discord.Interaction, pack: str) -> None:
        await self._set_pack(interaction, pack, True)

    @packs.command(name="disable", description="Stop tagging this pack's arguments in this server")
    @app_commands.describe(pack="The topic pack to turn off")
    async def packs_disable(self, interaction: discord.Interaction, pack: str) -> None:
        await self._set_pack(interaction, pack, False)

    packs_enable.autocomplete("pack")(_pack_names)
    packs_disable.autocomplete("pack")(_pack_names)


async def setup(bot: ClioBot) -> None:
    await bot.add_cog(Settings(bot))
