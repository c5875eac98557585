"""``clio eval kpa`` (key-point matching benchmark) and ``clio match`` (score messages against claims)."""

from __future__ import annotations

import csv
from pathlib import Path

import click

from bot.cli.common import emit_json, json_option, point_at, progress
from bot.core.config import get_settings


def load_embedder(model_dir: Path | None):
    from bot.engine.embedding import Embedder, ModelNotFound

    settings = get_settings()
    folder = Path(model_dir) if model_dir else settings.model_dir
    try:
        return Embedder(folder, threads=settings.threads, batch_size=settings.batch_size), folder
    except ModelNotFound as exc:
        raise click.ClickException(f"{exc}: {point_at('model_dir', '--model-dir' if model_dir else None)}") from None


def _load_calibration(folder: Path):
    from bot.engine.matcher import Calibration

    path = folder / "calibration.json"
    return Calibration.load(path) if path.is_file() else None


model_dir_option = click.option(
    "--model-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Model folder (default: CLIO_MODEL_DIR, else the shipped matcher).",
)


@click.group("eval")
def eval_group() -> None:
    """Benchmarks of Clio's models."""


@eval_group.command("kpa")
@click.argument("data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--split", default="dev", show_default=True, help="Which split to score (train, dev).")
@click.option("--topic-prefix", is_flag=True, help="Prefix every text with its debate topic.")
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write a reliability diagram (PNG) of the calibrated probabilities.",
)
@model_dir_option
@json_option
def eval_kpa(
    data_dir: Path, split: str, topic_prefix: bool, plot: Path | None, model_dir: Path | None, as_json: bool
) -> None:
    """ArgKP key-point matching (KPA-2021 Track 1): mAP strict/relaxed, and precision, recall and
    F1 of the labelled pairs at the model's shipped threshold."""
    from bot.tooling.evaluation import kpa

    if split == "test":
        raise click.ClickException("the test split is kept out of Clio's development: use dev")
    try:
        data = kpa.load_split(data_dir, split)
    except kpa.KpaDataError as exc:
        raise click.ClickException(str(exc)) from exc
    embedder, folder = load_embedder(model_dir)
    calibration = _load_calibration(folder)
    sim = kpa.pair_similarities(data, embedder.encode, with_topic=topic_prefix)
    # mAP ranks the model's plain cosines; precision and recall are of the matcher's decisions, whose
    # calibrated scores are relative to each argument's other candidate key points.
    scored = kpa.relative_pair_scores(data, sim, calibration.competitor_weight) if calibration else sim
    report = kpa.evaluate(
        data,
        sim,
        split,
        (lambda _: calibration.probability(scored)) if calibration else None,
        calibration.default_threshold if calibration else None,
    )
    payload = report.as_dict()
    payload.update(model_id=embedder.model_id, text_prefix=embedder.info.text_prefix, topic_prefix=topic_prefix)
    if plot is not None:
        if calibration is None:
            raise click.ClickException(f"{folder} has no calibration.json: nothing to plot")
        bins = kpa.reliability_bins(data.pair_labels(), calibration.probability(scored))
        _reliability_plot(bins, plot, f"{embedder.model_id} on ArgKP {split}")
        payload["plot"] = str(plot)
    if as_json:
        emit_json(payload)
        return
    click.echo(
        f"model {embedder.model_id}; ArgKP {split}: {report.pairs} candidate pairs, "
        f"{report.labelled} labelled{'; topic prefix' if topic_prefix else ''}"
    )
    click.echo(
        f"leaderboard scorer (June 2021):             mAP strict {report.strict:.4f}, relaxed {report.relaxed:.4f}"
    )
    click.echo(
        "official repository scorer (September 2021): "
        f"mAP strict {report.strict_weighted:.4f}, relaxed {report.relaxed_weighted:.4f}"
    )
    if report.prf is not None:
        p = report.prf
        click.echo(
            f"at threshold {p.threshold:.3f}: precision {p.precision:.4f}, recall {p.recall:.4f}, "
            f"F1 {p.f1:.4f} ({p.tagged} tagged, {p.positives} positive)"
        )
    else:
        click.echo("no calibration.json: precision/recall not computed")
    if plot is not None:
        click.echo(f"reliability diagram: {plot}")


def _reliability_plot(bins, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect calibration")
    if bins:
        ax.plot([b[1] for b in bins], [b[2] for b in bins], marker="o", label="model")
        for _, mean_p, rate, count in bins:
            ax.annotate(str(count), (mean_p, rate), textcoords="offset points", xytext=(4, -10), fontsize=7)
    ax.set_xlabel("predicted probability of match (bin mean)")
    ax.set_ylabel("observed match rate")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_title(title, fontsize=9)
    ax.legend(loc="upper left")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


# --- clio match ----------------------------------------------------------------------------------


def _read_rows(path: Path, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise click.ClickException(f"{path}: cannot open ({exc.strerror})") from exc
    with handle:
        reader = csv.DictReader(handle)
        try:
            header = reader.fieldnames or []
            missing = [c for c in required if c not in header]
            if missing:
                raise click.ClickException(
                    f"{path}, row 1: missing column(s) {', '.join(missing)} (found: {', '.join(header) or 'nothing'})"
                )
            rows = []
            for row in reader:
                line = reader.line_num
                if None in row or any(row.get(c) is None for c in required):
                    raise click.ClickException(
                        f"{path}, row {line}: expected {len(header)} columns, got "
                        f"{len(header) + len(row.get(None) or []) if None in row else sum(v is not None for v in row.values())}"
                    )
                rows.append((line, row))
        except csv.Error as exc:
            raise click.ClickException(f"{path}, row {reader.line_num}: {exc}") from exc
        except UnicodeDecodeError as exc:
            raise click.ClickException(f"{path}: not UTF-8 text ({exc.reason})") from exc
    return rows


def _read_claims(path: Path):
    from bot.engine.matcher import ArgumentProfile

    profiles, ids, seen = [], [], set()
    for line, row in _read_rows(path, ("claim_id", "claim")):
        claim_id, claim = row["claim_id"].strip(), row["claim"].strip()
        if not claim_id:
            raise click.ClickException(f"{path}, row {line}, column claim_id: empty")
        if claim_id in seen:
            raise click.ClickException(f"{path}, row {line}, column claim_id: duplicate {claim_id!r}")
        if not claim:
            raise click.ClickException(f"{path}, row {line}, column claim: empty")
        seen.add(claim_id)
        examples = tuple(e.strip() for e in (row.get("examples") or "").split(" | ") if e.strip())
        profiles.append(ArgumentProfile(len(ids), claim, examples, title=(row.get("title") or "").strip()))
        ids.append(claim_id)
    if not profiles:
        raise click.ClickException(f"{path}: no claims")
    return profiles, ids


def _read_messages(path: Path) -> tuple[list[str], list[str]]:
    ids, texts, seen = [], [], set()
    for line, row in _read_rows(path, ("message_id", "text")):
        message_id = row["message_id"].strip()
        if not message_id:
            raise click.ClickException(f"{path}, row {line}, column message_id: empty")
        if message_id in seen:
            raise click.ClickException(f"{path}, row {line}, column message_id: duplicate {message_id!r}")
        seen.add(message_id)
        ids.append(message_id)
        texts.append(row["text"])
    return ids, texts


@click.command("match")
@click.option(
    "--claims",
    "claims_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV: claim_id,claim[,title][,examples] (examples separated by ' | ').",
)
@click.option(
    "--messages",
    "messages_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV: message_id,text.",
)
@click.option(
    "--output",
    "output_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV written: message_id,claim_id,score,tagged.",
)
@click.option("--top-k", type=click.IntRange(min=1), default=None, help="Tags kept per message (default: CLIO_TOP_K).")
@model_dir_option
def match(claims_path: Path, messages_path: Path, output_path: Path, top_k: int | None, model_dir: Path | None) -> None:
    """Score every message against every claim. ``score`` is the calibrated probability of match;
    ``tagged`` is 1 where Clio would tag the message with the claim (above threshold, within top-k)."""
    from bot.engine.matcher import Matcher

    profiles, claim_ids = _read_claims(claims_path)
    message_ids, texts = _read_messages(messages_path)
    embedder, folder = load_embedder(model_dir)
    try:
        matcher = Matcher.from_model_dir(embedder, folder, top_k=top_k or get_settings().top_k)
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from exc
    matcher.index(profiles)

    chunk = max(1, embedder.batch_size) * 4
    output_path.parent.mkdir(parents=True, exist_ok=True)
    with (
        output_path.open("w", newline="", encoding="utf-8") as handle,
        progress(total=len(texts), desc="matching") as bar,
    ):
        writer = csv.writer(handle)
        writer.writerow(["message_id", "claim_id", "score", "tagged"])
        for start in range(0, len(texts), chunk):
            vectors, sentences = matcher.encode_messages(texts[start : start + chunk])
            probabilities = matcher.probabilities(vectors, sentences)
            tags = matcher.tag(vectors, sentences)
            for row, message_id in enumerate(message_ids[start : start + chunk]):
                tagged = {argument_id for argument_id, _ in tags[row]}
                for argument_id, claim_id in enumerate(claim_ids):
                    writer.writerow(
                        [
                            message_id,
                            claim_id,
                            f"{probabilities[row, argument_id]:.4f}",
                            int(argument_id in tagged),
                        ]
                    )
            bar.update(len(vectors))
    click.echo(f"scored {len(texts)} messages x {len(claim_ids)} claims -> {output_path}", err=True)


from bot.cli.moderation import eval_abuse_command  # noqa: E402

eval_group.add_command(eval_abuse_command)
