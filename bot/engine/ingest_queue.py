"""Live ingest, store first: messages wait here a moment, then are written together.

Nothing slow happens before a message is stored: one batch is one transaction with no model call,
and the text is marked unprocessed in it, so embedding, tagging and flagging catch up from the store
(:mod:`bot.engine.processing`) and a crash loses at most the batch window. The queue is bounded:
past ``max_pending`` items, :meth:`IngestQueue.put` waits for the writer. Deletes travel through the
same queue so they apply in arrival order: a message created then deleted within one batch window
ends up deleted.

When the database is down (locked, unreachable, out of space), nothing is dropped: what was not
written goes back to the head of the queue and the writer retries with a growing pause, while producers
wait once the queue is full. Only a message the database refuses for what it is (a constraint, an
unstorable character) is dropped, alone, and logged. At shutdown the writer gives up after
``close_attempts`` such retries and logs what it could not write.
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


class _StoreDown(Exception):
    """A write failed because of the database, not the data: retry it later. ``written``: how many of
    the messages handed to that write were done with before it failed (stored, or refused for good)."""

    def __init__(self, written: int = 0) -> None:
        super().__init__(written)
        self.written = written


class IngestQueue:
    def __init__(
        self,
        store: Store,
        *,
        max_batch: int = 128,
        interval: float = 0.2,
        max_pending: int = 10_000,
        on_stored: Callable[[], None] | None = None,
        max_retry_pause: float = 30.0,
        close_attempts: int = 5,
    ) -> None:
        self.store = store
        self.max_batch = max_batch
        self.interval = interval
        self.max_pending = max_pending
        self.on_stored = on_stored
        self.max_retry_pause = max_retry_pause
        self.close_attempts = close_attempts
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
        self._grown([item])

    def _grown(self, items: list) -> None:
        """After ``items`` joined the queue: the writer has work (a full batch goes out at once), and
        producers wait once the queue is full."""
        self._waiting_upserts += sum(isinstance(item, IncomingMessage) for item in items)
        if self._waiting_upserts >= self.max_batch:
            self._batch_full.set()
        if len(self._pending) >= self.max_pending:
            self._room.clear()
        self._idle.clear()
        self._has_items.set()

    async def _run(self) -> None:
        failures = 0
        while self._pending or not self._closing:
            if not self._pending:
                await self._has_items.wait()
                continue
            if self._waiting_upserts < self.max_batch and not self._closing:
                with contextlib.suppress(TimeoutError):  # a batch goes out when full or after the interval
                    await asyncio.wait_for(self._batch_full.wait(), self.interval)
            batch = self._take()
            applied, outage = await self._apply(batch)
            if outage is not None:
                failures += 1
                self._put_back(batch[applied:])
                if self._closing and failures >= self.close_attempts:
                    self._give_up()
                    break
                pause = min(self.max_retry_pause, self.interval * 2 ** min(failures, 16))
                log.warning(
                    "database unavailable (%s: %s); %d items wait, retrying in %.1f s",
                    type(outage).__name__,
                    outage,
                    len(self._pending),
                    pause,
                )
                await asyncio.sleep(pause)
                continue
            failures = 0
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

    def _put_back(self, items: list) -> None:
        """Return unwritten items to the head of the queue, in their order."""
        self._pending.extendleft(reversed(items))
        self._grown(items)

    def _give_up(self) -> None:
        messages = sum(isinstance(item, IncomingMessage) for item in self._pending)
        log.error(
            "shutting down with the database unavailable: %d messages and %d deletions not written "
            "(backfill fetches the messages again at the next start)",
            messages,
            len(self._pending) - messages,
        )
        self._pending.clear()
        self._waiting_upserts = 0
        self._has_items.clear()
        self._room.set()
        self._idle.set()

    async def _apply(self, batch: list) -> tuple[int, BaseException | None]:
        """Write ``batch`` in order. Returns how many of its items were written (or refused for good)
        and, if the database became unavailable before the rest, the error that said so."""
        done = 0
        try:
            for position, item in enumerate(batch):
                if isinstance(item, IncomingMessage):
                    continue
                await self._ingest(batch[done:position])
                done = position
                await self._delete(item)
                done = position + 1
            await self._ingest(batch[done:])
        except _StoreDown as down:
            return done + down.written, down.__cause__
        return len(batch), None

    async def _delete(self, item: _Delete | _DeleteChannel) -> None:
        try:
            if isinstance(item, _Delete):
                await self.store.messages.delete(item.guild_id, item.message_ids)
            else:
                await self.store.messages.delete_channel(item.guild_id, item.channel_id)
        except Exception as error:
            if self.store.db.is_outage(error):
                raise _StoreDown from error
            log.exception("could not apply %r", item)

    async def _ingest(self, messages: list[IncomingMessage]) -> None:
        if not messages:
            return
        try:
            await self.store.messages.upsert(messages, review=True)
        except Exception as error:
            if self.store.db.is_outage(error):
                raise _StoreDown from error
            if len(messages) == 1:
                log.exception("could not store message %d", messages[0].id)
                return
            # One bad message must not cost the whole batch: it would leave a gap backfill never fills.
            log.warning("batch of %d failed; retrying one by one", len(messages), exc_info=True)
            for written, message in enumerate(messages):
                try:
                    await self._ingest([message])
                except _StoreDown as down:
                    # Those before it are stored (or refused and logged): only the rest goes back.
                    raise _StoreDown(written) from down.__cause__
            return
        self.ingested += len(messages)
        if self.on_stored is not None:
            self.on_stored()
