"""Moderators' clicks on review-queue entries and escalation proposals. The workflow (claim, act, case,
undo) is :mod:`bot.engine.moderation.decisions`; this is its Discord side: the actions it takes, and the
entry re-rendered once decided.

Clio flags; moderators decide. Nothing here deletes, warns or times out anyone except from a
moderator's click, and every click is a compare-and-set, so two moderators never act twice.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import timedelta

import discord

from bot.adapter.client import ClioBot
from bot.core.errors import UserError
from bot.engine.moderation import decisions, queue
from bot.store.moderation import WARN
from cogs.common import NO_MENTIONS, guild_id_of, guild_of, send_dm
from cogs.moderation.base import embed_of
from cogs.moderation.review_queue import ReviewQueueMixin
from cogs.moderation_views import escalation_view

log = logging.getLogger(__name__)


class DiscordActions:
    """:class:`decisions.ModerationActions` on one guild, with discord.py."""

    def __init__(self, bot: ClioBot, guild: discord.Guild) -> None:
        self.bot, self.guild = bot, guild

    async def delete_message(self, channel_id: int, message_id: int) -> None:
        with contextlib.suppress(discord.NotFound):  # already gone: the decision still stands
            channel = self.bot.get_partial_messageable(channel_id, guild_id=self.guild.id)
            await channel.get_partial_message(message_id).delete()

    async def timeout(self, user_id: int, seconds: float, reason: str) -> None:
        try:
            member = self.guild.get_member(user_id) or await self.guild.fetch_member(user_id)
        except discord.NotFound:
            raise UserError(f"<@{user_id}> is no longer a member of this server.") from None
        await member.timeout(timedelta(seconds=seconds), reason=reason)

    async def dm(self, user_id: int, text: str) -> bool:
        return await send_dm(self.bot, user_id, text)


class DecidingMixin(ReviewQueueMixin):
    def _actions(self, interaction: discord.Interaction) -> DiscordActions:
        return DiscordActions(self.bot, guild_of(interaction))

    async def decide(
        self, interaction: discord.Interaction, anchor_id: int, action: str, choice: str | None = None
    ) -> None:
        guild_id = guild_id_of(interaction)
        await interaction.response.defer()
        async with self._locks[guild_id]:
            decided = await decisions.decide_flag(
                self.store,
                self._actions(interaction),
                guild_id,
                anchor_id,
                action,
                interaction.user.id,
                choice=choice,
                guild_name=guild_of(interaction).name,
            )
            await interaction.edit_original_response(
                embed=embed_of(queue.entry_embed(decided.entry)), view=None, allowed_mentions=NO_MENTIONS
            )
        if decided.note:
            await interaction.followup.send(decided.note, ephemeral=True, allowed_mentions=NO_MENTIONS)
        if action == WARN:
            await self.propose_escalation(guild_id, decided.entry.anchor.author_id)

    async def propose_escalation(self, guild_id: int, user_id: int) -> None:
        channel = await self._modlog(guild_id)
        if channel is None:
            return  # a proposal nobody can see would block the next one
        config = await self.store.settings.get(guild_id)
        escalation = await queue.propose_escalation(self.store, config, guild_id, user_id)
        if escalation is None:
            return
        warnings = await queue.escalation_warnings(self.store, escalation)
        try:
            posted = await channel.send(
                embed=embed_of(queue.escalation_embed(escalation, warnings)),
                view=escalation_view(escalation.id),
                allowed_mentions=NO_MENTIONS,
            )
        except discord.HTTPException as exc:
            log.warning("escalation #%d of guild %d not posted: %s", escalation.id, guild_id, exc)
            return
        await queue.EscalationStore(self.store.db).set_fields(guild_id, escalation.id, message_id=posted.id)

    async def decide_escalation(self, interaction: discord.Interaction, escalation_id: int, action: str) -> None:
        guild_id = guild_id_of(interaction)
        await interaction.response.defer()
        async with self._locks[guild_id]:
            escalation = await decisions.decide_escalation(
                self.store,
                self._actions(interaction),
                guild_id,
                escalation_id,
                action == "confirm",
                interaction.user.id,
                str(interaction.user),
            )
            warnings = await queue.escalation_warnings(self.store, escalation)
            await interaction.edit_original_response(
                embed=embed_of(queue.escalation_embed(escalation, warnings)), view=None, allowed_mentions=NO_MENTIONS
            )
