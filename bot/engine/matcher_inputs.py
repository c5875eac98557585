"""The one door for changes to what a guild's matcher sees: arguments, corrections, thresholds, packs.

Every such write runs inside :meth:`MatcherInputs.change`, which serialises the guild's changes and
bumps the guild's matcher version when it ends. :class:`~bot.engine.tagging.TaggingService` keeps
each matcher with the version it was built at and rebuilds one that is behind, so no caller ever
invalidates a cache by hand, and a change made while a matcher is being built is not lost: that
matcher is stamped with the older version and is rebuilt on its next use.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class MatcherInputs:
    def __init__(self) -> None:
        self._versions: dict[int, int] = defaultdict(int)
        self._locks: dict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    def version(self, guild_id: int) -> int:
        return self._versions[guild_id]

    @asynccontextmanager
    async def change(self, guild_id: int) -> AsyncIterator[None]:
        """Wrap every write that changes what the guild's matcher sees.

        The version is bumped even when the write fails part-way: a half-applied change must not be
        hidden behind a stale matcher.
        """
        async with self._locks[guild_id]:
            try:
                yield
            finally:
                self._versions[guild_id] += 1
