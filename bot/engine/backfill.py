"""Backfill: a watched channel's whole history, resumable, and what changed while the bot was away.

Two passes, over any history source (the ingest cog wraps discord.py's ``channel.history``):

1. **Catch-up and reconcile**, oldest first, from the channel's ``RECONCILE_MESSAGES``-th newest
   stored message to now. It stores what was said while the bot was down, re-stores what was edited
   (a changed text is re-tagged), and deletes stored messages that are no longer there. Older edits
   and deletions are not looked for: the report says how far back it looked.
2. **History**, newest first, from where the last run stopped (a stored cursor) to the channel's
   first message. The cursor moves after each page is stored, so a restart resumes there; a
   channel with nothing stored is read whole, not its last thousand messages.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.core.records import IncomingMessage
from bot.store import Store
from bot.store.backfill import BackfillCursor

log = logging.getLogger(__name__)

RECONCILE_MESSAGES = 1000
PAGE = 100  # Discord's page size: the cursor moves once per page

# (id, message) for every message of the history, newest first unless ``after`` is given (then
# oldest first); the message is None for what Clio does not store (bots, system messages).
History = Callable[[int | None, int | None], AsyncIterator[tuple[int, IncomingMessage | None]]]


@dataclass
class BackfillReport:
    fetched: int = 0  # messages read and stored (again)
    deleted: int = 0  # stored messages found deleted
    reconciled_since: float | None = None  # edits and deletions were looked for from here on
    complete: bool = False  # the history is read to the channel's first message

    def describe(self) -> str:
        since = (
            "nothing stored to check"
            if self.reconciled_since is None
            else f"since {datetime.fromtimestamp(self.reconciled_since, UTC):%Y-%m-%d %H:%M} UTC"
        )
        state = "history complete" if self.complete else "history incomplete, resumes at the next start"
        return f"{self.fetched} messages read, {self.deleted} deletions applied ({since}), {state}"


class Backfill:
    """One channel's backfill; ``put`` queues a message for storing, ``flush`` waits until all are stored."""

    def __init__(
        self,
        store: Store,
        guild_id: int,
        channel_id: int,
        history: History,
        put: Callable[[IncomingMessage], Awaitable[None]],
        flush: Callable[[], Awaitable[None]],
    ) -> None:
        self.store = store
        self.guild_id = guild_id
        self.channel_id = channel_id
        self.history = history
        self.put = put
        self.flush = flush

    async def run(self) -> BackfillReport:
        report = BackfillReport()
        cursor = await self.store.backfill.get(self.guild_id, self.channel_id)
        start = await self.store.messages.nth_newest_id(self.guild_id, self.channel_id, RECONCILE_MESSAGES)
        if start is not None:
            newest = await self._catch_up(start - 1, report, reconcile_from=start)
        elif cursor.newest_read_id is not None:
            # Read before, nothing stored (bots only, say): catch up from the newest message read.
            newest = await self._catch_up(cursor.newest_read_id, report)
        else:
            newest = None  # never read, or read empty: reading back from now covers everything
        newest = max(filter(None, (newest, cursor.newest_read_id)), default=None)
        if cursor.complete and newest is not None:
            await self._save(BackfillCursor(cursor.oldest_read_id, newest, complete=True))
            report.complete = True
        else:
            await self._read_back(cursor.oldest_read_id or start, newest, report)
        return report

    async def _catch_up(self, after: int, report: BackfillReport, reconcile_from: int | None = None) -> int | None:
        """Read everything after ``after``; with ``reconcile_from``, also delete what is stored from there
        on and no longer in Discord. Returns the newest id read."""
        seen: set[int] = set()
        async for message_id, message in self.history(after, None):
            seen.add(message_id)
            if message is not None:
                await self.put(message)
                report.fetched += 1
        await self.flush()
        if reconcile_from is not None:
            await self._apply_deletions(reconcile_from, seen, report)
        return max(seen, default=None)

    async def _apply_deletions(self, start: int, seen: set[int], report: BackfillReport) -> None:
        first = await self.store.messages.get(self.guild_id, [start])
        report.reconciled_since = first[start].created_at if start in first else None
        # What was stored but is gone from the range read was deleted while the bot was away. Live
        # messages newer than the last one read are outside the range.
        last = max(seen, default=start)
        gone = await self.store.messages.ids_between(self.guild_id, self.channel_id, start, last) - seen
        if gone:
            report.deleted = await self.store.messages.delete(self.guild_id, sorted(gone))

    async def _read_back(self, before: int | None, newest: int | None, report: BackfillReport) -> None:
        oldest, in_page = before, 0
        async for message_id, message in self.history(None, before):
            if message is not None:
                await self.put(message)
                report.fetched += 1
            oldest, in_page = message_id, in_page + 1
            newest = max(newest or message_id, message_id)
            if in_page == PAGE:
                await self._save(BackfillCursor(oldest, newest, complete=False))
                in_page = 0
        await self._save(BackfillCursor(oldest, newest, complete=True))
        report.complete = True

    async def _save(self, cursor: BackfillCursor) -> None:
        await self.flush()  # the cursor never passes a message that is not stored yet
        await self.store.backfill.save(self.guild_id, self.channel_id, cursor)
