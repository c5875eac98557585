"""Policy arguments: catalogue arguments a server has marked ``policy: flag`` (denial, say) get a review.

The matcher has already tagged the message (with each argument's own threshold); this flagger only looks
the tags up, so it costs nothing beyond ingest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.core.guild_config import GuildConfig
from bot.engine.moderation.flaggers import Flag, MessageContext

FLAG_POLICY = "flag"


@dataclass(frozen=True, slots=True)
class PolicyArgument:
    slug: str
    policy: str | None = None


def policy_map(arguments) -> dict[int, PolicyArgument]:
    """From stored arguments (anything with ``id``, ``slug`` and ``policy``) to what the flagger needs."""
    return {arg.id: PolicyArgument(arg.slug, arg.policy) for arg in arguments}


class PolicyFlagger:
    name = "policy"

    def __init__(self, arguments: Mapping[int, PolicyArgument | tuple[str, str | None]]) -> None:
        self._flagged = {
            argument_id: (arg if isinstance(arg, PolicyArgument) else PolicyArgument(*arg)).slug
            for argument_id, arg in arguments.items()
            if (arg.policy if isinstance(arg, PolicyArgument) else arg[1]) == FLAG_POLICY
        }

    def check(self, ctx: MessageContext, config: GuildConfig) -> Flag:
        hits = [(probability, self._flagged[arg_id]) for arg_id, probability in ctx.tags if arg_id in self._flagged]
        if not hits:
            best = max((probability for _, probability in ctx.tags), default=0.0)
            return Flag(
                self.name,
                0.0,
                False,
                "no argument marked policy: flag"
                + (f" (best tag probability {best:.2f} is for an unflagged argument)" if ctx.tags else ""),
            )
        probability, slug = max(hits)
        return Flag(
            self.name,
            probability,
            True,
            f"matches catalogue argument '{slug}' (probability {probability:.2f}), marked policy: flag",
        )
