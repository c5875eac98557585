"""Members' reports: "Report to moderators" (a message menu everyone has) opens a form, and the report
joins the review queue; each member may send a few per ten minutes."""

from __future__ import annotations

import logging
import math

import discord

from bot.core.errors import UserError
from bot.engine.moderation import queue
from cogs.common import (
    NO_MENTIONS,
    guild_id_of,
)
from cogs.moderation.review_queue import ReviewQueueMixin
from cogs.moderation_views import ReportModal

log = logging.getLogger(__name__)


class ReportsMixin(ReviewQueueMixin):
    async def report_message(self, interaction: discord.Interaction, message: discord.Message) -> None:
        if (self.bot.user is not None and message.author.id == self.bot.user.id) or message.webhook_id is not None:
            raise UserError("Only members' messages can be reported. Tell a moderator about anything else.")
        await self._check_report_rate(interaction)

        async def submit(submitted: discord.Interaction, reason: str) -> None:
            await self._file_report(submitted, message, reason)

        await interaction.response.send_modal(ReportModal(submit))

    async def _check_report_rate(self, interaction: discord.Interaction) -> None:
        wait = await queue.report_retry_after(self.store, guild_id_of(interaction), interaction.user.id)
        if wait is not None:
            raise UserError(
                f"You can send {queue.REPORT_LIMIT} reports every {queue.REPORT_WINDOW / 60:.0f} minutes. "
                f"Try again in {math.ceil(wait / 60)} minute(s); moderators have your earlier reports."
            )

    async def _file_report(self, interaction: discord.Interaction, message: discord.Message, reason: str) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self._check_report_rate(interaction)  # again: several forms can be open at once
        guild_id = guild_id_of(interaction)
        _, created = await self.store.flags.record(
            guild_id,
            message.id,
            message.channel.id,
            message.author.id,
            queue.REPORT,
            1.0,
            reason,
            quote=message.content,
            reporter_id=interaction.user.id,
        )
        if created:
            await self.publish(guild_id, message.id)
        text = (
            "Thanks: your report went to the moderators. Only they see it."
            if created
            else "Thanks: the moderators already have a report about this message."
        )
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
