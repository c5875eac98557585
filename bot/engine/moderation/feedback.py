"""False positives: what moderators said the flaggers got wrong, and what Clio learns from it.

A "False positive" decision dismisses the flag and keeps a row here (score, flagger and the quoted
text). It feeds back in two ways, both behind a moderator:

- Threshold advice. Among the abuse flags moderators decided, the ones the current threshold would
  still raise (score >= threshold) are the sample; when at least ``MIN_DECIDED`` of them were decided
  and more than ``MAX_FALSE_POSITIVE_RATE`` were false positives, the moderators' digest proposes a
  threshold ``STEP`` higher (never above ``CAP``), and a moderator applies it with a button. Clio
  never moves a threshold on its own: a silent rise would also hide real abuse. Counting only flags at
  or above the current threshold means a rise "uses up" the evidence that justified it.
- Training data. :func:`export_false_positives` writes them as a CSV (``text,label`` with label 0)
  that ``bot.training.abuse_training_data`` reads as extra negatives (``TrainConfig.extra_negatives``).

Texts are personal data: they are redacted when their author is forgotten and when they outlive the
guild's retention period (:mod:`bot.engine.privacy`), and the export says so in its docstring.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.store import Store

MIN_DECIDED = 10
MAX_FALSE_POSITIVE_RATE = 0.5
STEP = 0.05
CAP = 0.95
ADVICE_DAYS = 90
CSV_COLUMNS = ("text", "label")


# -- threshold advice ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ThresholdAdvice:
    current: float
    proposed: float
    decided: int
    false_positives: int

    @property
    def rate(self) -> float:
        return self.false_positives / self.decided


def threshold_advice(decided: Sequence[tuple[float, bool]], current: float) -> ThresholdAdvice | None:
    """``decided``: (score, was it a false positive) of decided abuse flags. None when no change is due."""
    sample = [is_fp for score, is_fp in decided if score >= current]
    false_positives = sum(sample)
    if len(sample) < MIN_DECIDED or false_positives / len(sample) <= MAX_FALSE_POSITIVE_RATE:
        return None
    proposed = round(min(current + STEP, CAP), 2)
    if proposed <= current:
        return None
    return ThresholdAdvice(current, proposed, len(sample), false_positives)


async def abuse_threshold_advice(
    store: Store, guild_id: int, current: float, now: float | None = None
) -> ThresholdAdvice | None:
    since = (time.time() if now is None else now) - ADVICE_DAYS * 86400
    return threshold_advice(await store.false_positives.decided_abuse(guild_id, since), current)


# -- training data -----------------------------------------------------------------------------------


async def export_false_positives(store: Store, path: Path, guild_id: int | None = None, flagger: str = "abuse") -> int:
    """Write false positives as extra negatives for ``clio train abuse``. The file holds members' words:
    keep it with the training data, and delete it after training. Returns the rows written."""
    texts = await store.false_positives.texts(guild_id, flagger)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        writer.writerows((text, 0) for text in texts)
    return len(texts)


def read_false_positives(path: Path) -> list[str]:
    """The texts of an exported CSV (rows labelled 0); raises ValueError on another format."""
    with Path(path).open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if "text" not in (reader.fieldnames or ()):
            raise ValueError(f"{path}: expected the columns {','.join(CSV_COLUMNS)}")
        return [row["text"] for row in reader if row["text"].strip() and (row.get("label") or "0").strip() == "0"]
