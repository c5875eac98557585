"""Fit the matcher's calibration on held-out topic packs, with the runtime matcher and the shipped model.

Everything here is chosen on chat-like text the encoder was never trained on, in this order:

1. ``example_offset``, ``competitor_weight`` and ``sentence_offset``: how much less an example phrasing
   counts than the claim, how much the best competing argument takes off a score, and how much less a
   sentence of a long message counts than the whole message, by macro AP;
2. Platt scaling of the resulting similarity over every (text, argument) pair;
3. ``default_threshold``: the lowest probability at which tagged pairs reach the target precision;
4. ``counter_margin``: the smallest margin between an argument and its counter at which tags keep that
   precision, the best recall among those.
"""

from __future__ import annotations

import numpy as np

from bot.engine.embedding import CachedEncoder, FunctionEncoder
from bot.engine.matcher import Calibration, Matcher, fit_platt, precision_threshold
from bot.tooling.evaluation.catalogue_eval import HeldOut
from bot.tooling.evaluation.matching import argument_profiles, score_texts

OFFSETS = (0.0, 0.02, 0.05, 0.08, 0.12, 0.2, 2.0)  # 2.0: examples never win, claims only
SENTENCE_OFFSETS = (0.0, 0.02, 0.05, 0.1, 2.0)  # 2.0: whole messages only
COMPETITOR_WEIGHTS = (0.0, 0.3, 0.5, 0.7, 0.85)
# Never 0: the better side must win by a margin, or neither is tagged.
MARGINS = (0.05, 0.1, 0.15, 0.2, 0.3)


def fit_calibration(encode, held: HeldOut, target_precision: float) -> tuple[Calibration, dict]:
    encoder = CachedEncoder(FunctionEncoder(encode), max_entries=10**6)
    profiles = argument_profiles(held.arguments)

    def matcher(calibration: Calibration) -> Matcher:
        m = Matcher(encoder, calibration)  # type: ignore[arg-type]
        m.index(profiles)
        return m

    vectors, sentences = matcher(Calibration(1.0, 0.0, 0.5)).encode_messages([t.text for t in held.texts])
    gold = [t.arguments for t in held.texts]

    def macro_ap(calibration: Calibration) -> float:
        return score_texts(matcher(calibration), held.arguments, gold, vectors, held.ap_arguments, sentences).macro_ap

    by_shape = {
        (o, w): macro_ap(Calibration(1.0, 0.0, 0.5, example_offset=o, sentence_offset=2.0, competitor_weight=w))
        for o in OFFSETS
        for w in COMPETITOR_WEIGHTS
    }
    offset, weight = max(by_shape, key=lambda ow: (by_shape[ow], -ow[0], -ow[1]))
    by_sentence = {
        o: macro_ap(Calibration(1.0, 0.0, 0.5, example_offset=offset, sentence_offset=o, competitor_weight=weight))
        for o in SENTENCE_OFFSETS
    }
    sentence_offset = max(SENTENCE_OFFSETS, key=lambda o: (by_sentence[o], o))

    shape = Calibration(1.0, 0.0, 0.5, example_offset=offset, sentence_offset=sentence_offset, competitor_weight=weight)
    similarity = matcher(shape).similarity(vectors, sentences)
    position = {a.id: i for i, a in enumerate(held.arguments)}
    labels = np.zeros(similarity.shape, dtype=np.int64)
    for row, ids in enumerate(gold):
        for argument_id in ids:
            labels[row, position[argument_id]] = 1
    slope, intercept = fit_platt(similarity.ravel(), labels.ravel())
    probabilities = 1.0 / (1.0 + np.exp(-(slope * similarity.ravel() + intercept)))
    threshold = precision_threshold(probabilities, labels.ravel(), target_precision)

    def calibrated(margin: float) -> Calibration:
        return Calibration(
            slope,
            intercept,
            threshold,
            example_offset=offset,
            counter_margin=margin,
            sentence_offset=sentence_offset,
            competitor_weight=weight,
        )

    by_margin = {
        m: score_texts(matcher(calibrated(m)), held.arguments, gold, vectors, held.ap_arguments, sentences)
        for m in MARGINS
    }
    meeting = [m for m in MARGINS if by_margin[m].precision >= target_precision]
    margin = (
        max(meeting, key=lambda m: (by_margin[m].recall, -m))
        if meeting
        else max(MARGINS, key=lambda m: by_margin[m].precision)
    )
    calibration = calibrated(margin)
    report = {
        "macro_ap_by_example_offset_and_competitor_weight": {f"{o}/{w}": round(v, 4) for (o, w), v in by_shape.items()},
        "macro_ap_by_sentence_offset": {str(o): round(v, 4) for o, v in by_sentence.items()},
        "tags_by_margin": {str(m): s.as_dict() for m, s in by_margin.items()},
        "chosen": calibration.to_dict(),
    }
    return calibration, report


def main(argv: list[str] | None = None) -> None:
    """Refit a model folder's calibration.json on the held-out packs (after a recipe change, say)."""
    import argparse
    import json
    from pathlib import Path

    from bot.core.config import PROMPTS_ROOT
    from bot.engine.embedding import Embedder
    from bot.tooling.evaluation.catalogue_eval import held_out_set

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("model_dir", type=Path)
    parser.add_argument("--target-precision", type=float, default=0.9)
    args = parser.parse_args(argv)
    embedder = Embedder(args.model_dir, threads=1, batch_size=16)
    held = held_out_set(PROMPTS_ROOT / "catalogue")
    calibration, report = fit_calibration(embedder.encode, held, args.target_precision)
    path = args.model_dir / "calibration.json"
    previous = json.loads(path.read_text("utf-8")) if path.is_file() else {}
    previous.update(calibration.to_dict(), target_precision=args.target_precision)
    path.write_text(json.dumps(previous, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
