"""What every cog shares: the moderator check, channel checks, and sending without pings."""

from __future__ import annotations

import io

import discord
from discord import app_commands

from bot.errors import ChannelNotUsable

NO_MENTIONS = discord.AllowedMentions.none()
MODERATOR_PERMISSIONS = discord.Permissions(manage_messages=True)


def require_moderator(interaction: discord.Interaction) -> bool:
    """The server-side half of moderator-only commands (``default_permissions`` is only a UI hint
    that server admins can override)."""
    if interaction.guild_id is None:
        raise app_commands.NoPrivateMessage()
    if not interaction.permissions.manage_messages:
        raise app_commands.MissingPermissions(["manage_messages"])
    return True


def _require(channel: discord.abc.GuildChannel, needed: tuple[str, ...], doing: str) -> None:
    permissions = channel.permissions_for(channel.guild.me)
    missing = [name.replace("_", " ").title() for name in needed if not getattr(permissions, name)]
    if missing:
        raise ChannelNotUsable(f"I can't {doing} {channel.mention}: I need {', '.join(missing)} there.")


def ensure_readable(channel: discord.abc.GuildChannel) -> None:
    _require(channel, ("view_channel", "read_message_history"), "read")


def ensure_postable(channel: discord.abc.GuildChannel) -> None:
    _require(channel, ("view_channel", "send_messages", "embed_links", "attach_files"), "post in")


def embeds_of(dicts: list[dict]) -> list[discord.Embed]:
    return [discord.Embed.from_dict(d) for d in dicts]


def files_of(files: dict[str, bytes]) -> list[discord.File]:
    return [discord.File(io.BytesIO(data), filename=name) for name, data in files.items()]
