"""Benchmarks (not tests): ``python -m sourcetag.eval.benchmark predict|train|view``.

predict: sourcetag's predictor against transformers' ``pipeline`` on the same fine-tuned model and the same
sentences with context; prints sentences/s, the ratio, argmax agreement and the largest probability difference
against exact fp32, test macro-F1 in both precisions, and the peak resident memory of a fresh prediction process.
Then what bounds the speed: a profile of the predictor (share of time per operator), the arithmetic per sentence,
this CPU's matmul rate in fp32, bf16 and fp16, the ceiling that rate allows, and the rate a 5x speed-up would need.

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
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def _articles(path: str, n: int) -> list[list[str]]:
    from ..formats.rows import group_articles, read_rows

    out, total = [], 0
    for art in group_articles(read_rows(path)):
        if total >= n:
            break
        texts = [r.text for r in art][: n - total]
        out.append(texts)
        total += len(texts)
    return out


_PEAK_PROBE = """
import atexit, sys
status_file = sys.argv[1]
atexit.register(lambda: open(status_file, "w").write(open("/proc/self/status").read()))
from sourcetag.main import main
raise SystemExit(main(sys.argv[2:]))
"""


def fresh_process_peak_mb(argv: list[str], status_file: Path, threads: int) -> float:
    """Peak resident memory (MB) of ``sourcetag ARGV`` in a new process.

    Read from the child's own /proc/self/status (VmHWM) at exit: ``getrusage(RUSAGE_CHILDREN)`` would also count
    the pages the child shared with this (large) benchmark process between fork and exec.
    """
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    if Path("/proc/self/status").is_file():
        subprocess.run([sys.executable, "-c", _PEAK_PROBE, str(status_file), *argv], check=True, env=env)
        for line in status_file.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run([sys.executable, "-m", "sourcetag", *argv], check=True, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return after / 1024 if after > before else float("nan")  # an upper bound (see above); ru_maxrss is KiB on Linux


def matmul_gflops(threads: int, dtype_name: str, seconds: float = 1.0) -> float:
    """Measured GFLOP/s of an encoder-shaped matmul (4,096 tokens x 384 -> 1,536) in one precision."""
    import torch

    torch.set_num_threads(threads)
    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[dtype_name]
    x, w = torch.randn(4096, 384).to(dtype), torch.randn(1536, 384).to(dtype)
    with torch.inference_mode():
        for _ in range(3):
            torch.nn.functional.linear(x, w)
        n, t = 0, time.perf_counter()
        while time.perf_counter() - t < seconds:
            torch.nn.functional.linear(x, w)
            n += 1
        elapsed = time.perf_counter() - t
    return 2 * 4096 * 384 * 1536 * n / elapsed / 1e9


def profile_top_ops(fn, k: int = 6) -> tuple[list[tuple[str, float]], float]:
    """Run ``fn`` under torch's profiler: the ``k`` operators with most self CPU time, each as (name, share of the
    wall time), and the share of the wall time spent inside torch operators at all (the rest is Python,
    tokenization and batching)."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU]) as prof:
        t = time.perf_counter()
        fn()
        wall_us = (time.perf_counter() - t) * 1e6
    events = [e for e in prof.key_averages() if e.self_cpu_time_total > 0]
    events.sort(key=lambda e: e.self_cpu_time_total, reverse=True)
    in_torch = sum(e.self_cpu_time_total for e in events) / wall_us
    return [(e.key, e.self_cpu_time_total / wall_us) for e in events[:k]], in_torch


def padded_widths(lengths: list[int], order: list[int], batch_size: int) -> list[int]:
    """Per input, the width its batch is padded to when ``order`` is cut into batches of ``batch_size``."""
    out = []
    for i in range(0, len(order), batch_size):
        batch = order[i : i + batch_size]
        out += [max(lengths[j] for j in batch)] * len(batch)
    return out


def encoder_flops(config, lengths) -> float:
    """Forward FLOPs of a BERT-style encoder over inputs of the given (padded) token lengths."""
    d, ff, layers = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    total = 0.0
    for n in lengths:
        total += layers * (n * 2 * (4 * d * d + 2 * d * ff) + 2 * 2 * n * n * d)
    return total


def bench_predict(args) -> dict:
    import torch
    from transformers import pipeline

    from ..eval.metrics import classification_metrics
    from ..formats.rows import read_rows
    from ..model.backends import onnx_runtime_installed
    from ..model.labels import LABEL2ID, LABELS
    from ..model.tagger import Tagger

    torch.set_num_threads(args.threads)
    articles = _articles(args.data, args.sentences)
    n = sum(map(len, articles))
    fast = Tagger.load(args.model, precision="auto")
    exact = Tagger.load(args.model, precision="fp32")
    fast_name = "onnx" if fast.backend == "onnx" else fast.precision
    print(f"{n} sentences in {len(articles)} articles; {args.threads} threads; fast path: {fast_name}; "
          f"{fast.architecture.describe()}", flush=True)

    def timed(fn):
        fn(articles[:2])  # warm-up
        t = time.perf_counter()
        out = fn(articles)
        return out, n / (time.perf_counter() - t)

    # every path the predictor offers, so that the choice of ``auto`` on this hardware is visible; the taggers
    # already loaded are reused, the others loaded here
    taggers = {"fp32": exact, "bf16": None, **({"onnx": None} if onnx_runtime_installed() else {}),
               fast_name: fast}
    paths = {name: timed((tg or Tagger.load(args.model, precision=name)).predict_proba) for name, tg in taggers.items()}
    p_exact, sps_exact = paths["fp32"]
    path_rows = {}
    for name, (probs, sps) in paths.items():
        path_rows[name] = {"sentences_per_s": round(sps, 1),
                           "argmax_agreement_with_fp32": round(float((probs.argmax(1) == p_exact.argmax(1)).mean()), 4),
                           "max_probability_difference": round(float(np.abs(probs - p_exact).max()), 4)}
        print(f"  sourcetag {name}: {sps:.1f} sentences/s, agreement with fp32 "
              f"{path_rows[name]['argmax_agreement_with_fp32']:.4f}", flush=True)
    sps_fast = paths[fast_name][1]
    agree = path_rows[fast_name]["argmax_agreement_with_fp32"]
    max_diff = path_rows[fast_name]["max_probability_difference"]

    # transformers' pipeline on the same model and the same (sentence, context) inputs
    from ..model.features import inputs_for_articles

    spec = exact.architecture.spec
    f, s = inputs_for_articles(articles, spec, exact.tokenizer.sep_token, exact.architecture.lexicon)
    enc_inputs = [{"text": x, "text_pair": y} for x, y in zip(f, s, strict=True)] if s else [{"text": x} for x in f]
    pipe = pipeline("text-classification", model=args.model, device="cpu", top_k=None)
    pipe_sps = {}
    for bs in args.pipeline_batch_sizes:
        list(pipe(enc_inputs[:8], batch_size=bs, truncation=True, max_length=spec.max_length))
        t = time.perf_counter()
        list(pipe(enc_inputs, batch_size=bs, truncation=True, max_length=spec.max_length))
        pipe_sps[bs] = n / (time.perf_counter() - t)
        print(f"  pipeline batch_size={bs}: {pipe_sps[bs]:.1f} sentences/s", flush=True)
    best_bs = max(pipe_sps, key=pipe_sps.get)

    # test macro-F1, fast path against exact fp32
    rows = read_rows(args.test_data)
    from ..eval.evaluator import model_logits
    from ..model.tagger import softmax

    f1 = {}
    for name, tg in (("fast", fast), ("fp32", exact)):
        pred = softmax(model_logits(tg, rows), tg.temperature).argmax(1)
        f1[name] = classification_metrics([LABEL2ID[r.label] for r in rows], pred, LABELS)["macro_f1"]

    # peak memory of a fresh process predicting the same sentences
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.jsonl"
        with src.open("w", encoding="utf-8") as f:
            for i, a in enumerate(articles):
                for t in a:
                    f.write(json.dumps({"article": f"a{i}", "text": t}) + "\n")
        argv = ["predict", "--quiet", "--model", args.model, "--input-format", "sentences", str(src),
                "-o", str(Path(tmp) / "out.jsonl")]
        peak_mb = fresh_process_peak_mb(argv, Path(tmp) / "status", args.threads)

    # What bounds the speed: matmul rate of this CPU and the arithmetic the inputs need.
    enc = exact.architecture.encode(articles)
    lengths = sorted(len(x["input_ids"]) for x in enc.features)  # the predictor's own order (sorted by length)
    flops = encoder_flops(exact.model.config, padded_widths(lengths, list(range(n)), exact.batch_size)) / n
    rate = {k: matmul_gflops(args.threads, k) for k in ("fp32", "bf16", "fp16")}
    ceiling = max(rate.values()) * 1e9 / flops
    needed = 5 * pipe_sps[best_bs] * flops / 1e9
    # torch's profiler sees torch operators only, so profile the torch fp32 path: the same arithmetic as every path
    top, in_torch = profile_top_ops(lambda: exact.predict_proba(articles[: max(1, len(articles) // 4)]))
    print(f"  profile of the torch fp32 predictor (a quarter of the articles): torch operators "
          f"{in_torch:.0%} of wall time; " + ", ".join(f"{name} {share:.0%}" for name, share in top), flush=True)
    print(f"  inputs: mean {np.mean(lengths):.1f} tokens; {flops / 1e9:.2f} GFLOP per sentence; matmul "
          + ", ".join(f"{rate[k]:.0f} GFLOP/s {k}" for k in rate)
          + f" -> ceiling {ceiling:.0f} sentences/s = {ceiling / pipe_sps[best_bs]:.2f}x the pipeline; "
          f"5x the pipeline would need {needed:.0f} GFLOP/s", flush=True)

    result = {
        "sentences": n, "threads": args.threads, "fast_path": fast.precision,
        "sourcetag_sentences_per_s": round(sps_fast, 1), "sourcetag_fp32_sentences_per_s": round(sps_exact, 1),
        "pipeline_best_batch_size": best_bs, "pipeline_sentences_per_s": round(pipe_sps[best_bs], 1),
        "speedup_vs_pipeline": round(sps_fast / pipe_sps[best_bs], 2),
        "speedup_fp32_vs_pipeline": round(sps_exact / pipe_sps[best_bs], 2),
        "paths": path_rows,
        "argmax_agreement_with_fp32": round(agree, 4), "max_probability_difference": round(max_diff, 4),
        "test_macro_f1_fast": round(f1["fast"], 4), "test_macro_f1_fp32": round(f1["fp32"], 4),
        "peak_rss_fresh_process_mb": round(peak_mb, 1),
        "mean_tokens_per_input": round(float(np.mean(lengths)), 1), "gflop_per_sentence": round(flops / 1e9, 3),
        **{f"matmul_gflops_{k}": round(v, 1) for k, v in rate.items()},
        "gflops_needed_for_5x": round(needed, 1),
        "profile_torch_share_of_wall": round(in_torch, 3),
        "profile_top_ops": {name: round(share, 3) for name, share in top},
        "compute_ceiling_sentences_per_s": round(ceiling, 1),
        "compute_ceiling_vs_pipeline": round(ceiling / pipe_sps[best_bs], 2),
    }
    return result


def write_sentences(path: Path, articles: list[list[str]], n: int) -> int:
    """``n`` sentences as pre-split input (``--input-format sentences``), the articles repeated under new ids;
    returns the number of articles written."""
    written = k = 0
    with path.open("w", encoding="utf-8") as f:
        while written < n:
            for t in articles[k % len(articles)][: n - written]:
                f.write(json.dumps({"article": f"a{k}", "text": t}, ensure_ascii=False) + "\n")
                written += 1
            k += 1
    return k


def untrained_model(out: Path) -> Path:
    """The default base model with a new, untrained classification head, saved as a sourcetag model: the same
    computation and memory as a trained default model (the weights do not change either), for when none is at hand."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from ..model.artifact import ModelArtifact, write_artifact
    from ..model.features import InputSpec
    from ..model.labels import ID2LABEL, LABEL2ID, LABELS
    from ..model.paths import DEFAULT_BASE_MODEL, resolve_base_model

    base = resolve_base_model(DEFAULT_BASE_MODEL)
    model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=len(LABELS), id2label=dict(ID2LABEL),
                                                               label2id=dict(LABEL2ID))
    model.save_pretrained(out)
    tok = AutoTokenizer.from_pretrained(base)
    tok.model_input_names = ["input_ids", "attention_mask"]
    tok.save_pretrained(out)
    write_artifact(out, ModelArtifact(labels=tuple(LABELS), input_spec=InputSpec().to_dict()))
    return out


def bench_memory(args) -> dict:
    """Peak resident memory of a fresh ``sourcetag predict`` process for each number of sentences: flat when
    prediction streams (it reads, labels and writes a chunk of articles at a time)."""
    from ..formats.rows import group_articles, read_rows

    articles = [[r.text for r in art] for art in group_articles(read_rows(args.data))]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model or str(untrained_model(Path(tmp) / "model"))
        from ..model.tagger import Tagger

        # a first load exports the ONNX graph (precision auto on most CPUs): once, here, not in the measured process
        print(f"  path: {Tagger.load(model, precision=args.precision).precision}", flush=True)
        for n in args.sentences:
            src = Path(tmp) / f"in-{n}.jsonl"
            n_articles = write_sentences(src, articles, n)
            argv = ["predict", "--quiet", "--model", model, "--input-format", "sentences", str(src),
                    "-o", str(Path(tmp) / f"out-{n}.jsonl"), "--precision", args.precision]
            t = time.perf_counter()
            peak = fresh_process_peak_mb(argv, Path(tmp) / "status", args.threads)
            secs = time.perf_counter() - t
            results[n] = {"articles": n_articles, "peak_rss_mb": round(peak, 1), "seconds": round(secs, 1)}
            print(f"  {n:,} sentences in {n_articles:,} articles: peak {peak:,.0f} MB ({secs:,.0f} s, "
                  f"{n / secs:.0f} sentences/s)", flush=True)
    return {"model": args.model or "untrained head on the default base model", "precision": args.precision,
            "threads": args.threads, "runs": results}


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


def synthetic_predictions(path: str, n_articles: int, seed: int = 0) -> list[dict]:
    """Prediction rows for ``n_articles`` articles made from the corpus (cycled), with random probabilities."""
    from ..formats.rows import group_articles, read_rows
    from ..model.evidence import find_evidence
    from ..model.labels import LABELS

    rng = np.random.default_rng(seed)
    corpus = group_articles(read_rows(path))
    rows = []
    for a in range(n_articles):
        art, pos = corpus[a % len(corpus)], 0
        for k, r in enumerate(art):
            p = rng.dirichlet([0.3] * len(LABELS))
            p[LABELS.index(r.label)] += 1.5  # mostly right, sometimes unsure
            p /= p.sum()
            label = LABELS[int(p.argmax())]
            ev = find_evidence(r.text) if label in ("official_statement", "attributed_claim") else None
            start = pos + (2 if k and k % 3 == 0 else 1 if k else 0)  # a paragraph every three sentences
            pos = start + len(r.text)
            rows.append({"article": f"{a:04d}-{r.article}", "idx": k, "id": f"{a:04d}-{r.id}", "text": r.text,
                         "start": start, "end": pos, "label": label,
                         "probs": {name: round(float(v), 6) for name, v in zip(LABELS, p, strict=True)},
                         "needs_review": bool(p.max() < 0.6),
                         "evidence": {"cue": ev.cue, "source": ev.source} if ev else None})
    return rows


def bench_view(args) -> dict:
    from ..formats.files import write_jsonl_atomic, write_text_atomic
    from ..formats.predictions import read_predictions
    from ..view.browser import Browser, BrowserError
    from ..view.render import render_html

    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "predictions.jsonl", Path(args.output or Path(tmp) / "view.html")
        write_jsonl_atomic(src, synthetic_predictions(args.data, args.articles))
        t0 = time.perf_counter()
        rows = read_predictions(src)
        t1 = time.perf_counter()
        page = render_html(rows, title=f"{args.articles} articles")
        t2 = time.perf_counter()
        write_text_atomic(out, page)
        t3 = time.perf_counter()
        result: dict = {"articles": args.articles, "sentences": len(rows),
                        "jsonl_mb": round(src.stat().st_size / 1e6, 2), "html_mb": round(out.stat().st_size / 1e6, 2),
                        "read_s": round(t1 - t0, 2), "render_s": round(t2 - t1, 2), "write_s": round(t3 - t2, 2),
                        "total_s": round(t3 - t0, 2)}
        try:
            with Browser(timeout=120) as b:
                t4 = time.perf_counter()
                tab = b.open(out)
                t5 = time.perf_counter()
                last = f"a{args.articles}"
                tab.evaluate(f"document.getElementById('{last}').open = true; "
                             f"document.getElementById('{last}').scrollIntoView(); "
                             "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
                t6 = time.perf_counter()
                tab.evaluate("document.querySelector('input[data-filter=f]').click(); document.body.offsetHeight; "
                             "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
                t7 = time.perf_counter()
                result.update(browser_load_s=round(t5 - t4, 2), browser_open_last_article_s=round(t6 - t5, 2),
                              browser_filter_s=round(t7 - t6, 2),
                              dom_sentences=tab.evaluate("document.querySelectorAll('.text .s').length"),
                              console_errors=tab.errors + tab.requests)
        except BrowserError as e:
            result["browser"] = f"not measured: {e}"
    return result


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
    result = {"predict": bench_predict, "memory": bench_memory, "train": bench_train}[args.cmd](args)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
