"""Per-server topic packs: which catalogue packs a guild uses, and keeping its copies up to date.

A guild holds its own copy of each enabled pack's arguments, so moderators can edit them. When the
catalogue ships a new version of a pack, the guilds that enabled it get the new text, except for the
arguments a moderator edited or added. Disabling a pack stops its arguments from tagging; the tags they
made stay in history. A pack whose file left the catalogue counts as disabled everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.errors import UserError
from bot.engine.catalogue import TopicPack
from bot.store import Store
from bot.store.arguments import Argument
from bot.store.packs import PackArgument

ALL_PACKS = "all"


@dataclass(frozen=True)
class GuildPack:
    pack: str
    title: str
    version: int
    arguments: int
    enabled: bool


def parse_default_packs(value: str) -> frozenset[str] | None:
    """``CLIO_DEFAULT_PACKS``: ``all`` (None here), ``none``, or a comma-separated list of pack slugs."""
    value = value.strip().lower()
    if value == ALL_PACKS:
        return None
    if value in ("", "none"):
        return frozenset()
    return frozenset(part.strip() for part in value.split(",") if part.strip())


def _stored(pack: TopicPack) -> list[PackArgument]:
    return [
        PackArgument(
            slug=a.id,
            title=a.title,
            claim=a.claim,
            examples=tuple(a.examples),
            counters=tuple(a.counters),
            sources=tuple(s.model_dump(exclude_none=True) for s in a.sources),
            policy=a.policy,
            standing=a.standing,
        )
        for a in pack.arguments
    ]


class PackService:
    def __init__(self, store: Store, packs: Sequence[TopicPack], default_packs: frozenset[str] | None = None):
        self.store = store
        self.catalogue = {pack.pack: pack for pack in packs}
        unknown = sorted((default_packs or frozenset()) - set(self.catalogue))
        if unknown:
            raise UserError(f"CLIO_DEFAULT_PACKS names unknown pack(s): {', '.join(unknown)}")
        self.default_packs = default_packs

    def _starts_enabled(self, slug: str) -> bool:
        return self.default_packs is None or slug in self.default_packs

    async def sync_guild(self, guild_id: int) -> None:
        """Record a new guild's packs (the default set enabled) and upgrade the enabled ones."""
        states = await self.store.packs.states(guild_id)
        legacy = await self.store.packs.packs_with_arguments(guild_id) if not states else set()
        for slug, pack in self.catalogue.items():
            state = states.get(slug)
            if state is None:
                enabled = slug in legacy or self._starts_enabled(slug)
                if enabled:
                    await self.store.packs.apply(guild_id, slug, pack.version, True, _stored(pack))
                else:
                    await self.store.packs.record(guild_id, slug, pack.version, False)
            elif state.enabled and state.version < pack.version:
                await self.store.packs.apply(guild_id, slug, pack.version, True, _stored(pack))

    async def enabled(self, guild_id: int) -> set[str]:
        states = await self.store.packs.states(guild_id)
        return {slug for slug, state in states.items() if state.enabled and slug in self.catalogue}

    def tags_with(self, argument: Argument, enabled: set[str]) -> bool:
        """Whether an active argument may tag: moderators' and discovered ones always, pack ones while
        their pack is enabled and still in the catalogue."""
        return argument.pack is None or argument.pack in enabled

    async def list(self, guild_id: int) -> list[GuildPack]:
        states = await self.store.packs.states(guild_id)
        return [
            GuildPack(
                slug,
                pack.title,
                pack.version,
                len(pack.arguments),
                states[slug].enabled if slug in states else self._starts_enabled(slug),
            )
            for slug, pack in sorted(self.catalogue.items())
        ]

    def _pack(self, slug: str) -> TopicPack:
        pack = self.catalogue.get(slug.strip().lower())
        if pack is None:
            raise UserError(f"There is no topic pack `{slug}`; `/clio packs list` shows them.")
        return pack

    async def set_enabled(self, guild_id: int, slug: str, enabled: bool) -> bool:
        """Enable or disable a pack for a guild; False when it already was."""
        pack = self._pack(slug)
        await self.sync_guild(guild_id)
        state = (await self.store.packs.states(guild_id))[pack.pack]
        if state.enabled == enabled:
            return False
        if enabled:
            await self.store.packs.apply(guild_id, pack.pack, pack.version, True, _stored(pack))
        else:
            await self.store.packs.set_enabled(guild_id, pack.pack, False)
        return True
