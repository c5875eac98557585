"""How well tagging works on chat: the bundled sample export carries ground-truth argument labels.

The labels live in ``prompts/sample/build_sample.py`` beside the conversation they describe. The sample
was written around the catalogue, so these figures are a sanity check of the chat setting (short,
casual messages against claims plus example phrasings), not an independent benchmark: the held-out packs
of the corpus (``clio eval corpus``) and ArgKP are. Nothing is tuned on it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.core.config import Settings
from bot.engine.catalogue import all_arguments, load_catalogue
from bot.engine.embedding import argument_encoder, shared_embedder
from bot.engine.matcher import Matcher
from bot.tooling.evaluation.matching import argument_profiles, score_texts


@dataclass(frozen=True)
class LabelledMessage:
    text: str
    arguments: frozenset[str]


def labelled_sample() -> list[LabelledMessage]:
    from prompts.sample import build_sample as module

    _, rows = module.build()
    return [
        LabelledMessage(
            record["content"],
            frozenset(
                t
                for t in message.tags
                if ":" not in t and t.islower() and t not in (module.ABUSE, module.SPAM, module.BOT)
            ),
        )
        for _, message, record in rows
        if not record["author"]["isBot"]
    ]


def evaluate_sample(settings: Settings, thresholds: tuple[float, ...] = ()) -> dict:
    arguments = all_arguments(load_catalogue(settings.catalogue_dir))
    embedder = shared_embedder(settings.model_dir, threads=settings.threads, batch_size=settings.batch_size)
    matcher = Matcher.from_model_dir(embedder, settings.model_dir, top_k=settings.top_k)
    profiles = argument_profiles(arguments)
    messages = labelled_sample()
    vectors, sentences = matcher.encode_messages([m.text for m in messages])
    gold = [m.arguments for m in messages]
    shipped = matcher.calibration.default_threshold
    rows = []
    for threshold in sorted({shipped, *thresholds}):
        # The catalogue's vectors come from the process-wide cache: one embedding whatever the thresholds.
        probe = Matcher(
            argument_encoder(embedder), replace(matcher.calibration, default_threshold=threshold), top_k=settings.top_k
        )
        probe.index(profiles)
        scores = score_texts(probe, arguments, gold, vectors, sentences=sentences)
        rows.append(
            {
                "threshold": round(threshold, 4),
                "precision": scores.precision,
                "recall": scores.recall,
                "f1": scores.f1,
                "tagged": scores.tagged,
                "counter_pairs_tagged": scores.counter_pairs_tagged,
            }
        )
    return {
        "model_id": embedder.model_id,
        "messages": len(messages),
        "labelled": sum(1 for g in gold if g),
        "shipped_threshold": shipped,
        "rows": rows,
    }
