"""``/clio arguments``: moderators add, edit and remove the server's arguments, review the candidates
discovery found, and turn context notes off per argument.

A subgroup of the moderators' ``/clio`` command rather than of the members' ``/arguments``: Discord
takes ``default_member_permissions`` per top-level command only, so this is how members never see it.
Every command is also checked server-side (``interaction_check``), since server admins can override
the default permissions.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.core.errors import UserError
from bot.core.markdown import shorten
from bot.engine import discovery
from bot.engine.argument_admin import (
    ArgumentForm,
    add_argument,
    check_new_name,
    edit_argument,
    find_argument,
    rank_arguments,
    remove_argument,
)
from bot.store.arguments import CANDIDATE, Argument
from cogs.arguments_views import ArgumentModal, candidate_embed, candidate_view
from cogs.common import NO_MENTIONS, answer, clio_of, guild_id_of, require_moderator

if TYPE_CHECKING:
    from cogs.arguments import Arguments

# One message per candidate, so a review stays readable; the most frequent come first.
MAX_CANDIDATES = 10


class ArgumentName(app_commands.Transformer):
    """An active argument of this server: autocomplete offers them, the value is the short name."""

    async def transform(self, interaction: discord.Interaction, value: str) -> Argument:
        engine = clio_of(interaction).engine
        await engine.tagging.ensure_guild(guild_id_of(interaction))
        return await find_argument(engine.store, guild_id_of(interaction), value)

    async def autocomplete(self, interaction: discord.Interaction, value: str) -> list[app_commands.Choice[str]]:
        engine = clio_of(interaction).engine
        await engine.tagging.ensure_guild(guild_id_of(interaction))
        found = await engine.store.arguments.search(guild_id_of(interaction), value.strip())
        return [app_commands.Choice(name=shorten(f"{a.label} ({a.slug})", 100), value=a.slug) for a in found]


ArgumentOption = app_commands.Transform[Argument, ArgumentName]


class ArgumentUpkeep(app_commands.Group):
    """Bound to one ``Arguments`` cog: candidates' decisions and re-tagging stay with the cog, whose
    buttons outlive any one command."""

    def __init__(self, cog: Arguments) -> None:
        super().__init__(name="arguments", description="Add, edit and remove the server's arguments; review candidates")
        self.cog = cog
        self._discovering: set[int] = set()

    @property
    def store(self):
        return self.cog.store

    @property
    def tagging(self):
        return self.cog.tagging

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return await require_moderator(interaction)

    @app_commands.command(name="add", description="Add an argument")
    @app_commands.describe(
        name="Short name: lowercase letters, digits and dashes",
        threshold="How sure the model must be to tag it, 0 to 1 (default: the server's)",
        flag="Flag messages that make it for moderators",
    )
    async def add(
        self,
        interaction: discord.Interaction,
        name: str,
        threshold: app_commands.Range[float, 0.0, 1.0] | None = None,
        flag: bool = False,
    ) -> None:
        guild_id = guild_id_of(interaction)
        slug = await check_new_name(self.store, self.tagging, guild_id, name)

        async def submit(submitted: discord.Interaction, form: ArgumentForm) -> None:
            argument = await add_argument(
                self.store, self.tagging, guild_id, slug, form, threshold, "flag" if flag else None
            )
            await answer(submitted, f"Added **{argument.label}** (`{argument.slug}`). New messages are tagged with it.")

        await interaction.response.send_modal(ArgumentModal(f"New argument: {slug}", ArgumentForm(), submit))

    @app_commands.command(name="edit", description="Change an argument")
    @app_commands.describe(
        argument="Start typing its name",
        threshold="How sure the model must be to tag it, 0 to 1",
        default_threshold="Go back to the server's threshold",
        flag="Flag messages that make it for moderators",
    )
    async def edit(
        self,
        interaction: discord.Interaction,
        argument: ArgumentOption,
        threshold: app_commands.Range[float, 0.0, 1.0] | None = None,
        default_threshold: bool = False,
        flag: bool | None = None,
    ) -> None:
        guild_id = guild_id_of(interaction)
        extra: dict = {}
        if threshold is not None or default_threshold:
            extra["threshold"] = threshold
        if flag is not None:
            extra["policy"] = "flag" if flag else None

        async def submit(submitted: discord.Interaction, form: ArgumentForm) -> None:
            updated = await edit_argument(self.store, self.tagging, guild_id, argument, form, **extra)
            await answer(
                submitted, f"Updated **{updated.label}** (`{updated.slug}`). New messages are tagged with the change."
            )

        await interaction.response.send_modal(ArgumentModal(f"Edit {argument.slug}", ArgumentForm.of(argument), submit))

    @app_commands.command(name="remove", description="Stop recognising an argument")
    @app_commands.describe(argument="Start typing its name")
    async def remove(self, interaction: discord.Interaction, argument: ArgumentOption) -> None:
        await remove_argument(self.store, self.tagging, guild_id_of(interaction), argument)
        await answer(
            interaction,
            f"Removed **{argument.label}** (`{argument.slug}`): new messages are no "
            "longer tagged with it. Its past tags are kept.",
        )

    @app_commands.command(name="notes", description="Turn context notes on or off for one argument")
    @app_commands.describe(argument="Start typing its name", enabled="Whether Clio may post notes about it")
    async def notes(self, interaction: discord.Interaction, argument: ArgumentOption, enabled: bool) -> None:
        # Notes do not change tagging: no matcher to invalidate.
        await self.store.arguments.update(guild_id_of(interaction), argument.id, notes_enabled=enabled)
        where = "in the channels where they are on (`/clio config notes`)" if enabled else "anywhere"
        await answer(interaction, f"Context notes about **{argument.label}** {'on' if enabled else 'off'} {where}.")

    @app_commands.command(name="candidates", description="Recurring arguments Clio found, to approve, dismiss or merge")
    @app_commands.describe(public="Post them in this channel for other moderators (default: only you see them)")
    async def candidates(self, interaction: discord.Interaction, public: bool = False) -> None:
        guild_id = guild_id_of(interaction)
        await interaction.response.defer(ephemeral=not public, thinking=True)
        found = await self.store.arguments.list(guild_id, (CANDIDATE,))
        if not found:
            await interaction.followup.send(
                "No candidate arguments are waiting. `/clio arguments discover` looks for new ones.",
                ephemeral=True,
                allowed_mentions=NO_MENTIONS,
            )
            return
        found.sort(key=lambda a: (-a.evidence.get("messages", 0), a.id))
        shown = found[:MAX_CANDIDATES]
        merge_into = await rank_arguments(
            self.store, self.tagging, guild_id, await self.tagging.embedder.embed([a.claim for a in shown])
        )
        more = f"; the {len(shown)} that came up most are below" if len(found) > len(shown) else ""
        await interaction.followup.send(
            f"{len(found)} candidate argument(s){more}.", ephemeral=not public, allowed_mentions=NO_MENTIONS
        )
        for argument, choices in zip(shown, merge_into):
            await interaction.followup.send(
                embed=candidate_embed(argument),
                view=candidate_view(argument, choices),
                ephemeral=not public,
                allowed_mentions=NO_MENTIONS,
            )

    @app_commands.command(name="discover", description="Look for recurring arguments no argument explains")
    @app_commands.describe(days="How far back to look (default 30)")
    async def discover(self, interaction: discord.Interaction, days: app_commands.Range[int, 1, 365] = 30) -> None:
        guild_id = guild_id_of(interaction)
        if guild_id in self._discovering:
            raise UserError("Discovery is already running for this server.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        self._discovering.add(guild_id)
        try:
            results = await discovery.discover(
                self.store, self.tagging, guild_id, since=time.time() - days * 86400, settings=self.cog.bot.settings
            )
        finally:
            self._discovering.discard(guild_id)
        if results:
            new = sum(r.created for r in results)
            text = (
                f"Found {len(results)} recurring argument(s) that no argument explains ({new} new). "
                "Review them with `/clio arguments candidates`."
            )
        else:
            text = f"No new recurring arguments in the last {days} days."
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
