"""``/summary``: any member summarises recent discussion, privately unless a moderator posts it; it
quotes only what the asker (and, posted, everyone who sees it) can read."""

from __future__ import annotations

import math
import time
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.adapter.client import ClioBot
from bot.adapter.publishing import Page, digest_pages
from bot.core.errors import UserError
from bot.core.times import parse_duration
from bot.engine.digest import FULL, thread_name
from cogs.common import (
    NO_MENTIONS,
    MessageChannel,
    embeds_of,
    files_of,
    guild_id_of,
    guild_of,
    member_of,
    readable_by,
    readable_by_audience,
    require_moderator,
)

Style = Literal["compact", "full"]  # bot.engine.digest.STYLES, as a choice Discord offers
STYLE_HELP = "compact (top arguments in one embed, full digest in a thread) or full"


async def send_digest(interaction: discord.Interaction, pages: list[Page], ephemeral: bool, thread_title: str) -> None:
    """Answer a deferred interaction with a digest: page one as the answer, the rest in a thread named
    ``thread_title`` started from it (or as more follow-ups, for an ephemeral answer, which cannot hold a thread)."""
    if not pages:
        await interaction.followup.send(
            "Nothing to summarise in that window.", ephemeral=ephemeral, allowed_mentions=NO_MENTIONS
        )
        return

    async def followup(page: Page) -> discord.Message:
        return await interaction.followup.send(
            embeds=embeds_of(page.embeds),
            files=files_of(page.files),
            ephemeral=ephemeral,
            allowed_mentions=NO_MENTIONS,
            wait=True,
        )

    first = await followup(pages[0])
    if len(pages) == 1:
        return
    channel = interaction.channel
    if ephemeral or not isinstance(channel, discord.TextChannel):  # no threads in threads either
        for page in pages[1:]:
            await followup(page)
        return
    # The follow-up's own object lacks guild data; the channel's partial message has it.
    thread = await channel.get_partial_message(first.id).create_thread(name=thread_title)
    for page in pages[1:]:
        await thread.send(embeds=embeds_of(page.embeds), files=files_of(page.files), allowed_mentions=NO_MENTIONS)


async def quotable_channels(
    interaction: discord.Interaction, channel: discord.TextChannel | None, post: bool
) -> set[int]:
    """A summary quotes only what the asker can read, and, posted, what everyone who sees it can read."""
    member = member_of(interaction)
    readable = readable_by(guild_of(interaction), member)
    if post:
        await require_moderator(interaction)
        if not isinstance(interaction.channel, MessageChannel):
            raise UserError("Summaries can only be posted in a server's text channels and threads.")
        readable &= readable_by_audience(interaction.channel)
    if channel is not None and channel.id not in readable:
        who = "some who can read this channel can't" if post else "you can't"
        raise UserError(f"I can't summarise {channel.mention} here: {who} read it.")
    return readable


async def summarise(
    engine,
    interaction: discord.Interaction,
    since: str,
    channel: discord.TextChannel | None,
    ephemeral: bool,
    readable: set[int],
    style: Style = FULL,
) -> None:
    """Defer (building a digest takes longer than Discord's 3 s), then answer with the digest."""
    window = parse_duration(since)
    await interaction.response.defer(ephemeral=ephemeral, thinking=True)
    until = time.time()
    start = until - window.total_seconds()
    pages = await digest_pages(
        engine, guild_id_of(interaction), start, until, channel.id if channel else None, readable=readable, style=style
    )
    await send_digest(interaction, pages, ephemeral, thread_name(channel.name if channel else None, start, until))


class Summary(commands.Cog):
    cooldown_seconds = 10.0  # per member and server

    def __init__(self, bot: ClioBot) -> None:
        self.bot = bot
        self.engine = bot.engine
        self._started: dict[tuple[int, int], float] = {}  # (guild, member) -> their last /summary's start

    @app_commands.command(name="summary", description="Summarise recent discussion, with quotes and sources")
    @app_commands.guild_only()
    @app_commands.describe(
        channel="Only this channel (default: every watched channel)",
        since="How far back: 90m, 12h, 3d, 2 weeks, 1y (default 24h)",
        post="Moderators: post it in this channel for everyone (default: only you see it)",
        style=f"{STYLE_HELP} (default full)",
    )
    async def summary(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel | None = None,
        since: str = "24h",
        post: bool = False,
        style: Style = FULL,
    ) -> None:
        key, now = (guild_id_of(interaction), interaction.user.id), time.monotonic()
        previous = self._started.get(key)
        if previous is not None and now - previous < self.cooldown_seconds:
            raise UserError(f"Slow down: try again in {math.ceil(self.cooldown_seconds - (now - previous))} s.")
        # Taken at the start, so two at once cannot both run; given back when it fails, so a typo costs nothing.
        self._started[key] = now
        try:
            readable = await quotable_channels(interaction, channel, post)
            await summarise(self.engine, interaction, since, channel, not post, readable, style)
        except Exception:
            if previous is None:
                self._started.pop(key, None)
            else:
                self._started[key] = previous
            raise
        if len(self._started) > 10_000:  # forget cooldowns that are over
            self._started = {k: t for k, t in self._started.items() if now - t < self.cooldown_seconds}


async def setup(bot: ClioBot) -> None:
    await bot.add_cog(Summary(bot))
