"""``/digest ...``: moderators schedule digests (posted exactly once per slot, by ``cogs.digest_posting``),
edit, pause and resume them, preview one privately, or post one now. ``/summary`` is ``cogs.summary``."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta

import discord
from discord import app_commands
from discord.ext import commands

from bot.adapter.client import ClioBot
from bot.adapter.scheduling import UTC, DigestJob, DigestScheduler, build_trigger, job_for_slot, min_interval, repeat
from bot.core.errors import UserError
from bot.core.times import parse_duration
from bot.engine.digest import COMPACT, FULL
from bot.store.digests import Schedule
from cogs.common import (
    NO_MENTIONS,
    clio_of,
    ensure_postable,
    guild_id_of,
    guild_of,
    require_moderator,
    timezone_choices,
)
from cogs.digest_posting import RETRY_EVERY_MINUTES, RETRY_JOB, DigestPosting
from cogs.summary import STYLE_HELP, Style, quotable_channels, summarise

# Option descriptions shared by the commands that take them (Discord allows 100 characters).
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


@app_commands.guild_only()
@app_commands.default_permissions(manage_messages=True)
class Digests(DigestPosting, commands.GroupCog, group_name="digest", group_description="Scheduled digests"):
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
    await bot.add_cog(Digests(bot))
