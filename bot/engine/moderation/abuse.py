"""The abuse head: a logistic regression over the message embedding plus a few lexical cues.

The embedding is computed anyway at ingest, so scoring is a dot product (the loader also takes a small
dense network, should a retrain ever need one). The weights were
fitted on one embedding model's vectors and mean nothing on another's: :meth:`AbuseModel.for_embedder`
refuses a mismatch (the flagger is then disabled, with a warning) instead of scoring garbage.
Trained by :mod:`bot.training.train_abuse` (``clio train abuse``); figures in the weights' README.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.core.config import PACKAGE_ROOT
from bot.core.guild_config import GuildConfig
from bot.engine.moderation.flaggers import Flag, MessageContext

log = logging.getLogger(__name__)

DEFAULT_WEIGHTS_DIR = PACKAGE_ROOT / "weights" / "abuse-v1"
META_FILE, ARRAYS_FILE = "abuse.json", "abuse.npz"
FORMAT_VERSION = 1

_INSULT = (
    r"idiots?|morons?|stupid|dumb|dumbass|imbeciles?|retard(?:ed|s)?|losers?|pathetic|worthless|useless|ugly|"
    r"fat|bitch(?:es)?|whores?|sluts?|cunts?|dicks?|dickheads?|assholes?|arseholes?|bastards?|pricks?|twats?|"
    r"wankers?|douche(?:bag)?s?|jerks?|scum(?:bag)?s?|trash|garbage|clowns?|fools?|creeps?|freaks?|pigs?|"
    r"perverts?|psychos?|cowards?|hoes?|shitheads?|dipshits?|cretins?|brainless|brain-?dead|piece of (?:shit|crap)"
)
_FILLER = r"(?:(?:such|a|an|so|the|one|really|just|fucking|fuckin|freaking|bloody|damn|little|big|total|complete|absolute|utter|stupid|dumb|ugly|fat|pathetic)\s+){0,4}"
_YOU = r"(?:you|u|ya|yo|thou)"
_HARM = r"kill|murder|hurt|shoot|stab|rape|beat|strangle|choke|hang|find|break|burn|slit|punch|smash|gut|behead|lynch"

# Ordered most to least serious: the first that fires leads the reason.
CUE_PATTERNS: dict[str, str] = {
    "threat": (
        rf"\b(?:i|we)\s*(?:'ll|’ll|\s+will|\s+am going to|'m going to|’m going to|'m gonna|\s+am gonna|m gonna|\s+gonna|\s+wanna|\s+want to|\s+shall)\s+(?:\w+\s+){{0,2}}?(?:{_HARM})\s+{_YOU}\b"
        rf"|\b(?:kill|hang|shoot|off)\s+(?:yourself|yourselves|urself|ur self)\b|\bkys\b"
        rf"|\bhope\s+{_YOU}\s+(?:die|get (?:killed|raped|shot|cancer)|rot|burn|suffer|choke)\b"
        rf"|\b{_YOU}\s+(?:should|deserve to|need to|are going to|'re going to|’re going to|will|gonna)\s+(?:die|be (?:killed|shot|hanged|raped|gassed)|suffer|burn)\b"
        rf"|\b(?:know|find out|found out|find|get) where {_YOU} live\b|\bwatch your back\b|\b{_YOU}(?:'re| are| r)\s+(?:dead meat|so dead|a dead (?:man|woman))\b"
    ),
    "second-person insult": (
        rf"\b{_YOU}\s*(?:'re|’re|re|\s+are|\s+r|\s+is|\s+look like|\s+sound like)?\s+{_FILLER}(?:{_INSULT})\b"
        rf"|\b(?:ur|your|you're|youre)\s+{_FILLER}(?:{_INSULT})\b"
    ),
    "directed profanity": (
        rf"\b(?:fuck|f\*+k|fck|fuk|screw|bugger|damn)\s+(?:{_YOU}|off|yourself|urself)\b|\bgo to hell\b"
        rf"|\bshut (?:up|the fuck up|your (?:mouth|face|trap|hole))\b|\bstfu\b|\bgtfo\b|\bpiss off\b|\beat shit\b|\bsuck my\b"
    ),
    "sexual harassment": (
        rf"\b(?:send|show)\s+(?:me\s+)?(?:nudes|your (?:tits|boobs|pussy|ass|body|dick|cock|nipples))\b"
        rf"|\b(?:suck|lick|blow|ride|fuck|touch)\s+(?:my|me)\b"
        rf"|\b(?:your|ur)\s+(?:tits|boobs|pussy|ass|dick|cock|nipples)\b"
        rf"|\b(?:are|r)\s+{_YOU}\s+(?:horny|wet|naked|sexy|a virgin)\b"
        rf"|\b(?:wanna|want to|let's|lets)\s+(?:fuck|have sex|bang)\b|\bsex with (?:you|u|me)\b"
    ),
    "profanity": (
        r"\b(?:fuck\w*|f\*+k\w*|fck\w*|motherfuck\w*|shit\w*|bullshit|cunts?|bitch\w*|assholes?|arseholes?|"
        r"dicks?|dickheads?|cocks?|cocksuckers?|piss(?:ed)?|twats?|wank\w*|bollocks|wtf)\b"
    ),
}
CUES = tuple(CUE_PATTERNS)
# Bare profanity is reported to moderators but not fed to the head: on ConvAbuse nearly every swear is
# aimed at the bot, so as a feature it would teach "swearing = abuse".
FEATURE_CUES = tuple(name for name in CUES if name != "profanity")
_COMPILED = [re.compile(pattern, re.IGNORECASE) for pattern in CUE_PATTERNS.values()]
_STRETCHED = re.compile(r"(\w)\1{2,}")


def normalize_for_cues(text: str) -> str:
    # "stuuupid" and "fuuuck" are spelled that way on purpose; collapse the stretch.
    return _STRETCHED.sub(r"\1", text.lower().replace("’", "'"))


def cues_in(text: str) -> list[str]:
    """The lexical cues a text fires, most serious first."""
    normalized = normalize_for_cues(text)
    return [name for name, pattern in zip(CUES, _COMPILED) if pattern.search(normalized)]


def cue_matrix(texts: Sequence[str], cues: Sequence[str] = CUES) -> np.ndarray:
    patterns = [_COMPILED[CUES.index(name)] for name in cues]
    out = np.zeros((len(texts), len(patterns)), dtype=np.float32)
    for row, text in enumerate(texts):
        normalized = normalize_for_cues(text)
        for col, pattern in enumerate(patterns):
            if pattern.search(normalized):
                out[row, col] = 1.0
    return out


def head_features(vectors: np.ndarray, texts: Sequence[str], cues: Sequence[str] = FEATURE_CUES) -> np.ndarray:
    """What the head sees: the embedding, then one 0/1 column per cue."""
    return np.hstack([np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1), cue_matrix(texts, cues)])


@dataclass(frozen=True)
class AbuseModel:
    embedder_model_id: str
    threshold: float
    # Dense layers: ReLU between them, a sigmoid on the single output.
    layers: tuple[tuple[np.ndarray, np.ndarray], ...]
    cues: tuple[str, ...] = FEATURE_CUES

    @property
    def dimensions(self) -> int:
        return self.layers[0][0].shape[0] - len(self.cues)

    def score(self, vectors: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        """Probability of abuse for each (vector, text) pair, batched."""
        if len(texts) == 0:
            return np.zeros(0, dtype=np.float32)
        hidden = head_features(vectors, texts, self.cues)
        for index, (weights, bias) in enumerate(self.layers):
            hidden = hidden @ weights + bias
            if index < len(self.layers) - 1:
                hidden = np.maximum(hidden, 0.0)
        return (1.0 / (1.0 + np.exp(-hidden[:, 0]))).astype(np.float32)

    def save(self, folder: Path, extra: dict | None = None) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        arrays = {}
        for index, (weights, bias) in enumerate(self.layers):
            arrays[f"w{index}"], arrays[f"b{index}"] = weights.astype(np.float32), bias.astype(np.float32)
        np.savez_compressed(folder / ARRAYS_FILE, **arrays)
        meta = {
            "format": FORMAT_VERSION,
            "embedder_model_id": self.embedder_model_id,
            "dimensions": self.dimensions,
            "cues": list(self.cues),
            "layers": len(self.layers),
            "threshold": round(float(self.threshold), 4),
            **(extra or {}),
        }
        (folder / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", "utf-8")

    @classmethod
    def load(cls, folder: Path = DEFAULT_WEIGHTS_DIR) -> AbuseModel:
        folder = Path(folder)
        meta = json.loads((folder / META_FILE).read_text("utf-8"))
        if meta.get("format") != FORMAT_VERSION:
            raise ValueError(f"{folder / META_FILE}: unsupported format {meta.get('format')}")
        unknown = set(meta["cues"]) - set(CUES)
        if unknown:
            raise ValueError(f"{folder}: trained with cues {sorted(unknown)} this code does not know; retrain")
        with np.load(folder / ARRAYS_FILE) as arrays:
            layers = tuple((arrays[f"w{i}"], arrays[f"b{i}"]) for i in range(meta["layers"]))
        return cls(meta["embedder_model_id"], float(meta["threshold"]), layers, tuple(meta["cues"]))

    @classmethod
    def for_embedder(cls, model_id: str, folder: Path = DEFAULT_WEIGHTS_DIR) -> AbuseModel | None:
        """The shipped head if it was trained on this embedder's vectors; otherwise None, with a warning."""
        try:
            model = cls.load(folder)
        except (OSError, ValueError, KeyError) as exc:
            log.warning("abuse flagger disabled: cannot load weights from %s (%s)", folder, exc)
            return None
        if model.embedder_model_id != model_id:
            log.warning(
                "abuse flagger disabled: weights in %s were trained on embedder %r but the bot runs %r; "
                "retrain with `clio train abuse`",
                folder,
                model.embedder_model_id,
                model_id,
            )
            return None
        return model


class AbuseFlagger:
    """Insults, threats, harassment and hate, scored by the head; the lexical cues explain the score."""

    name = "abuse"

    def __init__(self, model: AbuseModel | None) -> None:
        self.model = model

    def check(self, ctx: MessageContext, config: GuildConfig) -> Flag | None:
        if self.model is None or ctx.vector is None or not ctx.text.strip():
            return None
        score = float(self.model.score(np.asarray(ctx.vector)[None, :], [ctx.text])[0])
        threshold = config.abuse_threshold if config.abuse_threshold is not None else self.model.threshold
        cues = cues_in(ctx.text)
        if cues == ["profanity"]:
            # Swearing with no target or threat is a weak signal: it must clear a stricter bar.
            threshold = (threshold + 1.0) / 2
        return Flag(self.name, score, score >= threshold, explain(score, threshold, cues))


def explain(score: float, threshold: float, cues: Sequence[str]) -> str:
    if score < threshold:
        return f"below the abuse threshold (model score {score:.2f} < {threshold:.2f})"
    if not cues:
        evidence = "model score only, no lexical cue"
    elif cues == ["profanity"]:
        evidence = "profanity only, which alone is a weak signal"
    else:
        evidence = ", ".join(cues)
    return f"abusive language (model score {score:.2f} >= {threshold:.2f}): {evidence}"
