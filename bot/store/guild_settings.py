"""Per-guild settings rows, cached in memory: the bot reads them on every message.

Writes are serialised per guild, and :meth:`GuildSettingsStore.update` reads and writes under the same
lock, so two moderators editing one list at once both get their change.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from bot.core.guild_config import GuildConfig
from bot.store.database import Database
from bot.store.sql import ENSURE_GUILD


class GuildSettingsStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._cache: dict[int, GuildConfig] = {}
        self._locks: dict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def get(self, guild_id: int) -> GuildConfig:
        cached = self._cache.get(guild_id)
        if cached is not None:
            return cached
        rows = await self.db.fetchall("SELECT key, value FROM guild_settings WHERE guild_id = ?", (guild_id,))
        config = GuildConfig.model_validate({row[0]: json.loads(row[1]) for row in rows})
        self._cache[guild_id] = config
        return config

    async def set(self, guild_id: int, **values: Any) -> GuildConfig:
        """Validate and store changes; raises pydantic.ValidationError on a bad value or unknown key."""
        async with self._locks[guild_id]:
            return await self._write(guild_id, values)

    async def update(self, guild_id: int, changes: Callable[[GuildConfig], dict[str, Any]]) -> GuildConfig:
        """Store ``changes(current)``: a read-modify-write that no concurrent edit can undo."""
        async with self._locks[guild_id]:
            values = changes(await self.get(guild_id))
            return await self._write(guild_id, values) if values else await self.get(guild_id)

    async def _write(self, guild_id: int, values: dict[str, Any]) -> GuildConfig:
        current = await self.get(guild_id)
        unknown = set(values) - set(GuildConfig.model_fields)
        if unknown:
            raise KeyError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        updated = GuildConfig.model_validate({**current.model_dump(), **values})
        async with self.db.transaction() as conn:
            await conn.execute(ENSURE_GUILD, (guild_id,))
            await conn.executemany(
                "INSERT INTO guild_settings(guild_id, key, value) VALUES (?, ?, ?)"
                " ON CONFLICT(guild_id, key) DO UPDATE SET value = excluded.value",
                [(guild_id, key, json.dumps(getattr(updated, key))) for key in values],
            )
        self._cache[guild_id] = updated
        return updated
