"""Benchmarks (not tests): ``python -m sourcetag.eval.benchmark predict|pipeline|memory|train|view``.

predict: sourcetag's predictor against transformers' ``pipeline`` on the same fine-tuned model and the same
sentences with context (for the article encoder, a sentence-pair classifier of the same base); prints sentences/s,
the ratio, argmax agreement and the largest probability difference against exact fp32, test macro-F1 in both
precisions, and the peak resident memory of a fresh prediction process.
Then what bounds the speed: a profile of the predictor (share of time per operator), the arithmetic per sentence,
the tokens each sentence costs (overlapping windows included) against the pipeline's, this CPU's matmul rate in
fp32, bf16 and fp16, the ceiling that rate allows, and the rate a 5x speed-up would need.

pipeline: the pipelined predictor (sourcetag.engines.pipeline) against today's Tagger path, side by side in one run
on the same sentences, labels and evidence included; on a GPU (or with --bare) also the bare model's forward rate
on the same batches, weights in bf16, and the pipeline's share of it.

memory: peak resident memory of a fresh ``sourcetag predict`` process for 2,000 and 200,000 sentences (any sizes),
which streams its input, so the peak stays flat.

train: sentences/s of sourcetag's training set-up (length-grouped batches, auto precision) against the
Trainer's defaults (random batches, fp32) on the same data and schedule, with the dev macro-F1 each reaches.

view: the HTML view of many articles (corpus sentences with made-up predictions, no model needed): seconds to
read the JSONL, render and write the page, its size, and, where Chromium is installed, how long the browser takes
to load it, to open one collapsed article and to filter a label, with any console errors.
"""

from __future__ import annotations

import argparse
import json
import os

from .bench_memory import bench_memory
from .bench_pipeline import bench_pipeline
from .bench_predict import bench_predict
from .bench_train import bench_train
from .bench_view import bench_view


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m sourcetag.eval.benchmark", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    pr = sub.add_parser("predict", help="prediction speed, agreement and memory against transformers' pipeline")
    pr.add_argument("--model", required=True)
    pr.add_argument("--data", default="data/train.jsonl", help="sentences to classify (whole articles, in order)")
    pr.add_argument("--test-data", default="data/test.jsonl")
    pr.add_argument("--sentences", type=int, default=2000)
    pr.add_argument("--pipeline-batch-sizes", type=int, nargs="+", default=[1, 8, 32])
    pr.add_argument("--threads", type=int, default=2)
    pr.add_argument("--reference", choices=["auto", "model", "pair"], default="auto",
                    help="what transformers' pipeline runs: this model (sequence classifiers only), or a sentence-pair "
                         "classifier of the same base with one neighbour each side (auto: this model when it is a "
                         "sequence classifier, else the pair classifier)")
    pi = sub.add_parser("pipeline", help="the pipelined predictor against today's Tagger path, in one run")
    pi.add_argument("--model", required=True)
    pi.add_argument("--data", default="data/train.jsonl", help="sentences to classify (whole articles, in order)")
    pi.add_argument("--sentences", type=int, default=2000)
    pi.add_argument("--device", default="auto")
    pi.add_argument("--precision", default="auto")
    pi.add_argument("--token-budget", type=int, default=None, help="pipeline tokens per batch (default: by device)")
    pi.add_argument("--chunk-sentences", type=int, default=2048)
    pi.add_argument("--repeats", type=int, default=2)
    pi.add_argument("--bare", action="store_true", help="also time the bare model on the CPU")
    pi.add_argument("--threads", type=int, default=2)
    me = sub.add_parser("memory", help="peak memory of a fresh prediction process for several input sizes")
    me.add_argument("--model", help="model directory (default: an untrained head on the default base model, which "
                                    "computes and weighs the same as a trained one)")
    me.add_argument("--data", default="data/train.jsonl", help="sentences to repeat up to each size")
    me.add_argument("--sentences", type=int, nargs="+", default=[2000, 200000])
    me.add_argument("--precision", default="auto")
    me.add_argument("--threads", type=int, default=2)
    tr = sub.add_parser("train", help="training speed against the Trainer's defaults")
    tr.add_argument("--epochs", type=float, default=1.0)
    tr.add_argument("--train-fraction", type=float, default=1.0)
    tr.add_argument("--context-window", type=int, default=1)
    tr.add_argument("--seed", type=int, default=13)
    tr.add_argument("--threads", type=int, default=2)
    vw = sub.add_parser("view", help="rendering time and size of the HTML view of many articles")
    vw.add_argument("--articles", type=int, default=2000)
    vw.add_argument("--data", default="data/train.jsonl", help="corpus whose articles are cycled")
    vw.add_argument("--output", help="keep the page here (default: a temporary file)")
    args = p.parse_args(argv)
    if args.cmd == "view":
        print(json.dumps(bench_view(args), indent=2, ensure_ascii=False))
        return 0
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    result = {"predict": bench_predict, "pipeline": bench_pipeline, "memory": bench_memory,
              "train": bench_train}[args.cmd](args)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
