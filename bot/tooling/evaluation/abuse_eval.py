"""Figures for the abuse flagger on data its model was not trained on (``clio eval abuse``).

Precision, recall and F1 are of the flagger's decisions at a server's default settings (the model's score
against the shipped threshold); ROC AUC is of the score.

- ConvAbuse valid: the split the threshold was chosen on, so its figures are selection figures, not a
  blind test (the test split stays unread).
- Davidson held out: our fixed seeded 20% split, never trained or selected on. "Toxic" is hate or
  offensive, as the dataset's note suggests.
- Benign history: heated but civil messages (prompts/sample/benign_history.txt); every flag is a false one.
- Violent idioms and threats (prompts/sample/idioms_heldout.txt, threats_heldout.txt): written apart from
  the training lines; every idiom flagged is a false flag, every threat missed a miss.
- OLID train by folds: the shipped model trained on OLID train, so these are the figures its training
  recipe recorded from fold models that had not seen the fold they scored (``model.json``), not
  recomputed here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bot.engine.moderation.abuse import flag_decisions
from bot.engine.moderation.abuse_model import AbuseModel
from bot.tooling.evaluation import abuse_data as data


def classification(labelled: data.Labelled, scores: np.ndarray, threshold: float) -> dict:
    return {
        "n": len(labelled.labels),
        "positives": int(np.sum(labelled.labels)),
        "roc_auc": data.roc_auc(labelled.labels, scores),
        **data.binary_scores(labelled.labels, flag_decisions(labelled.texts, scores, threshold)),
    }


def false_flags(texts: list[str], scores: np.ndarray, threshold: float) -> dict:
    flagged = flag_decisions(texts, scores, threshold)
    return {
        "n": len(texts),
        "flagged": int(flagged.sum()),
        "false_flag_rate": float(flagged.mean()) if len(texts) else 0.0,
        "examples": [(texts[i], round(float(scores[i]), 3)) for i in np.flatnonzero(flagged)[:10]],
    }


def missed(texts: list[str], scores: np.ndarray, threshold: float) -> dict:
    flagged = flag_decisions(texts, scores, threshold)
    return {
        "n": len(texts),
        "flagged": int(flagged.sum()),
        "recall": float(flagged.mean()) if len(texts) else 0.0,
        "examples": [(texts[i], round(float(scores[i]), 3)) for i in np.flatnonzero(~flagged)[:10]],
    }


def evaluate(
    model: AbuseModel,
    data_dir: Path = data.DEFAULT_DATA_DIR,
    threshold: float | None = None,
    benign_file: Path = data.BENIGN_HISTORY_FILE,
) -> dict:
    threshold = model.threshold if threshold is None else threshold
    report: dict = {"model": model.model_id, "threshold": threshold}

    valid = data.load_convabuse(data_dir, "valid")
    report["convabuse_valid"] = classification(valid, model.score(valid.texts), threshold)

    _, held_out = data.davidson_split(data_dir)
    scores = model.score(held_out.texts)
    davidson = classification(held_out, scores, threshold)
    flagged = flag_decisions(held_out.texts, scores, threshold)
    hate, offensive = held_out.classes == data.DAVIDSON_HATE, held_out.classes == data.DAVIDSON_OFFENSIVE
    neither = held_out.classes == data.DAVIDSON_NEITHER
    davidson["hate_vs_neither_roc_auc"] = data.roc_auc(hate[hate | neither], scores[hate | neither])
    for name, members in (("hate", hate), ("offensive", offensive), ("neither", neither)):
        davidson[f"flag_rate_{name}"] = float(flagged[members].mean())
    report["davidson_heldout"] = davidson

    if Path(benign_file).is_file():
        benign = data.load_lines(benign_file, "benign-history")
        report["benign_history"] = false_flags(benign.texts, model.score(benign.texts), threshold)
    if data.IDIOMS_HELDOUT_FILE.is_file():
        idioms = data.load_lines(data.IDIOMS_HELDOUT_FILE, "idioms-heldout")
        report["violent_idioms"] = false_flags(idioms.texts, model.score(idioms.texts), threshold)
    if data.THREATS_HELDOUT_FILE.is_file():
        threats = data.load_lines(data.THREATS_HELDOUT_FILE, "threats-heldout")
        report["threats"] = missed(threats.texts, model.score(threats.texts), threshold)
    if "olid_cv" in model.figures:
        report["olid_train_cv"] = model.figures["olid_cv"]
    return report


def format_report(report: dict) -> str:
    lines = [f"abuse model {report['model']}, threshold {report['threshold']:.3f}"]
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
    for key, title in (("benign_history", "Benign history"), ("violent_idioms", "Violent idioms (held out)")):
        harmless = report.get(key)
        if harmless:
            lines.append(
                f"  {title:36} n={harmless['n']:5d} false flags {harmless['flagged']} "
                f"({harmless['false_flag_rate']:.1%})"
            )
            lines.extend(f"    flagged: {score:.3f}  {text}" for text, score in harmless["examples"])
    threats = report.get("threats")
    if threats:
        lines.append(
            f"  {'Threats and incitement (held out)':36} n={threats['n']:5d} caught {threats['flagged']} "
            f"({threats['recall']:.1%})"
        )
        lines.extend(f"    missed: {score:.3f}  {text}" for text, score in threats["examples"])
    olid = report.get("olid_train_cv")
    if olid:
        lines.append(
            f"  {'OLID train, ' + str(olid['folds']) + '-fold CV (recorded)':36} ROC AUC {olid['roc_auc']:.3f}  "
            f"macro F1 {olid['macro_f1']:.3f}  OFF P {olid['off_precision']:.3f} R {olid['off_recall']:.3f}"
        )
    return "\n".join(lines)
