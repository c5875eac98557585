"""The project's matcher corpus: chat texts written for every catalogued argument, split by topic pack.

Each pack has a file in ``bot/training/corpus/`` (see its README). Texts are labelled with the catalogued
arguments they make; ``neighbour`` and ``opposite`` texts are near-misses *about* one argument (same actors,
or the other side) and make it not. Whole packs are held out: they select checkpoints and fit the
calibration, and are never trained on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

CORPUS_DIR = Path(__file__).resolve().parents[2] / "training" / "corpus"
HELD_OUT_PACKS = frozenset({"atomic-bombings", "british-empire", "medieval-myths"})
KINDS = ("paraphrase", "neighbour", "opposite", "multi", "off-topic")


class CorpusError(ValueError):
    """A corpus file that cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class CorpusText:
    pack: str
    kind: str
    text: str
    arguments: frozenset[str]
    about: str | None = None


def load_corpus_file(path: Path) -> list[CorpusText]:
    try:
        raw = yaml.safe_load(Path(path).read_text("utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CorpusError(f"{path}: cannot read ({exc})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("pack"), str) or not isinstance(raw.get("texts"), list):
        raise CorpusError(f"{path}: expected a mapping with 'pack' and a list of 'texts'")
    texts = []
    for index, entry in enumerate(raw["texts"]):
        where = f"{path}: texts[{index}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("text"), str) or not entry["text"].strip():
            raise CorpusError(f"{where}: needs a non-empty 'text'")
        if entry.get("kind") not in KINDS:
            raise CorpusError(f"{where}: kind must be one of {', '.join(KINDS)}")
        arguments = entry.get("arguments") or []
        if not isinstance(arguments, list) or not all(isinstance(a, str) for a in arguments):
            raise CorpusError(f"{where}: arguments must be a list of argument ids")
        texts.append(
            CorpusText(raw["pack"], entry["kind"], entry["text"].strip(), frozenset(arguments), entry.get("about"))
        )
    return texts


def load_corpus(folder: Path = CORPUS_DIR) -> list[CorpusText]:
    files = sorted(Path(folder).glob("*.yaml"))
    if not files:
        raise CorpusError(f"{folder}: no corpus files")
    return [text for path in files for text in load_corpus_file(path)]


def held_out(texts: Iterable[CorpusText], packs: Sequence[str] | frozenset[str] = HELD_OUT_PACKS) -> list[CorpusText]:
    return [t for t in texts if t.pack in packs]


def training_texts(texts: Iterable[CorpusText], held: frozenset[str] = HELD_OUT_PACKS) -> list[CorpusText]:
    return [t for t in texts if t.pack not in held]
