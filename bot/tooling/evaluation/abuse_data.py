"""Labelled data for the abuse head: loaders, the fixed Davidson split and the metrics, numpy only.

Training (:mod:`bot.training.abuse_training_data`) and ``clio eval abuse`` both read data through here, so the
held-out split the figures are reported on is the one training never saw. The ConvAbuse test split is
never read: model selection and reporting use its validation split.
"""

from __future__ import annotations

import csv
import hashlib
import html
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_CACHE_DIR = REPO_ROOT / ".work" / "abuse-embeddings"
DEFAULT_DATA_DIR = REPO_ROOT.parent / "shared" / "data"
CIVIL_HISTORY_FILE = Path(__file__).with_name("civil_history.txt")
CASUAL_PROFANITY_FILE = Path(__file__).with_name("casual_profanity.txt")
THREATS_FILE = Path(__file__).with_name("threats.txt")
VIOLENT_IDIOMS_FILE = Path(__file__).with_name("violent_idioms.txt")
# Evaluation sets, written apart from every training line above and never trained on.
BENIGN_HISTORY_FILE = REPO_ROOT / "prompts" / "sample" / "benign_history.txt"
THREATS_HELDOUT_FILE = REPO_ROOT / "prompts" / "sample" / "threats_heldout.txt"
IDIOMS_HELDOUT_FILE = REPO_ROOT / "prompts" / "sample" / "idioms_heldout.txt"
EVALUATION_FILES = (BENIGN_HISTORY_FILE, THREATS_HELDOUT_FILE, IDIOMS_HELDOUT_FILE)

DAVIDSON_SEED = 2017
DAVIDSON_HELD_OUT = 0.2
DAVIDSON_HATE, DAVIDSON_OFFENSIVE, DAVIDSON_NEITHER = 0, 1, 2
# OLID subtask A/B: not offensive, offensive but untargeted (mostly bare profanity), targeted offence.
OLID_NOT, OLID_UNTARGETED, OLID_TARGETED = 0, 1, 2
OLID_FOLDS, OLID_SEED = 5, 2019


@dataclass(frozen=True)
class Labelled:
    name: str
    texts: list[str]
    labels: np.ndarray  # 1 = abusive
    # Davidson keeps its three classes: "offensive" is not the same thing as abuse, and training weighs it.
    classes: np.ndarray | None = None

    def subset(self, mask: np.ndarray, name: str) -> Labelled:
        index = np.flatnonzero(mask)
        return Labelled(
            name,
            [self.texts[i] for i in index],
            self.labels[index],
            None if self.classes is None else self.classes[index],
        )

    def fingerprint(self) -> str:
        return hashlib.sha1("\x1e".join(self.texts).encode("utf-8")).hexdigest()[:16]


def _annotation_mean(cell: str) -> float:
    # An annotator who labelled an item twice leaves "1, 0" in one cell: average the repeats.
    values = [float(part) for part in cell.split(",") if part.strip()]
    return sum(values) / len(values) if values else 0.0


LEVELS = ("1", "0", "-1", "-2", "-3")  # not abusive, ambiguous, mild, strong, very strong


def load_convabuse(data_dir: Path, split: str) -> Labelled:
    """User turns labelled abusive when most of their annotators chose mild, strong or very strong."""
    if split == "test":
        raise ValueError("the ConvAbuse test split is reserved; select and evaluate on 'valid'")
    path = Path(data_dir) / "convabuse" / f"ConvAbuseEMNLP{split}.csv"
    texts, labels = [], []
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            votes = []
            for annotator in range(1, 9):
                cells = {level: row.get(f"Annotator{annotator}_is_abuse.{level}", "") for level in LEVELS}
                if any(cell.strip() for cell in cells.values()):
                    votes.append(sum(_annotation_mean(cells[level]) for level in ("-1", "-2", "-3")))
            texts.append(row["user"])
            labels.append(int(bool(votes) and sum(votes) / len(votes) > 0.5))
    return Labelled(f"convabuse-{split}", texts, np.array(labels, dtype=np.int8))


_RETWEET = re.compile(r"^\s*(?:RT\s+)?(?:@\w+:?\s*)+")
_HANDLE = re.compile(r"@\w+")
_URL = re.compile(r"https?://\S+")
# OLID replaced handles and links with these tokens.
_OLID_PLACEHOLDER = re.compile(r"@USER\b|\bURL\b")


def clean_tweet(text: str) -> str:
    """Strip what a Discord message would not have: RT prefixes, handles, links, HTML entities."""
    text = html.unescape(html.unescape(text))
    text = _RETWEET.sub("", text)
    text = _URL.sub("", _HANDLE.sub("", text))
    return " ".join(text.split()) or "."


def load_davidson(data_dir: Path) -> Labelled:
    path = Path(data_dir) / "davidson" / "labeled_data.csv"
    texts, classes = [], []
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            texts.append(clean_tweet(row["tweet"]))
            classes.append(int(row["class"]))
    classes_arr = np.array(classes, dtype=np.int8)
    # As the dataset's own note suggests: hate or offensive counts as toxic.
    return Labelled("davidson", texts, (classes_arr != DAVIDSON_NEITHER).astype(np.int8), classes_arr)


def davidson_split(data_dir: Path) -> tuple[Labelled, Labelled]:
    """Our own fixed split (the dataset has none): 20% held out per class, seed 2017."""
    data = load_davidson(data_dir)
    rng = np.random.default_rng(DAVIDSON_SEED)
    held_out = np.zeros(len(data.texts), dtype=bool)
    for cls in (DAVIDSON_HATE, DAVIDSON_OFFENSIVE, DAVIDSON_NEITHER):
        members = np.flatnonzero(data.classes == cls)
        chosen = rng.choice(members, size=round(len(members) * DAVIDSON_HELD_OUT), replace=False)
        held_out[chosen] = True
    return data.subset(~held_out, "davidson-train"), data.subset(held_out, "davidson-heldout")


def load_olid(data_dir: Path) -> Labelled:
    """OLID's training split (the test split is kept for independent measurement and never read here).

    ``labels`` are OLID's own (OFF = 1), so figures compare with published ones; ``classes`` keep the
    targeted/untargeted distinction, which training weighs: swearing at nobody is not abuse on a server.
    """
    path = Path(data_dir) / "olid" / "olid-training-v1.0.tsv"
    texts, classes = [], []
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            texts.append(clean_tweet(_OLID_PLACEHOLDER.sub("", row["tweet"])))
            if row["subtask_a"] == "NOT":
                classes.append(OLID_NOT)
            else:
                classes.append(OLID_TARGETED if row["subtask_b"] == "TIN" else OLID_UNTARGETED)
    classes_arr = np.array(classes, dtype=np.int8)
    return Labelled("olid-train", texts, (classes_arr != OLID_NOT).astype(np.int8), classes_arr)


def olid_folds(olid: Labelled, folds: int = OLID_FOLDS) -> np.ndarray:
    """A fold number per tweet, stratified by class and fixed by seed, for cross-validated figures."""
    rng = np.random.default_rng(OLID_SEED)
    fold = np.zeros(len(olid.texts), dtype=np.int8)
    assert olid.classes is not None
    for cls in (OLID_NOT, OLID_UNTARGETED, OLID_TARGETED):
        members = rng.permutation(np.flatnonzero(olid.classes == cls))
        fold[members] = np.arange(len(members)) % folds
    return fold


def read_lines(path: Path) -> list[str]:
    """One message per line; blank lines and '#' comments skipped."""
    lines = (line.strip() for line in Path(path).read_text("utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def load_lines(path: Path, name: str, label: int = 0) -> Labelled:
    texts = read_lines(path)
    return Labelled(name, texts, np.full(len(texts), label, dtype=np.int8))


def load_argkp_arguments(data_dir: Path, split: str = "train") -> Labelled:
    """Crowd-written arguments on divisive topics: civil disagreement, all labelled not abusive."""
    path = Path(data_dir) / "argkp" / f"arguments_{split}.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        texts = [row["argument"].strip() for row in csv.DictReader(handle) if row["argument"].strip()]
    return Labelled(f"argkp-{split}", texts, np.zeros(len(texts), dtype=np.int8))


def embed_cached(embedder, data: Labelled, cache_dir: Path | None = DEFAULT_CACHE_DIR) -> np.ndarray:
    """The data's embeddings, computed once per embedding model and kept under ``cache_dir``.

    The key is the model id plus a probe vector, so swapped weights under an unchanged id still miss.
    """
    if cache_dir is None:
        return embedder.encode(data.texts)
    probe = hashlib.sha1(np.round(embedder.encode(["cache probe"]), 4).tobytes()).hexdigest()[:8]
    folder = Path(cache_dir) / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', embedder.model_id)}-{probe}"
    path = folder / f"{data.name}-{data.fingerprint()}.npy"
    if path.is_file():
        return np.load(path)
    vectors = embedder.encode(data.texts)
    folder.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


# Metrics, so evaluation needs no scikit-learn.


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Probability that a random positive outscores a random negative (ties count half)."""
    labels = np.asarray(labels).astype(bool)
    positives, negatives = int(labels.sum()), int((~labels).sum())
    if not positives or not negatives:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = np.asarray(scores)[order]
    ranks = np.empty(len(order), dtype=np.float64)
    # Average ranks over tied scores.
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    for start, count in zip(first, counts):
        ranks[order[start : start + count]] = start + (count + 1) / 2
    return float((ranks[labels].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def binary_scores(labels: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    labels, predicted = np.asarray(labels).astype(bool), np.asarray(predicted).astype(bool)
    tp = int((labels & predicted).sum())
    fp = int((~labels & predicted).sum())
    fn = int((labels & ~predicted).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn}
