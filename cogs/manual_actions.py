"""``/warn`` and ``/timeout``: moderators act by hand, outside the review queue, and each action opens a case.

A warning is sent to the member by DM when they accept it, and counts toward escalation like a warning
given from the review queue (the moderation cog proposes the timeout).
"""

from __future__ import annotations

from datetime import timedelta

import discord
from discord import app_commands
from discord.ext import commands

from bot.adapter.client import ClioBot
from bot.core.errors import UserError
from bot.core.markdown import escape_inline
from bot.core.times import duration_text, parse_duration
from bot.engine.moderation import queue
from bot.store.moderation import WARN
from cogs.common import answer, guild_id_of, guild_of, require_moderator, send_dm
from cogs.moderation import Moderation

# Discord's longest timeout.
MAX_TIMEOUT = timedelta(days=28)
REASON_LIMIT = 500


class ManualActions(commands.Cog):
    def __init__(self, bot: ClioBot) -> None:
        self.bot = bot
        self.store = bot.engine.store

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return await require_moderator(interaction)

    @app_commands.command(name="warn", description="Warn a member: they get a DM, and a case is opened")
    @app_commands.describe(member="Who is warned", reason="Why; the member reads it")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_messages=True)
    async def warn(self, interaction: discord.Interaction, member: discord.Member, reason: str) -> None:
        guild_id, reason = guild_id_of(interaction), reason.strip()[:REASON_LIMIT]
        self._check_target(interaction, member)
        await interaction.response.defer(ephemeral=True, thinking=True)  # the DM may be slow or rate-limited
        case = await self.store.cases.add_case(guild_id, member.id, WARN, reason, interaction.user.id)
        dm = (
            f"The moderators of **{escape_inline(guild_of(interaction).name)}** warned you: "
            f"{escape_inline(reason, REASON_LIMIT)} (case #{case.number})."
        )
        delivered = (
            "They were told by DM."
            if await send_dm(self.bot, member.id, dm)
            else "I could not DM them: they do not accept my messages."
        )
        await answer(interaction, f"Warned {member.mention} (case #{case.number}). {delivered}")
        moderation = self.bot.get_cog("Moderation")
        if isinstance(moderation, Moderation):
            await moderation.propose_escalation(guild_id, member.id)

    @app_commands.command(name="timeout", description="Time a member out, and open a case")
    @app_commands.describe(member="Who is timed out", duration="How long: 10m, 1h, 1d, 1w (at most 28d)", reason="Why")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_messages=True)
    async def timeout(
        self, interaction: discord.Interaction, member: discord.Member, duration: str, reason: str
    ) -> None:
        guild_id, reason = guild_id_of(interaction), reason.strip()[:REASON_LIMIT]
        self._check_target(interaction, member)
        length = parse_duration(duration)
        if length > MAX_TIMEOUT:
            raise UserError("Discord allows timeouts of at most 28 days.")
        await interaction.response.defer(ephemeral=True, thinking=True)  # a call to Discord comes first
        try:
            await member.timeout(length, reason=f"Clio /timeout by {interaction.user}: {reason}"[:512])
        except discord.Forbidden:
            raise UserError(f"I can't time out {member.mention}: I need Moderate Members, above their roles.") from None
        spoken = duration_text(length.total_seconds())
        case = await self.store.cases.add_case(
            guild_id, member.id, queue.TIMEOUT, f"{spoken}. {reason}", interaction.user.id
        )
        await answer(interaction, f"Timed out {member.mention} for {spoken} (case #{case.number}).")

    @staticmethod
    def _check_target(interaction: discord.Interaction, member: discord.Member) -> None:
        if member.bot:
            raise UserError("Bots are not warned or timed out through Clio.")
        if member.id == interaction.user.id:
            raise UserError("You can't do that to yourself.")


async def setup(bot: ClioBot) -> None:
    await bot.add_cog(ManualActions(bot))
