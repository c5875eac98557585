"""Sentence embeddings from an ONNX MiniLM, with no torch at run time.

The model folder holds ``model.onnx``, the ``tokenizer.json`` it was trained with and ``model.json``
(model id, pooling, maximum length). The model loads once per process; every call is batched, and
:meth:`Embedder.embed` runs inference on a single worker thread so the event loop never blocks.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:  # both load on first use, so that `clio` starts without them
    import onnxruntime
    from tokenizers import Tokenizer


def unpadded_tokenizer(path: Path, max_length: int) -> Tokenizer:
    """A tokenizer that truncates but never pads: each length-sorted batch is padded to its own longest."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.enable_truncation(max_length=max_length)
    tokenizer.no_padding()
    return tokenizer


def cpu_session(path: Path, threads: int) -> onnxruntime.InferenceSession:
    """An onnxruntime session on the CPU with ``threads`` threads for each operator, one operator at a time."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


@dataclass(frozen=True)
class ModelInfo:
    model_id: str
    dimensions: int
    max_length: int
    pooling: str = "mean"
    normalize: bool = True
    # Training may prepend context to every text (ArgKP topics, say); the runtime uses the same prefix.
    text_prefix: str = ""


class ModelNotFound(FileNotFoundError):
    pass


class EmbeddingInterrupted(RuntimeError):
    """Model work stopped by :meth:`Embedder.interrupt` (a shutdown that cannot wait for it)."""


class Embedder:
    """Turns texts into L2-normalised float32 vectors."""

    def __init__(self, model_dir: Path, threads: int = 2, batch_size: int = 64) -> None:
        model_dir = Path(model_dir)
        for name in ("model.onnx", "tokenizer.json", "model.json"):
            if not (model_dir / name).is_file():
                raise ModelNotFound(f"model folder {model_dir} lacks {name}")
        self.info = ModelInfo(**json.loads((model_dir / "model.json").read_text("utf-8")))
        self.batch_size = batch_size

        self._tokenizer = unpadded_tokenizer(model_dir / "tokenizer.json", self.info.max_length)
        self._session = cpu_session(model_dir / "model.onnx", threads)
        self._input_names = {i.name for i in self._session.get_inputs()}
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clio-embed")
        # When the job on the worker thread was submitted, and when model work was last interrupted.
        self._job_submitted: float | None = None
        self._interrupted_at = 0.0

    @property
    def model_id(self) -> str:
        return self.info.model_id

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts synchronously. Batches are formed from texts of similar length: the model is fp32
        with no dynamic quantization, so a text's vector does not depend on what else is in its batch."""
        out = np.zeros((len(texts), self.info.dimensions), dtype=np.float32)
        if not texts:
            return out
        prefix = self.info.text_prefix
        encodings = self._tokenizer.encode_batch([prefix + (t or " ") for t in texts])
        order = np.argsort([len(e.ids) for e in encodings], kind="stable")
        for start in range(0, len(order), self.batch_size):
            if self._job_submitted is not None and self._interrupted_at > self._job_submitted:
                raise EmbeddingInterrupted("model work interrupted")
            batch_idx = order[start : start + self.batch_size]
            out[batch_idx] = self._run([encodings[i] for i in batch_idx])
        return out

    async def embed(self, texts: Sequence[str]) -> np.ndarray:
        return await self.in_worker(self.encode, list(texts))

    async def in_worker(self, func, *args):
        """Run model work on the embedder's own thread: off the event loop, one inference at a time."""
        submitted = time.monotonic()
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._job, submitted, func, args)

    def interrupt(self) -> None:
        """Stop the worker thread's model work at its next batch (its caller gets EmbeddingInterrupted).

        For shutdown: cancelling the awaiting task does not stop a thread, and the process cannot exit
        before its threads do. Work submitted afterwards runs normally."""
        self._interrupted_at = time.monotonic()

    def _job(self, submitted: float, func, args):
        self._job_submitted = submitted
        try:
            return func(*args)
        finally:
            self._job_submitted = None

    def _run(self, encodings: list, pad_to: int = 0) -> np.ndarray:
        width = max(pad_to, *(len(e.ids) for e in encodings))
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, enc in enumerate(encodings):
            ids[row, : len(enc.ids)] = enc.ids
            mask[row, : len(enc.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = np.asarray(self._session.run(None, feeds)[0])
        if hidden.ndim == 2:  # the export already pooled
            pooled = hidden
        else:
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        if self.info.normalize:
            pooled = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return pooled.astype(np.float32)


class SupportsEncode(Protocol):
    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class FunctionEncoder:
    """An encode function (a torch model in training, say) as the object matchers and caches expect."""

    def __init__(self, encode) -> None:
        self.encode = encode


_shared: dict[tuple[str, int, int], Embedder] = {}
_shared_lock = threading.Lock()


def shared_embedder(model_dir: Path, threads: int = 2, batch_size: int = 64) -> Embedder:
    """The process-wide embedder for a model folder: models load once."""
    key = (str(Path(model_dir).resolve()), threads, batch_size)
    with _shared_lock:
        if key not in _shared:
            _shared[key] = Embedder(model_dir, threads=threads, batch_size=batch_size)
        return _shared[key]


class CachedEncoder:
    """Remembers vectors of texts embedded before.

    For argument texts, not messages: every guild indexes the same catalogue claims and examples, and a
    matcher is rebuilt whenever a guild's arguments change, so without this the catalogue is embedded
    again for each guild and each change.
    """

    def __init__(self, embedder: SupportsEncode, max_entries: int = 20_000) -> None:
        self.embedder = embedder
        self.max_entries = max_entries
        self._vectors: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def missing(self, texts: Iterable[str]) -> list[str]:
        """The texts not in the cache."""
        with self._lock:
            return [t for t in dict.fromkeys(texts) if t not in self._vectors]

    def cached(self, texts: Iterable[str]) -> dict[str, np.ndarray]:
        with self._lock:
            return {t: self._vectors[t] for t in texts if t in self._vectors}

    def preload(self, vectors: dict[str, np.ndarray]) -> None:
        """Vectors computed elsewhere (another process, via the store) for exactly these texts."""
        with self._lock:
            if len(self._vectors) + len(vectors) > self.max_entries:
                self._vectors.clear()
            self._vectors.update(vectors)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if missing:
            computed = self.embedder.encode(missing)
            with self._lock:
                if len(self._vectors) + len(missing) > self.max_entries:
                    self._vectors.clear()  # rare: argument texts are few; a full reset keeps this simple
                self._vectors.update(zip(missing, computed))
                cached = {t: self._vectors.get(t) for t in texts}
        else:
            with self._lock:
                cached = {t: self._vectors.get(t) for t in texts}
        found = {t: v for t, v in cached.items() if v is not None}
        missing_now = [t for t in cached if t not in found]
        if missing_now:  # evicted between the two locks by a concurrent caller
            found.update(zip(missing_now, self.embedder.encode(missing_now)))
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([found[t] for t in texts])


_argument_encoders: dict[str, CachedEncoder] = {}


def argument_encoder(embedder: Embedder) -> CachedEncoder:
    """The process-wide cache of argument-text vectors of a model: every guild, every matcher rebuild and
    every engine opened in the process (tests, the sandbox) embeds the catalogue once. Keyed by model
    id, which is safe because a text's vector does not depend on the session or the batch."""
    with _shared_lock:
        if embedder.model_id not in _argument_encoders:
            _argument_encoders[embedder.model_id] = CachedEncoder(embedder)
        return _argument_encoders[embedder.model_id]
