"""The review queue's posts in the mod-log channel: one entry per flagged message, re-rendered from the
database after every change, and an outbox that posts what a failure left unposted."""

from __future__ import annotations

import logging

import discord

from bot.engine.moderation import decisions, queue
from cogs.common import (
    NO_MENTIONS,
)
from cogs.moderation.base import ModerationBase, embed_of
from cogs.moderation_views import entry_view

log = logging.getLogger(__name__)


class ReviewQueueMixin(ModerationBase):
    async def publish(self, guild_id: int, message_id: int) -> None:
        """Show a message's new flags: in its open entry if it has one, else in a new post."""
        async with self._locks[guild_id]:
            pending = await queue.unposted(self.store, guild_id, message_id)
            if not pending:
                return
            anchor = await queue.open_entry_of(self.store, guild_id, message_id)
            if anchor is not None and anchor.queue_message_id is not None:
                for flag in pending:
                    await self.store.flags.set_queue_message(guild_id, flag.id, anchor.queue_message_id)
                await self._refresh(guild_id, anchor.id)
                return
            channel = await self._modlog(guild_id)
            if channel is None:
                log.info("flag on message %d of guild %d not posted: no mod-log channel", message_id, guild_id)
                return
            entry = await decisions.load_entry(self.store, guild_id, pending[0].id)
            try:
                posted = await channel.send(
                    embed=embed_of(queue.entry_embed(entry)),
                    view=entry_view(entry.anchor.id),
                    allowed_mentions=NO_MENTIONS,
                )
            except discord.HTTPException as exc:
                log.warning("flag #%d of guild %d not posted in the mod-log: %s", entry.anchor.id, guild_id, exc)
                return
            for flag in entry.flags:
                await self.store.flags.set_queue_message(guild_id, flag.id, posted.id)

    async def repost_unposted(self) -> None:
        """The review queue's outbox: an open flag that no entry shows (its post failed, say to a 429
        storm, or the bot stopped between recording and posting) is posted again, until it is."""
        await self.bot.wait_until_ready()
        for guild in self.bot.guilds:
            try:
                if await self._modlog(guild.id) is None:
                    continue
                for message_id in await self.store.flags.unposted_messages(guild.id):
                    await self.publish(guild.id, message_id)
            except Exception:
                log.exception("re-posting the unposted flags of guild %d failed", guild.id)

    async def _refresh(self, guild_id: int, anchor_id: int) -> None:
        """Re-render a posted entry from the database. Entries live in the current mod-log channel."""
        entry = await queue.load_entry(self.store, guild_id, anchor_id)
        channel = await self._modlog(guild_id)
        if entry is None or entry.anchor.queue_message_id is None or channel is None:
            return
        try:
            await channel.get_partial_message(entry.anchor.queue_message_id).edit(
                embed=embed_of(queue.entry_embed(entry)),
                view=entry_view(anchor_id) if entry.is_open else None,
                allowed_mentions=NO_MENTIONS,
            )
        except discord.HTTPException as exc:  # deleted by hand, or the mod-log channel moved
            log.info("entry of flag #%d in guild %d not refreshed: %s", anchor_id, guild_id, exc)

    async def _refresh_entries(self, guild_id: int, column: str, value: int) -> None:
        async with self._locks[guild_id]:
            for anchor_id in await queue.entry_anchors(self.store, guild_id, column, value):
                await self._refresh(guild_id, anchor_id)
