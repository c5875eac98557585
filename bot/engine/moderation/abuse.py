"""The abuse flagger: the fine-tuned classifier's score (:mod:`bot.engine.moderation.abuse_model`) decides;
a few lexical cues explain it to moderators, and tell swearing aimed at nobody apart for servers that do
not want it flagged (``GuildConfig.flag_bare_swearing``).

The score is computed before the flaggers run (``ModerationService.score_abuse``, off the event loop in
the bot), so checking a message here is cheap.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from bot.core.guild_config import GuildConfig
from bot.engine.moderation.abuse_model import AbuseModel
from bot.engine.moderation.flaggers import Flag, MessageContext

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


class AbuseFlagger:
    """Insults, threats, harassment and hate, scored by the classifier; the lexical cues explain the score."""

    name = "abuse"

    def __init__(self, model: AbuseModel | None) -> None:
        self.model = model

    def check(self, ctx: MessageContext, config: GuildConfig) -> Flag | None:
        if self.model is None or ctx.abuse_score is None or not ctx.text.strip():
            return None
        score = ctx.abuse_score
        threshold = config.abuse_threshold if config.abuse_threshold is not None else self.model.threshold
        cues = cues_in(ctx.text)
        if is_bare_swearing(cues) and not config.flag_bare_swearing:
            return Flag(self.name, score, False, "swearing aimed at nobody, which this server does not flag")
        return Flag(self.name, score, score >= threshold, explain(score, threshold, cues))


def is_bare_swearing(cues: Sequence[str]) -> bool:
    """Profanity with no target, threat or harassment cue."""
    return list(cues) == ["profanity"]


def flag_decisions(
    texts: Sequence[str], scores: np.ndarray, threshold: float, flag_bare_swearing: bool = True
) -> np.ndarray:
    """What the flagger decides for each scored text (for evaluations, which score in bulk)."""
    return np.array(
        [s >= threshold and (flag_bare_swearing or not is_bare_swearing(cues_in(t))) for t, s in zip(texts, scores)],
        dtype=bool,
    )


def explain(score: float, threshold: float, cues: Sequence[str]) -> str:
    if score < threshold:
        return f"below the abuse threshold (model score {score:.2f} < {threshold:.2f})"
    if not cues:
        evidence = "model score only, no lexical cue"
    elif is_bare_swearing(cues):
        evidence = "profanity only, aimed at nobody"
    else:
        evidence = ", ".join(cues)
    return f"abusive language (model score {score:.2f} >= {threshold:.2f}): {evidence}"
