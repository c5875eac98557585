"""``/arguments``: the server's recurring arguments, which everyone can list and read. Moderators add,
edit and remove them, review discovered candidates and turn context notes off per argument with
``/clio arguments`` (``cogs.arguments_upkeep``), which this cog attaches to the moderators' ``/clio``.

Also here: context notes (replies to messages that clearly make an argument, in opted-in channels;
decided by :mod:`bot.engine.notes`) and two message menus, "Tag argument" (moderators correct a message's
tags) and "Why this tag?" (the scores behind a message's tags).

The "Tag argument" menu is for moderators: hidden by default permissions and checked server-side.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

import discord
from discord import app_commands
from discord.ext import commands

from bot.adapter.client import ClioBot
from bot.core.errors import UserError
from bot.core.markdown import escape_inline, shorten
from bot.core.records import IncomingMessage, jump_url
from bot.engine import discovery
from bot.engine.argument_admin import (
    correct_tag,
    explain_message,
    explanation_lines,
    message_vector,
    rank_arguments,
)
from bot.engine.matcher import Calibration
from bot.engine.notes import (
    USAGE_DAYS,
    TaggedMessage,
    argument_fields,
    bullet_list,
    choose_notes,
    counters_of,
    note_embed,
)
from bot.engine.tagging import IngestResult
from bot.store.arguments import Argument
from cogs.arguments_upkeep import ArgumentOption, ArgumentUpkeep
from cogs.arguments_views import DYNAMIC_ITEMS, candidate_embed, decision_text, tag_view
from cogs.common import (
    MODERATOR_PERMISSIONS,
    NO_MENTIONS,
    add_to_clio,
    answer,
    guild_id_of,
    remove_from_clio,
    require_moderator,
)

log = logging.getLogger(__name__)

ARGUMENT_COLOUR = 0x5B7DB1


@app_commands.guild_only()
class Arguments(commands.GroupCog, group_name="arguments", group_description="The recurring arguments Clio knows"):
    def __init__(self, bot: ClioBot) -> None:
        self.bot = bot
        self.engine = bot.engine
        self.default_threshold = Calibration.load(self.engine.tagging.model_dir / "calibration.json").default_threshold
        self._tasks: set[asyncio.Task] = set()
        self._retag_locks: dict[int, asyncio.Lock] = {}
        self.upkeep = ArgumentUpkeep(self)
        # Notes are decided and recorded one batch at a time, so two batches never both pass a cooldown.
        self._notes_lock = asyncio.Lock()
        self._closing = False
        self.menus = [
            app_commands.ContextMenu(name="Tag argument", callback=self.tag_argument),
            app_commands.ContextMenu(name="Why this tag?", callback=self.why_this_tag),
        ]
        self.menus[0].default_permissions = MODERATOR_PERMISSIONS
        self.menus[0].add_check(require_moderator)
        for menu in self.menus:
            menu.guild_only = True
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS)
        for menu in self.menus:
            self.bot.tree.add_command(menu)
        add_to_clio(self.bot, self.upkeep)

    async def cog_unload(self) -> None:
        # The ingest cog's last batch may still dispatch: let a note in progress finish, start no other,
        # since the store closes right after.
        self._closing = True
        async with self._notes_lock:
            pass
        for menu in self.menus:
            self.bot.tree.remove_command(menu.name, type=menu.type)
        remove_from_clio(self.bot, self.upkeep)
        self.bot.remove_dynamic_items(*DYNAMIC_ITEMS)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    @property
    def store(self):
        return self.engine.store

    @property
    def tagging(self):
        return self.engine.tagging

    def _spawn(self, coro) -> asyncio.Task:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _usage(self, guild_id: int, arguments: Sequence[Argument]):
        return await self.store.notes.usage(guild_id, [a.id for a in arguments], time.time() - USAGE_DAYS * 86400)

    # -- reading ------------------------------------------------------------------------------------

    @app_commands.command(name="list", description="The arguments Clio recognises in this server")
    async def list_(self, interaction: discord.Interaction) -> None:
        guild_id = guild_id_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)  # counts a month of tags
        await self.tagging.ensure_guild(guild_id)
        arguments = sorted(await self.store.arguments.list(guild_id), key=lambda a: a.label.casefold())
        usage = await self._usage(guild_id, arguments)
        lines = [f"**{a.label}** `{a.slug}`: {usage[a.id].messages} in {USAGE_DAYS} days" for a in arguments]
        embed = discord.Embed(
            title=f"{len(arguments)} arguments",
            colour=ARGUMENT_COLOUR,
            description=bullet_list(lines, 4096) or "None yet. Moderators add them with `/clio arguments add`.",
        )
        embed.set_footer(text="Details of one: /arguments show")
        await answer(interaction, embed=embed)

    @app_commands.command(name="show", description="An argument's claim, examples, sources and counter-arguments")
    @app_commands.describe(argument="Start typing its name")
    async def show(self, interaction: discord.Interaction, argument: ArgumentOption) -> None:
        embed = await self._describe(guild_id_of(interaction), argument)
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)

    async def _describe(self, guild_id: int, argument: Argument) -> discord.Embed:
        active = await self.store.arguments.list(guild_id)
        usage = (await self._usage(guild_id, [argument]))[argument.id]
        embed = discord.Embed(
            title=escape_inline(argument.label, 256),
            description=escape_inline(argument.claim, 4096),
            colour=ARGUMENT_COLOUR,
        )
        if argument.examples:
            embed.add_field(
                name="How people put it",
                value=bullet_list([escape_inline(e, 200) for e in argument.examples]),
                inline=False,
            )
        for field in argument_fields(argument, counters_of(argument, active), usage):
            embed.add_field(**field, inline=False)
        embed.add_field(name="Threshold", value=await self._threshold_text(guild_id, argument))
        embed.add_field(name="Policy", value="flag for moderators" if argument.policy == "flag" else "none")
        embed.add_field(name="Context notes", value="on" if argument.notes_enabled else "off")
        origin = f"catalogue pack {argument.pack}" if argument.pack else argument.origin
        embed.set_footer(text=f"{argument.slug} · #{argument.id} · {origin}")
        return embed

    async def _threshold_text(self, guild_id: int, argument: Argument) -> str:
        if argument.threshold is not None:
            return f"{argument.threshold:.2f} (its own)"
        server = (await self.store.settings.get(guild_id)).tag_threshold
        if server is not None:
            return f"{server:.2f} (server setting)"
        return f"{self.default_threshold:.2f} (model default)"

    async def decide_candidate(
        self, interaction: discord.Interaction, argument_id: int, action: str, into: int | None = None
    ) -> None:
        """Approve, dismiss or merge a candidate (from its buttons), then show the decision on its message."""
        guild_id = guild_id_of(interaction)
        await interaction.response.defer()
        target = None
        try:
            if action == "approve":
                argument = await discovery.approve_candidate(
                    self.store, self.tagging, guild_id, argument_id, retag=False
                )
            elif action == "dismiss":
                argument = await discovery.dismiss_candidate(self.store, guild_id, argument_id)
            elif into is None:
                raise UserError("Pick the argument to merge this candidate into.")
            else:
                target = await discovery.merge_candidate(
                    self.store, self.tagging, guild_id, argument_id, into, retag=False
                )
                argument = await self.store.arguments.get(guild_id, argument_id)
                if argument is None:
                    raise LookupError(argument_id)
        except (LookupError, ValueError):
            current = await self.store.arguments.get(guild_id, argument_id)
            state = f"is already {current.status}" if current else "no longer exists"
            raise UserError(f"Candidate #{argument_id} {state}.") from None
        if action != "dismiss":
            self._spawn(self._retag(guild_id))
        await interaction.edit_original_response(
            embed=candidate_embed(argument, decision_text(action, interaction.user, target)),
            view=None,
            allowed_mentions=NO_MENTIONS,
        )

    async def _retag(self, guild_id: int) -> None:
        """Re-tag stored messages with a new or grown argument, one run per guild at a time: the last run
        starts after the last change, so it sees every change."""
        async with self._retag_locks.setdefault(guild_id, asyncio.Lock()):
            try:
                count = await self.tagging.retag_guild(guild_id)
                log.info("re-tagged %d messages of guild %d", count, guild_id)
            except Exception:
                log.exception("re-tagging guild %d failed", guild_id)

    # -- message menus ------------------------------------------------------------------------------

    async def tag_argument(self, interaction: discord.Interaction, message: discord.Message) -> None:
        guild_id = guild_id_of(interaction)
        if not await self.store.messages.get(guild_id, [message.id]):
            raise UserError("I only learn from messages in watched channels, and I have not stored this one.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        vector = await message_vector(self.store, self.tagging, guild_id, message.id, message.content)
        ranked = (await rank_arguments(self.store, self.tagging, guild_id, vector[None, :]))[0]
        current = await self._current_tags(guild_id, message.id)
        link = jump_url(guild_id, message.channel.id, message.id)
        await interaction.followup.send(
            f"Which argument does [this message]({link}) make, or not make? Most likely first.\n"
            f"Current tags: {current}",
            view=tag_view(message.id, ranked),
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    async def _current_tags(self, guild_id: int, message_id: int) -> str:
        tags = (await self.store.tags.for_messages(guild_id, [message_id])).get(message_id, [])
        labels = {a.id: a.label for a in await self.store.arguments.list(guild_id)}
        parts = []
        for tag in tags:
            if tag.argument_id in labels:
                how = (
                    f"model, {tag.score:.2f}"
                    if tag.source == "model"
                    else f"moderator: {'is' if tag.accepted else 'is not'}"
                )
                parts.append(f"**{labels[tag.argument_id]}** ({how})")
        return "; ".join(parts) or "none"

    async def correct(
        self, interaction: discord.Interaction, message_id: int, argument_id: int, accepted: bool
    ) -> None:
        """A moderator's pick in the "Tag argument" selects."""
        argument = await correct_tag(
            self.store, self.tagging, guild_id_of(interaction), message_id, argument_id, accepted, interaction.user.id
        )
        verdict = "makes" if accepted else "does not make"
        await interaction.response.edit_message(
            content=f"Noted: the message {verdict} **{argument.label}**. Clio takes it into account from now on.\n"
            f"Current tags: {await self._current_tags(guild_id_of(interaction), message_id)}",
            allowed_mentions=NO_MENTIONS,
        )

    async def why_this_tag(self, interaction: discord.Interaction, message: discord.Message) -> None:
        guild_id = guild_id_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.tagging.ensure_guild(guild_id)
        explanations = await explain_message(self.store, self.tagging, guild_id, message.id, message.content)
        tagged = any(e.tagged or e.verdict for e in explanations)
        intro = "" if tagged else "This message has no tags. The closest arguments:\n\n"
        embed = discord.Embed(
            title="Why these tags?" if tagged else "Why no tag?",
            colour=ARGUMENT_COLOUR,
            description=shorten(
                intro + ("\n\n".join(explanation_lines(explanations)) or "No arguments to compare."), 4096
            ),
        )
        embed.set_footer(text="Probability: how sure the model is. A message is tagged when it reaches the threshold.")
        await interaction.followup.send(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)

    # -- context notes ------------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_clio_ingested(self, messages: Sequence[IncomingMessage], result: IngestResult) -> None:
        if not result.tags or self._closing:
            return
        by_guild: dict[int, dict[int, IncomingMessage]] = {}
        for message in messages:
            if message.id in result.tags:
                by_guild.setdefault(message.guild_id, {})[message.id] = message
        async with self._notes_lock:
            if self._closing:
                return
            for guild_id, tagged in by_guild.items():
                try:
                    await self._post_notes(guild_id, list(tagged.values()), result.tags)
                except Exception:
                    log.exception("context notes failed in guild %d", guild_id)

    async def _post_notes(
        self, guild_id: int, messages: Sequence[IncomingMessage], tags: dict[int, list[tuple[int, float]]]
    ) -> None:
        config = await self.store.settings.get(guild_id)
        guild = self.bot.get_guild(guild_id)
        if not config.note_channels or guild is None:
            return
        batch = [
            TaggedMessage(
                m.id,
                m.channel_id,
                m.created_at,
                tags[m.id],
                getattr(guild.get_channel_or_thread(m.channel_id), "parent_id", None),
            )
            for m in messages
        ]
        now = time.time()
        arguments = {a.id: a for a in await self.store.arguments.list(guild_id)}
        last = await self.store.notes.last_posted(
            guild_id, sorted({m.channel_id for m in batch}), now - config.note_cooldown_hours * 3600
        )
        noted = await self.store.notes.noted(guild_id, [m.message_id for m in batch])
        for note in choose_notes(batch, config, arguments, last, noted, now):
            channel = guild.get_channel_or_thread(note.channel_id)
            if not isinstance(channel, discord.TextChannel | discord.Thread) or not await self.store.notes.record(
                guild_id, note.channel_id, note.argument_id, note.message_id, now
            ):
                continue
            argument = arguments[note.argument_id]
            usage = (await self._usage(guild_id, [argument]))[argument.id]
            counters = counters_of(argument, list(arguments.values()))
            embed = discord.Embed.from_dict(note_embed(argument, counters, usage))
            try:
                # No mentions at all: with a reply, that includes not pinging the author.
                await channel.send(
                    embed=embed, reference=channel.get_partial_message(note.message_id), allowed_mentions=NO_MENTIONS
                )
            except discord.HTTPException as exc:
                # Gone, or no permission: forget the note, so the cooldown does not start without one.
                log.warning("context note on message %d in guild %d not posted: %s", note.message_id, guild_id, exc)
                await self.store.notes.forget(guild_id, note.message_id)


async def setup(bot: ClioBot) -> None:
    await bot.add_cog(Arguments(bot))
