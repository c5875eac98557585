"""Cached message embeddings, so no message is embedded twice by the same model.

Vectors are most of a store's size, so each is stored in 8 bits per dimension: a float32 scale (its
largest absolute component) followed by the components as int8 in units of scale / 127. That is a
quarter of float32 and half of float16 (whose rows would not fit five to a SQLite page), and a unit
vector's cosine similarities move by about 1e-3, far below any margin Clio's thresholds rely on.
Read back as float32, which is what the model and the matcher compute in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence

import numpy as np

from bot.store.database import Database
from bot.store.sql import BY_ID_IN_GUILD, chunks, placeholders

_LEVELS = 127.0


def encode_vector(vector: np.ndarray) -> bytes:
    vector = np.asarray(vector, dtype=np.float32)
    scale = float(np.abs(vector).max()) if vector.size else 0.0
    levels = np.round(vector * (_LEVELS / scale)) if scale > 0 else np.zeros_like(vector)
    return np.float32(scale).astype("<f4").tobytes() + levels.astype(np.int8).tobytes()


def decode_vector(blob: bytes) -> np.ndarray:
    scale = np.frombuffer(blob, dtype="<f4", count=1)[0]
    return np.frombuffer(blob, dtype=np.int8, offset=4).astype(np.float32) * (scale / _LEVELS)


class EmbeddingStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, guild_id: int, message_ids: Sequence[int], model_id: str) -> dict[int, np.ndarray]:
        found: dict[int, np.ndarray] = {}
        for chunk in chunks(message_ids):
            rows = await self.db.fetchall(
                "SELECT e.message_id, e.vector FROM message_embeddings e JOIN messages m ON m.id = e.message_id"
                f" WHERE {BY_ID_IN_GUILD} AND e.model_id = ? AND e.message_id IN ({placeholders(len(chunk))})",
                [guild_id, model_id, *chunk],
            )
            found.update({row[0]: decode_vector(row[1]) for row in rows})
        return found

    async def put(self, vectors: dict[int, np.ndarray], model_id: str) -> dict[int, np.ndarray]:
        """Cache vectors; returns them as stored, which is what :meth:`get` will return later, so a
        caller using them now gets the same results as one reading the cache."""
        blobs = {mid: encode_vector(vec) for mid, vec in vectors.items()}
        # A message deleted while it was being embedded is skipped, not an error.
        await self.db.executemany(
            "INSERT INTO message_embeddings(message_id, model_id, vector)"
            " SELECT id, ?, ? FROM messages WHERE id = ?"
            " ON CONFLICT(message_id) DO UPDATE SET model_id = excluded.model_id, vector = excluded.vector",
            [(model_id, blob, mid) for mid, blob in blobs.items()],
        )
        return {mid: decode_vector(blob) for mid, blob in blobs.items()}

    async def missing(self, guild_id: int, model_id: str, limit: int = 10_000) -> list[tuple[int, str]]:
        """(id, content) of messages with no embedding from this model yet."""
        rows = await self.db.fetchall(
            "SELECT m.id, m.content FROM messages m LEFT JOIN message_embeddings e"
            " ON e.message_id = m.id AND e.model_id = ?"
            " WHERE m.guild_id = ? AND e.message_id IS NULL ORDER BY m.id LIMIT ?",
            (model_id, guild_id, limit),
        )
        return [(row[0], row[1]) for row in rows]

    async def count_unembedded(self, guild_id: int) -> int:
        """Messages with text and no embedding from any model (benchmarks: should be none)."""
        return await self.db.fetchvalue(
            "SELECT COUNT(*) FROM messages m WHERE m.guild_id = ? AND m.content != ''"
            " AND NOT EXISTS (SELECT 1 FROM message_embeddings e WHERE e.message_id = m.id)",
            (guild_id,),
        )


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class TextEmbeddingStore:
    """Vectors of catalogue argument texts by model, kept exactly (float32): a matcher built from
    them must not depend on whether they were computed in this process or read from here."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, model_id: str, texts: Collection[str]) -> dict[str, np.ndarray]:
        by_hash = {text_hash(text): text for text in texts}
        found: dict[str, np.ndarray] = {}
        for chunk in chunks(list(by_hash)):
            rows = await self.db.fetchall(
                "SELECT text_hash, vector FROM text_embeddings"
                f" WHERE model_id = ? AND text_hash IN ({placeholders(len(chunk))})",
                [model_id, *chunk],
            )
            found.update({by_hash[row[0]]: np.frombuffer(row[1], dtype="<f4").copy() for row in rows})
        return found

    async def put(self, model_id: str, vectors: dict[str, np.ndarray]) -> None:
        await self.db.executemany(
            "INSERT INTO text_embeddings(model_id, text_hash, vector) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            [(model_id, text_hash(text), np.asarray(v, dtype="<f4").tobytes()) for text, v in vectors.items()],
        )
