"""``/case show|reason`` and ``/cases user|recent``: the case log, for moderators."""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from bot.core.errors import UserError
from bot.core.markdown import escape_inline, shorten
from bot.engine.moderation import queue
from bot.engine.notes import bullet_list
from cogs.common import (
    MODERATOR_PERMISSIONS,
    NO_MENTIONS,
    guild_id_of,
    is_moderator,
)
from cogs.moderation.base import ModerationBase, embed_of

# Autocomplete offers from the latest cases: older ones are still shown by number.
CASES_OFFERED = 200

log = logging.getLogger(__name__)


class CasesMixin(ModerationBase):
    case_group = app_commands.Group(
        name="case", description="One moderation case", guild_only=True, default_permissions=MODERATOR_PERMISSIONS
    )
    cases_group = app_commands.Group(
        name="cases", description="Moderation cases", guild_only=True, default_permissions=MODERATOR_PERMISSIONS
    )

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
            embed=embed_of(queue.case_embed(case)), ephemeral=True, allowed_mentions=NO_MENTIONS
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
