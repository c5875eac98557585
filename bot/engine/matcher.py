"""Runtime matching of message embeddings against the argument catalogue (numpy only).

Each argument is represented by its claim, its title and its example phrasings (moderator-confirmed
messages among them). A message's similarity to an argument is its best cosine similarity over those
texts, where an example counts ``example_offset`` less than the claim and title (a chat phrasing of a
neighbouring claim can sit closer to a message than the claim it makes). Platt scaling
(``calibration.json`` beside the model) turns the similarity into a probability of match.

Tagging rule, per message and argument:

1. ``probability >= threshold`` (the argument's own threshold, else the model's default one, chosen
   on held-out topics for precision first);
2. *negative corrections*: when a moderator rejected texts for an argument (``rejected``), a message
   whose best similarity to a rejected text is higher than its similarity to the argument is not
   tagged with that argument, whatever its probability: the message is closer to a known mistake
   than to any accepted phrasing;
3. *counters*: an argument and its counter-argument argue opposite sides, so a message is never tagged
   with both. An argument is dropped when one of its counters comes within ``counter_margin`` of its
   probability: the better side wins, and only by a margin, because a wrong side shown publicly
   quotes someone as arguing what they argued against;
4. of the arguments left, the ``top_k`` most probable are kept, best first.

A message's score for an argument is relative: its similarity minus ``competitor_weight`` times its
similarity to the best *other* indexed argument. Neighbouring claims share actors and words, and a
message close to all of them (or to both sides of a debate) is evidence for none; one that matches this
argument clearly better than every other is. With a single indexed argument the score is the plain
similarity.

A long post often makes several arguments, one per sentence, and its whole-text vector is a blur of
them. So a multi-sentence message is also scored sentence by sentence (:func:`split_sentences`): its
similarity to an argument is the best of the whole text and of each sentence, a sentence counting
``sentence_offset`` less.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np


class SupportsEncode(Protocol):
    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


# A sentence ends at . ! ? or a line break followed by more text; abbreviations rarely matter here,
# since a wrong split only adds one more candidate text.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)|\s*\n+\s*")
MIN_SENTENCE_WORDS = 4


def split_sentences(text: str) -> list[str]:
    """The sentences of a message worth scoring on their own: none unless it has two or more of at least
    ``MIN_SENTENCE_WORDS`` words (a short message is its own best sentence)."""
    sentences = [s.strip() for s in _SENTENCE_END.split(text or "") if len(s.split()) >= MIN_SENTENCE_WORDS]
    return sentences if len(sentences) >= 2 else []


def relative_scores(sim: np.ndarray, weight: float) -> np.ndarray:
    """``sim`` (messages x arguments) minus ``weight`` times each row's best similarity among the *other*
    arguments; unchanged with fewer than two arguments."""
    if not weight or sim.shape[1] < 2:
        return sim
    order = np.argsort(-sim, axis=1, kind="stable")[:, :2]
    best, second = np.take_along_axis(sim, order, axis=1).T
    is_best = np.zeros(sim.shape, dtype=bool)
    np.put_along_axis(is_best, order[:, :1], True, axis=1)
    best_other = np.where(is_best, second[:, None], best[:, None])
    return sim - weight * best_other


@dataclass(frozen=True)
class Sentences:
    """Vectors of the sentences of multi-sentence messages, and the message row each belongs to."""

    vectors: np.ndarray  # (n_sentences, dim)
    owner: np.ndarray  # (n_sentences,) row of the message in the batch

    @classmethod
    def none(cls) -> Sentences:
        return cls(np.zeros((0, 0), dtype=np.float32), np.zeros(0, dtype=np.int64))


def sentence_texts(texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """Every scorable sentence of ``texts`` and the index of the text it comes from."""
    parts, owner = [], []
    for row, text in enumerate(texts):
        sentences = split_sentences(text)
        parts.extend(sentences)
        owner.extend([row] * len(sentences))
    return parts, np.asarray(owner, dtype=np.int64)


@dataclass(frozen=True)
class ArgumentProfile:
    argument_id: int
    claim: str
    examples: tuple[str, ...] = ()
    threshold: float | None = None
    rejected: tuple[str, ...] = ()
    title: str = ""
    counters: tuple[int, ...] = ()  # argument ids of the arguments arguing the other side

    def reference_texts(self) -> list[str]:
        """The claim, then the title when it says something else: the texts scored at full weight."""
        title = self.title.strip()
        return [self.claim] + ([title] if title and title.casefold() != self.claim.strip().casefold() else [])


@dataclass(frozen=True)
class Calibration:
    """probability = sigmoid(slope * similarity + intercept); tag when probability >= threshold."""

    slope: float
    intercept: float
    default_threshold: float
    example_offset: float = 0.0
    counter_margin: float = 0.0
    sentence_offset: float = 0.0
    competitor_weight: float = 0.0

    def probability(self, similarity: np.ndarray | float) -> np.ndarray:
        z = self.slope * np.asarray(similarity, dtype=np.float64) + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(z, -60.0, 60.0)))

    def similarity_at(self, probability: float) -> float:
        """The similarity whose calibrated probability is ``probability``."""
        p = min(max(probability, 1e-12), 1 - 1e-12)
        return (math.log(p / (1 - p)) - self.intercept) / self.slope

    @classmethod
    def load(cls, path: Path | str) -> Calibration:
        data = json.loads(Path(path).read_text("utf-8"))
        return cls(
            float(data["slope"]),
            float(data["intercept"]),
            float(data["default_threshold"]),
            float(data.get("example_offset", 0.0)),
            float(data.get("counter_margin", 0.0)),
            float(data.get("sentence_offset", 0.0)),
            float(data.get("competitor_weight", 0.0)),
        )

    def to_dict(self) -> dict:
        return {
            "slope": self.slope,
            "intercept": self.intercept,
            "default_threshold": self.default_threshold,
            "example_offset": self.example_offset,
            "counter_margin": self.counter_margin,
            "sentence_offset": self.sentence_offset,
            "competitor_weight": self.competitor_weight,
        }

    @classmethod
    def fit(
        cls,
        similarities: np.ndarray,
        labels: np.ndarray,
        target_precision: float = 0.85,
        min_tagged: int = 20,
    ) -> Calibration:
        """Platt scaling on one feature, then the lowest threshold whose precision reaches the target."""
        slope, intercept = fit_platt(similarities, labels)
        probabilities = 1.0 / (1.0 + np.exp(-(slope * np.asarray(similarities) + intercept)))
        threshold = precision_threshold(probabilities, labels, target_precision, min_tagged)
        return cls(slope, intercept, threshold)


def fit_platt(x: np.ndarray, y: np.ndarray, iterations: int = 100) -> tuple[float, float]:
    """Logistic regression of y on x (Newton's method, a tiny ridge for stability): (slope, intercept)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.size == 0 or y.min() == y.max():
        raise ValueError("calibration needs both matching and non-matching pairs")
    features = np.stack([x, np.ones_like(x)], axis=1)
    w = np.zeros(2)
    ridge = 1e-6 * np.eye(2)
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(features @ w, -60, 60)))
        gradient = features.T @ (p - y)
        hessian = features.T @ (features * (p * (1 - p))[:, None]) + ridge
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.max(np.abs(step)) < 1e-10:
            break
    return float(w[0]), float(w[1])


def precision_threshold(
    probabilities: np.ndarray, labels: np.ndarray, target: float = 0.85, min_tagged: int = 20
) -> float:
    """The lowest probability threshold at which precision (p >= threshold) reaches ``target``,
    counting only thresholds that tag at least ``min_tagged`` pairs; the highest such threshold
    with the best precision when none reaches it."""
    p = np.asarray(probabilities, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    order = np.argsort(-p, kind="mergesort")
    p, y = p[order], y[order]
    ends = np.r_[np.nonzero(np.diff(p))[0], p.size - 1]  # last index of each tied run
    tagged = ends + 1
    precision = np.cumsum(y)[ends] / tagged
    ok = (precision >= target) & (tagged >= min(min_tagged, p.size))
    if ok.any():
        return float(p[ends[np.nonzero(ok)[0].max()]])
    eligible = tagged >= min(min_tagged, p.size)
    best = np.nonzero(eligible)[0][np.argmax(precision[eligible])]
    return float(p[ends[best]])


@dataclass(frozen=True)
class _Index:
    profiles: tuple[ArgumentProfile, ...]
    vectors: np.ndarray  # (n_texts, dim): each argument's claim, title, then its examples
    starts: np.ndarray  # first row of each argument in ``vectors``
    offsets: np.ndarray  # per row of ``vectors``: subtracted from its similarity (examples count less)
    counter_pairs: np.ndarray  # (n_pairs, 2): positions (argument, counter), both ways
    rejected_vectors: np.ndarray  # (n_rejected, dim)
    rejected_owner: np.ndarray  # argument position of each rejected row
    thresholds: np.ndarray  # per argument: its own threshold, else the default


class Matcher:
    """Scores message embeddings against indexed arguments and decides the tags.

    Thresholds (``ArgumentProfile.threshold`` and ``Calibration.default_threshold``) are on the
    calibrated probability scale. Vectors must come from the same embedder (L2-normalised rows).
    """

    def __init__(self, embedder: SupportsEncode, calibration: Calibration, top_k: int = 3) -> None:
        if top_k < 1:
            raise ValueError("top_k must be at least 1")
        self.embedder = embedder
        self.calibration = calibration
        self.top_k = top_k
        self._index = self._build(())

    @classmethod
    def from_model_dir(cls, embedder: SupportsEncode, model_dir: Path | str, top_k: int = 3) -> Matcher:
        path = Path(model_dir) / "calibration.json"
        if not path.is_file():
            raise FileNotFoundError(f"model folder {model_dir} lacks calibration.json")
        return cls(embedder, Calibration.load(path), top_k=top_k)

    # --- indexing --------------------------------------------------------------------------------

    @property
    def profiles(self) -> tuple[ArgumentProfile, ...]:
        return self._index.profiles

    def index(self, profiles: Sequence[ArgumentProfile]) -> None:
        """Embed every claim, example and rejected text in one batched call. Call again whenever the
        arguments change; the new index replaces the old one in a single assignment."""
        self._index = self._build(tuple(profiles))

    def _build(self, profiles: tuple[ArgumentProfile, ...]) -> _Index:
        texts: list[str] = []
        starts: list[int] = []
        offsets: list[float] = []
        rejected_owner: list[int] = []
        for profile in profiles:
            starts.append(len(texts))
            references = profile.reference_texts()
            texts.extend(references)
            texts.extend(profile.examples)
            offsets.extend([0.0] * len(references) + [self.calibration.example_offset] * len(profile.examples))
        n_accepted = len(texts)
        position_of = {profile.argument_id: position for position, profile in enumerate(profiles)}
        counter_pairs = sorted(
            {(position_of[p.argument_id], position_of[c]) for p in profiles for c in p.counters if c in position_of}
            | {(position_of[c], position_of[p.argument_id]) for p in profiles for c in p.counters if c in position_of}
        )
        for position, profile in enumerate(profiles):
            texts.extend(profile.rejected)
            rejected_owner.extend([position] * len(profile.rejected))
        dim = 0
        vectors = np.zeros((0, 0), dtype=np.float32)
        if texts:
            vectors = np.asarray(self.embedder.encode(texts), dtype=np.float32)
            dim = vectors.shape[1]
        thresholds = np.asarray(
            [self.calibration.default_threshold if p.threshold is None else p.threshold for p in profiles],
            dtype=np.float64,
        )
        return _Index(
            profiles=profiles,
            vectors=vectors[:n_accepted].reshape(n_accepted, dim),
            starts=np.asarray(starts, dtype=np.int64),
            offsets=np.asarray(offsets, dtype=np.float32),
            counter_pairs=np.asarray(counter_pairs, dtype=np.int64).reshape(-1, 2),
            rejected_vectors=vectors[n_accepted:].reshape(len(texts) - n_accepted, dim),
            rejected_owner=np.asarray(rejected_owner, dtype=np.int64),
            thresholds=thresholds,
        )

    # --- scoring ---------------------------------------------------------------------------------

    @staticmethod
    def _as_matrix(message_vectors: np.ndarray) -> np.ndarray:
        m = np.asarray(message_vectors, dtype=np.float32)
        return m[None, :] if m.ndim == 1 else m

    def encode_messages(self, texts: Sequence[str]) -> tuple[np.ndarray, Sentences]:
        """Embed messages and the sentences of the multi-sentence ones, in one call."""
        parts, owner = sentence_texts(texts)
        vectors = np.asarray(self.embedder.encode([*texts, *parts]), dtype=np.float32)
        return vectors[: len(texts)], Sentences(vectors[len(texts) :], owner)

    def similarity(self, message_vectors: np.ndarray, sentences: Sentences | None = None) -> np.ndarray:
        """(n_messages, n_arguments): best cosine over each argument's claim and examples, and over the
        message's sentences when given."""
        return self._similarity(self._index, self._as_matrix(message_vectors), sentences)

    @staticmethod
    def _best_reference(index: _Index, m: np.ndarray) -> np.ndarray:
        """(n, n_arguments): best cosine over each argument's texts, examples counting ``example_offset`` less."""
        return np.maximum.reduceat(m @ index.vectors.T - index.offsets, index.starts, axis=1)

    def _similarity(
        self, index: _Index, m: np.ndarray, sentences: Sentences | None = None, whole: np.ndarray | None = None
    ) -> np.ndarray:
        """The score of each message for each argument: relative to its best competitor, for the whole
        message and for each of its sentences on its own, the best of these."""
        if not index.profiles:
            return np.zeros((len(m), 0), dtype=np.float32)
        sim = self._relative(self._best_reference(index, m) if whole is None else whole)
        if sentences is not None and len(sentences.owner):
            parts = self._best_reference(index, sentences.vectors)
            np.maximum.at(sim, sentences.owner, self._relative(parts) - self.calibration.sentence_offset)
        return sim

    def _relative(self, sim: np.ndarray) -> np.ndarray:
        return relative_scores(sim, self.calibration.competitor_weight)

    @staticmethod
    def _rejected_similarity(index: _Index, m: np.ndarray) -> np.ndarray:
        """(n_messages, n_arguments): best cosine to the argument's rejected texts, -inf if none."""
        out = np.full((len(m), len(index.profiles)), -np.inf, dtype=np.float32)
        if len(index.rejected_owner):
            sims = m @ index.rejected_vectors.T
            for column, owner in enumerate(index.rejected_owner):
                np.maximum(out[:, owner], sims[:, column], out=out[:, owner])
        return out

    def probabilities(self, message_vectors: np.ndarray, sentences: Sentences | None = None) -> np.ndarray:
        """Calibrated probability of match, (n_messages, n_arguments), in [0, 1]."""
        return self.calibration.probability(self.similarity(message_vectors, sentences))

    def _countered(self, index: _Index, prob: np.ndarray) -> np.ndarray:
        """(n_messages, n_arguments): a counter-argument comes within the margin of the argument."""
        best_counter = np.full(prob.shape, -np.inf)
        for argument, counter in index.counter_pairs:
            np.maximum(best_counter[:, argument], prob[:, counter], out=best_counter[:, argument])
        return best_counter >= prob - self.calibration.counter_margin

    def _decide(self, index: _Index, m: np.ndarray, sentences: Sentences | None = None):
        whole = self._best_reference(index, m)
        sim = self._similarity(index, m, sentences, whole)
        prob = self.calibration.probability(sim)
        # A rejected text is compared with the plain similarity: both are cosines of the whole message.
        blocked = self._rejected_similarity(index, m) > whole
        countered = self._countered(index, prob)
        eligible = (prob >= index.thresholds[None, :]) & ~blocked & ~countered
        return sim, prob, blocked, countered, eligible

    def tag(self, message_vectors: np.ndarray, sentences: Sentences | None = None) -> list[list[tuple[int, float]]]:
        """Per message, ``(argument_id, probability)`` of the arguments it is tagged with: at or above
        the argument's threshold, not closer to one of its rejected texts, no counter within the
        margin, the ``top_k`` most probable, best first."""
        index = self._index
        m = self._as_matrix(message_vectors)
        if not index.profiles:
            return [[] for _ in range(len(m))]
        _, prob, _, _, eligible = self._decide(index, m, sentences)
        out = []
        for row in range(len(m)):
            candidates = np.nonzero(eligible[row])[0]
            best = candidates[np.argsort(-prob[row, candidates], kind="stable")][: self.top_k]
            out.append([(index.profiles[i].argument_id, float(prob[row, i])) for i in best])
        return out

    def tag_texts(self, texts: Sequence[str]) -> list[list[tuple[int, float]]]:
        """Embed texts (and their sentences) and tag them; the embeddings are not kept."""
        return self.tag(*self.encode_messages(list(texts)))

    def explain(self, message_vector: np.ndarray) -> list[dict]:
        """Why a message got (or did not get) each tag: per argument, most probable first, the
        similarity to the claim (or title) and to each example and rejected text, the probability, the
        threshold, whether a rejected text or a counter-argument blocked it and whether it is tagged."""
        index = self._index
        m = self._as_matrix(message_vector)[:1]
        if not index.profiles:
            return []
        sim, prob, blocked, countered, _eligible = self._decide(index, m)
        tagged = {a for a, _ in self.tag(m)[0]}
        text_sims = (m @ index.vectors.T)[0]
        rejected_sims = (m @ index.rejected_vectors.T)[0] if len(index.rejected_owner) else []
        ends = np.r_[index.starts[1:], len(index.vectors)]
        out = []
        for position, profile in enumerate(index.profiles):
            start, end = int(index.starts[position]), int(ends[position])
            first_example = start + len(profile.reference_texts())
            rejected = [
                {"text": text, "similarity": float(rejected_sims[column])}
                for column, text in zip(np.nonzero(index.rejected_owner == position)[0], profile.rejected)
            ]
            out.append(
                {
                    "argument_id": profile.argument_id,
                    "claim": profile.claim,
                    "claim_similarity": float(text_sims[start:first_example].max()),
                    "examples": [
                        {"text": text, "similarity": float(s)}
                        for text, s in zip(profile.examples, text_sims[first_example:end])
                    ],
                    "rejected": rejected,
                    "similarity": float(sim[0, position]),
                    "probability": float(prob[0, position]),
                    "threshold": float(index.thresholds[position]),
                    "own_threshold": profile.threshold is not None,
                    "blocked_by_rejected": bool(blocked[0, position]),
                    "blocked_by_counter": bool(countered[0, position]),
                    "tagged": profile.argument_id in tagged,
                }
            )
        out.sort(key=lambda d: -d["probability"])
        return out
