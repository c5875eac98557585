"""``clio eval sample``: tagging precision and recall on the bundled sample's ground-truth labels."""

from __future__ import annotations

import click

from bot.cli.common import emit_json, json_option
from bot.cli.matcher_commands import eval_group
from bot.core.config import get_settings
from bot.tooling.evaluation.sample_eval import evaluate_sample


@eval_group.command("sample")
@click.option(
    "--threshold",
    "thresholds",
    type=float,
    multiple=True,
    help="Also score at this probability threshold (repeatable).",
)
@json_option
def eval_sample_command(thresholds: tuple[float, ...], as_json: bool) -> None:
    """Chat-setting sanity check: tags on the sample export against its labels."""
    result = evaluate_sample(get_settings(), thresholds)
    if as_json:
        emit_json(result)
        return
    click.echo(
        f"model {result['model_id']}; sample: {result['messages']} messages, {result['labelled']} labelled"
        f" with a catalogue argument; shipped threshold {result['shipped_threshold']:.3f}"
    )
    for row in result["rows"]:
        click.echo(
            f"  threshold {row['threshold']:.3f}: precision {row['precision']:.3f}, recall {row['recall']:.3f},"
            f" F1 {row['f1']:.3f} ({row['tagged']} tags; {row['counter_pairs_tagged']} with an argument and its counter)"
        )
