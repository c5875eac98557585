"""Posting a scheduled (or run-now) digest: once per slot, to an audience it may quote, its later
pages in a thread named after it; the outbox that resumes what a failure left unposted; and the
moderators told once when a digest is given up."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import replace

import aiohttp
import discord

from bot.adapter.client import ClioBot
from bot.adapter.publishing import Page, job_from_record, publish
from bot.adapter.scheduling import DigestJob, DigestScheduler, is_scheduled_slot
from bot.engine.digest import thread_name
from bot.engine.wiring import Engine
from cogs.common import NO_MENTIONS, MessageChannel, embeds_of, files_of, readable_by_audience

log = logging.getLogger(__name__)

# Errors after which posting is worth another try; a 429 never gets here (discord.py waits it out).
_TRANSIENT = (discord.DiscordServerError, aiohttp.ClientError, asyncio.TimeoutError)
# Scheduled digests that could not be posted are tried again this often, for this long.
RETRY_JOB, RETRY_EVERY_MINUTES, RETRY_FOR_SECONDS = "digests-outbox", 5, 86400.0


class DigestPosting:
    """Mixed into the ``/digest`` cog, which sets these up."""

    bot: ClioBot
    engine: Engine
    scheduler: DigestScheduler
    retry_backoff: float
    _told: set[str]  # digests moderators were told about

    async def run_job(self, job: DigestJob) -> discord.TextChannel | None:
        """Post a digest to its channel, once per slot. Called by the scheduler and by run-now."""
        await self.bot.wait_until_ready()
        if self.bot.get_guild(job.guild_id) is None:
            # Left, or served by another process's shards: whoever serves it posts it.
            log.info("digest %s: guild %d is not served here; not posted", job.slot_key, job.guild_id)
            return None
        channel = self.bot.get_channel(job.target_channel_id)
        if not isinstance(channel, discord.TextChannel) or channel.guild.id != job.guild_id:
            log.warning("digest %s: channel %d is gone; not posted", job.slot_key, job.target_channel_id)
            await self._tell_moderators(job, "its channel is gone or hidden from me")
            return None
        try:
            await publish(
                self.engine,
                job,
                self._poster(channel, job),
                retry_on=_TRANSIENT,
                backoff=self.retry_backoff,
                readable=readable_by_audience(channel),
            )
        except Exception as exc:
            log.exception("digest %s could not be posted", job.slot_key)
            await self._tell_moderators(job, f"Discord refused it ({exc})")
            return None
        return channel

    async def _tell_moderators(self, job: DigestJob, reason: str) -> None:
        """Once per digest, in the mod-log: a scheduled digest is retried for a day, then given up."""
        if job.slot_key in self._told or not is_scheduled_slot(job.slot_key):
            return
        config = await self.engine.store.settings.get(job.guild_id)
        modlog = self.bot.get_channel(config.modlog_channel) if config.modlog_channel else None
        if not isinstance(modlog, MessageChannel):
            return
        self._told.add(job.slot_key)
        text = (
            f"The digest due <t:{int(job.until)}:f> for <#{job.target_channel_id}> could not be posted: {reason}."
            f" I try again every {RETRY_EVERY_MINUTES} minutes for a day; the next scheduled digest covers its"
            " messages too."
        )
        with contextlib.suppress(discord.HTTPException):
            await modlog.send(text, allowed_mentions=NO_MENTIONS)

    def _poster(self, channel: discord.TextChannel, job: DigestJob):
        async def post(index: int, page: Page, first_id: int | None, nonce: str) -> int:
            if index == 0:
                destination: discord.abc.Messageable = channel
            elif first_id is None:
                raise RuntimeError("a digest's later pages go in a thread on its first message, which is not posted")
            else:
                destination = await self._thread(channel, first_id, job)
            message = await destination.send(
                embeds=embeds_of(page.embeds), files=files_of(page.files), nonce=nonce, allowed_mentions=NO_MENTIONS
            )
            return message.id

        return post

    async def _thread(self, channel: discord.TextChannel, first_id: int, job: DigestJob) -> discord.Thread:
        # A thread started from a message has that message's id, so a retry finds the one it made.
        thread = channel.guild.get_thread(first_id)
        if thread is not None:
            return thread
        with contextlib.suppress(discord.NotFound):
            fetched = await self.bot.fetch_channel(first_id)
            if isinstance(fetched, discord.Thread):
                return fetched
        scope = channel.guild.get_channel(job.scope_channel_id) if job.scope_channel_id else None
        scope_name = scope.name if scope else (str(job.scope_channel_id) if job.scope_channel_id else None)
        name = thread_name(scope_name, job.since, job.until, job.timezone)
        return await channel.get_partial_message(first_id).create_thread(name=name)

    async def _resume_unfinished(self) -> None:
        """The digests' outbox: at start-up and every few minutes, scheduled digests of the last day
        that are not fully posted are posted, resuming after their last posted page."""
        # Only scheduled slots: a run-now that failed was answered as failed, and is not owed.
        for record in await self.engine.store.digests.unfinished(since=time.time() - RETRY_FOR_SECONDS):
            schedule = await self.engine.store.schedules.get_by_id(record.schedule_id) if record.schedule_id else None
            if schedule is None or schedule.paused or not is_scheduled_slot(record.slot_key):
                continue
            if (schedule.last_run_at or 0) < record.window_end:  # no later digest covered it
                await self.run_job(replace(job_from_record(record), timezone=schedule.timezone))
