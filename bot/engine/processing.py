"""Catching up from the store: embed, tag and flag what is stored but not yet processed.

Live ingest writes a message's text first (:class:`bot.engine.ingest_queue.IngestQueue`) and marks it
unprocessed in the same transaction (:mod:`bot.store.pending`). This worker then takes the oldest
unprocessed messages in batches, embeds and tags them, lets the listeners (the flaggers, context
notes) see those that ask for review, and only then marks them done. A crash at any point therefore
leaves work to resume, never a message without tags or scores, and the first pass after a start
repairs what the last run left. A flood only makes the backlog longer; it lives in the database, not
in memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence

from bot.core.records import IncomingMessage
from bot.engine.tagging import IngestResult, TaggingService
from bot.store.pending import Unprocessed

log = logging.getLogger(__name__)

ProcessedListener = Callable[[Sequence[IncomingMessage], IngestResult], Awaitable[None]]
# New work is announced by wake(); the poll only covers work written by another process.
POLL_SECONDS = 30.0


class MessageProcessor:
    def __init__(
        self,
        tagging: TaggingService,
        listeners: Callable[[], Iterable[ProcessedListener]] = tuple,
        *,
        batch_size: int = 128,
        shard_ids: Sequence[int] | None = None,
        shard_count: int = 1,
    ) -> None:
        self.tagging = tagging
        self.pending = tagging.store.pending
        self.listeners = listeners
        self.batch_size = batch_size
        self.shard_ids = shard_ids
        self.shard_count = shard_count
        self._wake = asyncio.Event()
        self._drained: list[asyncio.Future] = []
        self._closing = False
        self._worker: asyncio.Task | None = None

    def start(self) -> None:
        if self._worker is None:
            self._wake.set()  # the first pass repairs what an earlier run left unprocessed
            self._worker = asyncio.create_task(self._run(), name="clio-processing")

    def wake(self) -> None:
        """New messages are stored."""
        self._wake.set()

    async def drain(self) -> None:
        """Wait until everything unprocessed when this was called is processed (tests, commands)."""
        if self._worker is None or self._worker.done():
            return
        done = asyncio.get_running_loop().create_future()
        self._drained.append(done)
        self._wake.set()
        await done

    async def close(self, timeout: float = 3.0) -> None:
        """Finish the batch in hand, then stop; the rest stays in the store for the next start.

        A batch not finished within ``timeout`` (its listeners stuck on Discord's rate limits, say) is
        cancelled: it is not marked done, so the next start processes it again and nothing is lost.
        """
        self._closing = True
        self._wake.set()
        if self._worker is not None:
            _done, late = await asyncio.wait({self._worker}, timeout=timeout)
            for task in late:
                self.tagging.embedder.interrupt()  # the model thread would otherwise finish its batch first
                task.cancel()
                log.info("processing stopped mid-batch; the next start resumes it")
            await asyncio.gather(self._worker, return_exceptions=True)
            self._worker = None
        for waiter in self._drained:
            waiter.cancel()

    async def _run(self) -> None:
        while not self._closing:
            self._wake.clear()
            waiting, self._drained = self._drained, []
            try:
                batch = await self.pending.next_batch(self.batch_size, self.shard_ids, self.shard_count)
            except Exception:
                log.exception("could not read the unprocessed messages")
                batch = []
            if not batch:
                for waiter in waiting:
                    if not waiter.done():
                        waiter.set_result(None)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), POLL_SECONDS)
                continue
            self._drained[:0] = waiting
            await self._process(batch)

    async def _process(self, batch: list[Unprocessed]) -> None:
        try:
            result = await self.tagging.process([u.message for u in batch])
        except Exception:
            if len(batch) > 1:
                # One bad message must not hold up the rest: retry them one by one.
                log.warning("processing a batch of %d failed; retrying one by one", len(batch), exc_info=True)
                for item in batch:
                    await self._process([item])
                return
            log.exception("could not process message %d; it stays untagged", batch[0].message.id)
            await self.pending.done(batch)
            return
        reviewed = [u.message for u in batch if u.review and u.message.id in result.vectors]
        if reviewed:
            await self._notify(reviewed, result)
        await self.pending.done(batch)

    async def _notify(self, messages: Sequence[IncomingMessage], result: IngestResult) -> None:
        for listener in self.listeners():
            try:
                await listener(messages, result)
            except Exception:
                log.exception("listener %s failed", getattr(listener, "__qualname__", listener))
