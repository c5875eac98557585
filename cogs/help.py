"""``/help``: what Clio does, and the commands the caller may use.

Read from the command tree itself, so a new command shows up here without anyone remembering to add
it. A top-level command with default permissions is a moderator command (``cogs.settings``'s ``/clio``,
``/digest``, ``/case``...); members are shown only the others.
"""

from __future__ import annotations

from collections.abc import Iterator

import discord
from discord import app_commands
from discord.ext import commands

from bot.adapter.client import ClioBot
from bot.core.markdown import shorten
from cogs.common import NO_MENTIONS, is_moderator

HELP_COLOUR = 0x5B7DB1
ABOUT = (
    "Clio watches the channels moderators choose and recognises the arguments that keep coming back "
    '("Stalin played both sides", "the bombs saved a million lives"), on the side each message takes. '
    "It posts sourced digests of what was argued, with links to the messages, further reading and "
    "rebuttals, and flags abuse, spam and rule-breaking arguments for moderators to review."
)
# Discord's per-field limit; a moderator's listing is grouped so that each group fits in one field.
FIELD_LIMIT = 1024


def leaves(command: app_commands.Command | app_commands.Group) -> Iterator[app_commands.Command]:
    if isinstance(command, app_commands.Group):
        for child in command.commands:
            yield from leaves(child)
    else:
        yield command


def is_moderator_command(command: app_commands.Command | app_commands.Group | app_commands.ContextMenu) -> bool:
    return command.default_permissions is not None


def member_lines(tree: app_commands.CommandTree) -> list[str]:
    lines = [
        f"`/{leaf.qualified_name}`: {leaf.description}"
        for command in tree.get_commands(type=discord.AppCommandType.chat_input)
        if isinstance(command, app_commands.Command | app_commands.Group) and not is_moderator_command(command)
        for leaf in leaves(command)
    ]
    menus = [
        f"**{menu.name}**"
        for menu in tree.get_commands(type=discord.AppCommandType.message)
        if not is_moderator_command(menu)
    ]
    if menus:
        lines.append(f"On a message, under *Apps*: {', '.join(menus)}")
    return sorted(lines)


def moderator_fields(tree: app_commands.CommandTree) -> list[tuple[str, str]]:
    """(field name, value): one field per moderator command, its subcommands by name."""
    fields = []
    for command in sorted(tree.get_commands(type=discord.AppCommandType.chat_input), key=lambda c: c.name):
        if not isinstance(command, app_commands.Command | app_commands.Group) or not is_moderator_command(command):
            continue
        if isinstance(command, app_commands.Command):
            fields.append((f"/{command.name}", command.description))
            continue
        names = [leaf.qualified_name.removeprefix(f"{command.name} ") for leaf in leaves(command)]
        fields.append((f"/{command.name} …", shorten(", ".join(f"`{n}`" for n in names), FIELD_LIMIT)))
    menus = [m.name for m in tree.get_commands(type=discord.AppCommandType.message) if is_moderator_command(m)]
    if menus:
        fields.append(("On a message, under Apps", ", ".join(menus)))
    return fields


class Help(commands.Cog):
    def __init__(self, bot: ClioBot) -> None:
        self.bot = bot

    @app_commands.command(name="help", description="What Clio does, and the commands you can use")
    @app_commands.guild_only()
    async def help(self, interaction: discord.Interaction) -> None:
        tree = self.bot.tree
        embed = discord.Embed(title="Clio", description=ABOUT, colour=HELP_COLOUR)
        embed.add_field(name="Everyone", value=shorten("\n".join(member_lines(tree)), FIELD_LIMIT), inline=False)
        if await is_moderator(interaction):
            for name, value in moderator_fields(tree):
                embed.add_field(name=name, value=value, inline=False)
            embed.set_footer(text="New here? /clio setup walks you through watching channels, digests and the mod-log.")
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)


async def setup(bot: ClioBot) -> None:
    await bot.add_cog(Help(bot))
