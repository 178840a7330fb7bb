"""Benchmark: sourcetag's training set-up against the Trainer's defaults (see :mod:`sourcetag.eval.benchmark`)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from .bench_predict import padded_widths


def bench_train(args) -> dict:
    import torch

    from ..model.artifact import read_artifact
    from ..training.config import DataArguments, ModelArguments, TrainArguments
    from ..training.train import train

    torch.set_num_threads(args.threads)
    results = {}
    setups = {
        "sourcetag (length-grouped batches, auto precision)": {"length_grouping": True, "precision": "auto"},
        "Trainer defaults (random batches, fp32)": {"length_grouping": False, "precision": "fp32"},
    }
    for name, opts in setups.items():
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            out = train(ModelArguments(context_window=args.context_window),
                        DataArguments(train_fraction=args.train_fraction),
                        TrainArguments(output_dir=str(Path(tmp) / "m"), epochs=args.epochs, class_weights=True,
                                       patience=100, seed=args.seed, **opts),
                        command_line=["benchmark"], log=lambda *a: None)
            meta = read_artifact(Path(tmp) / "m").training
            secs = time.perf_counter() - t
            n_train = sum(meta["label_counts"]["train"].values())
            train_sps = n_train * args.epochs / meta["train_seconds"]
            results[name] = {"train_sentences_per_s": round(train_sps, 1), "wall_s": round(secs, 1),
                             "dev_macro_f1": round(out["scores"]["dev"]["macro_f1"], 4)}
            print(f"  {name}: {results[name]}", flush=True)
    a, b = list(results.values())
    results["speedup"] = round(a["train_sentences_per_s"] / b["train_sentences_per_s"], 2)
    results.update(padding_savings(args))
    print(f"  tokens computed per epoch: random batches {results['tokens_random_batches']:,}, length-bucketed "
          f"{results['tokens_bucketed_batches']:,} (real {results['tokens_real']:,}): {results['padded_token_ratio']:.2f}x fewer "
          f"(attention, quadratic in the padded width, gains more)", flush=True)
    return results


def padding_savings(args) -> dict:
    """Tokens one training epoch pushes through the model: random batches (Trainer default) against sourcetag's
    length-bucketed order. Their ratio is what batching saves in the linear layers, most of the compute."""
    from transformers import AutoTokenizer

    from ..model.architectures.sequence import SequenceArchitecture
    from ..model.features import InputSpec
    from ..model.paths import resolve_base_model
    from ..training.config import DataArguments, ModelArguments, TrainArguments
    from ..training.data import LengthBucketedBatchOrder, load_splits, training_articles

    data_args, bs = DataArguments(train_fraction=args.train_fraction), TrainArguments().batch_size
    splits, _ = load_splits(data_args, args.seed)
    tok = AutoTokenizer.from_pretrained(resolve_base_model(ModelArguments().base_model))
    arch = SequenceArchitecture(None, tok, InputSpec(context_window=args.context_window).to_dict())
    lengths = [len(f["input_ids"]) for f in arch.encode(training_articles(splits["train"])[0]).features]
    rng = np.random.default_rng(args.seed)

    def cost(order):
        return sum(padded_widths(lengths, order, bs))

    random_cost = int(np.mean([cost(list(rng.permutation(len(lengths)))) for _ in range(5)]))
    bucketed_cost = cost(list(LengthBucketedBatchOrder(lengths, bs, seed=args.seed)))
    return {"tokens_real": sum(lengths), "tokens_random_batches": random_cost, "tokens_bucketed_batches": bucketed_cost,
            "padded_token_ratio": round(random_cost / bucketed_cost, 2)}
