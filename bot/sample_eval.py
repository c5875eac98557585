"""How well tagging works on chat: the bundled sample export carries ground-truth argument labels.

The labels live in ``prompts/sample/build_sample.py`` beside the conversation they describe. The sample
was written around the catalogue, so these figures are a sanity check of the chat setting (short,
casual messages against claims plus example phrasings), not an independent benchmark: ArgKP is that.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.catalogue import all_arguments, load_catalogue
from bot.config import Settings
from bot.embedding import shared_embedder
from bot.matcher import ArgumentProfile, Matcher


@dataclass(frozen=True)
class LabelledMessage:
    text: str
    arguments: frozenset[str]


def labelled_sample() -> list[LabelledMessage]:
    from prompts.sample import build_sample as module

    _, rows = module.build()
    return [
        LabelledMessage(record["content"], frozenset(t for t in message.tags if ":" not in t and t.islower()
                                                     and t not in (module.ABUSE, module.SPAM, module.BOT)))
        for _, message, record in rows
        if not record["author"]["isBot"]
    ]


def evaluate_sample(settings: Settings, thresholds: tuple[float, ...] = ()) -> dict:
    packs = load_catalogue(settings.catalogue_dir)
    arguments = all_arguments(packs)
    embedder = shared_embedder(settings.model_dir, threads=settings.threads, batch_size=settings.batch_size)
    matcher = Matcher.from_model_dir(embedder, settings.model_dir, top_k=settings.top_k)
    matcher.index([ArgumentProfile(i, a.claim, tuple(a.examples)) for i, a in enumerate(arguments)])
    messages = labelled_sample()
    probabilities = matcher.probabilities(embedder.encode([m.text for m in messages]))
    gold = [{i for i, a in enumerate(arguments) if a.id in m.arguments} for m in messages]
    shipped = matcher.calibration.default_threshold
    rows = [_scores(probabilities, gold, t, settings.top_k) for t in sorted({shipped, *thresholds})]
    return {"model_id": embedder.model_id, "messages": len(messages),
            "labelled": sum(1 for g in gold if g), "shipped_threshold": shipped, "rows": rows}


def _scores(probabilities: np.ndarray, gold: list[set[int]], threshold: float, top_k: int) -> dict:
    tp = fp = fn = 0
    for row, truth in zip(probabilities, gold):
        best = [int(i) for i in np.argsort(-row)[:top_k] if row[i] >= threshold]
        tp += len(truth.intersection(best))
        fp += len(set(best) - truth)
        fn += len(truth - set(best))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"threshold": round(threshold, 4), "precision": precision, "recall": recall, "f1": f1,
            "tagged": tp + fp}
