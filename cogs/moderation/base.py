"""What every part of the moderation cog shares: its state, the mod-log channel, and authors' roles."""

from __future__ import annotations

import asyncio
from collections import OrderedDict, defaultdict

import discord
from discord.ext import commands

from bot.adapter.client import ClioBot
from bot.engine.moderation import ModerationService
from bot.store import Store
from cogs.common import MessageChannel


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


def embed_of(data: dict) -> discord.Embed:
    return discord.Embed.from_dict(data)


class ModerationBase(commands.Cog):
    """The state the mixins share; ``cogs.moderation.Moderation`` sets it up. A Cog, so that the mixins'
    commands and listeners are a cog's (discord.py collects them from every class of the cog)."""

    bot: ClioBot
    store: Store
    service: ModerationService
    roles: AuthorRoles
    # One at a time per guild: posting an entry, and deciding one, so a click never races a refresh.
    _locks: defaultdict[int, asyncio.Lock]
    _retained_on: str | None  # the UTC day retention last ran
    _tasks: set[asyncio.Task]

    def _spawn(self, coro) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _modlog(self, guild_id: int) -> MessageChannel | None:
        config = await self.store.settings.get(guild_id)
        guild = self.bot.get_guild(guild_id)
        channel = guild.get_channel_or_thread(config.modlog_channel) if guild and config.modlog_channel else None
        return channel if isinstance(channel, MessageChannel) else None
