"""The components of ``cogs.arguments``: candidate buttons, "Merge into…" and tag-correction selects,
and the add/edit form.

Buttons and selects are ``DynamicItem``s: everything they need (the argument or message id) is in
their custom id, so they keep working after a restart without any view being re-registered per
message. The form is a short-lived modal: it only lives while the moderator is typing.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

import discord

from bot.core.errors import UserError
from bot.core.markdown import escape_inline, shorten
from bot.engine.argument_admin import ArgumentForm
from bot.engine.notes import bullet_list
from bot.store.arguments import Argument
from cogs.common import ModeratorItem, answer_error, clio_of

if TYPE_CHECKING:
    from cogs.arguments import Arguments


CANDIDATE_COLOUR = 0xE0A526
DECIDED_COLOUR = 0x6C757D


def arguments_cog(interaction: discord.Interaction) -> Arguments:
    cog = clio_of(interaction).get_cog("Arguments")
    if cog is None:
        raise UserError("Argument management is switched off right now.")
    return cast("Arguments", cog)


def argument_options(choices: Sequence[tuple[Argument, float]], what: str) -> list[discord.SelectOption]:
    """Select options, most alike first; Discord allows 25."""
    return [
        discord.SelectOption(
            label=shorten(a.label, 100), value=str(a.id), description=shorten(f"{a.slug} · {what} {p:.0%}", 100)
        )
        for a, p in choices[:25]
    ]


# --- candidates ----------------------------------------------------------------------------------


class CandidateButton(
    ModeratorItem,
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"clio:candidate:(?P<action>approve|dismiss):(?P<id>[0-9]+)",
):
    def __init__(self, action: str, argument_id: int) -> None:
        style = discord.ButtonStyle.success if action == "approve" else discord.ButtonStyle.secondary
        super().__init__(
            discord.ui.Button(label=action.title(), style=style, custom_id=f"clio:candidate:{action}:{argument_id}")
        )
        self.action, self.argument_id = action, argument_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button, match: Any, /):
        return cls(match["action"], int(match["id"]))

    async def run(self, interaction: discord.Interaction) -> None:
        await arguments_cog(interaction).decide_candidate(interaction, self.argument_id, self.action)


class MergeSelect(
    ModeratorItem, discord.ui.DynamicItem[discord.ui.Select], template=r"clio:candidate:merge:(?P<id>[0-9]+)"
):
    def __init__(self, argument_id: int, options: list[discord.SelectOption]) -> None:
        super().__init__(
            discord.ui.Select(
                custom_id=f"clio:candidate:merge:{argument_id}", placeholder="Merge into…", options=options
            )
        )
        self.argument_id = argument_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Select, match: Any, /):
        return cls(int(match["id"]), item.options)

    async def run(self, interaction: discord.Interaction) -> None:
        await arguments_cog(interaction).decide_candidate(
            interaction, self.argument_id, "merge", into=int(self.item.values[0])
        )


def candidate_embed(argument: Argument, decision: str | None = None) -> discord.Embed:
    evidence = argument.evidence
    embed = discord.Embed(
        title=f"Candidate argument #{argument.id}",
        description=escape_inline(argument.claim, 4096),
        colour=DECIDED_COLOUR if decision else CANDIDATE_COLOUR,
    )
    if evidence:
        span = ""
        if evidence.get("first_seen") and evidence.get("last_seen"):
            span = f", <t:{int(evidence['first_seen'])}:d> to <t:{int(evidence['last_seen'])}:d>"
        embed.add_field(
            name="Evidence",
            inline=False,
            value=f"{evidence.get('messages', 0)} messages ({evidence.get('distinct_texts', 0)} distinct) from "
            f"{evidence.get('authors', 0)} people on {evidence.get('days', 0)} days{span}",
        )
    if argument.examples:
        embed.add_field(
            name="Other phrasings",
            value=bullet_list([escape_inline(e, 200) for e in argument.examples]),
            inline=False,
        )
    links = evidence.get("example_links") or []
    if links:
        embed.add_field(
            name="Examples", value=" ".join(f"[{n}]({url})" for n, url in enumerate(links, 1)), inline=False
        )
    if decision:
        embed.add_field(name="Decision", value=decision, inline=False)
    return embed


def candidate_view(argument: Argument, merge_into: Sequence[tuple[Argument, float]]) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(CandidateButton("approve", argument.id))
    view.add_item(CandidateButton("dismiss", argument.id))
    if merge_into:
        view.add_item(MergeSelect(argument.id, argument_options(merge_into, "alike")))
    return view


def decision_text(action: str, user: discord.abc.User, into: Argument | None = None) -> str:
    done = {"approve": "Approved", "dismiss": "Dismissed", "merge": "Merged"}[action]
    target = f" into **{into.label}**" if into is not None else ""
    return f"{done}{target} by {user.mention} <t:{int(time.time())}:R>"


# --- correcting a message's tags ---------------------------------------------------------------


class TagSelect(
    ModeratorItem,
    discord.ui.DynamicItem[discord.ui.Select],
    template=r"clio:tag:(?P<verdict>is|not):(?P<message>[0-9]+)",
):
    def __init__(self, verdict: str, message_id: int, options: list[discord.SelectOption]) -> None:
        placeholder = "It makes the argument…" if verdict == "is" else "It does NOT make the argument…"
        super().__init__(
            discord.ui.Select(custom_id=f"clio:tag:{verdict}:{message_id}", placeholder=placeholder, options=options)
        )
        self.accepted, self.message_id = verdict == "is", message_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Select, match: Any, /):
        return cls(match["verdict"], int(match["message"]), item.options)

    async def run(self, interaction: discord.Interaction) -> None:
        await arguments_cog(interaction).correct(interaction, self.message_id, int(self.item.values[0]), self.accepted)


def tag_view(message_id: int, ranked: Sequence[tuple[Argument, float]]) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    options = argument_options(ranked, "match")
    view.add_item(TagSelect("is", message_id, options))
    view.add_item(TagSelect("not", message_id, options))
    return view


# --- the add/edit form ---------------------------------------------------------------------------

# (field, label, paragraph, required, max length, placeholder)
_FORM = (
    ("title", "Title", False, False, 80, "Stalin played both sides"),
    ("claim", "Claim (one sentence)", True, True, 300, "What people keep saying, stated neutrally."),
    ("examples", "Examples (one per line)", True, False, 4000, "Ways people phrase it in chat."),
    ("counters", "Counter-arguments (short names)", False, False, 1000, "west-cool-to-collective-security"),
    ("sources", "Sources (one per line)", True, False, 4000, "Author - Title (year) https://link"),
)


class ArgumentModal(discord.ui.Modal):
    def __init__(
        self, heading: str, form: ArgumentForm, submit: Callable[[discord.Interaction, ArgumentForm], Awaitable[None]]
    ) -> None:
        super().__init__(title=shorten(heading, 45), timeout=900)
        self.submit = submit
        self.inputs: dict[str, discord.ui.TextInput] = {}
        for name, label, paragraph, required, limit, placeholder in _FORM:
            if len(getattr(form, name)) > limit:
                # Cutting the text would silently drop what does not fit when the form is saved.
                raise UserError(
                    f"This argument's {name} ({len(getattr(form, name))} characters) do not fit in a "
                    f"form (at most {limit})."
                )
            field = discord.ui.TextInput(
                custom_id=name,
                style=discord.TextStyle.paragraph if paragraph else discord.TextStyle.short,
                required=required,
                max_length=limit,
                placeholder=placeholder,
                default=getattr(form, name) or None,
            )
            self.inputs[name] = field
            self.add_item(discord.ui.Label(text=label, component=field))

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self.submit(interaction, ArgumentForm(**{name: field.value for name, field in self.inputs.items()}))

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        await answer_error(interaction, error)


DYNAMIC_ITEMS = (CandidateButton, MergeSelect, TagSelect)
