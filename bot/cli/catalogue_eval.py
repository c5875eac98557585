"""``clio eval corpus`` and ``clio eval packs``: the matcher on the project's own labelled texts."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli.common import emit_json, json_option
from bot.cli.matcher_commands import eval_group, load_embedder, model_dir_option
from bot.core.config import get_settings


@eval_group.command("corpus")
@click.option(
    "--claims-only", is_flag=True, help="Represent each argument by its claim and title alone, without phrasings."
)
@model_dir_option
@json_option
def eval_corpus_command(claims_only: bool, model_dir: Path | None, as_json: bool) -> None:
    """Held-out topic packs of the corpus against the whole catalogue: macro AP, tag precision/recall."""
    from bot.tooling.evaluation.catalogue_eval import evaluate_corpus

    settings = get_settings()
    embedder, folder = load_embedder(model_dir)
    result = evaluate_corpus(embedder, folder, settings.catalogue_dir, claims_only=claims_only, top_k=settings.top_k)
    if as_json:
        emit_json(result)
        return
    click.echo(
        f"model {result['model_id']}; held-out packs {', '.join(result['packs'])}: {result['texts']} texts "
        f"against {result['arguments']} arguments{' (claims only)' if claims_only else ''}"
    )
    click.echo(f"macro AP {result['macro_ap']:.4f} over {result['arguments_scored']} arguments")
    click.echo(
        f"tags: precision {result['precision']:.4f}, recall {result['recall']:.4f}, F1 {result['f1']:.4f} "
        f"({result['tagged']} tags; {result['counter_pairs_tagged']} texts with an argument and its counter)"
    )
    for kind, row in result["by_kind"].items():
        click.echo(f"  {kind:10s} {row['texts']:4d} texts, {row['tagged']:4d} tagged, {row['wrong']:3d} wrong tags")
    click.echo("by length (words): precision, recall, wrong tags, mean best wrong-argument probability")
    for words, row in result["by_length"].items():
        click.echo(
            f"  {words:6s} {row['texts']:4d} texts: P {row['precision']}, R {row['recall']}, "
            f"{row['wrong_tags']} wrong, {row['mean_best_wrong_probability']}"
        )


@eval_group.command("packs")
@model_dir_option
@json_option
def eval_packs_command(model_dir: Path | None, as_json: bool) -> None:
    """Leave-one-out over every pack's own phrasings: each matched against the whole catalogue without it."""
    from bot.tooling.evaluation.catalogue_eval import evaluate_packs

    settings = get_settings()
    embedder, folder = load_embedder(model_dir)
    result = evaluate_packs(embedder, folder, settings.catalogue_dir, top_k=settings.top_k)
    if as_json:
        emit_json(result)
        return
    click.echo(f"model {result['model_id']}; threshold {result['threshold']:.3f}; leave-one-out over pack phrasings")
    click.echo(
        f"all packs: macro AP {result['macro_ap']:.4f}, precision {result['precision']:.4f}, "
        f"recall {result['recall']:.4f}"
    )
    for row in result["packs"]:
        click.echo(
            f"  {row['pack']:24s} {row['arguments']:3d} arguments {row['phrasings']:4d} phrasings: "
            f"macro AP {row['macro_ap']:.4f}, precision {row['precision']:.4f}, recall {row['recall']:.4f}"
        )
