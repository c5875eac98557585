"""Ingest and tag: store a batch of messages, embed the new texts once, tag them with the guild's arguments."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bot.core.guild_config import GuildConfig
from bot.core.records import IncomingMessage
from bot.engine.catalogue import counter_pairs, load_catalogue
from bot.engine.embedding import Embedder, argument_encoder
from bot.engine.matcher import ArgumentProfile, Matcher, Sentences, sentence_texts
from bot.engine.matcher_inputs import MatcherInputs
from bot.engine.packs import ALL_PACKS, PackService, parse_default_packs
from bot.store import Store
from bot.store.arguments import Argument

log = logging.getLogger(__name__)


@dataclass
class IngestResult:
    stored: int = 0
    embedded: int = 0
    # message id -> [(argument id, probability)], best first, for the messages tagged in this batch
    tags: dict[int, list[tuple[int, float]]] = field(default_factory=dict)
    vectors: dict[int, np.ndarray] = field(default_factory=dict)


def profiles_for(
    arguments: Sequence[Argument], corrections: Sequence = (), guild_threshold: float | None = None
) -> list[ArgumentProfile]:
    """Turn stored arguments plus moderator corrections into what the matcher indexes.

    An argument's own threshold wins over the guild's, which wins over the matcher's calibrated default.
    Counters are the guild's arguments on the other side, both ways, whichever of the two declares it.
    """
    confirmed: dict[int, list[str]] = defaultdict(list)
    rejected: dict[int, list[str]] = defaultdict(list)
    for correction in corrections:
        if correction.content.strip():
            (confirmed if correction.accepted else rejected)[correction.argument_id].append(correction.content)
    id_of = {arg.slug: arg.id for arg in arguments}
    counters = counter_pairs((arg.slug, arg.counters) for arg in arguments)
    return [
        ArgumentProfile(
            argument_id=arg.id,
            claim=arg.claim,
            title=arg.title,
            examples=tuple(arg.examples) + tuple(confirmed[arg.id]),
            threshold=arg.threshold if arg.threshold is not None else guild_threshold,
            rejected=tuple(rejected[arg.id]),
            counters=tuple(sorted(id_of[slug] for slug in counters.get(arg.slug, ()) if slug in id_of)),
        )
        for arg in arguments
    ]


def _catalogue_texts(arguments: Sequence[Argument]) -> set[str]:
    """The published texts of catalogue arguments: the only argument texts whose vectors the store
    shares, since they are no member's words."""
    texts: set[str] = set()
    for argument in arguments:
        if argument.origin == "catalogue" and not argument.edited:
            texts.update(t for t in (argument.claim, argument.title, *argument.examples) if t.strip())
    return texts


def _sentences_of(positions: list[int], part_vectors: np.ndarray, owner: np.ndarray) -> Sentences | None:
    """The sentences of the messages at ``positions`` of a batch, re-numbered to rows of that subset."""
    row_of = {position: row for row, position in enumerate(positions)}
    keep = [i for i, o in enumerate(owner) if int(o) in row_of]
    if not keep:
        return None
    return Sentences(part_vectors[keep], np.asarray([row_of[int(owner[i])] for i in keep], dtype=np.int64))


class TaggingService:
    """Owns the per-guild matchers; the embedder is shared and loaded once.

    Writes that change what a matcher sees go through ``self.inputs`` (see
    :mod:`bot.engine.matcher_inputs`); a matcher older than its guild's inputs is rebuilt on next use.
    """

    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        model_dir: Path,
        catalogue_dir: Path,
        top_k: int = 3,
        default_packs: str = ALL_PACKS,
    ):
        self.store = store
        self.embedder = embedder
        self._argument_encoder = argument_encoder(embedder)
        self.model_dir = Path(model_dir)
        self.top_k = top_k
        packs = load_catalogue(Path(catalogue_dir))
        self.packs = PackService(store, packs, parse_default_packs(default_packs))
        self.inputs = MatcherInputs()
        self._matchers: dict[int, tuple[int, Matcher]] = {}
        self._seeded: set[int] = set()
        self._stored_texts: set[str] = set()  # catalogue texts known to be in the store already

    async def ensure_guild(self, guild_id: int) -> None:
        """Give a guild its topic packs, or bring them up to the catalogue's versions (once per process).

        Never call it inside ``inputs.change``: it takes the same guild lock.
        """
        if guild_id not in self._seeded:
            async with self.inputs.change(guild_id):
                await self.packs.sync_guild(guild_id)
            self._seeded.add(guild_id)

    async def tagging_arguments(self, guild_id: int) -> list[Argument]:
        """The guild's active arguments that tag: those of disabled or vanished packs do not."""
        await self.ensure_guild(guild_id)
        enabled = await self.packs.enabled(guild_id)
        return [a for a in await self.store.arguments.list(guild_id) if self.packs.tags_with(a, enabled)]

    async def set_pack_enabled(self, guild_id: int, slug: str, enabled: bool) -> bool:
        """Enable or disable a topic pack for a guild; False when it already was."""
        await self.ensure_guild(guild_id)
        async with self.inputs.change(guild_id):
            return await self.packs.set_enabled(guild_id, slug, enabled)

    async def set_guild_threshold(self, guild_id: int, threshold: float | None) -> GuildConfig:
        """The guild's tag threshold (None: the matcher's calibrated default)."""
        async with self.inputs.change(guild_id):
            return await self.store.settings.set(guild_id, tag_threshold=threshold)

    async def matcher_for(self, guild_id: int) -> Matcher:
        await self.ensure_guild(guild_id)
        # Read the version before the inputs: a change made while this matcher is built leaves it stale.
        version = self.inputs.version(guild_id)
        cached = self._matchers.get(guild_id)
        if cached is not None and cached[0] == version:
            return cached[1]
        arguments = await self.tagging_arguments(guild_id)
        corrections = await self.store.tags.corrections(guild_id)
        config = await self.store.settings.get(guild_id)
        matcher = Matcher.from_model_dir(self._argument_encoder, self.model_dir, top_k=self.top_k)
        profiles = profiles_for(arguments, corrections, config.tag_threshold)
        texts_to_embed = sum(1 + len(p.examples) + len(p.rejected) for p in profiles)
        log.debug("indexing %d arguments (%d texts) for guild %d", len(profiles), texts_to_embed, guild_id)
        shared = _catalogue_texts(arguments)
        await self._load_shared_vectors(shared)
        await self.embedder.in_worker(matcher.index, profiles)
        self._matchers[guild_id] = (version, matcher)
        await self._save_shared_vectors(shared)
        return matcher

    async def _load_shared_vectors(self, texts: set[str]) -> None:
        """Catalogue texts another process (or an earlier run) embedded, from the store."""
        missing = self._argument_encoder.missing(texts)
        if missing:
            stored = await self.store.text_embeddings.get(self.embedder.model_id, missing)
            self._argument_encoder.preload(stored)
            self._stored_texts.update(stored)

    async def _save_shared_vectors(self, texts: set[str]) -> None:
        """Catalogue texts this process embedded, for the others; each text is written once."""
        unsaved = self._argument_encoder.cached(texts - self._stored_texts)
        if unsaved:
            await self.store.text_embeddings.put(self.embedder.model_id, unsaved)
            self._stored_texts.update(unsaved)

    async def ingest(self, messages: Sequence[IncomingMessage]) -> IngestResult:
        """Store, embed and tag one batch at once (imports, benchmarks). Safe to repeat: an unchanged
        message costs only the upsert, and one whose processing a crash cut short is finished now."""
        await self.store.messages.upsert(messages)
        unprocessed = await self.store.pending.of([m.id for m in messages])
        result = await self.process([u.message for u in unprocessed])
        await self.store.pending.done(unprocessed)
        result.stored = len(messages)
        return result

    async def process(self, messages: Sequence[IncomingMessage]) -> IngestResult:
        """Embed and tag stored messages (the unprocessed ones of :mod:`bot.store.pending`)."""
        result = IngestResult(stored=len(messages))
        fresh = {m.id: m for m in messages if m.content.strip()}
        if not fresh:
            return result
        ids = list(fresh)
        texts = [fresh[i].content for i in ids]
        parts, owner = sentence_texts(texts)
        # Whole messages and the sentences of long ones in one model call, sorted by length together.
        computed = await self.embedder.embed([*texts, *parts])
        part_vectors = computed[len(ids) :]
        result.embedded = len(ids)
        # Tag with the vectors as the cache holds them, so a retag from the cache decides the same.
        result.vectors = await self.store.embeddings.put(dict(zip(ids, computed[: len(ids)])), self.embedder.model_id)
        vectors = np.stack([result.vectors[i] for i in ids])
        by_guild: dict[int, list[int]] = defaultdict(list)
        for position, message_id in enumerate(ids):
            by_guild[fresh[message_id].guild_id].append(position)
        for guild_id, positions in by_guild.items():
            matcher = await self.matcher_for(guild_id)
            tagged = matcher.tag(vectors[positions], _sentences_of(positions, part_vectors, owner))
            guild_tags = {ids[p]: pairs for p, pairs in zip(positions, tagged)}
            await self.store.tags.replace_model_tags(guild_id, guild_tags)
            result.tags.update({mid: pairs for mid, pairs in guild_tags.items() if pairs})
        return result

    async def retag_guild(self, guild_id: int, batch_size: int = 512) -> int:
        """Re-tag every stored message of a guild, embedding only those not embedded yet."""
        matcher = await self.matcher_for(guild_id)
        rows = await self.store.messages.texts(guild_id)
        for start in range(0, len(rows), batch_size):
            chunk = rows[start : start + batch_size]
            ids = [row[0] for row in chunk]
            vectors = await self.vectors(guild_id, {row[0]: row[1] for row in chunk})
            parts, owner = sentence_texts([row[1] for row in chunk])
            sentences = Sentences(await self.embedder.embed(parts), owner) if parts else None
            tagged = matcher.tag(np.stack([vectors[i] for i in ids]), sentences)
            await self.store.tags.replace_model_tags(guild_id, dict(zip(ids, tagged)))
        return len(rows)

    async def argument_vectors(self, texts: list[str]) -> np.ndarray:
        """Vectors of argument claims and examples, from the cache the matchers share."""
        return await self.embedder.in_worker(self._argument_encoder.encode, texts)

    async def vectors(self, guild_id: int, texts_by_id: dict[int, str]) -> dict[int, np.ndarray]:
        """Embeddings for stored messages: from the cache, computing and caching the missing ones."""
        model_id = self.embedder.model_id
        found = await self.store.embeddings.get(guild_id, list(texts_by_id), model_id)
        missing = [mid for mid in texts_by_id if mid not in found]
        if missing:
            computed = await self.embedder.embed([texts_by_id[mid] for mid in missing])
            found.update(await self.store.embeddings.put(dict(zip(missing, computed)), model_id))
        return found
