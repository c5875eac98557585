"""Moderation engine, free of Discord: flaggers score messages and explain why; a moderator decides.

Flaggers: ``abuse`` (a fine-tuned MiniLM classifier), ``spam`` (invites, shorteners, referral links, mass
mentions, cross-posting), ``flood`` (per-author message rate) and ``policy`` (catalogue arguments marked
``policy: flag``). :class:`ModerationService` runs a guild's enabled ones; flags and cases are stored by
:mod:`bot.store.moderation`, and ``queue`` turns them into review entries and case-log lines.

Part of the engine: imports the store and the core; never discord.
"""

from bot.engine.moderation.abuse import AbuseFlagger
from bot.engine.moderation.abuse_model import AbuseModel
from bot.engine.moderation.flaggers import Flag, Flagger, MessageContext, contexts_from_ingest
from bot.engine.moderation.policy import PolicyArgument, PolicyFlagger, policy_map
from bot.engine.moderation.service import FLAGGER_NAMES, ModerationService, flagged_only, median_flag_ms
from bot.engine.moderation.spam import FloodFlagger, SpamFlagger

__all__ = [
    "FLAGGER_NAMES",
    "AbuseFlagger",
    "AbuseModel",
    "Flag",
    "Flagger",
    "FloodFlagger",
    "MessageContext",
    "ModerationService",
    "PolicyArgument",
    "PolicyFlagger",
    "SpamFlagger",
    "contexts_from_ingest",
    "flagged_only",
    "median_flag_ms",
    "policy_map",
]
