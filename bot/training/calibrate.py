"""Fit the matcher's calibration on held-out topic packs, with the runtime matcher and the shipped model.

Everything here is chosen on chat-like text the encoder was never trained on, in this order:

1. ``example_offset``: how much less an example phrasing counts than the claim, by macro AP;
2. Platt scaling of the resulting similarity over every (text, argument) pair;
3. ``default_threshold``: the lowest probability at which tagged pairs reach the target precision;
4. ``counter_margin``: the smallest margin between an argument and its counter at which tags keep that
   precision, the best recall among those.
"""

from __future__ import annotations

import numpy as np

from bot.embedding import CachedEncoder
from bot.evaluation.matching import argument_profiles, score_texts
from bot.matcher import Calibration, Matcher, fit_platt, precision_threshold

OFFSETS = (0.0, 0.02, 0.05, 0.08, 0.12, 0.2, 2.0)  # 2.0: examples never win, claims only
MARGINS = (0.0, 0.05, 0.1, 0.15, 0.2)


class FunctionEncoder:
    """An encode function as the object the matcher and the cache expect."""

    def __init__(self, encode) -> None:
        self.encode = encode


def fit_calibration(encode, held, target_precision: float) -> tuple[Calibration, dict]:
    vectors = np.asarray(encode([t.text for t in held.texts]), dtype=np.float32)
    gold = [t.arguments for t in held.texts]
    profiles = argument_profiles(held.arguments)
    encoder = CachedEncoder(FunctionEncoder(encode), max_entries=10**6)

    def matcher(calibration: Calibration) -> Matcher:
        m = Matcher(encoder, calibration)  # type: ignore[arg-type]
        m.index(profiles)
        return m

    by_offset = {}
    for offset in OFFSETS:
        probe = matcher(Calibration(1.0, 0.0, 0.5, example_offset=offset))
        by_offset[offset] = score_texts(probe, held.arguments, gold, vectors, held.ap_arguments).macro_ap
    offset = max(OFFSETS, key=lambda o: (by_offset[o], -o))

    similarity = matcher(Calibration(1.0, 0.0, 0.5, example_offset=offset)).similarity(vectors)
    position = {a.id: i for i, a in enumerate(held.arguments)}
    labels = np.zeros(similarity.shape, dtype=np.int64)
    for row, ids in enumerate(gold):
        for argument_id in ids:
            labels[row, position[argument_id]] = 1
    slope, intercept = fit_platt(similarity.ravel(), labels.ravel())
    probabilities = 1.0 / (1.0 + np.exp(-(slope * similarity.ravel() + intercept)))
    threshold = precision_threshold(probabilities, labels.ravel(), target_precision)

    by_margin = {}
    for margin in MARGINS:
        probe = matcher(Calibration(slope, intercept, threshold, example_offset=offset, counter_margin=margin))
        by_margin[margin] = score_texts(probe, held.arguments, gold, vectors, held.ap_arguments)
    meeting = [m for m in MARGINS if by_margin[m].precision >= target_precision]
    margin = max(meeting, key=lambda m: (by_margin[m].recall, -m)) if meeting else max(
        MARGINS, key=lambda m: by_margin[m].precision)
    calibration = Calibration(slope, intercept, threshold, example_offset=offset, counter_margin=margin)
    report = {
        "macro_ap_by_offset": {str(o): round(v, 4) for o, v in by_offset.items()},
        "tags_by_margin": {str(m): s.as_dict() for m, s in by_margin.items()},
        "chosen": calibration.to_dict(),
    }
    return calibration, report
