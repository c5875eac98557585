"""Digests: ``/summary`` on demand, and ``/digest ...`` schedules posted exactly once per slot."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Literal

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot.adapter.client import ClioBot
from bot.adapter.publishing import Page, digest_pages, job_from_record, publish
from bot.adapter.scheduling import (
    UTC,
    DigestJob,
    DigestScheduler,
    build_trigger,
    is_scheduled_slot,
    job_for_slot,
    min_interval,
    repeat,
)
from bot.core.errors import UserError
from bot.core.times import parse_duration
from bot.engine.digest import COMPACT, FULL, thread_name
from bot.store.digests import Schedule
from cogs.common import (
    NO_MENTIONS,
    MessageChannel,
    clio_of,
    embeds_of,
    ensure_postable,
    files_of,
    guild_id_of,
    guild_of,
    member_of,
    readable_by,
    readable_by_audience,
    require_moderator,
    timezone_choices,
)

log = logging.getLogger(__name__)

# Errors after which posting is worth another try; a 429 never gets here (discord.py waits it out).
_TRANSIENT = (discord.DiscordServerError, aiohttp.ClientError, asyncio.TimeoutError)
# Scheduled digests that could not be posted are tried again this often, for this long.
RETRY_JOB, RETRY_EVERY_MINUTES, RETRY_FOR_SECONDS = "digests-outbox", 5, 86400.0

Style = Literal["compact", "full"]  # bot.engine.digest.STYLES, as a choice Discord offers
# Option descriptions shared by the commands that take them (Discord allows 100 characters).
STYLE_HELP = "compact (top arguments in one embed, full digest in a thread) or full"
SCHEDULE_HELP = "The schedule's number (see /digest list); start typing to pick one"
WHEN_HELP = "HH:MM (daily) or a cron expression such as `0 9 * * 1` (Mondays 09:00)"
TIMEZONE_HELP = "IANA timezone, such as Europe/Paris (default UTC)"
SCOPE_HELP = "Only summarise this channel (default: every watched channel)"


async def schedule_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[int]]:
    """The server's schedules, as `#3 → #digests, 09:00 UTC`: the number alone means little."""
    guild = interaction.guild
    choices = []
    for schedule in await clio_of(interaction).engine.store.schedules.list(guild_id_of(interaction)):
        channel = guild.get_channel(schedule.target_channel_id) if guild else None
        label = f"#{schedule.id} → #{channel.name if channel else schedule.target_channel_id}, {schedule.cron} {schedule.timezone}"
        label += " (paused)" if schedule.paused else ""
        if current.strip().lower().lstrip("#") in label.lower():
            choices.append(app_commands.Choice(name=label[:100], value=schedule.id))
    return choices[:25]


async def send_digest(interaction: discord.Interaction, pages: list[Page], ephemeral: bool, thread_title: str) -> None:
    """Answer a deferred interaction with a digest: page one as the answer, the rest in a thread named
    ``thread_title`` started from it (or as more follow-ups, for an ephemeral answer, which cannot hold a thread)."""
    if not pages:
        await interaction.followup.send(
            "Nothing to summarise in that window.", ephemeral=ephemeral, allowed_mentions=NO_MENTIONS
        )
        return

    async def followup(page: Page) -> discord.Message:
        return await interaction.followup.send(
            embeds=embeds_of(page.embeds),
            files=files_of(page.files),
            ephemeral=ephemeral,
            allowed_mentions=NO_MENTIONS,
            wait=True,
        )

    first = await followup(pages[0])
    if len(pages) == 1:
        return
    channel = interaction.channel
    if ephemeral or not isinstance(channel, discord.TextChannel):  # no threads in threads either
        for page in pages[1:]:
            await followup(page)
        return
    # The follow-up's own object lacks guild data; the channel's partial message has it.
    thread = await channel.get_partial_message(first.id).create_thread(name=thread_title)
    for page in pages[1:]:
        await thread.send(embeds=embeds_of(page.embeds), files=files_of(page.files), allowed_mentions=NO_MENTIONS)


async def quotable_channels(
    interaction: discord.Interaction, channel: discord.TextChannel | None, post: bool
) -> set[int]:
    """A summary quotes only what the asker can read, and, posted, what everyone who sees it can read."""
    member = member_of(interaction)
    readable = readable_by(guild_of(interaction), member)
    if post:
        await require_moderator(interaction)
        if not isinstance(interaction.channel, MessageChannel):
            raise UserError("Summaries can only be posted in a server's text channels and threads.")
        readable &= readable_by_audience(interaction.channel)
    if channel is not None and channel.id not in readable:
        who = "some who can read this channel can't" if post else "you can't"
        raise UserError(f"I can't summarise {channel.mention} here: {who} read it.")
    return readable


async def summarise(
    engine,
    interaction: discord.Interaction,
    since: str,
    channel: discord.TextChannel | None,
    ephemeral: bool,
    readable: set[int],
    style: Style = FULL,
) -> None:
    """Defer (building a digest takes longer than Discord's 3 s), then answer with the digest."""
    window = parse_duration(since)
    await interaction.response.defer(ephemeral=ephemeral, thinking=True)
    until = time.time()
    start = until - window.total_seconds()
    pages = await digest_pages(
        engine, guild_id_of(interaction), start, until, channel.id if channel else None, readable=readable, style=style
    )
    await send_digest(interaction, pages, ephemeral, thread_name(channel.name if channel else None, start, until))


class Summary(commands.Cog):
    cooldown_seconds = 10.0  # per member and server

    def __init__(self, bot: ClioBot) -> None:
        self.bot = bot
        self.engine = bot.engine
        self._started: dict[tuple[int, int], float] = {}  # (guild, member) -> their last /summary's start

    @app_commands.command(name="summary", description="Summarise recent discussion, with quotes and sources")
    @app_commands.guild_only()
    @app_commands.describe(
        channel="Only this channel (default: every watched channel)",
        since="How far back: 90m, 12h, 3d, 2 weeks, 1y (default 24h)",
        post="Moderators: post it in this channel for everyone (default: only you see it)",
        style=f"{STYLE_HELP} (default full)",
    )
    async def summary(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel | None = None,
        since: str = "24h",
        post: bool = False,
        style: Style = FULL,
    ) -> None:
        key, now = (guild_id_of(interaction), interaction.user.id), time.monotonic()
        previous = self._started.get(key)
        if previous is not None and now - previous < self.cooldown_seconds:
            raise UserError(f"Slow down: try again in {math.ceil(self.cooldown_seconds - (now - previous))} s.")
        # Taken at the start, so two at once cannot both run; given back when it fails, so a typo costs nothing.
        self._started[key] = now
        try:
            readable = await quotable_channels(interaction, channel, post)
            await summarise(self.engine, interaction, since, channel, not post, readable, style)
        except Exception:
            if previous is None:
                self._started.pop(key, None)
            else:
                self._started[key] = previous
            raise
        if len(self._started) > 10_000:  # forget cooldowns that are over
            self._started = {k: t for k, t in self._started.items() if now - t < self.cooldown_seconds}


@app_commands.guild_only()
@app_commands.default_permissions(manage_messages=True)
class Digests(commands.GroupCog, group_name="digest", group_description="Scheduled digests"):
    # Refuse schedules that would post more often than this: a digest is not a chat message.
    min_interval = timedelta(minutes=15)
    retry_backoff = 2.0

    def __init__(self, bot: ClioBot) -> None:
        self.bot = bot
        self.engine = bot.engine
        self.scheduler = DigestScheduler(bot.scheduler, self.engine.store.schedules, self.run_job)
        self._tasks: set[asyncio.Task] = set()
        self._told: set[str] = set()  # digests moderators were told about
        super().__init__()

    async def cog_load(self) -> None:
        await self.scheduler.restore()
        self._spawn(self._resume_unfinished())
        repeat(self.bot.scheduler, RETRY_JOB, self._resume_unfinished, minutes=RETRY_EVERY_MINUTES)

    async def cog_unload(self) -> None:
        if self.bot.scheduler.get_job(RETRY_JOB) is not None:
            self.bot.scheduler.remove_job(RETRY_JOB)
        await self.scheduler.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return await require_moderator(interaction)

    def _spawn(self, coro) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- posting ------------------------------------------------------------------------------------

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

    # -- commands -----------------------------------------------------------------------------------

    def _trigger(self, when: str, timezone: str) -> None:
        """Refuse a schedule that does not parse, or that would post more often than min_interval."""
        trigger = build_trigger(when, timezone)
        gap = min_interval(trigger, datetime.now(trigger.timezone))
        if gap is not None and gap < self.min_interval:
            raise UserError(f"`{when}` would post every {gap}; digests can run at most every {self.min_interval}.")

    async def _schedule(self, interaction: discord.Interaction, schedule_id: int) -> Schedule:
        schedule = await self.engine.store.schedules.get(guild_id_of(interaction), schedule_id)
        if schedule is None:
            raise UserError(f"There is no digest schedule #{schedule_id} in this server. See `/digest list`.")
        return schedule

    def _describe(self, schedule: Schedule) -> str:
        """One line of `/digest list`, also the answer to a change: where, what, when and how it posts."""
        scope = f" (only <#{schedule.scope_channel_id}>)" if schedule.scope_channel_id else ""
        next_run = self.scheduler.next_run(schedule.id)
        due = " · **paused**" if schedule.paused else f", next <t:{int(next_run.timestamp())}:R>" if next_run else ""
        return (
            f"**#{schedule.id}** → <#{schedule.target_channel_id}>{scope}: `{schedule.cron}` {schedule.timezone},"
            f" {schedule.style}{due}"
        )

    async def _answer(self, interaction: discord.Interaction, text: str) -> None:
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    async def add_schedule(
        self,
        guild_id: int,
        target: discord.TextChannel,
        when: str,
        timezone: str,
        scope: discord.TextChannel | None,
        created_by: int,
        style: Style = COMPACT,
    ) -> Schedule:
        """Check, store and start a schedule: `/digest schedule` and `/clio setup`'s first digest."""
        ensure_postable(target)
        self._trigger(when, timezone)
        schedule = await self.engine.store.schedules.add(
            guild_id,
            target.id,
            when,
            timezone,
            scope_channel_id=scope.id if scope else None,
            created_by=created_by,
            style=style,
        )
        self.scheduler.add(schedule)
        return schedule

    @app_commands.autocomplete(timezone=timezone_choices)
    @app_commands.command(name="schedule", description="Post a digest on a schedule")
    @app_commands.describe(
        target="Where to post the digest",
        when=WHEN_HELP,
        timezone=TIMEZONE_HELP,
        channel=SCOPE_HELP,
        style=f"{STYLE_HELP} (default compact)",
    )
    async def schedule(
        self,
        interaction: discord.Interaction,
        target: discord.TextChannel,
        when: str,
        timezone: str = "UTC",
        channel: discord.TextChannel | None = None,
        style: Style = COMPACT,
    ) -> None:
        schedule = await self.add_schedule(
            guild_id_of(interaction), target, when, timezone, channel, interaction.user.id, style
        )
        next_run = self.scheduler.next_run(schedule.id)
        when_text = f"<t:{int(next_run.timestamp())}:F>" if next_run else "never"
        await self._answer(
            interaction,
            f"Digest #{schedule.id} scheduled in {target.mention}: `{when}` ({timezone}), {style}. Next run: {when_text}.",
        )

    @app_commands.autocomplete(schedule=schedule_choices)
    @app_commands.autocomplete(timezone=timezone_choices)
    @app_commands.command(name="edit", description="Change a digest schedule: where, when, what or how it posts")
    @app_commands.describe(
        schedule=SCHEDULE_HELP,
        target="Post the digest here from now on",
        when=WHEN_HELP,
        timezone=TIMEZONE_HELP,
        channel="Only summarise this channel from now on",
        all_channels="Summarise every watched channel again, not just one",
        style=STYLE_HELP,
    )
    async def edit(
        self,
        interaction: discord.Interaction,
        schedule: int,
        target: discord.TextChannel | None = None,
        when: str | None = None,
        timezone: str | None = None,
        channel: discord.TextChannel | None = None,
        all_channels: bool = False,
        style: Style | None = None,
    ) -> None:
        if channel is not None and all_channels:
            raise UserError("Pick one: a `channel` to summarise, or `all_channels`.")
        current = await self._schedule(interaction, schedule)
        if target is not None:
            ensure_postable(target)
        scope = None if all_channels else channel.id if channel else current.scope_channel_id
        edited = replace(
            current,
            target_channel_id=target.id if target else current.target_channel_id,
            cron=when or current.cron,
            timezone=timezone or current.timezone,
            scope_channel_id=scope,
            style=style or current.style,
        )
        if edited == current:
            raise UserError("Nothing to change: give at least one new setting.")
        self._trigger(edited.cron, edited.timezone)
        if not await self.engine.store.schedules.update(edited):
            raise UserError(f"Digest schedule #{schedule} was removed meanwhile.")
        self.scheduler.add(edited)  # its job, on the new trigger; a paused schedule stays without one
        await self._answer(interaction, f"Digest schedule updated: {self._describe(edited)}.")

    @app_commands.autocomplete(schedule=schedule_choices)
    @app_commands.command(name="pause", description="Stop a digest schedule posting; it keeps its settings")
    @app_commands.describe(schedule=SCHEDULE_HELP)
    async def pause(self, interaction: discord.Interaction, schedule: int) -> None:
        paused = await self.scheduler.pause(guild_id_of(interaction), schedule)
        if paused is None:
            await self._schedule(interaction, schedule)  # says there is no such schedule
            return
        await self._answer(interaction, f"Digest schedule #{schedule} paused: it posts nothing until `/digest resume`.")

    @app_commands.autocomplete(schedule=schedule_choices)
    @app_commands.command(name="resume", description="Let a paused digest schedule post again, from its next run")
    @app_commands.describe(schedule=SCHEDULE_HELP)
    async def resume(self, interaction: discord.Interaction, schedule: int) -> None:
        if not (await self._schedule(interaction, schedule)).paused:
            raise UserError(f"Digest schedule #{schedule} is not paused.")
        resumed = await self.scheduler.resume(guild_id_of(interaction), schedule)
        if resumed is None:
            raise UserError(f"Digest schedule #{schedule} was removed meanwhile.")
        # The runs missed while paused are skipped, not posted: say so, or moderators wait for them.
        await self._answer(
            interaction,
            f"Digest schedule resumed; runs missed while it was paused are skipped: {self._describe(resumed)}.",
        )

    @app_commands.command(name="list", description="List this server's digest schedules")
    async def list_(self, interaction: discord.Interaction) -> None:
        schedules = await self.engine.store.schedules.list(guild_id_of(interaction))
        await self._answer(
            interaction,
            "\n".join(map(self._describe, schedules)) or "No digest schedules. Add one with `/digest schedule`.",
        )

    @app_commands.autocomplete(schedule=schedule_choices)
    @app_commands.command(name="remove", description="Delete a digest schedule")
    @app_commands.describe(schedule=SCHEDULE_HELP)
    async def remove(self, interaction: discord.Interaction, schedule: int) -> None:
        if not await self.engine.store.schedules.remove(guild_id_of(interaction), schedule):
            raise UserError(f"There is no digest schedule #{schedule} in this server. See `/digest list`.")
        self.scheduler.remove(schedule)
        await self._answer(interaction, f"Digest schedule #{schedule} removed.")

    @app_commands.command(name="preview", description="See a digest privately before scheduling it")
    @app_commands.describe(
        channel="Only this channel",
        since="How far back: 90m, 12h, 3d, 2 weeks, 1y",
        style=f"{STYLE_HELP} (default full)",
    )
    async def preview(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel | None = None,
        since: str = "24h",
        style: Style = FULL,
    ) -> None:
        readable = await quotable_channels(interaction, channel, post=False)
        await summarise(self.engine, interaction, since, channel, True, readable, style)

    @app_commands.autocomplete(schedule=schedule_choices)
    @app_commands.command(name="run-now", description="Post a digest now")
    @app_commands.describe(
        schedule="Run this schedule early (covers the time since its last run)",
        target="Otherwise: post here (default: the digest channel)",
        since="Otherwise: how far back (default 24h)",
        style="compact or full, as for /digest schedule (default: the schedule's, else full)",
    )
    async def run_now(
        self,
        interaction: discord.Interaction,
        schedule: int | None = None,
        target: discord.TextChannel | None = None,
        since: str = "24h",
        style: Style | None = None,
    ) -> None:
        job = await self._job_now(interaction, schedule, target, since)
        job = replace(job, style=style or job.style)
        await interaction.response.defer(ephemeral=True, thinking=True)
        channel = await self.run_job(job)
        record = await self.engine.store.digests.get(job.guild_id, job.slot_key)
        if channel is None or record is None or not record.posted:
            raise UserError("The digest could not be posted; the details are in the bot's log.")
        await interaction.followup.send(
            f"Digest posted in {channel.mention} ({len(record.message_ids)} message(s)).",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    async def _job_now(
        self,
        interaction: discord.Interaction,
        schedule_id: int | None,
        target: discord.TextChannel | None,
        since: str,
    ) -> DigestJob:
        slot_key = f"run-now:{interaction.id}"  # one interaction, one digest
        now = datetime.now(UTC)
        if schedule_id is not None:
            schedule = await self._schedule(interaction, schedule_id)
            return replace(job_for_slot(schedule, now), slot_key=slot_key)
        if target is None:
            config = await self.engine.store.settings.get(guild_id_of(interaction))
            found = guild_of(interaction).get_channel(config.digest_channel) if config.digest_channel else None
            target = found if isinstance(found, discord.TextChannel) else None
            if target is None:
                raise UserError("Give a target channel, or set one with `/clio config digest-channel`.")
        ensure_postable(target)
        window = parse_duration(since)
        return DigestJob(
            guild_id=guild_id_of(interaction),
            slot_key=slot_key,
            target_channel_id=target.id,
            since=now.timestamp() - window.total_seconds(),
            until=now.timestamp(),
        )


async def setup(bot: ClioBot) -> None:
    await bot.add_cog(Summary(bot))
    await bot.add_cog(Digests(bot))
