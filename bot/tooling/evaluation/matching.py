"""How well a matcher ranks and tags labelled chat texts against catalogued arguments.

Shared by ``clio eval corpus``, ``clio eval packs`` and checkpoint selection in training, so that the
figure a model is chosen on is the figure the command reports.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.engine.catalogue import CatalogueArgument, counter_pairs
from bot.engine.matcher import ArgumentProfile, Matcher, Sentences
from bot.tooling.evaluation.kpa import average_precision


def argument_profiles(
    arguments: Sequence[CatalogueArgument], claims_only: bool = False, skip_examples: frozenset[str] = frozenset()
) -> list[ArgumentProfile]:
    """Profiles over catalogue arguments, ``argument_id`` being the position in ``arguments``.

    ``claims_only`` keeps the claim and title alone: what a moderator who adds an argument with no
    phrasings gets. ``skip_examples`` leaves those phrasings out (leave-one-out over a pack).
    """
    position = {argument.id: i for i, argument in enumerate(arguments)}
    counters = counter_pairs((a.id, a.counters) for a in arguments)
    return [
        ArgumentProfile(
            argument_id=i,
            claim=argument.claim,
            title=argument.title,
            examples=() if claims_only else tuple(e for e in argument.examples if e not in skip_examples),
            counters=tuple(sorted(position[c] for c in counters.get(argument.id, ()) if c in position)),
        )
        for i, argument in enumerate(arguments)
    ]


@dataclass(frozen=True)
class MatchScores:
    texts: int
    arguments_scored: int  # arguments with at least one positive text: the ones macro AP averages over
    macro_ap: float
    precision: float
    recall: float
    f1: float
    tagged: int
    counter_pairs_tagged: int  # texts tagged with an argument and one of its counters: must be 0

    def as_dict(self) -> dict:
        return {name: round(value, 4) if isinstance(value, float) else value for name, value in self.__dict__.items()}


def score_texts(
    matcher: Matcher,
    arguments: Sequence[CatalogueArgument],
    gold: Sequence[frozenset[str]],
    vectors: np.ndarray,
    ap_arguments: Sequence[str] | None = None,
    sentences: Sentences | None = None,
) -> MatchScores:
    """Macro AP over the arguments with positives (or ``ap_arguments``), and micro precision/recall of
    the tags the matcher would set. ``gold`` holds each text's argument ids."""
    position = {argument.id: i for i, argument in enumerate(arguments)}
    truth = np.zeros((len(gold), len(arguments)), dtype=np.int8)
    for row, ids in enumerate(gold):
        for argument_id in ids:
            if argument_id in position:
                truth[row, position[argument_id]] = 1
    probabilities = matcher.probabilities(vectors, sentences)
    columns = [position[a] for a in ap_arguments] if ap_arguments is not None else range(len(arguments))
    aps = [average_precision(truth[:, j], probabilities[:, j]) for j in columns if truth[:, j].any()]
    tags = matcher.tag(vectors, sentences)
    tp = fp = 0
    countered = 0
    counters = {p.argument_id: set(p.counters) for p in matcher.profiles}
    for row, tagged in enumerate(tags):
        ids = [argument_id for argument_id, _ in tagged]
        tp += sum(int(truth[row, i]) for i in ids)
        fp += sum(1 - int(truth[row, i]) for i in ids)
        countered += any(counters.get(i, set()) & set(ids) for i in ids)
    positives = int(truth.sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / positives if positives else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return MatchScores(
        len(gold), len(aps), float(np.mean(aps)) if aps else 0.0, precision, recall, f1, tp + fp, countered
    )
