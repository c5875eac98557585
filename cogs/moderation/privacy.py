"""Forgetting members (``/clio forget``, ``/forget-me``, and Red's data-deletion hook) and retention."""

from __future__ import annotations

import logging

import discord

from bot.engine import privacy
from cogs.common import (
    NO_MENTIONS,
    guild_id_of,
)
from cogs.moderation.review_queue import ReviewQueueMixin

log = logging.getLogger(__name__)


class PrivacyMixin(ReviewQueueMixin):
    async def forget(self, interaction: discord.Interaction, user_id: int, yourself: bool) -> None:
        guild_id = guild_id_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        removed = await self.bot.delete_user_data(user_id, requester="user" if yourself else "owner", guild_id=guild_id)
        whose = "your" if yourself else f"<@{user_id}>'s"
        quotes = removed.flag_quotes + removed.case_quotes + removed.false_positives + removed.edits + removed.arguments
        await interaction.followup.send(
            f"Done: deleted {removed.messages} of {whose} stored messages with their embeddings and tags, and "
            f"removed the text from {quotes} other record(s) (moderation quotes, discovered arguments). Moderation cases stay, without the text; what was written until now is never stored again.",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    async def red_delete_data_for_user(
        self, *, requester: str, user_id: int, guild_id: int | None = None
    ) -> privacy.Removed:
        """Red-DiscordBot's data-deletion hook: forget the user in one guild or every guild (cases stay,
        redacted), and re-render their open review entries without the text."""
        removed = privacy.Removed()
        guild_ids = [guild_id] if guild_id is not None else await self.store.messages.guild_ids()
        for each in guild_ids:
            removed += await privacy.forget_member(
                self.store, each, user_id, matcher_inputs=self.bot.engine.tagging.inputs
            )
            await self._refresh_entries(each, "author_id", user_id)
        log.info("forgot user %d in %d guild(s), asked by %s", user_id, len(guild_ids), requester)
        return removed

    async def _retention(self, now: float | None = None) -> None:
        try:
            await privacy.purge_departed(self.store, now)
            await privacy.purge_all(self.store, now)
        except Exception:
            log.exception("retention failed")
