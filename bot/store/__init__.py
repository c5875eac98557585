"""Persistence: SQLite or PostgreSQL, one repository class per kind of record. All of Clio's SQL lives here.

May import ``bot.core`` only: the store knows rows and records, not what the engine does with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.store.app_state import AppStateStore
from bot.store.arguments import ArgumentStore
from bot.store.backfill import BackfillStore
from bot.store.database import Database
from bot.store.digests import DigestStore, ScheduleStore
from bot.store.embeddings import EmbeddingStore, TextEmbeddingStore
from bot.store.feedback import FalsePositiveStore
from bot.store.guild_settings import GuildSettingsStore
from bot.store.guilds import GuildStore
from bot.store.messages import MessageStore
from bot.store.moderation import CaseStore, FlagStore
from bot.store.moderation_reports import DigestSlots, ModerationReportStore
from bot.store.notes import NoteStore
from bot.store.packs import PackStore
from bot.store.pending import PendingStore
from bot.store.tags import TagStore


@dataclass
class Store:
    """The repositories over one database."""

    db: Database
    messages: MessageStore
    embeddings: EmbeddingStore
    text_embeddings: TextEmbeddingStore
    tags: TagStore
    arguments: ArgumentStore
    settings: GuildSettingsStore
    schedules: ScheduleStore
    digests: DigestStore
    notes: NoteStore
    flags: FlagStore
    cases: CaseStore
    false_positives: FalsePositiveStore
    moderation_reports: ModerationReportStore
    digest_slots: DigestSlots
    packs: PackStore
    pending: PendingStore
    backfill: BackfillStore
    app_state: AppStateStore
    guilds: GuildStore

    @classmethod
    async def open(cls, url: str | Path) -> Store:
        """The store at a database URL: a SQLite path (the default) or ``postgresql://...``."""
        db = await Database.open(url)
        return cls(
            db=db,
            messages=MessageStore(db),
            embeddings=EmbeddingStore(db),
            text_embeddings=TextEmbeddingStore(db),
            tags=TagStore(db),
            arguments=ArgumentStore(db),
            settings=GuildSettingsStore(db),
            schedules=ScheduleStore(db),
            digests=DigestStore(db),
            notes=NoteStore(db),
            flags=FlagStore(db),
            cases=CaseStore(db),
            false_positives=FalsePositiveStore(db),
            moderation_reports=ModerationReportStore(db),
            digest_slots=DigestSlots(db),
            packs=PackStore(db),
            pending=PendingStore(db),
            backfill=BackfillStore(db),
            app_state=AppStateStore(db),
            guilds=GuildStore(db),
        )

    async def close(self) -> None:
        await self.db.close()

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


__all__ = ["Database", "Store"]
