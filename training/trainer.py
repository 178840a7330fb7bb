"""The transformers Trainer as sourcetag trains with it: class-weighted loss over every labelled sentence,
length-bucketed batches, early stopping on dev macro-F1, and one readable line per evaluation."""

from __future__ import annotations

import numpy as np
import torch

from ..eval.metrics import classification_metrics
from ..model.architectures.base import IGNORE
from ..model.labels import LABELS
from .config import TrainArguments
from .data import LengthBucketedBatchOrder


def weighted_loss(weights: list[float] | None):
    """Cross-entropy over every labelled sentence of a batch (logits ``(rows, labels)`` or
    ``(rows, slots, labels)``), weighted per label; sentences labelled ``IGNORE`` do not count."""
    w = torch.tensor(weights, dtype=torch.float32) if weights is not None else None

    def loss_fn(outputs, labels, num_items_in_batch=None):
        logits = outputs["logits"] if isinstance(outputs, dict) else outputs[0]
        return torch.nn.functional.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), labels.reshape(-1),
                                                 weight=w.to(logits.device) if w is not None else None,
                                                 ignore_index=IGNORE)

    return loss_fn


def compute_metrics(eval_pred) -> dict:
    """Dev metrics for the Trainer, computed by the same metric module as ``sourcetag evaluate``; slots of windows
    and padding (label ``IGNORE``) are left out."""
    logits, labels = eval_pred.predictions, eval_pred.label_ids
    if isinstance(logits, tuple):
        logits = logits[0]
    logits, labels = np.asarray(logits), np.asarray(labels)
    pred = logits.reshape(-1, logits.shape[-1]).argmax(-1)
    gold = labels.reshape(-1)
    keep = gold != IGNORE
    m = classification_metrics(gold[keep], pred[keep], LABELS)
    out = {"macro_f1": m["macro_f1"], "accuracy": m["accuracy"]}
    out.update({f"f1_{name}": v["f1"] for name, v in m["per_label"].items()})
    return out


def dev_line(metrics: dict, epoch: float | None) -> str:
    per = " ".join(
        f"{name.split('_')[0]} {metrics.get(f'eval_f1_{name}', float('nan')):.3f}" for name in LABELS
    )
    return (f"epoch {epoch:.2f} | dev loss {metrics.get('eval_loss', float('nan')):.4f} | "
            f"macro-F1 {metrics.get('eval_macro_f1', float('nan')):.4f} | F1 {per}")


def build_trainer(architecture, train_rows: list[dict], dev_rows: list[dict], weights: list[float] | None,
                  args: TrainArguments, checkpoints: str, precision: str, device):
    """A Trainer for ``architecture``'s module over encoded rows (feature dicts with ``labels``)."""
    from transformers import (
        EarlyStoppingCallback,
        ProgressCallback,
        Trainer,
        TrainerCallback,
        TrainingArguments,
    )

    class Progress(ProgressCallback):
        """The Trainer's progress bars without its raw metrics dicts (DevLine prints one readable line instead)."""

        def on_log(self, args, state, control, logs=None, **kwargs):
            pass

    class DevLine(TrainerCallback):
        def on_evaluate(self, args, state, control, metrics=None, **kwargs):
            if metrics:
                from tqdm.auto import tqdm

                tqdm.write(dev_line(metrics, state.epoch))

    class BucketedTrainer(Trainer):
        def _get_train_sampler(self, train_dataset=None):
            if not args.length_grouping:
                return super()._get_train_sampler(train_dataset)
            ds = train_dataset if train_dataset is not None else self.train_dataset
            return LengthBucketedBatchOrder([len(x["input_ids"]) for x in ds], self.args.train_batch_size,
                                            seed=args.seed)

    def collate(features):
        return {k: torch.from_numpy(v) for k, v in architecture.collate(features).items()}

    targs = TrainingArguments(
        output_dir=checkpoints,
        num_train_epochs=args.epochs,
        max_steps=args.max_steps,
        per_device_train_batch_size=args.batch_size,
        per_device_eval_batch_size=args.eval_batch_size,
        learning_rate=args.learning_rate,
        weight_decay=args.weight_decay,
        warmup_steps=args.warmup_ratio,  # a float below 1 is a share of the steps
        eval_strategy="epoch",
        save_strategy="epoch",
        logging_strategy="no",  # the DevLine callback prints one readable line per epoch instead
        load_best_model_at_end=True,
        metric_for_best_model="macro_f1",
        greater_is_better=True,
        save_total_limit=1,
        seed=args.seed,
        data_seed=args.seed,
        bf16=precision == "bf16",
        fp16=precision == "fp16",
        use_cpu=device.type == "cpu",
        report_to="none",
        disable_tqdm=False,
        dataloader_num_workers=0,
        remove_unused_columns=False,
        label_names=["labels"],
    )
    trainer = BucketedTrainer(
        model=architecture.module,
        args=targs,
        train_dataset=train_rows,
        eval_dataset=dev_rows,
        processing_class=architecture.tokenizer,
        data_collator=collate,
        compute_metrics=compute_metrics,
        compute_loss_func=weighted_loss(weights),
        callbacks=[EarlyStoppingCallback(early_stopping_patience=args.patience), DevLine()],
    )
    trainer.remove_callback(ProgressCallback)
    trainer.add_callback(Progress())
    return trainer
