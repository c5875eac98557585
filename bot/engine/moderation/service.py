"""Run a guild's enabled flaggers over a batch of messages, skipping exempt channels and roles."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from bot.core.guild_config import GuildConfig
from bot.engine.moderation.abuse import AbuseFlagger
from bot.engine.moderation.abuse_model import DEFAULT_DIR, AbuseModel, shared_abuse_model
from bot.engine.moderation.flaggers import Flag, Flagger, MessageContext
from bot.engine.moderation.policy import PolicyArgument, PolicyFlagger
from bot.engine.moderation.spam import Clock, FloodFlagger, SpamFlagger

log = logging.getLogger(__name__)

FLAGGER_NAMES = ("abuse", "spam", "flood", "policy")


class ModerationService:
    """Holds the flaggers (and so the spam and flood memory) for the whole process; one per bot."""

    def __init__(self, abuse_model: AbuseModel | None, clock: Clock = time.time) -> None:
        self.abuse = AbuseFlagger(abuse_model)
        self.spam = SpamFlagger(clock=clock)
        self.flood = FloodFlagger(clock=clock)

    @classmethod
    def load(cls, abuse_dir: Path = DEFAULT_DIR, clock: Clock = time.time) -> ModerationService:
        """With the abuse model in ``abuse_dir``, loaded once per process; if it cannot be loaded, the
        abuse flagger is off (logged) and the others still run."""
        return cls(shared_abuse_model(Path(abuse_dir)), clock=clock)

    @property
    def abuse_enabled(self) -> bool:
        return self.abuse.model is not None

    def score_abuse(self, contexts: Sequence[MessageContext], config: GuildConfig) -> None:
        """Fill in ``abuse_score`` where the abuse flagger will read it. Model inference, so CPU-bound:
        the bot calls it in a worker thread."""
        model = self.abuse.model
        if model is None or "abuse" not in config.flaggers:
            return
        todo = [c for c in contexts if c.abuse_score is None and c.text.strip() and not self.is_exempt(c, config)]
        for ctx, score in zip(todo, model.score([c.text for c in todo])):
            ctx.abuse_score = float(score)

    def flaggers_for(
        self, config: GuildConfig, policy_arguments: Mapping[int, PolicyArgument | tuple] | None = None
    ) -> list[Flagger]:
        available: dict[str, Flagger] = {
            "abuse": self.abuse,
            "spam": self.spam,
            "flood": self.flood,
            "policy": PolicyFlagger(policy_arguments or {}),
        }
        unknown = set(config.flaggers) - set(available)
        if unknown:
            log.warning("ignoring unknown flagger name(s) in guild settings: %s", ", ".join(sorted(unknown)))
        return [available[name] for name in dict.fromkeys(config.flaggers) if name in available]

    @staticmethod
    def is_exempt(ctx: MessageContext, config: GuildConfig) -> bool:
        return ctx.channel_id in config.exempt_channels or not set(ctx.author_role_ids).isdisjoint(config.exempt_roles)

    def evaluate(
        self,
        contexts: Sequence[MessageContext],
        config: GuildConfig,
        policy_arguments: Mapping[int, PolicyArgument | tuple] | None = None,
    ) -> dict[int, list[Flag]]:
        """Every verdict (flagged or not) per message id; exempt messages get an empty list.

        Messages are checked oldest first, because the spam and flood flaggers remember what came before.
        The abuse flagger judges only messages already given a score by :meth:`score_abuse`.
        """
        flaggers = self.flaggers_for(config, policy_arguments)
        results: dict[int, list[Flag]] = {ctx.message_id: [] for ctx in contexts}
        in_time_order = sorted(contexts, key=lambda ctx: (ctx.created_at is None, ctx.created_at or 0.0))
        for ctx in in_time_order:
            if self.is_exempt(ctx, config):
                continue
            results[ctx.message_id] = [flag for flag in (f.check(ctx, config) for f in flaggers) if flag is not None]
        return results


def flagged_only(results: Mapping[int, list[Flag]]) -> dict[int, list[Flag]]:
    """The messages that need a moderator, with only the flags that fired."""
    return {message_id: hits for message_id, flags in results.items() if (hits := [f for f in flags if f.flagged])}


def median_flag_ms(
    service: ModerationService,
    contexts: Sequence[MessageContext],
    config: GuildConfig,
    policy_arguments: Mapping[int, PolicyArgument | tuple] | None = None,
) -> float:
    """Median milliseconds to flag one message, alone, given its tags: abuse scoring included (what
    ``clio bench`` reports; the bot scores whole batches, which is cheaper per message)."""
    timings = []
    for ctx in contexts:
        started = time.perf_counter()
        service.score_abuse([ctx], config)
        service.evaluate([ctx], config, policy_arguments)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return timings[len(timings) // 2] if timings else 0.0
