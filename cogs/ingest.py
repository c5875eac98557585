"""Keeps the store in step with the watched channels: new, edited and deleted messages, and a
backfill of what was said while the bot was away.

Messages are stored first, in batches (:class:`bot.engine.ingest_queue.IngestQueue`), then embedded
and tagged from the store (:class:`bot.engine.processing.MessageProcessor`). After each processed
batch, every ``on_clio_ingested(messages, result)`` listener is awaited before the batch counts as
done: a cog that reacts to tags (moderation, context notes) declares
``@commands.Cog.listener() async def on_clio_ingested(self, messages, result)``. A batch cut short
by a crash is processed again, so a listener records what it decides before it posts about it.
"""

from __future__ import annotations

import asyncio
import logging
import time

import discord
from discord.ext import commands

from bot.adapter.client import ClioBot
from bot.core.records import IncomingMessage, storable_text
from bot.engine.backfill import Backfill, BackfillReport
from bot.engine.ingest_queue import IngestQueue
from bot.engine.privacy import LEFT_GUILD_GRACE_DAYS
from bot.engine.processing import MessageProcessor
from bot.engine.watching import is_watched, without_channel
from cogs.common import MessageChannel, WatchableChannel

log = logging.getLogger(__name__)

# Replies count; joins, pins, boosts and the bot's own slash-command answers do not.
_STORED_TYPES = (discord.MessageType.default, discord.MessageType.reply)


def to_incoming(message: discord.Message) -> IncomingMessage:
    """A server message as the engine stores it (``_wanted`` has already turned away direct messages)."""
    guild = message.guild
    if guild is None:
        raise ValueError(f"message {message.id} is not from a server")
    reference = message.reference
    return IncomingMessage(
        id=message.id,
        guild_id=guild.id,
        channel_id=message.channel.id,
        author_id=message.author.id,
        created_at=message.created_at.timestamp(),
        content=storable_text(message.content),
        edited_at=message.edited_at.timestamp() if message.edited_at else None,
        reply_to_id=reference.message_id if reference and message.type is discord.MessageType.reply else None,
        attachments=len(message.attachments),
        author_name=message.author.name,
        author_display_name=message.author.display_name,
        author_is_bot=message.author.bot,
        channel_name=getattr(message.channel, "name", "") or "",
        guild_name=guild.name or "",
    )


class Ingest(commands.Cog):
    def __init__(self, bot: ClioBot) -> None:
        self.bot = bot
        self.store = bot.engine.store
        settings = bot.settings
        self.processor = MessageProcessor(
            bot.engine.tagging,
            lambda: self.bot.extra_events.get("on_clio_ingested", ()),
            shard_ids=settings.shard_id_list,
            shard_count=settings.shard_count or 1,
        )
        self.queue = IngestQueue(self.store, on_stored=self.processor.wake)
        self._backfilling: set[int] = set()
        self._backfills: set[asyncio.Task] = set()

    async def cog_load(self) -> None:
        self.queue.start()
        self.processor.start()

    async def cog_unload(self) -> None:
        for task in self._backfills:
            task.cancel()
        await asyncio.gather(*self._backfills, return_exceptions=True)
        try:
            await self.queue.close()
        except Exception:  # commands.Bot.close swallows errors from unloading: say it here
            log.exception("could not write the pending messages")
        # What is not processed yet stays marked in the store, for the next start.
        await self.processor.close()

    async def idle(self) -> None:
        """Wait for backfills, queued writes and their processing (tests, commands)."""
        while self._backfills or self.queue.busy:
            await asyncio.gather(*self._backfills, return_exceptions=True)
            await self.queue.drain()
        await self.processor.drain()

    @staticmethod
    def _track(tasks: set[asyncio.Task], task: asyncio.Task) -> asyncio.Task:
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        return task

    async def _wanted(self, message: discord.Message) -> bool:
        if message.guild is None or message.author.bot or message.webhook_id is not None:
            return False
        if message.type not in _STORED_TYPES:
            return False
        config = await self.store.settings.get(message.guild.id)
        return is_watched(config, message.channel.id, getattr(message.channel, "parent_id", None))

    # -- live events --------------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if await self._wanted(message):
            await self.queue.put(to_incoming(message))

    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        # Since discord.py 2.5 the payload carries the whole updated message, cached or not.
        if await self._wanted(payload.message):
            await self.queue.put(to_incoming(payload.message))

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        # Deleted whether watched or not: the channel may have been watched when it was stored.
        if payload.guild_id is not None:
            self.queue.delete(payload.guild_id, [payload.message_id])

    @commands.Cog.listener()
    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        if payload.guild_id is not None:
            self.queue.delete(payload.guild_id, sorted(payload.message_ids))

    @commands.Cog.listener()
    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        await self._forget_channel(channel.guild.id, channel.id)

    @commands.Cog.listener()
    async def on_raw_thread_delete(self, payload: discord.RawThreadDeleteEvent) -> None:
        await self._forget_channel(payload.guild_id, payload.thread_id)

    async def _forget_channel(self, guild_id: int, channel_id: int) -> None:
        self.queue.delete_channel(guild_id, channel_id)
        await self.store.backfill.forget(guild_id, channel_id)
        await self.store.settings.update(guild_id, lambda config: without_channel(config, channel_id))

    async def red_delete_data_for_user(self, *, requester: str, user_id: int, guild_id: int | None = None) -> None:
        """Data-deletion hook: write what is queued now, so the moderation cog's hook then deletes it too."""
        await self.queue.drain()

    # -- backfill -----------------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        # Kicked, banned or the server deleted: its data goes after a grace period (bot.engine.privacy).
        await self.store.guilds.mark_left(guild.id, time.time())
        log.info("removed from guild %d; its data is purged in %d days", guild.id, LEFT_GUILD_GRACE_DAYS)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.store.guilds.mark_present(guild.id)

    @commands.Cog.listener()
    async def on_guild_available(self, guild: discord.Guild) -> None:
        await self.store.guilds.mark_present(guild.id)  # invited back while the bot was down
        # At start-up and after a session is lost (not after a RESUME, which replays what was missed).
        # Backfill re-reads the newest stored messages too, so a live message stored first hides no gap.
        config = await self.store.settings.get(guild.id)
        for channel_id in config.watched_channels:
            channel = guild.get_channel_or_thread(channel_id)
            if isinstance(channel, WatchableChannel):
                self.start_backfill(channel)
            else:
                log.info("watched channel %d of guild %d is gone or hidden", channel_id, guild.id)

    def start_backfill(self, channel: WatchableChannel) -> asyncio.Task[list[BackfillReport]]:
        """Read, in the background, what the history of a channel and of its threads (archived ones
        too) holds that the store lacks. A forum channel is its threads."""
        return self._track(self._backfills, asyncio.create_task(self._backfill_with_threads(channel)))

    async def _backfill_with_threads(self, channel: WatchableChannel) -> list[BackfillReport]:
        channels = [channel] if isinstance(channel, MessageChannel) else []
        channels += await self._threads_of(channel)
        reports = []
        for each in channels:
            report = await self.backfill(each)
            if report is not None:
                reports.append(report)
        return reports

    @staticmethod
    async def _threads_of(channel: WatchableChannel) -> list[discord.Thread]:
        if not isinstance(channel, discord.TextChannel | discord.ForumChannel):
            return []
        threads = {thread.id: thread for thread in channel.threads}  # the active ones Discord sent
        try:
            async for thread in channel.archived_threads(limit=None):
                threads[thread.id] = thread
        except discord.Forbidden:
            log.warning("cannot list the archived threads of #%s (guild %d)", channel, channel.guild.id)
        return [threads[key] for key in sorted(threads)]

    async def backfill(self, channel: MessageChannel) -> BackfillReport | None:
        """The channel's backfill (:mod:`bot.engine.backfill`); None when one is already running."""
        if channel.id in self._backfilling:
            return None
        self._backfilling.add(channel.id)

        async def history(after: int | None, before: int | None):
            pages = channel.history(
                limit=None,
                after=discord.Object(after) if after is not None else None,
                before=discord.Object(before) if before is not None else None,
                oldest_first=after is not None,
            )
            async for message in pages:
                yield message.id, (to_incoming(message) if await self._wanted(message) else None)

        try:
            report = await Backfill(
                self.store, channel.guild.id, channel.id, history, self.queue.put, self.queue.drain
            ).run()
            log.info("backfill of #%s (guild %d): %s", channel, channel.guild.id, report.describe())
            return report
        except discord.Forbidden:
            log.warning("cannot read the history of #%s (guild %d)", channel, channel.guild.id)
            return None
        finally:
            self._backfilling.discard(channel.id)


async def setup(bot: ClioBot) -> None:
    await bot.add_cog(Ingest(bot))
