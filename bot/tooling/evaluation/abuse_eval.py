"""Figures for the abuse head on data it was not trained on (``clio eval abuse`` and the training report).

- ConvAbuse valid: the split the threshold and settings were chosen on, so its figures are selection
  figures, not a blind test (the test split stays unread).
- Davidson held out: our fixed seeded 20% split, never trained or selected on. "Toxic" is hate or
  offensive, as the dataset's note suggests, though the head is trained to treat profanity alone as weak.
- Benign history: heated but civil messages (prompts/sample/benign_history.txt); every flag is a false one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bot.engine.moderation.abuse import AbuseModel
from bot.tooling.evaluation import abuse_data as data


def scores_for(model: AbuseModel, embedder, labelled: data.Labelled, cache_dir: Path | None) -> np.ndarray:
    return model.score(data.embed_cached(embedder, labelled, cache_dir), labelled.texts)


def classification(labels: np.ndarray, scores: np.ndarray, threshold: float) -> dict:
    return {
        "n": len(labels),
        "positives": int(np.sum(labels)),
        "roc_auc": data.roc_auc(labels, scores),
        **data.binary_scores(labels, scores >= threshold),
    }


def false_flags(texts: list[str], scores: np.ndarray, threshold: float) -> dict:
    flagged = scores >= threshold
    return {
        "n": len(texts),
        "flagged": int(flagged.sum()),
        "false_flag_rate": float(flagged.mean()) if len(texts) else 0.0,
        "examples": [(texts[i], round(float(scores[i]), 3)) for i in np.flatnonzero(flagged)[:10]],
    }


def evaluate(
    model: AbuseModel,
    embedder,
    data_dir: Path = data.DEFAULT_DATA_DIR,
    cache_dir: Path | None = data.DEFAULT_CACHE_DIR,
    threshold: float | None = None,
    benign_file: Path = data.BENIGN_HISTORY_FILE,
) -> dict:
    threshold = model.threshold if threshold is None else threshold
    report: dict = {"embedder": embedder.model_id, "threshold": threshold}

    valid = data.load_convabuse(data_dir, "valid")
    report["convabuse_valid"] = classification(valid.labels, scores_for(model, embedder, valid, cache_dir), threshold)

    _, held_out = data.davidson_split(data_dir)
    scores = scores_for(model, embedder, held_out, cache_dir)
    davidson = classification(held_out.labels, scores, threshold)
    hate, offensive = held_out.classes == data.DAVIDSON_HATE, held_out.classes == data.DAVIDSON_OFFENSIVE
    neither = held_out.classes == data.DAVIDSON_NEITHER
    davidson["hate_vs_neither_roc_auc"] = data.roc_auc(hate[hate | neither], scores[hate | neither])
    for name, members in (("hate", hate), ("offensive", offensive), ("neither", neither)):
        davidson[f"flag_rate_{name}"] = float((scores[members] >= threshold).mean())
    report["davidson_heldout"] = davidson

    if Path(benign_file).is_file():
        benign = data.load_lines(benign_file, "benign-history")
        report["benign_history"] = false_flags(benign.texts, scores_for(model, embedder, benign, cache_dir), threshold)
    return report


def format_report(report: dict) -> str:
    lines = [f"abuse head on embedder {report['embedder']}, threshold {report['threshold']:.3f}"]
    for key, title in (
        ("convabuse_valid", "ConvAbuse valid"),
        ("davidson_heldout", "Davidson held-out (hate+offensive)"),
    ):
        r = report[key]
        lines.append(
            f"  {title:36} n={r['n']:5d} pos={r['positives']:5d}  ROC AUC {r['roc_auc']:.3f}  "
            f"P {r['precision']:.3f}  R {r['recall']:.3f}  F1 {r['f1']:.3f}"
        )
    d = report["davidson_heldout"]
    lines.append(
        f"  {'Davidson hate vs neither':36} ROC AUC {d['hate_vs_neither_roc_auc']:.3f}; flagged: hate "
        f"{d['flag_rate_hate']:.1%}, offensive {d['flag_rate_offensive']:.1%}, neither {d['flag_rate_neither']:.1%}"
    )
    benign = report.get("benign_history")
    if benign:
        lines.append(
            f"  {'Benign history':36} n={benign['n']:5d} false flags {benign['flagged']} "
            f"({benign['false_flag_rate']:.1%})"
        )
        lines.extend(f"    flagged: {score:.3f}  {text}" for text, score in benign["examples"])
    olid = report.get("olid_train_cv")
    if olid:
        lines.append(
            f"  {'OLID train, ' + str(olid['folds']) + '-fold CV':36} n={olid['n']:5d}  ROC AUC {olid['roc_auc']:.3f}  "
            f"macro F1 {olid['macro_f1']:.3f}  OFF P {olid['off_precision']:.3f} R {olid['off_recall']:.3f}"
        )
    return "\n".join(lines)
