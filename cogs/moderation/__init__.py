"""Moderation: the review queue in the mod-log channel, members' reports, cases, escalation, the
moderators' digest, and forgetting members. A thin adapter over :mod:`bot.engine.moderation` and
:mod:`bot.engine.privacy`, split into mixins by job:

- ``flagging``: each freshly ingested batch goes through the guild's flaggers; edits and deletions of a
  flagged message update its entry;
- ``review_queue``: one post per flagged message, with all its flags, whose buttons are DynamicItems
  (``cogs.moderation_views``), and the outbox that posts what a failure left unposted;
- ``deciding``: moderators' clicks (claim, act, case, undo: :mod:`bot.engine.moderation.decisions`);
- ``reports``: "Report to moderators" (a message menu everyone has);
- ``cases``: ``/case show|reason``, ``/cases user|recent``;
- ``privacy``: ``/clio forget`` (moderators, on the moderators' ``/clio``), ``/forget-me`` (everyone),
  Red's data-deletion hook, and retention;
- ``modlog_digest``: ``/modlog digest`` and the daily job (retention, each guild's moderators' digest).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict

import discord
from apscheduler.triggers.cron import CronTrigger
from discord import app_commands

from bot.adapter.client import ClioBot
from bot.adapter.scheduling import UTC, repeat
from bot.engine.moderation import ModerationService
from cogs.common import add_to_clio, remove_from_clio, require_moderator
from cogs.moderation.base import AuthorRoles
from cogs.moderation.cases import CasesMixin
from cogs.moderation.deciding import DecidingMixin
from cogs.moderation.flagging import FlaggingMixin
from cogs.moderation.modlog_digest import ModlogDigestMixin
from cogs.moderation.reports import ReportsMixin
from cogs.moderation_views import DYNAMIC_ITEMS

DAILY_JOB = "moderation-daily"
OUTBOX_JOB = "moderation-outbox"
OUTBOX_SECONDS = 30


def forget_command(cog: Moderation) -> app_commands.Command:
    """``/clio forget``, bound to this cog instance (a new one per start)."""

    @app_commands.command(name="forget", description="Delete a member's stored messages; cases stay, redacted")
    @app_commands.describe(user="The member whose messages Clio forgets")
    @app_commands.check(require_moderator)
    async def forget(interaction: discord.Interaction, user: discord.User) -> None:
        await cog.forget(interaction, user.id, yourself=False)

    return forget


class Moderation(FlaggingMixin, DecidingMixin, ReportsMixin, CasesMixin, ModlogDigestMixin):
    def __init__(self, bot: ClioBot) -> None:
        self.bot = bot
        self.store = bot.engine.store
        self.service = ModerationService.load()
        self.roles = AuthorRoles()
        self._locks = defaultdict(asyncio.Lock)
        self._retained_on = None
        self._tasks = set()
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


async def setup(bot: ClioBot) -> None:
    await bot.add_cog(Moderation(bot))
