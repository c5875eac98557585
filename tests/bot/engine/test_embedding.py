"""The shipped model's vectors depend on the text alone, never on the batch it is embedded in."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from bot.core.config import get_settings
from bot.engine.embedding import Embedder, EmbeddingInterrupted

TEXT = "stalin played both sides in 1939, talks with london by day and ribbentrop by night"


def test_a_vector_does_not_depend_on_its_batch():
    settings = get_settings()
    embedder = Embedder(settings.model_dir, threads=1, batch_size=64)
    alone = embedder.encode([TEXT])[0]
    rng = np.random.default_rng(7)
    words = [
        "the",
        "pact",
        "of",
        "1939",
        "was",
        "signed",
        "by",
        "molotov",
        "and",
        "ribbentrop",
        "in",
        "moscow",
        "after",
        "long",
        "talks",
    ]
    others = [" ".join(rng.choice(words, size=int(rng.integers(1, 90)))) for _ in range(63)]
    batch = [*others[:31], TEXT, *others[31:]]
    in_batch = embedder.encode(batch)[31]
    encoding = embedder._tokenizer.encode(TEXT)
    padded = embedder._run([encoding], pad_to=128)[0]
    small_batches = Embedder(settings.model_dir, threads=2, batch_size=3).encode(batch)[31]
    for other in (in_batch, padded, small_batches):
        assert np.max(np.abs(alone - other)) < 1e-5


async def test_interrupt_stops_model_work_in_progress_but_not_later_work():
    embedder = Embedder(get_settings().model_dir, threads=1, batch_size=2)
    long_job = asyncio.ensure_future(embedder.embed([f"{TEXT} {n}" for n in range(2000)]))  # ~1000 batches
    await asyncio.sleep(0.2)  # running on the worker thread
    embedder.interrupt()
    with pytest.raises(EmbeddingInterrupted):
        await long_job
    after = await embedder.embed([TEXT])
    assert np.allclose(after[0], embedder.encode([TEXT])[0], atol=1e-6)
