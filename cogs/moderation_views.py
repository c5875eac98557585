"""The components of ``cogs.moderation``: review-entry buttons and timeout select, escalation and
threshold buttons, and the report form.

Buttons and selects are ``DynamicItem``s whose custom id carries what they act on (a flag, an
escalation, a threshold), so entries posted before a restart keep working. Every one of them is for
moderators only (checked server-side on each click); the lookups behind them are scoped to the
clicking guild, so a forged custom id reaches nothing in another server.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, cast

import discord

from bot.core.errors import UserError
from bot.core.markdown import shorten
from bot.engine.moderation import queue
from cogs.common import ModeratorItem, answer_error, clio_of

if TYPE_CHECKING:
    from cogs.moderation import Moderation

REASON_MAX = 500


def moderation_cog(interaction: discord.Interaction) -> Moderation:
    cog = clio_of(interaction).get_cog("Moderation")
    if cog is None:
        raise UserError("Moderation is switched off right now.")
    return cast("Moderation", cog)


_BUTTONS = (
    (queue.DISMISS, "Dismiss", discord.ButtonStyle.secondary),
    (queue.DELETE, "Delete message", discord.ButtonStyle.danger),
    (queue.WARN, "Warn", discord.ButtonStyle.primary),
    (queue.FALSE_POSITIVE, "False positive", discord.ButtonStyle.secondary),
)
_STYLES = {action: (label, style) for action, label, style in _BUTTONS}


class EntryButton(
    ModeratorItem,
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"clio:flag:(?P<action>dismiss|delete|warn|fp):(?P<id>[0-9]+)",
):
    def __init__(self, action: str, flag_id: int) -> None:
        label, style = _STYLES[action]
        super().__init__(discord.ui.Button(label=label, style=style, custom_id=f"clio:flag:{action}:{flag_id}", row=0))
        self.action, self.flag_id = action, flag_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button, match: Any, /):
        return cls(match["action"], int(match["id"]))

    async def run(self, interaction: discord.Interaction) -> None:
        await moderation_cog(interaction).decide(interaction, self.flag_id, self.action)


class TimeoutSelect(
    ModeratorItem, discord.ui.DynamicItem[discord.ui.Select], template=r"clio:flag:timeout:(?P<id>[0-9]+)"
):
    def __init__(self, flag_id: int) -> None:
        options = [discord.SelectOption(label=label, value=value) for value, label, _ in queue.TIMEOUT_CHOICES]
        super().__init__(
            discord.ui.Select(
                custom_id=f"clio:flag:timeout:{flag_id}", placeholder="Timeout for…", options=options, row=1
            )
        )
        self.flag_id = flag_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Select, match: Any, /):
        return cls(int(match["id"]))

    async def run(self, interaction: discord.Interaction) -> None:
        await moderation_cog(interaction).decide(interaction, self.flag_id, queue.TIMEOUT, self.item.values[0])


def entry_view(anchor_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for action, _, _ in _BUTTONS:
        view.add_item(EntryButton(action, anchor_id))
    view.add_item(TimeoutSelect(anchor_id))
    return view


class EscalationButton(
    ModeratorItem,
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"clio:escalation:(?P<action>confirm|dismiss):(?P<id>[0-9]+)",
):
    def __init__(self, action: str, escalation_id: int) -> None:
        label, style = (
            ("Confirm timeout", discord.ButtonStyle.danger)
            if action == "confirm"
            else ("Dismiss", discord.ButtonStyle.secondary)
        )
        super().__init__(
            discord.ui.Button(label=label, style=style, custom_id=f"clio:escalation:{action}:{escalation_id}")
        )
        self.action, self.escalation_id = action, escalation_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button, match: Any, /):
        return cls(match["action"], int(match["id"]))

    async def run(self, interaction: discord.Interaction) -> None:
        await moderation_cog(interaction).decide_escalation(interaction, self.escalation_id, self.action)


def escalation_view(escalation_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(EscalationButton("confirm", escalation_id))
    view.add_item(EscalationButton("dismiss", escalation_id))
    return view


class ThresholdButton(
    ModeratorItem, discord.ui.DynamicItem[discord.ui.Button], template=r"clio:threshold:abuse:(?P<value>[0-9]{1,3})"
):
    """Applies the digest's threshold advice; the value (in hundredths) is what the advice said."""

    def __init__(self, hundredths: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=f"Raise abuse threshold to {hundredths / 100:.2f}",
                style=discord.ButtonStyle.primary,
                custom_id=f"clio:threshold:abuse:{hundredths}",
            )
        )
        self.value = hundredths / 100

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button, match: Any, /):
        return cls(int(match["value"]))

    async def run(self, interaction: discord.Interaction) -> None:
        await moderation_cog(interaction).apply_threshold(interaction, self.value)


def threshold_view(proposed: float) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ThresholdButton(round(proposed * 100)))
    return view


class ReportModal(discord.ui.Modal):
    """Asks a member why they report a message; lives only while they type."""

    def __init__(self, submit: Callable[[discord.Interaction, str], Awaitable[None]]) -> None:
        super().__init__(title="Report to moderators", timeout=600)
        self.submit = submit
        self.reason = discord.ui.TextInput(
            custom_id="reason",
            style=discord.TextStyle.paragraph,
            max_length=REASON_MAX,
            placeholder="What is wrong with this message?",
        )
        self.add_item(discord.ui.Label(text="Reason", component=self.reason))

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self.submit(interaction, shorten(self.reason.value.strip(), REASON_MAX))

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        await answer_error(interaction, error)


DYNAMIC_ITEMS = (EntryButton, TimeoutSelect, EscalationButton, ThresholdButton)
