"""Key-point matching evaluation (ArgKP / KPA-2021 shared task, Track 1), in plain numpy.

The shared task's scorer (``IBM/KPA_2021_shared_task``, ``track_1_kp_matching.py``) works so:

1. every argument is paired with its best-scoring key point among the key points of the same topic
   and stance (an argument with no candidate gets a dummy key point, score 0, label 0);
2. the pair takes the gold label; unlabelled pairs (crowd agreement too ambiguous) count as 0 in the
   *strict* metric and as 1 in the *relaxed* one;
3. within each (topic, stance) group only the top 50% of arguments by that score are kept
   (``int(len(group) * 0.5)`` rows; a kept dummy row then scores 0.99), and scikit-learn's
   ``average_precision_score`` is computed on them (0 when no kept row is positive);
4. mAP is the mean of the per-group APs.

:func:`average_precision` reproduces ``average_precision_score`` (tied scores form one threshold;
AP = sum over thresholds of (recall step) x precision; 0 when there is no positive).
Precision, recall and F1 at a threshold are computed over every labelled candidate pair.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

TOP_PERCENTILE = 0.5


@dataclass(frozen=True)
class Argument:
    arg_id: str
    text: str
    topic: str
    stance: int


@dataclass(frozen=True)
class KeyPoint:
    key_point_id: str
    text: str
    topic: str
    stance: int


@dataclass
class KpaSplit:
    """One split: arguments, key points and gold labels keyed by (arg_id, key_point_id)."""

    arguments: list[Argument]
    key_points: list[KeyPoint]
    labels: dict[tuple[str, str], int]
    _pairs: np.ndarray | None = field(default=None, repr=False)

    def candidate_pairs(self) -> np.ndarray:
        """(n_pairs, 2) indices (argument, key point) of every same-topic, same-stance pair."""
        if self._pairs is None:
            by_group: dict[tuple[str, int], list[int]] = {}
            for k, kp in enumerate(self.key_points):
                by_group.setdefault((kp.topic, kp.stance), []).append(k)
            pairs = [(a, k) for a, arg in enumerate(self.arguments) for k in by_group.get((arg.topic, arg.stance), [])]
            self._pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        return self._pairs

    def pair_labels(self, pairs: np.ndarray | None = None) -> np.ndarray:
        """Gold label of each pair: 1, 0, or -1 when unlabelled."""
        pairs = self.candidate_pairs() if pairs is None else pairs
        return np.asarray(
            [self.labels.get((self.arguments[a].arg_id, self.key_points[k].key_point_id), -1) for a, k in pairs],
            dtype=np.int64,
        )

    def topics(self) -> list[str]:
        return sorted({a.topic for a in self.arguments})


class KpaDataError(ValueError):
    pass


def _read_csv(path: Path, required: Sequence[str]) -> list[dict[str, str]]:
    if not path.is_file():
        raise KpaDataError(f"{path}: file not found")
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise KpaDataError(f"{path}: missing column(s) {', '.join(missing)}")
        return list(reader)


def _stance(path: Path, row_number: int, value: str) -> int:
    try:
        stance = int(float(value))
    except ValueError:
        raise KpaDataError(f"{path}, row {row_number}: stance {value!r} is not 1 or -1") from None
    if stance not in (1, -1):
        raise KpaDataError(f"{path}, row {row_number}: stance {value!r} is not 1 or -1")
    return stance


def load_split(data_dir: Path | str, split: str) -> KpaSplit:
    """Read ``{arguments,key_points,labels}_{split}.csv`` from an ArgKP folder."""
    data_dir = Path(data_dir)
    path = data_dir / f"arguments_{split}.csv"
    arguments = [
        Argument(r["arg_id"], r["argument"], r["topic"], _stance(path, i, r["stance"]))
        for i, r in enumerate(_read_csv(path, ("arg_id", "argument", "topic", "stance")), start=2)
    ]
    path = data_dir / f"key_points_{split}.csv"
    key_points = [
        KeyPoint(r["key_point_id"], r["key_point"], r["topic"], _stance(path, i, r["stance"]))
        for i, r in enumerate(_read_csv(path, ("key_point_id", "key_point", "topic", "stance")), start=2)
    ]
    path = data_dir / f"labels_{split}.csv"
    labels: dict[tuple[str, str], int] = {}
    for i, r in enumerate(_read_csv(path, ("arg_id", "key_point_id", "label")), start=2):
        try:
            labels[(r["arg_id"], r["key_point_id"])] = int(float(r["label"]))
        except ValueError:
            raise KpaDataError(f"{path}, row {i}: label {r['label']!r} is not 0 or 1") from None
    return KpaSplit(arguments, key_points, labels)


def topic_prefix(topic: str) -> str:
    """The context prefix used when a text is embedded together with its debate topic."""
    return f"{topic.strip().rstrip('.')}. "


# --- metrics -------------------------------------------------------------------------------------


def average_precision(y_true: Sequence[int] | np.ndarray, y_score: Sequence[float] | np.ndarray) -> float:
    """scikit-learn's ``average_precision_score`` for binary labels (ties form one threshold)."""
    y_true = np.asarray(y_true, dtype=np.float64)
    y_score = np.asarray(y_score, dtype=np.float64)
    if y_true.size == 0:
        return 0.0
    positives = y_true.sum()
    if positives == 0:
        return 0.0
    order = np.argsort(-y_score, kind="mergesort")
    y_true, y_score = y_true[order], y_score[order]
    # the last index of each run of equal scores is one threshold
    ends = np.r_[np.nonzero(np.diff(y_score))[0], y_true.size - 1]
    tp = np.cumsum(y_true)[ends]
    predicted = ends + 1
    precision = tp / predicted
    recall = tp / positives
    steps = np.diff(np.r_[0.0, recall])
    return float(np.sum(steps * precision))


@dataclass(frozen=True)
class MapResult:
    """Both forms of the KPA-2021 Track 1 metric.

    ``strict``/``relaxed``: the June 2021 leaderboard scorer, mean AP of each (topic, stance) group's top
    50%. ``strict_weighted``/``relaxed_weighted``: the official repository's current scorer (September
    2021), which multiplies each group's AP by the share of positives in its top 50%.
    """

    strict: float
    relaxed: float
    groups: dict[tuple[str, int], tuple[float, float]]
    strict_weighted: float = 0.0
    relaxed_weighted: float = 0.0


def best_key_points(split: KpaSplit, pair_scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per argument: index of its best key point (-1 when it has no candidate) and that score."""
    pairs = split.candidate_pairs()
    pair_scores = np.asarray(pair_scores, dtype=np.float64)
    if pair_scores.shape != (len(pairs),):
        raise ValueError(f"expected {len(pairs)} pair scores, got shape {pair_scores.shape}")
    best_kp = np.full(len(split.arguments), -1, dtype=np.int64)
    best_score = np.full(len(split.arguments), -np.inf)
    for (a, k), s in zip(pairs, pair_scores):
        if s > best_score[a]:  # the first maximum wins, like max() over a dict
            best_score[a] = s
            best_kp[a] = k
    best_score[best_kp < 0] = 0.0
    return best_kp, best_score


def mean_average_precision(split: KpaSplit, pair_scores: np.ndarray) -> MapResult:
    """mAP strict and relaxed over (topic, stance) groups, as the KPA-2021 Track 1 scorer."""
    best_kp, best_score = best_key_points(split, pair_scores)
    groups: dict[tuple[str, int], list[tuple[float, float, float]]] = {}
    dummy: dict[tuple[str, int], list[bool]] = {}
    for a, arg in enumerate(split.arguments):
        k = best_kp[a]
        if k < 0:
            strict = relaxed = 0.0
        else:
            label = split.labels.get((arg.arg_id, split.key_points[k].key_point_id))
            strict = 0.0 if label is None else float(label)
            relaxed = 1.0 if label is None else float(label)
        groups.setdefault((arg.topic, arg.stance), []).append((best_score[a], strict, relaxed))
        dummy.setdefault((arg.topic, arg.stance), []).append(bool(k < 0))
    per_group: dict[tuple[str, int], tuple[float, float]] = {}
    weighted: list[tuple[float, float]] = []
    for key in sorted(groups):
        rows = np.asarray(groups[key], dtype=np.float64)
        no_candidate = np.asarray(dummy[key], dtype=bool)
        top = int(len(rows) * TOP_PERCENTILE)
        order = np.argsort(-rows[:, 0], kind="mergesort")[:top]
        rows = rows[order]
        # as the official scorer: a kept argument without candidate key point scores 0.99, label 0
        rows[no_candidate[order], 0] = 0.99
        per_group[key] = (
            average_precision(rows[:, 1], rows[:, 0]),
            average_precision(rows[:, 2], rows[:, 0]),
        )
        share = (rows[:, 1].mean(), rows[:, 2].mean()) if len(rows) else (0.0, 0.0)
        weighted.append((per_group[key][0] * share[0], per_group[key][1] * share[1]))
    if not per_group:
        return MapResult(0.0, 0.0, {})
    values = np.asarray(list(per_group.values()))
    weights = np.asarray(weighted)
    return MapResult(
        float(values[:, 0].mean()),
        float(values[:, 1].mean()),
        per_group,
        float(weights[:, 0].mean()),
        float(weights[:, 1].mean()),
    )


@dataclass(frozen=True)
class PrfResult:
    threshold: float
    precision: float
    recall: float
    f1: float
    tagged: int
    positives: int


def precision_recall_f1(labels: np.ndarray, probabilities: np.ndarray, threshold: float) -> PrfResult:
    """Over labelled pairs (label 0/1; -1 = unlabelled is skipped): a pair is tagged at p >= threshold."""
    labels = np.asarray(labels)
    probabilities = np.asarray(probabilities, dtype=np.float64)
    keep = labels >= 0
    y, p = labels[keep], probabilities[keep] >= threshold
    tp = float(np.sum(p & (y == 1)))
    tagged, positives = int(p.sum()), int((y == 1).sum())
    precision = tp / tagged if tagged else 0.0
    recall = tp / positives if positives else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return PrfResult(threshold, precision, recall, f1, tagged, positives)


def reliability_bins(
    labels: np.ndarray, probabilities: np.ndarray, bins: int = 10
) -> list[tuple[float, float, float, int]]:
    """(bin low, mean predicted, observed match rate, count) per probability bin, labelled pairs only."""
    labels = np.asarray(labels)
    probabilities = np.asarray(probabilities, dtype=np.float64)
    keep = labels >= 0
    y, p = labels[keep], probabilities[keep]
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    out = []
    for b in range(bins):
        sel = index == b
        if sel.any():
            out.append((float(edges[b]), float(p[sel].mean()), float(y[sel].mean()), int(sel.sum())))
    return out


# --- end to end ----------------------------------------------------------------------------------


def relative_pair_scores(split: KpaSplit, pair_scores: np.ndarray, weight: float) -> np.ndarray:
    """Each pair's score minus ``weight`` times the argument's best score among its other candidate key
    points: the runtime matcher's relative score (``bot.engine.matcher.relative_scores``) on ArgKP pairs."""
    from bot.engine.matcher import relative_scores

    out = np.asarray(pair_scores, dtype=np.float64).copy()
    if not weight:
        return out
    pairs = split.candidate_pairs()
    for argument in np.unique(pairs[:, 0]):
        rows = np.nonzero(pairs[:, 0] == argument)[0]
        out[rows] = relative_scores(out[rows][None, :], weight)[0]
    return out


def pair_similarities(
    split: KpaSplit, encode: Callable[[list[str]], np.ndarray], with_topic: bool = False
) -> np.ndarray:
    """Cosine similarity of every candidate pair; ``encode`` returns L2-normalised rows."""

    def text(item: Argument | KeyPoint) -> str:
        return topic_prefix(item.topic) + item.text if with_topic else item.text

    arg_vecs = np.asarray(encode([text(a) for a in split.arguments]), dtype=np.float32)
    kp_vecs = np.asarray(encode([text(k) for k in split.key_points]), dtype=np.float32)
    pairs = split.candidate_pairs()
    return np.einsum("ij,ij->i", arg_vecs[pairs[:, 0]], kp_vecs[pairs[:, 1]]).astype(np.float64)


@dataclass(frozen=True)
class KpaReport:
    split: str
    strict: float
    relaxed: float
    prf: PrfResult | None
    pairs: int
    labelled: int
    groups: dict[tuple[str, int], tuple[float, float]]
    strict_weighted: float = 0.0
    relaxed_weighted: float = 0.0

    def as_dict(self) -> dict:
        out = {
            "split": self.split,
            "map_strict": round(self.strict, 4),
            "map_relaxed": round(self.relaxed, 4),
            "map_strict_weighted": round(self.strict_weighted, 4),
            "map_relaxed_weighted": round(self.relaxed_weighted, 4),
            "candidate_pairs": self.pairs,
            "labelled_pairs": self.labelled,
            "groups": [
                {"topic": t, "stance": s, "ap_strict": round(a, 4), "ap_relaxed": round(b, 4)}
                for (t, s), (a, b) in self.groups.items()
            ],
        }
        if self.prf is not None:
            out.update(
                threshold=round(self.prf.threshold, 4),
                precision=round(self.prf.precision, 4),
                recall=round(self.prf.recall, 4),
                f1=round(self.prf.f1, 4),
                tagged_pairs=self.prf.tagged,
                positive_pairs=self.prf.positives,
            )
        return out


def evaluate(
    split: KpaSplit,
    similarities: np.ndarray,
    split_name: str = "dev",
    probability: Callable[[np.ndarray], np.ndarray] | None = None,
    threshold: float | None = None,
) -> KpaReport:
    """mAP from similarities; P/R/F1 when a calibration (``probability``) and threshold are given."""
    result = mean_average_precision(split, similarities)
    labels = split.pair_labels()
    prf = None
    if probability is not None and threshold is not None:
        prf = precision_recall_f1(labels, probability(similarities), threshold)
    return KpaReport(
        split_name,
        result.strict,
        result.relaxed,
        prf,
        len(labels),
        int((labels >= 0).sum()),
        result.groups,
        result.strict_weighted,
        result.relaxed_weighted,
    )
