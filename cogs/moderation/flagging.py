"""Flagging: each freshly ingested batch goes through the guild's flaggers, and edits and deletions of a
flagged message update its entry.

Without the members intent, authors' roles (for exempt roles and moderators' @everyone) come from
the messages seen since start-up; an author not seen yet counts as having no roles."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Sequence

import discord
from discord.ext import commands

from bot.core.records import IncomingMessage
from bot.engine.moderation import contexts_from_ingest, decisions, flagged_only, policy_map, queue
from bot.engine.tagging import IngestResult
from cogs.moderation.review_queue import ReviewQueueMixin

log = logging.getLogger(__name__)


class FlaggingMixin(ReviewQueueMixin):
    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if isinstance(message.author, discord.Member) and not message.author.bot:
            self.roles.remember(message.author)

    @commands.Cog.listener()
    async def on_clio_ingested(self, messages: Sequence[IncomingMessage], result: IngestResult) -> None:
        # Only new or edited texts: a re-ingested unchanged message must not count twice for floods.
        by_guild: defaultdict[int, list[IncomingMessage]] = defaultdict(list)
        for message in messages:
            if message.id in result.vectors:
                by_guild[message.guild_id].append(message)
        for guild_id, batch in by_guild.items():
            try:
                await self._review(guild_id, batch, result)
            except Exception:
                log.exception("flagging a batch of guild %d failed", guild_id)

    async def _review(self, guild_id: int, batch: list[IncomingMessage], result: IngestResult) -> None:
        config = await self.store.settings.get(guild_id)
        role_ids, moderators = self.roles.lookup(guild_id, {m.author_id for m in batch})
        contexts = contexts_from_ingest(batch, result, role_ids, moderators)
        await asyncio.to_thread(self.service.score_abuse, contexts, config)
        verdicts = self.service.evaluate(contexts, config, policy_map(await self.store.arguments.list(guild_id)))
        scores = {mid: f.score for mid, flags in verdicts.items() for f in flags if f.flagger == "abuse"}
        if scores:
            await self.store.moderation_reports.record_abuse_scores(guild_id, scores)
        by_id = {m.id: m for m in batch}
        for message_id, hits in flagged_only(verdicts).items():
            if await queue.record_flags(self.store, by_id[message_id], hits):
                await self.publish(guild_id, message_id)

    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        if payload.guild_id is None:
            return
        flags = await self.store.flags.for_message(payload.guild_id, payload.message_id)
        if not flags or flags[0].quote is None:
            return
        edits = queue.FlaggedEdits(self.store.db)
        previous = await edits.get(payload.guild_id, payload.message_id)
        content = payload.message.content
        if content == (previous.content if previous else flags[0].quote):
            return  # an embed or pin update, not an edit of the text
        edited_at = payload.message.edited_at.timestamp() if payload.message.edited_at else time.time()
        await edits.put(payload.guild_id, payload.message_id, flags[0].author_id, content, edited_at)
        await self._refresh_entries(payload.guild_id, "message_id", payload.message_id)

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        if payload.guild_id is not None:
            await self._deleted(payload.guild_id, [payload.message_id])

    @commands.Cog.listener()
    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        if payload.guild_id is not None:
            await self._deleted(payload.guild_id, sorted(payload.message_ids))

    async def _deleted(self, guild_id: int, message_ids: Sequence[int]) -> None:
        for message_id in message_ids:
            if await decisions.drop_text(self.store, guild_id, message_id):
                await self._refresh_entries(guild_id, "message_id", message_id)
