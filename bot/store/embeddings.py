"""Cached message embeddings, so no message is embedded twice by the same model.

Stored as little-endian float16: half the bytes of float32 (the vectors are most of a store's size),
and a unit vector loses about 1e-3 of cosine similarity, far below any threshold Clio compares to.
Read back as float32, which is what the model and the matcher compute in.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bot.store.database import Database
from bot.store.sql import chunks, placeholders

STORED_DTYPE = "<f2"


class EmbeddingStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, guild_id: int, message_ids: Sequence[int], model_id: str) -> dict[int, np.ndarray]:
        found: dict[int, np.ndarray] = {}
        for chunk in chunks(message_ids):
            rows = await self.db.fetchall(
                "SELECT e.message_id, e.vector FROM message_embeddings e JOIN messages m ON m.id = e.message_id"
                f" WHERE m.guild_id = ? AND e.model_id = ? AND e.message_id IN ({placeholders(len(chunk))})",
                [guild_id, model_id, *chunk],
            )
            found.update({row[0]: np.frombuffer(row[1], dtype=STORED_DTYPE).astype(np.float32) for row in rows})
        return found

    async def put(self, vectors: dict[int, np.ndarray], model_id: str) -> None:
        await self.db.executemany(
            "INSERT INTO message_embeddings(message_id, model_id, vector) VALUES (?, ?, ?)"
            " ON CONFLICT(message_id) DO UPDATE SET model_id = excluded.model_id, vector = excluded.vector",
            [(mid, model_id, np.asarray(vec, dtype=STORED_DTYPE).tobytes()) for mid, vec in vectors.items()],
        )

    async def missing(self, guild_id: int, model_id: str, limit: int = 10_000) -> list[tuple[int, str]]:
        """(id, content) of messages with no embedding from this model yet."""
        rows = await self.db.fetchall(
            "SELECT m.id, m.content FROM messages m LEFT JOIN message_embeddings e"
            " ON e.message_id = m.id AND e.model_id = ?"
            " WHERE m.guild_id = ? AND e.message_id IS NULL ORDER BY m.id LIMIT ?",
            (model_id, guild_id, limit),
        )
        return [(row[0], row[1]) for row in rows]
