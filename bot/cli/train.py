"""``clio train``: offline training pipelines (need the ``[train]`` extra: torch, transformers)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import click

TRAIN_EXTRA_HINT = (
    "training needs the [train] extra: pip install torch==2.13.0 && pip install -e '.[train]'"
)


def _require_training_stack() -> None:
    missing = [m for m in ("torch", "transformers", "onnx") if importlib.util.find_spec(m) is None]
    if missing:
        raise click.ClickException(f"{TRAIN_EXTRA_HINT} (missing: {', '.join(missing)})")


@click.group("train")
def train_group() -> None:
    """Train Clio's models (offline; needs torch)."""


@train_group.command("matcher")
@click.option("--data", "data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=Path("/work/shared/data/argkp"), show_default=True,
              help="ArgKP folder ({arguments,key_points,labels}_{train,dev}.csv).")
@click.option("--output", "output_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Model folder written (default: bot/weights/matcher-v2).")
@click.option("--epochs", type=click.FloatRange(min=0, min_open=True), default=2.0, show_default=True)
@click.option("--corrections", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Moderator corrections CSV: message,claim,label (1 match, 0 not).")
@click.option("--seed", type=int, default=13, show_default=True)
@click.option("--calibration-topics", type=click.IntRange(min=1), default=3, show_default=True,
              help="Train topics held out of training to fit the calibration.")
@click.option("--work-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Scratch folder for checkpoints and the report (default: .work/train-matcher).")
def train_matcher(data_dir: Path, output_dir: Path | None, epochs: float, corrections: Path | None,
                  seed: int, calibration_topics: int, work_dir: Path | None) -> None:
    """Fine-tune all-MiniLM-L6-v2 on ArgKP (+ corrections), select on dev, export int8 ONNX with
    its calibration to the model folder."""
    _require_training_stack()
    import logging

    from bot.training import train_matcher as pipeline

    cfg = pipeline.TrainConfig(data_dir=data_dir, epochs=epochs, corrections=corrections, seed=seed,
                                   calibration_topics=calibration_topics)
    if output_dir is not None:
        cfg.output_dir = output_dir
    if work_dir is not None:
        cfg.work_dir = work_dir
    logging.getLogger().setLevel(logging.INFO)
    report = pipeline.train(cfg)
    dev = report["dev"]
    click.echo(
        f"shipped {report['model_id']} ({report['size_mb']} MB) to {cfg.output_dir}: dev mAP strict "
        f"{dev['map_strict']:.4f}, relaxed {dev['map_relaxed']:.4f}; at threshold "
        f"{dev.get('threshold', float('nan')):.3f} precision {dev.get('precision', float('nan')):.3f}, "
        f"recall {dev.get('recall', float('nan')):.3f}"
    )


from bot.cli.moderation import train_abuse_command  # noqa: E402  (clio train abuse: needs only scikit-learn)
train_group.add_command(train_abuse_command)
