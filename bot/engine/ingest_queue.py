"""Live ingest, store first: messages wait here a moment, then are written together.

Nothing slow happens before a message is stored: one batch is one transaction with no model call,
and the text is marked unprocessed in it, so embedding, tagging and flagging catch up from the store
(:mod:`bot.engine.processing`) and a crash loses at most the batch window. The queue is bounded:
past ``max_pending`` items, :meth:`IngestQueue.put` waits for the writer. Deletes travel through the
same queue so they apply in arrival order: a message created then deleted within one batch window
ends up deleted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.core.records import IncomingMessage
from bot.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Delete:
    guild_id: int
    message_ids: tuple[int, ...]


@dataclass(frozen=True)
class _DeleteChannel:
    guild_id: int
    channel_id: int


class IngestQueue:
    def __init__(
        self,
        store: Store,
        *,
        max_batch: int = 128,
        interval: float = 0.2,
        max_pending: int = 10_000,
        on_stored: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.max_batch = max_batch
        self.interval = interval
        self.max_pending = max_pending
        self.on_stored = on_stored
        self.ingested = 0  # messages written since start, for benchmarks and logs
        self._pending: deque = deque()
        self._room = asyncio.Event()
        self._room.set()
        self._waiting_upserts = 0
        self._has_items = asyncio.Event()
        self._batch_full = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._closing = False
        self._worker: asyncio.Task | None = None

    def start(self) -> None:
        if self._worker is None:
            self._worker = asyncio.create_task(self._run(), name="clio-ingest")

    async def put(self, message: IncomingMessage) -> None:
        """Queue a new or edited message; waits while the queue is full."""
        await self._room.wait()
        self._push(message)
        self._waiting_upserts += 1
        if self._waiting_upserts >= self.max_batch:
            self._batch_full.set()

    def delete(self, guild_id: int, message_ids: Sequence[int]) -> None:
        self._push(_Delete(guild_id, tuple(message_ids)))

    def delete_channel(self, guild_id: int, channel_id: int) -> None:
        self._push(_DeleteChannel(guild_id, channel_id))

    @property
    def busy(self) -> bool:
        return not self._idle.is_set()

    async def drain(self) -> None:
        """Wait until everything queued so far is written."""
        if self._pending:
            self._batch_full.set()  # no reason to wait out the batch window
        await self._idle.wait()

    async def close(self) -> None:
        """Write what is queued, then stop. Later puts are dropped with a warning."""
        self._closing = True
        self._batch_full.set()
        self._has_items.set()
        if self._worker is not None:
            await self._worker
            self._worker = None

    def _push(self, item) -> None:
        if self._closing:
            log.warning("ingest queue is closed; dropped %r", type(item).__name__)
            return
        self._pending.append(item)
        if len(self._pending) >= self.max_pending:
            self._room.clear()
        self._idle.clear()
        self._has_items.set()

    async def _run(self) -> None:
        while self._pending or not self._closing:
            if not self._pending:
                await self._has_items.wait()
                continue
            if self._waiting_upserts < self.max_batch and not self._closing:
                with contextlib.suppress(TimeoutError):  # a batch goes out when full or after the interval
                    await asyncio.wait_for(self._batch_full.wait(), self.interval)
            await self._apply(self._take())
            if not self._pending:
                self._idle.set()

    def _take(self) -> list:
        batch, upserts = [], 0
        while self._pending and upserts < self.max_batch:
            item = self._pending.popleft()
            batch.append(item)
            upserts += isinstance(item, IncomingMessage)
        self._waiting_upserts -= upserts
        if self._waiting_upserts < self.max_batch:
            self._batch_full.clear()
        if not self._pending:
            self._has_items.clear()
        if len(self._pending) < self.max_pending:
            self._room.set()
        return batch

    async def _apply(self, batch: list) -> None:
        run: list[IncomingMessage] = []
        for item in batch:
            if isinstance(item, IncomingMessage):
                run.append(item)
                continue
            await self._ingest(run)
            run = []
            try:
                if isinstance(item, _Delete):
                    await self.store.messages.delete(item.guild_id, item.message_ids)
                else:
                    await self.store.messages.delete_channel(item.guild_id, item.channel_id)
            except Exception:
                log.exception("could not apply %r", item)
        await self._ingest(run)

    async def _ingest(self, messages: list[IncomingMessage]) -> None:
        if not messages:
            return
        try:
            await self.store.messages.upsert(messages, review=True)
        except Exception:
            if len(messages) == 1:
                log.exception("could not store message %d", messages[0].id)
                return
            # One bad message must not cost the whole batch: it would leave a gap backfill never fills.
            log.warning("batch of %d failed; retrying one by one", len(messages), exc_info=True)
            for message in messages:
                await self._ingest([message])
            return
        self.ingested += len(messages)
        if self.on_stored is not None:
            self.on_stored()
