"""The abuse classifier: text in, probability of abuse out; onnxruntime, no torch.

The folder (``bot/weights/abuse-v2``) holds ``model.onnx`` (all-MiniLM-L6-v2 cut to its first layers and
fine-tuned end to end, mean pooling and a linear unit with a sigmoid; fp32 arithmetic), the
``tokenizer.json`` it was trained with and ``model.json`` (model id, maximum length, shipped threshold,
figures). Trained and exported by :mod:`bot.training.finetune_abuse` (``clio train abuse``).

Texts are scored in batches of similar length with an attention mask; the model is fp32 with no dynamic
quantization, so a text's score does not depend on what else is in its batch. Scoring is CPU work: the
bot calls it off the event loop.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bot.core.config import PACKAGE_ROOT
from bot.engine.embedding import cpu_session, unpadded_tokenizer

log = logging.getLogger(__name__)

DEFAULT_DIR = PACKAGE_ROOT / "weights" / "abuse-v2"


class AbuseModel:
    def __init__(self, folder: Path = DEFAULT_DIR, threads: int = 1, batch_size: int = 16) -> None:
        folder = Path(folder)
        meta = json.loads((folder / "model.json").read_text("utf-8"))
        self.folder = folder
        self.model_id: str = meta["model_id"]
        self.threshold: float = float(meta["threshold"])
        self.figures: dict = meta.get("figures", {})
        self.batch_size = batch_size
        try:
            self._tokenizer = unpadded_tokenizer(folder / "tokenizer.json", int(meta["max_length"]))
            self._session = cpu_session(folder / "model.onnx", threads)
        except Exception as exc:  # tokenizers and onnxruntime raise their own Exception subclasses
            raise ValueError(f"cannot load the tokenizer or model in {folder}: {exc}") from exc

    def score(self, texts: Sequence[str]) -> np.ndarray:
        """Probability of abuse per text, float32."""
        out = np.zeros(len(texts), dtype=np.float32)
        if not len(texts):
            return out
        encodings = self._tokenizer.encode_batch([t or " " for t in texts])
        order = np.argsort([len(e.ids) for e in encodings], kind="stable")
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            width = max(len(encodings[i].ids) for i in batch)
            ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros_like(ids)
            for row, i in enumerate(batch):
                ids[row, : len(encodings[i].ids)] = encodings[i].ids
                mask[row, : len(encodings[i].ids)] = 1
            out[batch] = np.asarray(self._session.run(None, {"input_ids": ids, "attention_mask": mask})[0]).reshape(-1)
        return out


@functools.cache
def shared_abuse_model(folder: Path = DEFAULT_DIR) -> AbuseModel | None:
    """The model in ``folder``, loaded once per process; None (with a warning) if it cannot be loaded, so
    the abuse flagger is off rather than the bot down."""
    try:
        return AbuseModel(folder)
    except (OSError, ValueError, KeyError) as exc:
        log.warning("abuse flagger disabled: cannot load the abuse model from %s (%s)", folder, exc)
        return None
