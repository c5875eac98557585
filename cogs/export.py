"""``/clio export``: a moderator takes the server's data away as files, privately: its arguments as a
topic pack, its cases and its digests as CSV and JSON (built by :mod:`bot.engine.server_export`, which
``clio export server`` writes too)."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.adapter.client import ClioBot
from bot.engine.server_export import export_server
from cogs.common import NO_MENTIONS, add_to_clio, clio_of, files_of, guild_id_of, remove_from_clio, require_moderator


def export_text(records: dict[str, int], left_out: int) -> str:
    lines = [f"`{name}`: {count:,}" for name, count in records.items()]
    if left_out:
        lines.append(f"{left_out} argument(s) could not be written as pack entries: the pack's header says why.")
    lines.append("The cases quote members' words: keep these files among moderators.")
    return "This server's data, as of now:\n" + "\n".join(lines)


def export_command() -> app_commands.Command:
    """A new command object per start, since ``/clio`` takes it as a child."""

    @app_commands.command(
        name="export", description="This server's arguments, cases and digests as files, for you only"
    )
    @app_commands.check(require_moderator)
    async def export(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        exported = await export_server(clio_of(interaction).engine.store, guild_id_of(interaction))
        await interaction.followup.send(
            export_text(exported.records, len(exported.left_out)),
            files=files_of(exported.files),
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    return export


class ServerExport(commands.Cog):
    def __init__(self, bot: ClioBot) -> None:
        self.bot = bot
        self.command = export_command()

    async def cog_load(self) -> None:
        add_to_clio(self.bot, self.command)

    async def cog_unload(self) -> None:
        remove_from_clio(self.bot, self.command)


async def setup(bot: ClioBot) -> None:
    await bot.add_cog(ServerExport(bot))
