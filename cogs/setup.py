"""``/clio setup``, and a welcome when Clio joins a server: a moderator sets Clio up with selects and
buttons instead of a dozen commands.

One private message holds the whole set-up: which channels to watch, where digests and the
moderators' log go, which topic packs to tag, and a first digest schedule. Each pick is saved at once
(so closing the message half-way loses nothing) and the message shows what is set so far. Everything
here can be changed later with ``/clio config``, ``/clio packs`` and ``/digest``.

The welcome's "Set up Clio" button is a ``DynamicItem``, so it still works after a restart.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, cast

import discord
from discord import app_commands
from discord.ext import commands

from bot.adapter.client import ClioBot
from bot.core.errors import UserError
from bot.core.guild_config import GuildConfig
from bot.core.markdown import shorten
from cogs.common import (
    NO_MENTIONS,
    ModeratorItem,
    add_to_clio,
    answer_error,
    clio_of,
    ensure_postable,
    guild_id_of,
    moderator_or_told,
    remove_from_clio,
    require_moderator,
)

if TYPE_CHECKING:
    from cogs.digests import Digests
    from cogs.settings import Settings

log = logging.getLogger(__name__)

SETUP_COLOUR = 0x5B7DB1
# Discord's limit for a select's options and values.
MAX_OPTIONS = 25
# The first schedule offered: (button label, `when` for /digest schedule).
FIRST_SCHEDULES = {
    "weekly": ("Weekly digest (Mondays 09:00 UTC)", "0 9 * * 1"),
    "daily": ("Daily digest (09:00 UTC)", "09:00"),
}
VIEW_TIMEOUT = 15 * 60


def _mark(done: bool) -> str:
    return "✅" if done else "⬜"


def progress_embed(config: GuildConfig, packs: list[str], schedule: str | None) -> discord.Embed:
    """What is set so far; the first line that is not ticked is what to pick next."""
    watched = ", ".join(f"<#{c}>" for c in config.watched_channels)
    lines = [
        f"{_mark(bool(watched))} **Watched channels**: {watched or 'pick the channels whose arguments Clio follows'}",
        f"{_mark(bool(config.digest_channel))} **Digest channel**: "
        + (f"<#{config.digest_channel}>" if config.digest_channel else "where digests are posted"),
        f"{_mark(bool(config.modlog_channel))} **Mod-log channel**: "
        + (f"<#{config.modlog_channel}>" if config.modlog_channel else "a channel only moderators read"),
        f"{_mark(bool(packs))} **Topic packs**: {', '.join(packs) or 'none: Clio tags only arguments you add'}",
        f"{_mark(schedule is not None)} **First digest**: {schedule or 'pick daily or weekly below (optional)'}",
    ]
    embed = discord.Embed(title="Set up Clio", description="\n".join(lines), colour=SETUP_COLOUR)
    embed.set_footer(
        text="Each pick is saved at once. Change anything later with /clio config, /clio packs or /digest."
    )
    return embed


class SetupView(discord.ui.View):
    """The private set-up message of one moderator."""

    def __init__(self, bot: ClioBot, guild_id: int, packs: list[tuple[str, str, bool]]) -> None:
        super().__init__(timeout=VIEW_TIMEOUT)
        self.bot = bot
        self.guild_id = guild_id
        self.enabled_packs = [title for _, title, enabled in packs if enabled]
        self.schedule: str | None = None
        if packs:
            self.add_item(PackSelect(packs[:MAX_OPTIONS]))
        for key, (label, _) in FIRST_SCHEDULES.items():
            self.add_item(ScheduleButton(key, label))

    @property
    def store(self):
        return self.bot.engine.store

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return await moderator_or_told(interaction)

    async def on_error(self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item) -> None:
        await answer_error(interaction, error)

    async def show(self, interaction: discord.Interaction) -> None:
        config = await self.store.settings.get(self.guild_id)
        await interaction.response.edit_message(
            embed=progress_embed(config, self.enabled_packs, self.schedule), view=self, allowed_mentions=NO_MENTIONS
        )

    @discord.ui.select(
        cls=discord.ui.ChannelSelect,
        channel_types=[discord.ChannelType.text, discord.ChannelType.forum],
        placeholder="Channels to watch (their threads too)",
        min_values=1,
        max_values=MAX_OPTIONS,
        row=0,
    )
    async def watch(self, interaction: discord.Interaction, select: discord.ui.ChannelSelect) -> None:
        settings = cast("Settings", _cog(self.bot, "Settings"))
        for channel in _resolved(select):
            await settings.watch_channel(self.guild_id, channel)
        await self.show(interaction)

    @discord.ui.select(
        cls=discord.ui.ChannelSelect,
        channel_types=[discord.ChannelType.text],
        placeholder="Where digests are posted",
        row=1,
    )
    async def digest_channel(self, interaction: discord.Interaction, select: discord.ui.ChannelSelect) -> None:
        await self._post_in(interaction, select, "digest_channel")

    @discord.ui.select(
        cls=discord.ui.ChannelSelect,
        channel_types=[discord.ChannelType.text],
        placeholder="Where flags and cases go (moderators only)",
        row=2,
    )
    async def modlog_channel(self, interaction: discord.Interaction, select: discord.ui.ChannelSelect) -> None:
        await self._post_in(interaction, select, "modlog_channel")

    async def _post_in(self, interaction: discord.Interaction, select: discord.ui.ChannelSelect, setting: str) -> None:
        """Save the picked channel as where Clio posts something, once Clio may post there."""
        (channel,) = _resolved(select)
        ensure_postable(channel)
        await self.store.settings.set(self.guild_id, **{setting: channel.id})
        await self.show(interaction)


class PackSelect(discord.ui.Select["SetupView"]):
    def __init__(self, packs: list[tuple[str, str, bool]]) -> None:
        options = [
            discord.SelectOption(label=shorten(title, 100), value=slug, default=enabled)
            for slug, title, enabled in packs
        ]
        super().__init__(
            placeholder="Topic packs to tag", min_values=0, max_values=len(options), options=options, row=3
        )

    async def callback(self, interaction: discord.Interaction) -> None:
        view = cast("SetupView", self.view)
        await interaction.response.defer()  # switching packs rebuilds the guild's matcher
        tagging = view.bot.engine.tagging
        chosen = set(self.values)
        for option in self.options:
            await tagging.set_pack_enabled(view.guild_id, option.value, option.value in chosen)
            option.default = option.value in chosen
        view.enabled_packs = [o.label for o in self.options if o.default]
        config = await view.store.settings.get(view.guild_id)
        await interaction.edit_original_response(
            embed=progress_embed(config, view.enabled_packs, view.schedule), view=view, allowed_mentions=NO_MENTIONS
        )


class ScheduleButton(discord.ui.Button["SetupView"]):
    def __init__(self, key: str, label: str) -> None:
        super().__init__(label=label, style=discord.ButtonStyle.primary, custom_id=f"clio:first-digest:{key}", row=4)
        self.key = key

    async def callback(self, interaction: discord.Interaction) -> None:
        view = cast("SetupView", self.view)
        config = await view.store.settings.get(view.guild_id)
        target = view.bot.get_channel(config.digest_channel or 0)
        if not isinstance(target, discord.TextChannel):
            raise UserError("Pick the digest channel first: the schedule posts there.")
        digests = cast("Digests", _cog(view.bot, "Digests"))
        label, when = FIRST_SCHEDULES[self.key]
        await digests.add_schedule(view.guild_id, target, when, "UTC", None, interaction.user.id)
        view.schedule = f"{label.split(' (')[0]} in {target.mention}"
        for item in view.children:
            if isinstance(item, ScheduleButton):
                item.disabled = True  # one first schedule; /digest schedule adds more
        await view.show(interaction)


def _cog(bot: ClioBot, name: str) -> commands.Cog:
    cog = bot.get_cog(name)
    if cog is None:
        raise UserError(f"That part of Clio is switched off in this bot (its {name.lower()} cog is not loaded).")
    return cog


def _resolved(select: discord.ui.ChannelSelect) -> list[discord.TextChannel | discord.ForumChannel]:
    """The picked channels as the bot sees them (the select offers only text channels and forums)."""
    channels = [value.resolve() for value in select.values]
    if not all(isinstance(channel, discord.TextChannel | discord.ForumChannel) for channel in channels):
        raise UserError("I can't see one of those channels. Give me View Channel there, or pick another.")
    return cast("list[discord.TextChannel | discord.ForumChannel]", channels)


async def open_setup(interaction: discord.Interaction) -> None:
    """Answer a moderator with their private set-up message."""
    bot = clio_of(interaction)
    guild_id = guild_id_of(interaction)
    await interaction.response.defer(ephemeral=True, thinking=True)  # a guild's first use syncs its packs
    tagging = bot.engine.tagging
    await tagging.ensure_guild(guild_id)
    packs = [(p.pack, p.title, p.enabled) for p in await tagging.packs.list(guild_id)]
    view = SetupView(bot, guild_id, packs)
    config = await bot.engine.store.settings.get(guild_id)
    await interaction.followup.send(
        embed=progress_embed(config, view.enabled_packs, None), view=view, ephemeral=True, allowed_mentions=NO_MENTIONS
    )


class StartSetupButton(ModeratorItem, discord.ui.DynamicItem[discord.ui.Button], template=r"clio:setup"):
    def __init__(self) -> None:
        super().__init__(
            discord.ui.Button(label="Set up Clio", style=discord.ButtonStyle.primary, custom_id="clio:setup")
        )

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button, match) -> StartSetupButton:
        return cls()

    async def run(self, interaction: discord.Interaction) -> None:
        await open_setup(interaction)


def welcome_channel(guild: discord.Guild) -> discord.TextChannel | None:
    """The server's system channel, or else the first text channel Clio may post in."""
    candidates = [guild.system_channel] if guild.system_channel else []
    candidates += sorted(guild.text_channels, key=lambda c: c.position)
    for channel in candidates:
        permissions = channel.permissions_for(guild.me)
        if permissions.send_messages and permissions.embed_links:
            return channel
    return None


def setup_command() -> app_commands.Command:
    """``/clio setup``: a new command object per start, since ``/clio`` takes it as a child."""

    @app_commands.command(name="setup", description="Set Clio up: channels, digests, mod-log and topic packs")
    @app_commands.check(require_moderator)
    async def setup_clio(interaction: discord.Interaction) -> None:
        await open_setup(interaction)

    return setup_clio


class Setup(commands.Cog):
    def __init__(self, bot: ClioBot) -> None:
        self.bot = bot
        self.command = setup_command()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(StartSetupButton)
        add_to_clio(self.bot, self.command)

    async def cog_unload(self) -> None:
        remove_from_clio(self.bot, self.command)
        self.bot.remove_dynamic_items(StartSetupButton)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        channel = welcome_channel(guild)
        if channel is None:
            log.info("joined guild %d with no channel to say hello in", guild.id)
            return
        embed = discord.Embed(
            title="Thanks for adding Clio",
            colour=SETUP_COLOUR,
            description="Clio follows the arguments that keep coming back in your history channels, posts "
            "sourced digests of them, and flags abuse and spam for moderators. A moderator can set it up "
            "in a minute with the button below or `/clio setup`; `/help` lists every command.",
        )
        view = discord.ui.View(timeout=None)
        view.add_item(StartSetupButton())
        try:
            await channel.send(embed=embed, view=view, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:
            log.warning("welcome in guild %d not posted: %s", guild.id, exc)


async def setup(bot: ClioBot) -> None:
    await bot.add_cog(Setup(bot))
