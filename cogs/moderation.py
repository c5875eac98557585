"""Moderation: the review queue in the mod-log channel, members' reports, cases, escalation, the
moderators' digest, and forgetting members. A thin adapter over :mod:`bot.engine.moderation` and
:mod:`bot.engine.privacy`.

Clio flags; moderators decide. Nothing here deletes, warns or times out anyone except from a
moderator's click, and every click is a compare-and-set, so two moderators never act twice.

- Each freshly ingested batch goes through the guild's flaggers; flagged messages get an entry (one
  post per message with all its flags) whose buttons are DynamicItems (``cogs.moderation_views``).
- Edits and deletions of a flagged message update its entry.
- "Report to moderators" (message menu, everyone) opens a form; reports join the same queue.
- ``/case show|reason``, ``/cases user|recent`` (moderators); ``/modlog digest`` (moderators).
- ``/clio forget user`` (moderators) joins the moderators' ``/clio`` of ``cogs.settings``;
  ``/forget-me`` (everyone) is a top-level command of its own, since members never see ``/clio``.
- A daily job applies retention and posts each guild's moderators' digest; retention also runs at
  start-up.

Without the members intent, authors' roles (for exempt roles and moderators' @everyone) come from
the messages seen since start-up; an author not seen yet counts as having no roles.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import OrderedDict, defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

import discord
from apscheduler.triggers.cron import CronTrigger
from discord import app_commands
from discord.ext import commands

from bot.adapter.client import ClioBot
from bot.adapter.scheduling import UTC, build_trigger, latest_slot, repeat
from bot.core.errors import ScheduleError, UserError
from bot.core.markdown import escape_inline, shorten
from bot.core.records import IncomingMessage, jump_url
from bot.core.times import duration_text, parse_duration
from bot.engine import privacy
from bot.engine.moderation import ModerationService, contexts_from_ingest, flagged_only, policy_map, queue
from bot.engine.moderation.feedback import abuse_threshold_advice
from bot.engine.moderation.report import build_report, report_embed
from bot.engine.notes import bullet_list
from bot.engine.tagging import IngestResult
from bot.store.moderation import WARN
from cogs.common import (
    MODERATOR_PERMISSIONS,
    NO_MENTIONS,
    MessageChannel,
    add_to_clio,
    guild_id_of,
    guild_of,
    is_moderator,
    remove_from_clio,
    require_moderator,
    send_dm,
)
from cogs.moderation_views import DYNAMIC_ITEMS, ReportModal, entry_view, escalation_view, threshold_view

log = logging.getLogger(__name__)

DAILY_JOB = "moderation-daily"
OUTBOX_JOB = "moderation-outbox"
OUTBOX_SECONDS = 30
# Autocomplete offers from the latest cases: older ones are still shown by number.
CASES_OFFERED = 200


class AuthorRoles:
    """Role ids and moderator status of recent authors, per guild, bounded."""

    def __init__(self, size: int = 20_000) -> None:
        self.size = size
        self._known: OrderedDict[tuple[int, int], tuple[tuple[int, ...], bool]] = OrderedDict()

    def remember(self, member: discord.Member) -> None:
        key = (member.guild.id, member.id)
        self._known.pop(key, None)
        self._known[key] = (
            tuple(r.id for r in member.roles if not r.is_default()),
            member.guild_permissions.manage_messages,
        )
        while len(self._known) > self.size:
            self._known.popitem(last=False)

    def lookup(self, guild_id: int, user_ids) -> tuple[dict[int, tuple[int, ...]], frozenset[int]]:
        known = {uid: self._known[(guild_id, uid)] for uid in user_ids if (guild_id, uid) in self._known}
        moderators = frozenset(uid for uid, (_, is_moderator) in known.items() if is_moderator)
        return {uid: roles for uid, (roles, _) in known.items()}, moderators


def _embed(data: dict) -> discord.Embed:
    return discord.Embed.from_dict(data)


def forget_command(cog: Moderation) -> app_commands.Command:
    """``/clio forget``, bound to this cog instance (a new one per start)."""

    @app_commands.command(name="forget", description="Delete a member's stored messages; cases stay, redacted")
    @app_commands.describe(user="The member whose messages Clio forgets")
    @app_commands.check(require_moderator)
    async def forget(interaction: discord.Interaction, user: discord.User) -> None:
        await cog.forget(interaction, user.id, yourself=False)

    return forget


class Moderation(commands.Cog):
    case_group = app_commands.Group(
        name="case", description="One moderation case", guild_only=True, default_permissions=MODERATOR_PERMISSIONS
    )
    cases_group = app_commands.Group(
        name="cases", description="Moderation cases", guild_only=True, default_permissions=MODERATOR_PERMISSIONS
    )
    modlog_group = app_commands.Group(
        name="modlog", description="The moderators' log", guild_only=True, default_permissions=MODERATOR_PERMISSIONS
    )

    def __init__(self, bot: ClioBot) -> None:
        self.bot = bot
        self.store = bot.engine.store
        self.service = ModerationService.for_embedder(bot.engine.embedder.model_id)
        self.roles = AuthorRoles()
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._retained_on: str | None = None  # the UTC day retention last ran
        self._tasks: set[asyncio.Task] = set()
        self.report_menu = app_commands.ContextMenu(name="Report to moderators", callback=self.report_message)
        self.report_menu.guild_only = True
        self.forget_user = forget_command(self)

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS)
        self.bot.tree.add_command(self.report_menu)
        add_to_clio(self.bot, self.forget_user)
        # Each guild chooses its own digest time; the job looks every five minutes for digests now due.
        self.bot.scheduler.add_job(
            self.daily,
            CronTrigger(minute="*/5", timezone=UTC),
            id=DAILY_JOB,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=3600,
        )
        repeat(self.bot.scheduler, OUTBOX_JOB, self.repost_unposted, seconds=OUTBOX_SECONDS)
        self._spawn(self._retention())

    async def cog_unload(self) -> None:
        for job in (DAILY_JOB, OUTBOX_JOB):
            if self.bot.scheduler.get_job(job) is not None:
                self.bot.scheduler.remove_job(job)
        remove_from_clio(self.bot, self.forget_user)
        self.bot.tree.remove_command(self.report_menu.name, type=self.report_menu.type)
        self.bot.remove_dynamic_items(*DYNAMIC_ITEMS)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.command is not None and interaction.command.qualified_name == "forget-me":
            return True  # every member's own
        return await require_moderator(interaction)  # /case, /cases and /modlog; menus and /clio check their own

    @app_commands.command(name="forget-me", description="Delete what Clio stored of your messages in this server")
    @app_commands.guild_only()
    async def forget_me(self, interaction: discord.Interaction) -> None:
        await self.forget(interaction, interaction.user.id, yourself=True)

    def _spawn(self, coro) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _modlog(self, guild_id: int) -> MessageChannel | None:
        config = await self.store.settings.get(guild_id)
        guild = self.bot.get_guild(guild_id)
        channel = guild.get_channel_or_thread(config.modlog_channel) if guild and config.modlog_channel else None
        return channel if isinstance(channel, MessageChannel) else None

    # -- flagging -----------------------------------------------------------------------------------

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
        verdicts = self.service.evaluate(contexts, config, policy_map(await self.store.arguments.list(guild_id)))
        scores = {mid: f.score for mid, flags in verdicts.items() for f in flags if f.flagger == "abuse"}
        if scores:
            await self.store.moderation_reports.record_abuse_scores(guild_id, scores)
        by_id = {m.id: m for m in batch}
        for message_id, hits in flagged_only(verdicts).items():
            if await queue.record_flags(self.store, by_id[message_id], hits):
                await self.publish(guild_id, message_id)

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
            entry = await self._entry(guild_id, pending[0].id)
            try:
                posted = await channel.send(
                    embed=_embed(queue.entry_embed(entry)),
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
                embed=_embed(queue.entry_embed(entry)),
                view=entry_view(anchor_id) if entry.is_open else None,
                allowed_mentions=NO_MENTIONS,
            )
        except discord.HTTPException as exc:  # deleted by hand, or the mod-log channel moved
            log.info("entry of flag #%d in guild %d not refreshed: %s", anchor_id, guild_id, exc)

    async def _refresh_entries(self, guild_id: int, column: str, value: int) -> None:
        async with self._locks[guild_id]:
            for anchor_id in await queue.entry_anchors(self.store, guild_id, column, value):
                await self._refresh(guild_id, anchor_id)

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
            if await self._drop_text(guild_id, message_id):
                await self._refresh_entries(guild_id, "message_id", message_id)

    async def _drop_text(self, guild_id: int, message_id: int) -> bool:
        """A deleted message's text goes from its flags too (cases keep theirs as the record of the action)."""
        redacted = await self.store.flags.redact_message(guild_id, message_id)
        edits = await queue.FlaggedEdits(self.store.db).delete_message(guild_id, message_id)
        return bool(redacted or edits)

    # -- decisions (from the entry's buttons) -------------------------------------------------------

    async def decide(
        self, interaction: discord.Interaction, anchor_id: int, action: str, choice: str | None = None
    ) -> None:
        guild_id = guild_id_of(interaction)
        await interaction.response.defer()
        async with self._locks[guild_id]:
            entry = await self._entry(guild_id, anchor_id)
            decided = await queue.decide_entry(self.store, entry, action, interaction.user.id)
            if decided is None:
                raise UserError(queue.already_decided(await self._entry(guild_id, anchor_id)))
            try:
                note = await self._carry_out(interaction, entry, action, choice)
            except BaseException:
                await queue.reopen(self.store, guild_id, decided, queue.ACTIONS[action])
                raise
            entry = await self._entry(guild_id, anchor_id)
            await interaction.edit_original_response(
                embed=_embed(queue.entry_embed(entry)), view=None, allowed_mentions=NO_MENTIONS
            )
        if note:
            await interaction.followup.send(note, ephemeral=True, allowed_mentions=NO_MENTIONS)
        if action == WARN:
            await self.propose_escalation(guild_id, entry.anchor.author_id)

    async def _carry_out(
        self, interaction: discord.Interaction, entry: queue.ReviewEntry, action: str, choice: str | None
    ) -> str | None:
        """Do what the moderator chose; returns a note for them, if any. Raises to undo the claim."""
        anchor, moderator = entry.anchor, interaction.user.id
        add_case = self.store.cases.add_case
        if action == queue.FALSE_POSITIVE:
            await self.store.false_positives.add(anchor.guild_id, entry.flags, moderator)
        elif action == queue.DELETE:
            with contextlib.suppress(discord.NotFound):  # already gone: the decision still stands
                channel = self.bot.get_partial_messageable(anchor.channel_id, guild_id=anchor.guild_id)
                await channel.get_partial_message(anchor.message_id).delete()
            async with self.store.db.transaction():  # the message, its case and its quotes: all or nothing
                await self.store.messages.delete(anchor.guild_id, [anchor.message_id])
                await add_case(
                    anchor.guild_id,
                    anchor.author_id,
                    queue.DELETE,
                    queue.case_reason(entry),
                    moderator,
                    anchor.id,
                    entry.quote,
                )
                await self._drop_text(anchor.guild_id, anchor.message_id)
        elif action == WARN:
            case = await add_case(
                anchor.guild_id, anchor.author_id, WARN, queue.case_reason(entry), moderator, anchor.id, entry.quote
            )
            return await self._dm_warning(guild_of(interaction), anchor, case.number)
        elif action == queue.TIMEOUT:
            if choice not in queue.TIMEOUT_SECONDS:
                raise UserError("Pick how long the timeout lasts.")
            seconds = queue.TIMEOUT_SECONDS[choice]
            member = await self._member(guild_of(interaction), anchor.author_id)
            await member.timeout(timedelta(seconds=seconds), reason=f"Clio review queue, flag #{anchor.id}")
            await add_case(
                anchor.guild_id,
                anchor.author_id,
                queue.TIMEOUT,
                f"{duration_text(seconds)}. {queue.case_reason(entry)}",
                moderator,
                anchor.id,
                entry.quote,
            )
        return None

    async def _entry(self, guild_id: int, anchor_id: int) -> queue.ReviewEntry:
        entry = await queue.load_entry(self.store, guild_id, anchor_id)
        if entry is None:
            raise UserError("This flag no longer exists.")
        return entry

    @staticmethod
    async def _escalation(escalations: queue.EscalationStore, guild_id: int, escalation_id: int) -> queue.Escalation:
        escalation = await escalations.get(guild_id, escalation_id)
        if escalation is None:
            raise UserError("This escalation no longer exists.")
        return escalation

    async def _member(self, guild: discord.Guild, user_id: int) -> discord.Member:
        try:
            return guild.get_member(user_id) or await guild.fetch_member(user_id)
        except discord.NotFound:
            raise UserError(f"<@{user_id}> is no longer a member of this server.") from None

    async def _dm_warning(self, guild: discord.Guild, anchor, case_number: int) -> str | None:
        link = jump_url(anchor.guild_id, anchor.channel_id, anchor.message_id)
        text = (
            f"The moderators of **{escape_inline(guild.name)}** warned you about "
            f"[a message you posted]({link}). Case #{case_number}."
        )
        if await send_dm(self.bot, anchor.author_id, text):
            return None
        return f"Warned (case #{case_number}), but I could not DM them: they do not accept my messages."

    # -- escalation ---------------------------------------------------------------------------------

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
                embed=_embed(queue.escalation_embed(escalation, warnings)),
                view=escalation_view(escalation.id),
                allowed_mentions=NO_MENTIONS,
            )
        except discord.HTTPException as exc:
            log.warning("escalation #%d of guild %d not posted: %s", escalation.id, guild_id, exc)
            return
        await queue.EscalationStore(self.store.db).set_fields(guild_id, escalation.id, message_id=posted.id)

    async def decide_escalation(self, interaction: discord.Interaction, escalation_id: int, action: str) -> None:
        guild_id, moderator = guild_id_of(interaction), interaction.user.id
        escalations = queue.EscalationStore(self.store.db)
        await interaction.response.defer()
        async with self._locks[guild_id]:
            escalation = await self._escalation(escalations, guild_id, escalation_id)
            status = queue.CONFIRMED if action == "confirm" else queue.REJECTED
            if not await escalations.decide(guild_id, escalation_id, status, moderator):
                current = await self._escalation(escalations, guild_id, escalation_id)
                raise UserError(f"Already {current.status} by <@{current.decided_by}>.")
            if status == queue.CONFIRMED:
                try:
                    member = await self._member(guild_of(interaction), escalation.user_id)
                    await member.timeout(
                        timedelta(minutes=escalation.minutes),
                        reason=f"Clio escalation #{escalation_id}, confirmed by {interaction.user}",
                    )
                except BaseException:
                    await escalations.decide(guild_id, escalation_id, queue.PROPOSED, None, expected=queue.CONFIRMED)
                    raise
                case = await self.store.cases.add_case(
                    guild_id,
                    escalation.user_id,
                    queue.TIMEOUT,
                    f"{duration_text(escalation.minutes * 60)}. Escalation: {escalation.warnings} warnings in "
                    f"{escalation.days} days.",
                    moderator,
                )
                await escalations.set_fields(guild_id, escalation_id, case_number=case.number)
            escalation = await self._escalation(escalations, guild_id, escalation_id)
            warnings = await queue.escalation_warnings(self.store, escalation)
            await interaction.edit_original_response(
                embed=_embed(queue.escalation_embed(escalation, warnings)), view=None, allowed_mentions=NO_MENTIONS
            )

    # -- reports ------------------------------------------------------------------------------------

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

    # -- cases --------------------------------------------------------------------------------------

    async def _case_numbers(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[int]]:
        """The latest cases whose number starts with what was typed, each with its action and reason."""
        if not await is_moderator(interaction):  # autocomplete skips the cog's interaction_check
            return []
        typed = current.strip().lstrip("#")
        cases = await self.store.cases.recent(guild_id_of(interaction), limit=CASES_OFFERED)
        return [
            app_commands.Choice(name=shorten(f"#{c.number} {c.action}: {c.reason or 'no reason'}", 100), value=c.number)
            for c in cases
            if str(c.number).startswith(typed)
        ][:25]

    @case_group.command(name="show", description="Show a moderation case")
    @app_commands.describe(number="The case number")
    async def case_show(self, interaction: discord.Interaction, number: app_commands.Range[int, 1]) -> None:
        case = await self.store.cases.get(guild_id_of(interaction), number)
        if case is None:
            raise UserError(f"There is no case #{number} in this server.")
        await interaction.response.send_message(
            embed=_embed(queue.case_embed(case)), ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    @case_group.command(name="reason", description="Set or change a case's reason")
    @app_commands.describe(number="The case number", reason="Why the action was taken")
    async def case_reason(
        self,
        interaction: discord.Interaction,
        number: app_commands.Range[int, 1],
        reason: app_commands.Range[str, 1, 500],
    ) -> None:
        if not await self.store.cases.set_reason(guild_id_of(interaction), number, reason):
            raise UserError(f"There is no case #{number} in this server.")
        await interaction.response.send_message(
            f"Case #{number}: reason updated.", ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    case_show.autocomplete("number")(_case_numbers)
    case_reason.autocomplete("number")(_case_numbers)

    @cases_group.command(name="user", description="A member's cases, newest first")
    @app_commands.describe(user="The member")
    async def cases_user(self, interaction: discord.Interaction, user: discord.User) -> None:
        cases = await self.store.cases.for_user(guild_id_of(interaction), user.id, limit=25)
        await self._list_cases(interaction, f"Cases of {user.display_name}", cases, with_user=False)

    @cases_group.command(name="recent", description="The server's latest cases")
    async def cases_recent(self, interaction: discord.Interaction) -> None:
        cases = await self.store.cases.recent(guild_id_of(interaction), limit=25)
        await self._list_cases(interaction, "Recent cases", cases, with_user=True)

    async def _list_cases(self, interaction: discord.Interaction, title: str, cases, with_user: bool) -> None:
        lines = [queue.case_line(c, with_user=with_user) for c in cases]
        embed = discord.Embed(
            title=escape_inline(title, 256),
            colour=queue.DECIDED_COLOUR,
            description=bullet_list(lines, 4096) or "No cases.",
        )
        embed.set_footer(text="Details: /case show")
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)

    # -- privacy ------------------------------------------------------------------------------------

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

    # -- moderators' digest and the daily job -------------------------------------------------------

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
            posted = await channel.send(embed=_embed(report_embed(report)), allowed_mentions=NO_MENTIONS, view=view)
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


async def setup(bot: ClioBot) -> None:
    await bot.add_cog(Moderation(bot))
