"""Fine-tune a transformer on labelled sentences and save a self-describing sourcetag model.

:func:`train` reads the data, builds the architecture the configuration names
(:mod:`sourcetag.model.architectures`), fits it with the Trainer (:mod:`.trainer`), calibrates and scores it through
the prediction code path (:func:`calibrate_and_score`), and saves it with its artifact
(:func:`sourcetag.model.artifact.save_model`).
"""

from __future__ import annotations

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
from ..formats.files import sha256_file
from ..formats.outputs import record_written, set_default_model
from ..model.architectures import architecture_class
from ..model.artifact import ModelArtifact, save_model
from ..model.backends import TorchBackend, resolve_device, resolve_runtime
from ..model.errors import OutputError
from ..model.labels import LABELS
from ..model.lexicon import compile_lexicon, read_lexicon_text
from ..model.paths import resolve_base_model
from ..model.tagger import softmax
from . import distributed
from .card import write_model_card
from .config import DataArguments, ModelArguments, TrainArguments, config_dict, input_spec
from .data import class_weights, label_counts, load_splits, training_articles
from .outputs import check_output_dir, discard_failed_run, prepare_output_dir
from .trainer import build_trainer

OutputDirError = OutputError
"""The earlier name of :class:`~sourcetag.model.errors.OutputError`, kept for code that catches it."""


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


def train(model_args: ModelArguments, data_args: DataArguments, train_args: TrainArguments,
          command_line: list[str] | None = None, log=print) -> dict:
    """Train, calibrate, evaluate on dev (and test when present) and save. Returns the run summary."""
    from transformers import set_seed

    started = time.time()
    out, resume = check_output_dir(train_args)  # before anything is read, written or deleted
    if train_args.threads:
        torch.set_num_threads(train_args.threads)
    splits, files = load_splits(data_args, train_args.seed)
    notes = label_warnings(splits["train"])
    for note in notes:
        warnings.warn(note, UserWarning, stacklevel=2)
    device = resolve_device(train_args.device)
    _, precision = resolve_runtime("torch", train_args.precision, device)
    lexicon_text = read_lexicon_text(model_args.official_lexicon)
    lexicon = compile_lexicon(lexicon_text)
    log(f"data: train {len(splits['train'])} / dev {len(splits['dev'])} / test {len(splits['test'])} sentences; "
        f"device {device}, precision {precision}, architecture {model_args.architecture}")

    set_seed(train_args.seed)
    base = resolve_base_model(model_args.base_model)
    arch = architecture_class(model_args.architecture).create(base, input_spec(model_args), LABELS, lexicon=lexicon)
    texts, labels = training_articles(splits["train"], data_args.augment_official, lexicon, train_args.seed)
    train_rows = arch.encode(texts, labels, train=True).features
    if data_args.augment_official:
        log(f"augmentation: {len(texts) - len(set(r.article for r in splits['train']))} source-swapped training "
            "sentences added")
    dev_rows = arch.encode(*training_articles(splits["dev"]), train=True).features

    # Everything that can fail on bad data, options or base model has run: only now is an earlier model replaced.
    created = not out.exists()
    distributed.ensure_process_group(device)  # torchrun / accelerate launch: rank 0 writes, the others wait
    out = distributed.run_on_main(lambda: prepare_output_dir(train_args))
    try:
        if distributed.is_main():
            record_written(out, "checkpoints")  # before the Trainer creates it
        weights = class_weights(splits["train"]) if train_args.class_weights else None
        trainer = build_trainer(arch, train_rows, dev_rows, weights, train_args, str(out / "checkpoints"),
                                precision, device)
        train_out = trainer.train(resume_from_checkpoint=resume)
        arch.module = trainer.model
        if not distributed.is_main():  # rank 0 calibrates, scores and saves the one model
            distributed.barrier()
            return {"output_dir": str(out), "scores": {}, "temperature": None,
                    "train_seconds": time.time() - started}
        temperature, scores = calibrate_and_score(arch, splits, device, precision, train_args.eval_batch_size, log)
        train_seconds = time.time() - started
        artifact = ModelArtifact(
            architecture=arch.name, labels=tuple(LABELS), input_spec=dict(arch.options), temperature=temperature,
            sourcetag_version=__version__,
            training={
                "precision_trained": precision,
                "device_trained": str(device),
                "config": config_dict(model_args, data_args, train_args),
                "base_model_resolved": base,
                "command_line": command_line if command_line is not None else sys.argv,
                "data_files": {name: {"path": path, "sha256": sha256_file(path.split(" (")[0])}
                               for name, path in files.items()},
                "label_counts": {name: label_counts(rows) for name, rows in splits.items()},
                "class_weights": weights,
                "scores": scores,
                "train_seconds": round(train_seconds, 1),
                "best_checkpoint_metric": trainer.state.best_metric,
                "epochs_run": trainer.state.epoch,
                "train_loss": train_out.training_loss,
                "warnings": notes,
            })
        save(out, arch, artifact, lexicon_text, train_args, log)
    except BaseException:
        if distributed.is_main():
            discard_failed_run(out, created)
        raise
    log(f"model saved to {out.resolve()} ({train_seconds:.0f} s)")
    distributed.barrier()
    return {"output_dir": str(out), "scores": scores, "temperature": temperature, "train_seconds": train_seconds}


def calibrate_and_score(arch, splits: dict, device, precision: str, batch_size: int, log=print) -> tuple[float, dict]:
    """Fit the temperature on dev with the prediction code path, then score dev and test with calibrated
    probabilities. Returns the temperature and the scores per split."""
    forward = TorchBackend(arch.module, device, precision)
    scores: dict[str, dict] = {}
    temperature = 1.0
    for name in ("dev", "test"):
        rows = splits.get(name)
        if not rows:
            continue
        texts, labels = training_articles(rows)
        logits = arch.logits(texts, forward, batch_size, len(LABELS))
        gold = np.asarray([lab for art in labels for lab in art])
        if name == "dev":
            temperature = fit_temperature(logits, gold)
        m = classification_metrics(gold, softmax(logits, temperature).argmax(-1), LABELS)
        scores[name] = {"macro_f1": m["macro_f1"], "accuracy": m["accuracy"],
                        "f1": {k: v["f1"] for k, v in m["per_label"].items()}, "n": len(rows)}
        log(f"{name}: macro-F1 {m['macro_f1']:.4f}, accuracy {m['accuracy']:.4f} ("
            + ", ".join(f"{k} {v['f1']:.3f}" for k, v in m["per_label"].items()) + ")")
    return temperature, scores


def save(out: Path, arch, artifact: ModelArtifact, lexicon_text: str, args: TrainArguments, log=print) -> None:
    """Write the model, its artifact and card into ``out``, listing every entry in the output marker."""
    # Listed in the marker before they are written, so that a later --force can replace even a half-written model;
    # whatever else the savers add is listed after.
    before = set(os.listdir(out))
    record_written(out, "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                   "official_roles.txt", "sourcetag.json", "README.md")
    save_model(out, arch, artifact, lexicon_text)
    write_model_card(out, artifact)
    record_written(out, *sorted(set(os.listdir(out)) - before))
    if not args.keep_checkpoints:
        shutil.rmtree(out / "checkpoints", ignore_errors=True)
    if args.make_default:
        link = set_default_model(out)
        log(f"default model: {link} -> {out.resolve()}")
