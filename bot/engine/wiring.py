"""Wires the engine's parts together once per process: store, embedder, tagging service."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from bot.core.config import Settings, get_settings
from bot.engine.embedding import Embedder, shared_embedder
from bot.engine.tagging import TaggingService
from bot.store import Store


def new_instance_id() -> str:
    """Names this process among those sharing a database (digest leases): host, pid and a nonce."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class Engine:
    settings: Settings
    store: Store
    embedder: Embedder
    tagging: TaggingService
    instance: str = field(default_factory=new_instance_id)


@asynccontextmanager
async def open_engine(settings: Settings | None = None) -> AsyncIterator[Engine]:
    settings = settings or get_settings()
    embedder = shared_embedder(settings.model_dir, threads=settings.threads, batch_size=settings.batch_size)
    store = await Store.open(settings.database)
    try:
        tagging = TaggingService(
            store,
            embedder,
            settings.model_dir,
            settings.catalogue_dir,
            top_k=settings.top_k,
            default_packs=settings.default_packs,
        )
        yield Engine(settings=settings, store=store, embedder=embedder, tagging=tagging)
    finally:
        await store.close()
