"""``clio train``: offline training pipelines (need the ``[train]`` extra: torch, transformers)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import click

# Not a bare `pip install torch`: on Linux that fetches the CUDA build, gigabytes Clio never uses.
TRAIN_EXTRA_HINT = (
    "training needs the [train] extra: install torch's CPU build (README, Training), then pip install -e '.[train]'"
)


def _require_training_stack() -> None:
    missing = [m for m in ("torch", "transformers", "onnx") if importlib.util.find_spec(m) is None]
    if missing:
        raise click.ClickException(f"{TRAIN_EXTRA_HINT} (missing: {', '.join(missing)})")


@click.group("train")
def train_group() -> None:
    """Train Clio's models (offline; needs torch)."""


@train_group.command("matcher")
@click.option(
    "--data",
    "data_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=Path("/work/shared/data/argkp"),
    show_default=True,
    help="ArgKP folder ({arguments,key_points,labels}_{train,dev}.csv).",
)
@click.option(
    "--output",
    "output_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Model folder written (default: bot/weights/matcher-v2).",
)
@click.option("--steps", type=click.IntRange(min=1), default=450, show_default=True)
@click.option(
    "--corrections",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Moderator corrections CSV: message,claim,label (1 match, 0 not).",
)
@click.option("--seed", type=int, default=13, show_default=True)
@click.option(
    "--work-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Scratch folder for the report (default: .work/train-matcher).",
)
def train_matcher(
    data_dir: Path, output_dir: Path | None, steps: int, corrections: Path | None, seed: int, work_dir: Path | None
) -> None:
    """Fine-tune all-MiniLM-L6-v2 on the project's corpus and ArgKP (+ corrections), select on the
    held-out packs, export the ONNX model with its calibration to the model folder."""
    _require_training_stack()
    import logging

    from bot.training import train_matcher as pipeline

    cfg = pipeline.TrainConfig(data_dir=data_dir, steps=steps, corrections=corrections, seed=seed)
    if output_dir is not None:
        cfg.output_dir = output_dir
    if work_dir is not None:
        cfg.work_dir = work_dir
    logging.getLogger().setLevel(logging.INFO)
    report = pipeline.train(cfg)
    scores = report["scores"]
    click.echo(
        f"shipped {report['model_id']} ({report['size_mb']} MB) to {cfg.output_dir}: held-out packs macro AP "
        f"{scores['corpus_full_ap']:.4f} (claims only {scores['corpus_claims_ap']:.4f}); ArgKP dev mAP "
        f"{scores['argkp_strict']:.4f} / {scores['argkp_relaxed']:.4f}"
    )


from bot.cli.moderation import train_abuse_command  # noqa: E402  (clio train abuse)

train_group.add_command(train_abuse_command)
