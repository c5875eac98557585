"""``clio eval corpus`` and ``clio eval packs``: the shipped matcher on the project's own labelled texts.

* corpus: the held-out packs' corpus texts (never trained on) against the whole catalogue; with
  ``claims_only`` every argument is represented by its claim and title alone, as a moderator's new
  argument without phrasings would be.
* packs: leave-one-out over the packs' own phrasings: each phrasing is matched against the whole
  catalogue with that line removed from its argument.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from bot.engine.catalogue import CatalogueArgument, all_arguments, load_catalogue
from bot.engine.embedding import CachedEncoder, Embedder, FunctionEncoder, argument_encoder
from bot.engine.matcher import Calibration, Matcher, relative_scores
from bot.tooling.evaluation.corpus import CORPUS_DIR, HELD_OUT_PACKS, CorpusText, held_out, load_corpus
from bot.tooling.evaluation.matching import argument_profiles, score_texts


@dataclass
class HeldOut:
    """The held-out packs' corpus texts, to be scored against the whole catalogue."""

    arguments: list[CatalogueArgument]
    texts: list[CorpusText]
    ap_arguments: list[str]  # the held-out packs' arguments: macro AP averages over these

    def scores(self, encode) -> dict[str, float]:
        """Macro AP of plain cosine matching (no calibration), with and without phrasings: what training
        selects checkpoints on."""
        encoder = CachedEncoder(FunctionEncoder(encode), max_entries=10**6)
        vectors = np.asarray(encode([t.text for t in self.texts]), dtype=np.float32)
        gold = [t.arguments for t in self.texts]
        out = {}
        for name, claims_only in (("full", False), ("claims", True)):
            matcher = Matcher(encoder, Calibration(1.0, 0.0, 0.5))
            matcher.index(argument_profiles(self.arguments, claims_only=claims_only))
            out[f"corpus_{name}_ap"] = score_texts(matcher, self.arguments, gold, vectors, self.ap_arguments).macro_ap
        return out


def held_out_set(catalogue_dir: Path, corpus_dir: Path = CORPUS_DIR) -> HeldOut:
    packs = load_catalogue(catalogue_dir)
    arguments = all_arguments(packs)
    held = {a.id for p in packs if p.pack in HELD_OUT_PACKS for a in p.arguments}
    return HeldOut(arguments, held_out(load_corpus(corpus_dir)), [a.id for a in arguments if a.id in held])


def evaluate_corpus(
    embedder: Embedder,
    model_dir: Path,
    catalogue_dir: Path,
    claims_only: bool = False,
    corpus_dir: Path = CORPUS_DIR,
    top_k: int = 3,
) -> dict:
    held = held_out_set(catalogue_dir, corpus_dir)
    arguments, texts = held.arguments, held.texts
    matcher = Matcher.from_model_dir(embedder, model_dir, top_k=top_k)
    matcher.index(argument_profiles(arguments, claims_only=claims_only))
    vectors, sentences = matcher.encode_messages([t.text for t in texts])
    overall = score_texts(matcher, arguments, [t.arguments for t in texts], vectors, held.ap_arguments, sentences)
    all_tags = matcher.tag(vectors, sentences)
    by_kind = {}
    for kind in sorted({t.kind for t in texts}):
        rows = [i for i, t in enumerate(texts) if t.kind == kind]
        tags = [all_tags[i] for i in rows]
        by_kind[kind] = {
            "texts": len(rows),
            "tagged": sum(1 for t in tags if t),
            "wrong": sum(1 for i, t in zip(rows, tags) for a, _ in t if arguments[a].id not in texts[i].arguments),
        }
    return {
        "model_id": embedder.model_id,
        "packs": sorted(HELD_OUT_PACKS),
        "claims_only": claims_only,
        "arguments": len(arguments),
        **overall.as_dict(),
        "by_kind": by_kind,
        "by_length": by_length(texts, [a.id for a in arguments], all_tags, matcher.probabilities(vectors, sentences)),
    }


# Word counts: a chat line, a short post, a long post.
LENGTH_BINS = ((1, 12), (13, 30), (31, None))


def by_length(
    texts: list[CorpusText],
    argument_ids: list[str],
    tags: list[list[tuple[int, float]]],
    probabilities: np.ndarray,
) -> dict[str, dict]:
    """Tags and scores by message length: a length bias shows as wrong arguments scoring higher, and
    precision falling, as texts get longer."""
    position = {argument_id: i for i, argument_id in enumerate(argument_ids)}
    out = {}
    for low, high in LENGTH_BINS:
        rows = [i for i, t in enumerate(texts) if low <= len(t.text.split()) <= (high or len(t.text.split()))]
        right = wrong = positives = 0
        best_wrong = []
        for i in rows:
            gold = {position[a] for a in texts[i].arguments if a in position}
            positives += len(gold)
            right += sum(1 for a, _ in tags[i] if a in gold)
            wrong += sum(1 for a, _ in tags[i] if a not in gold)
            best_wrong.append(float(np.delete(probabilities[i], sorted(gold)).max()))
        out[f"{low}-{high or ''}"] = {
            "texts": len(rows),
            "precision": round(right / (right + wrong), 4) if right + wrong else None,
            "recall": round(right / positives, 4) if positives else None,
            "wrong_tags": wrong,
            "mean_best_wrong_probability": round(float(np.mean(best_wrong)), 4) if best_wrong else None,
        }
    return out


def evaluate_packs(embedder: Embedder, model_dir: Path, catalogue_dir: Path, top_k: int = 3) -> dict:
    """Leave-one-out over every pack phrasing, per pack and overall."""
    packs = load_catalogue(catalogue_dir)
    arguments = all_arguments(packs)
    encoder = argument_encoder(embedder)
    shipped = Matcher.from_model_dir(encoder, model_dir, top_k=top_k)
    plain = replace(shipped.calibration, competitor_weight=0.0)
    matcher = Matcher(encoder, plain, top_k=top_k)
    matcher.index(argument_profiles(arguments))
    phrasings = [(position, example) for position, a in enumerate(arguments) for example in a.examples]
    vectors = embedder.encode([text for _, text in phrasings])
    # One index per argument with that argument's phrasing removed would be slow; instead, take the plain
    # similarities of the full index, recompute only the own-argument column without the line itself,
    # then score them relative to the competitors as the shipped matcher does.
    similarity = matcher.similarity(vectors)
    own = np.array([position for position, _ in phrasings])
    for row, (position, text) in enumerate(phrasings):
        probe = Matcher(encoder, plain, top_k=top_k)
        probe.index([argument_profiles(arguments, skip_examples=frozenset({text}))[position]])
        similarity[row, position] = probe.similarity(vectors[row])[0, 0]
    probabilities = shipped.calibration.probability(relative_scores(similarity, shipped.calibration.competitor_weight))
    gold = np.zeros_like(probabilities, dtype=np.int8)
    gold[np.arange(len(own)), own] = 1
    return _loo_report(embedder.model_id, packs, arguments, probabilities, gold, matcher, top_k)


def _loo_scores(probabilities: np.ndarray, gold: np.ndarray, columns: list[int], threshold: float, top_k: int) -> dict:
    """Macro AP over ``columns``, and precision/recall of top-k tags at the threshold for the phrasings
    whose argument is among them."""
    from bot.tooling.evaluation.kpa import average_precision

    rows = gold[:, columns].any(axis=1)
    top = np.argsort(-probabilities[rows], axis=1)[:, :top_k]
    tagged = np.take_along_axis(probabilities[rows], top, axis=1) >= threshold
    correct = np.take_along_axis(gold[rows], top, axis=1).astype(bool) & tagged
    return {
        "phrasings": int(rows.sum()),
        "macro_ap": float(np.mean([average_precision(gold[:, j], probabilities[:, j]) for j in columns])),
        "precision": float(correct.sum() / tagged.sum()) if tagged.sum() else 0.0,
        "recall": float(correct.sum() / rows.sum()) if rows.sum() else 0.0,
    }


def _loo_report(model_id, packs, arguments, probabilities, gold, matcher, top_k) -> dict:
    threshold = matcher.calibration.default_threshold
    position = {a.id: i for i, a in enumerate(arguments)}
    rows = [
        {
            "pack": pack.pack,
            "arguments": len(pack.arguments),
            **_loo_scores(probabilities, gold, [position[a.id] for a in pack.arguments], threshold, top_k),
        }
        for pack in packs
    ]
    overall = _loo_scores(probabilities, gold, list(range(len(arguments))), threshold, top_k)
    return {
        "model_id": model_id,
        "threshold": threshold,
        "macro_ap": overall["macro_ap"],
        "precision": overall["precision"],
        "recall": overall["recall"],
        "packs": rows,
    }
