"""Fine-tune a transformer on labelled sentences and save a self-describing sourcetag model.

The trainer knows the model only through transformers' sequence-classification interface; inputs come
from :mod:`sourcetag.model.features`, metrics from :mod:`sourcetag.eval`, so training, evaluation and
prediction read sentences the same way.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch

from .. import __version__
from ..eval.calibration import fit_temperature
from ..eval.metrics import classification_metrics
from ..model.errors import OutputError
from ..model.features import InputSpec
from ..model.labels import ID2LABEL, LABEL2ID, LABELS
from ..model.lexicon import compile_lexicon, read_lexicon_text
from ..model.paths import (
    METADATA_FILE,
    OUTPUT_MARKER,
    record_written,
    remove_written,
    resolve_base_model,
    set_default_model,
    written_entries,
)
from ..model.records import check_parents, sha256_file
from ..model.tagger import batched_logits, resolve_device, resolve_precision, softmax, torch_forward
from .card import write_model_card
from .config import DataArguments, ModelArguments, TrainArguments, config_dict
from .data import LengthBucketedBatchOrder, class_weights, encode_rows, label_counts, load_splits

OutputDirError = OutputError
"""The earlier name of :class:`~sourcetag.model.errors.OutputError`, kept for code that catches it."""


def check_output_dir(args: TrainArguments) -> tuple[Path, str | None]:
    """The output directory and the checkpoint to resume from, checked before anything is written or deleted.

    A fresh run needs an empty or missing directory, or with ``--force`` one that sourcetag wrote (it carries
    :data:`OUTPUT_MARKER`). ``--resume-from last`` needs such a directory with a checkpoint in it.
    """
    out = Path(args.output_dir)
    check_parents(out)
    ours = written_entries(out) is not None
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out} exists and is not a directory")
    empty = not out.exists() or not any(out.iterdir())
    if args.resume_from == "last":
        if not ours:
            raise OutputError(f"{out} is not a sourcetag training directory (no {OUTPUT_MARKER}); "
                              "nothing to resume there")
        return out, _last_checkpoint(out)
    if args.resume_from:
        if not is_complete_checkpoint(Path(args.resume_from)):
            raise OutputError(f"{args.resume_from}: not a complete checkpoint to resume from")
        if not (empty or ours):
            raise OutputError(f"{out} is not empty and not a sourcetag training directory; refusing to write into it")
        return out, args.resume_from
    if not empty:
        if not args.force:
            raise OutputError(f"{out} exists and is not empty; refusing to write into it", option="force")
        if not ours:
            raise OutputError(f"{out} was not written by sourcetag train (no {OUTPUT_MARKER}); refusing to delete "
                              "anything in it even when forced")
    return out, None


def prepare_output_dir(args: TrainArguments) -> Path:
    """Check the output directory (:func:`check_output_dir`), clear what an earlier run wrote there with
    ``--force`` (only the entries its marker lists) and create it with a fresh marker."""
    out, _ = check_output_dir(args)
    if not args.resume_from:
        remove_written(out)
    out.mkdir(parents=True, exist_ok=True)
    record_written(out, create=True)
    return out


def is_complete_checkpoint(path: Path) -> bool:
    """Whether a Trainer checkpoint was written to the end. The Trainer writes ``trainer_state.json`` after the
    weights, optimizer and RNG states, so one without it (or with half of it) was cut short, the run killed while
    saving, and cannot be resumed from."""
    try:
        json.loads((path / "trainer_state.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return True


def complete_checkpoints(out: Path) -> list[Path]:
    """The complete checkpoints in ``OUT/checkpoints`` (:func:`is_complete_checkpoint`), oldest first."""
    found = [p for p in (out / "checkpoints").glob("checkpoint-*")
             if p.name.split("-")[-1].isdigit() and is_complete_checkpoint(p)]
    return sorted(found, key=lambda p: int(p.name.split("-")[-1]))


def _last_checkpoint(out: Path) -> str:
    ckpts = complete_checkpoints(out)
    if not ckpts:
        raise OutputError(f"{out / 'checkpoints'}: no complete checkpoint to resume from")
    return str(ckpts[-1])


def label_warnings(rows) -> list[str]:
    """What a user must know about the labels of the training rows: labels the model can never learn."""
    counts = label_counts(rows)
    missing = [name for name, n in counts.items() if n == 0]
    present = [name for name, n in counts.items() if n]
    if len(present) == 1:
        return [f"the training data has only one label ({present[0]}): the model will give it to every sentence and "
                f"can never predict {', '.join(missing)}"]
    if missing:
        return [f"no training sentences labelled {', '.join(missing)}: the model cannot learn to predict "
                f"{'it' if len(missing) == 1 else 'them'}"]
    return []


def _dev_line(metrics: dict, epoch: float | None) -> str:
    per = " ".join(
        f"{name.split('_')[0]} {metrics.get(f'eval_f1_{name}', float('nan')):.3f}" for name in LABELS
    )
    return (f"epoch {epoch:.2f} | dev loss {metrics.get('eval_loss', float('nan')):.4f} | "
            f"macro-F1 {metrics.get('eval_macro_f1', float('nan')):.4f} | F1 {per}")


def compute_metrics(eval_pred) -> dict:
    """Dev metrics for the Trainer, computed by the same metric module as ``sourcetag evaluate``."""
    logits, labels = eval_pred.predictions, eval_pred.label_ids
    if isinstance(logits, tuple):
        logits = logits[0]
    m = classification_metrics(labels, np.asarray(logits).argmax(-1), LABELS)
    out = {"macro_f1": m["macro_f1"], "accuracy": m["accuracy"]}
    out.update({f"f1_{name}": v["f1"] for name, v in m["per_label"].items()})
    return out


def train(model_args: ModelArguments, data_args: DataArguments, train_args: TrainArguments,
          command_line: list[str] | None = None, log=print) -> dict:
    """Train, calibrate, evaluate on dev (and test when present) and save. Returns the run summary."""
    from datasets import Dataset
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, set_seed

    started = time.time()
    out, resume = check_output_dir(train_args)  # before anything is read, written or deleted
    if train_args.threads:
        torch.set_num_threads(train_args.threads)
    splits, files = load_splits(data_args, train_args.seed)
    notes = label_warnings(splits["train"])
    for note in notes:
        warnings.warn(note, UserWarning, stacklevel=2)
    device = resolve_device(train_args.device)
    precision = resolve_precision(train_args.precision, device)
    spec = InputSpec(context_window=model_args.context_window, official_hint=model_args.official_hint,
                     max_length=model_args.max_length)
    lexicon_text = read_lexicon_text(model_args.official_lexicon)
    lexicon = compile_lexicon(lexicon_text)
    log(f"data: train {len(splits['train'])} / dev {len(splits['dev'])} / test {len(splits['test'])} sentences; "
        f"device {device}, precision {precision}")

    set_seed(train_args.seed)
    base = resolve_base_model(model_args.base_model)
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForSequenceClassification.from_pretrained(
        base, num_labels=len(LABELS), id2label=dict(ID2LABEL), label2id=dict(LABEL2ID)
    )
    datasets = {name: Dataset.from_dict(encode_rows(
                    rows, tokenizer, spec, lexicon, augment=data_args.augment_official if name == "train" else 0.0,
                    seed=train_args.seed))
                for name, rows in splits.items() if rows}
    if data_args.augment_official:
        log(f"augmentation: {len(datasets['train']) - len(splits['train'])} source-swapped training sentences added")

    # Everything that can fail on bad data, options or base model has run: only now is an earlier model replaced.
    created = not out.exists()
    out = prepare_output_dir(train_args)
    try:
        return _fit_and_save(out, resume, model, tokenizer, datasets, splits, files, spec, lexicon_text, base, device,
                             precision, started, model_args, data_args, train_args, command_line, log, notes)
    except BaseException:
        _discard_failed_run(out, created)
        raise


def _discard_failed_run(out: Path, created: bool) -> None:
    """After a failure, remove what the run wrote unless a checkpoint is there to resume from."""
    if list((out / "checkpoints").glob("checkpoint-*")):
        return
    remove_written(out)
    if created and not any(out.iterdir()):
        out.rmdir()


def _fit_and_save(out, resume, model, tokenizer, datasets, splits, files, spec, lexicon_text, base, device, precision,
                  started, model_args, data_args, train_args, command_line, log, notes) -> dict:
    """The training run proper, into an output directory already prepared; returns the run summary."""
    from transformers import (
        DataCollatorWithPadding,
        EarlyStoppingCallback,
        ProgressCallback,
        Trainer,
        TrainerCallback,
        TrainingArguments,
    )

    weights = class_weights(splits["train"]) if train_args.class_weights else None
    loss_fn = None
    if weights is not None:
        w = torch.tensor(weights, dtype=torch.float32)

        def loss_fn(outputs, labels, num_items_in_batch=None):
            logits = outputs["logits"] if isinstance(outputs, dict) else outputs[0]
            return torch.nn.functional.cross_entropy(logits.float(), labels, weight=w.to(logits.device))

    class Progress(ProgressCallback):
        """The Trainer's progress bars without its raw metrics dicts (DevLine prints one readable line instead)."""

        def on_log(self, args, state, control, logs=None, **kwargs):
            pass

    class DevLine(TrainerCallback):
        def on_evaluate(self, args, state, control, metrics=None, **kwargs):
            if metrics:
                from tqdm.auto import tqdm

                tqdm.write(_dev_line(metrics, state.epoch))

    targs = TrainingArguments(
        output_dir=str(out / "checkpoints"),
        num_train_epochs=train_args.epochs,
        max_steps=train_args.max_steps,
        per_device_train_batch_size=train_args.batch_size,
        per_device_eval_batch_size=train_args.eval_batch_size,
        learning_rate=train_args.learning_rate,
        weight_decay=train_args.weight_decay,
        warmup_steps=train_args.warmup_ratio,
        eval_strategy="epoch",
        save_strategy="epoch",
        logging_strategy="no",  # the DevLine callback prints one readable line per epoch instead
        load_best_model_at_end=True,
        metric_for_best_model="macro_f1",
        greater_is_better=True,
        save_total_limit=1,
        seed=train_args.seed,
        data_seed=train_args.seed,
        bf16=precision == "bf16",
        fp16=precision == "fp16",
        use_cpu=device.type == "cpu",
        report_to="none",
        disable_tqdm=False,
        dataloader_num_workers=0,
    )
    class _Trainer(Trainer):
        def _get_train_sampler(self, train_dataset=None):
            if not train_args.length_grouping:
                return super()._get_train_sampler(train_dataset)
            ds = train_dataset if train_dataset is not None else self.train_dataset
            return LengthBucketedBatchOrder([len(x) for x in ds["input_ids"]], self.args.train_batch_size,
                                            seed=train_args.seed)

    record_written(out, "checkpoints")  # before the Trainer creates it
    trainer = _Trainer(
        model=model,
        args=targs,
        train_dataset=datasets["train"],
        eval_dataset=datasets["dev"],
        processing_class=tokenizer,
        data_collator=DataCollatorWithPadding(tokenizer),
        compute_metrics=compute_metrics,
        compute_loss_func=loss_fn,
        callbacks=[EarlyStoppingCallback(early_stopping_patience=train_args.patience), DevLine()],
    )
    trainer.remove_callback(ProgressCallback)
    trainer.add_callback(Progress())
    train_out = trainer.train(resume_from_checkpoint=resume)
    model = trainer.model
    train_seconds = time.time() - started

    # Calibrate on dev with the prediction code path, then score dev/test with calibrated probabilities.
    pad = tokenizer.pad_token_id or 0
    forward = torch_forward(model, device, precision)
    scores: dict[str, dict] = {}
    dev_logits = batched_logits(forward, datasets["dev"].to_dict(), pad, len(LABELS), train_args.eval_batch_size)
    dev_labels = np.asarray(datasets["dev"]["labels"])
    temperature = fit_temperature(dev_logits, dev_labels)
    for name in ("dev", "test"):
        if name not in datasets:
            continue
        logits = dev_logits if name == "dev" else batched_logits(
            forward, datasets[name].to_dict(), pad, len(LABELS), train_args.eval_batch_size)
        m = classification_metrics(datasets[name]["labels"], softmax(logits, temperature).argmax(-1), LABELS)
        scores[name] = {"macro_f1": m["macro_f1"], "accuracy": m["accuracy"],
                        "f1": {k: v["f1"] for k, v in m["per_label"].items()}, "n": len(datasets[name])}
        log(f"{name}: macro-F1 {m['macro_f1']:.4f}, accuracy {m['accuracy']:.4f} ("
            + ", ".join(f"{k} {v['f1']:.3f}" for k, v in m["per_label"].items()) + ")")

    # Listed in the marker before they are written, so that a later --force can replace even a half-written model;
    # whatever else the savers add is listed after.
    before = set(os.listdir(out))
    record_written(out, "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                   "official_roles.txt", METADATA_FILE, "README.md")
    model.save_pretrained(out)
    # The model was trained with all-zero token type ids; a tokenizer that never returns them makes every consumer
    # of this directory (transformers' pipeline included) feed the model what it was trained on.
    tokenizer.model_input_names = ["input_ids", "attention_mask"]
    tokenizer.save_pretrained(out)
    (out / "official_roles.txt").write_text(lexicon_text, encoding="utf-8")
    metadata = {
        "sourcetag_version": __version__,
        "labels": list(LABELS),
        "input_spec": spec.to_dict(),
        "temperature": temperature,
        "precision_trained": precision,
        "device_trained": str(device),
        "config": config_dict(model_args, data_args, train_args),
        "base_model_resolved": base,
        "command_line": command_line if command_line is not None else sys.argv,
        "data_files": {name: {"path": path, "sha256": sha256_file(path.split(" (")[0])} for name, path in files.items()},
        "label_counts": {name: label_counts(rows) for name, rows in splits.items()},
        "class_weights": weights,
        "scores": scores,
        "train_seconds": round(train_seconds, 1),
        "best_checkpoint_metric": trainer.state.best_metric,
        "epochs_run": trainer.state.epoch,
        "train_loss": train_out.training_loss,
        "warnings": notes,
    }
    (out / METADATA_FILE).write_text(json.dumps(metadata, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    write_model_card(out, metadata)
    record_written(out, *sorted(set(os.listdir(out)) - before))
    if not train_args.keep_checkpoints:
        shutil.rmtree(out / "checkpoints", ignore_errors=True)
    if train_args.make_default:
        link = set_default_model(out)
        log(f"default model: {link} -> {out.resolve()}")
    log(f"model saved to {out.resolve()} ({train_seconds:.0f} s)")
    return {"output_dir": str(out), "scores": scores, "temperature": temperature, "train_seconds": train_seconds}
