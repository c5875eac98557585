"""The moderators' digest: ``/modlog digest`` now, and once a day at each guild's chosen time (the daily
job also runs retention); its \"Raise abuse threshold\" button applies the advice it gives."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

import discord
from discord import app_commands

from bot.adapter.scheduling import UTC, build_trigger, latest_slot
from bot.core.errors import ScheduleError, UserError
from bot.core.times import parse_duration
from bot.engine.moderation.feedback import abuse_threshold_advice
from bot.engine.moderation.report import build_report, report_embed
from cogs.common import (
    MODERATOR_PERMISSIONS,
    NO_MENTIONS,
    guild_id_of,
)
from cogs.moderation.base import embed_of
from cogs.moderation.privacy import PrivacyMixin
from cogs.moderation_views import threshold_view

log = logging.getLogger(__name__)


class ModlogDigestMixin(PrivacyMixin):
    modlog_group = app_commands.Group(
        name="modlog", description="The moderators' log", guild_only=True, default_permissions=MODERATOR_PERMISSIONS
    )

    @modlog_group.command(name="digest", description="Post the moderators' digest in the mod-log channel now")
    @app_commands.describe(since="How far back: 12h, 3d, 2 weeks (default 24h)")
    async def modlog_digest(self, interaction: discord.Interaction, since: str = "24h") -> None:
        window = parse_duration(since)
        channel = await self._modlog(guild_id_of(interaction))
        if channel is None:
            raise UserError("Set a mod-log channel first: `/clio config modlog-channel`.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        until = time.time()
        await self.post_digest(
            guild_id_of(interaction), channel, until - window.total_seconds(), until, f"run-now:{interaction.id}"
        )
        await interaction.followup.send(
            f"Moderators' digest posted in {channel.mention}.", ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    async def post_digest(
        self, guild_id: int, channel: discord.abc.Messageable, since: float, until: float, slot: str
    ) -> bool:
        """Post once per slot; False if this slot was already posted."""
        slots = self.store.digest_slots
        if not await slots.claim(guild_id, slot):
            return False
        try:
            report = await build_report(self.store, guild_id, since, until, await self._advice(guild_id))
            view = threshold_view(report.advice.proposed) if report.advice else discord.utils.MISSING
            posted = await channel.send(embed=embed_of(report_embed(report)), allowed_mentions=NO_MENTIONS, view=view)
        except BaseException:
            await slots.release(guild_id, slot)
            raise
        await slots.posted(guild_id, slot, posted.id)
        return True

    def _abuse_threshold(self, config) -> float | None:
        model = self.service.abuse.model
        if model is None:
            return None
        return config.abuse_threshold if config.abuse_threshold is not None else model.threshold

    async def _advice(self, guild_id: int):
        current = self._abuse_threshold(await self.store.settings.get(guild_id))
        return None if current is None else await abuse_threshold_advice(self.store, guild_id, current)

    async def apply_threshold(self, interaction: discord.Interaction, value: float) -> None:
        """The digest's "Raise abuse threshold" button: a moderator applies the advice."""
        await interaction.response.defer()
        current = self._abuse_threshold(await self.store.settings.get(guild_id_of(interaction)))
        if current is not None and current >= value:
            raise UserError(f"The abuse threshold is already {current:.2f}.")
        await self.store.settings.set(guild_id_of(interaction), abuse_threshold=value)
        if interaction.message is None or not interaction.message.embeds:
            raise UserError("The digest this button belongs to is gone.")
        embed = interaction.message.embeds[0]
        applied = f"Abuse threshold set to {value:.2f} by {interaction.user.mention} <t:{int(time.time())}:f>"
        embed.add_field(name="Applied", value=applied, inline=False)
        await interaction.edit_original_response(embed=embed, view=None, allowed_mentions=NO_MENTIONS)

    async def daily(self, now: float | None = None) -> None:
        """Retention once a day, and each guild's moderators' digest once its daily time has come.

        A digest covers the 24 hours before it is posted; its slot (the guild's local date of the latest
        digest time) keeps it to one a day, however often this runs and across restarts.
        """
        await self.bot.wait_until_ready()
        now = time.time() if now is None else now
        day = time.strftime("%Y-%m-%d", time.gmtime(now))
        if day != self._retained_on:
            await self._retention(now)
            self._retained_on = day
        for guild in self.bot.guilds:
            channel = await self._modlog(guild.id)
            slot = await self._digest_slot(guild.id, now) if channel is not None else None
            if channel is None or slot is None:
                continue
            try:
                await self.post_digest(guild.id, channel, now - 86400, now, slot)
            except Exception:
                log.exception("moderators' digest of guild %d failed", guild.id)

    async def _digest_slot(self, guild_id: int, now: float) -> str | None:
        """``daily:<local date>`` of the guild's latest digest time at or before ``now``."""
        config = await self.store.settings.get(guild_id)
        try:
            trigger = build_trigger(config.modlog_digest_time, config.modlog_digest_timezone)
        except ScheduleError:
            log.warning("guild %d: bad moderators' digest time; using 00:05 UTC", guild_id)
            trigger = build_trigger("00:05", "UTC")
        until = datetime.fromtimestamp(now, UTC)
        slot = latest_slot(trigger, until - timedelta(days=2), until)
        return f"daily:{slot.astimezone(trigger.timezone):%Y-%m-%d}" if slot is not None else None
