"""Benchmark: sourcetag's predictor against transformers' ``pipeline``, and what bounds its speed (see
:mod:`sourcetag.eval.benchmark`)."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import numpy as np

from .bench_memory import corpus_articles, fresh_process_peak_mb


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


def reference_model(choice: str, tagger, model_dir: str, tmp: Path):
    """The model transformers' pipeline runs, its input spec and the choice resolved: ``model`` is the predictor's own model (a sequence
    classifier only); ``pair`` a sentence-pair classifier with one neighbour each side on the same base checkpoint
    and an untrained head (the same arithmetic as a trained one); ``auto`` the first for sequence models, else
    the second."""
    from ..model.features import InputSpec
    from .bench_memory import untrained_model

    is_sequence = tagger.architecture.name == "sequence"
    if choice == "auto":
        choice = "model" if is_sequence else "pair"
    if choice == "model":
        if not is_sequence:
            raise SystemExit(f"--reference model needs a sequence classifier; this model is {tagger.architecture.name!r}")
        return model_dir, tagger.architecture.spec, choice
    base = tagger.artifact.training.get("base_model_resolved")
    model = untrained_model(tmp, base if base and Path(base).exists() else None)
    return str(model), InputSpec(context_window=1), choice


def bench_predict(args) -> dict:
    import torch
    from transformers import pipeline

    from ..eval.metrics import classification_metrics
    from ..formats.rows import read_rows
    from ..model.backends import onnx_runtime_installed
    from ..model.labels import LABEL2ID, LABELS
    from ..model.tagger import Tagger

    torch.set_num_threads(args.threads)
    articles = corpus_articles(args.data, args.sentences)
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

    # transformers' pipeline: on the same model and the same inputs when the model is a sequence classifier;
    # for another architecture, on a sentence-pair classifier (one neighbour each side) of the same base
    ref_dir = tempfile.TemporaryDirectory()
    pipe_model, spec, reference = reference_model(args.reference, exact, args.model, Path(ref_dir.name))
    from ..model.features import inputs_for_articles

    f, s = inputs_for_articles(articles, spec, exact.tokenizer.sep_token, getattr(exact.architecture, "lexicon", None))
    enc_inputs = [{"text": x, "text_pair": y} for x, y in zip(f, s, strict=True)] if s else [{"text": x} for x in f]
    pipe = pipeline("text-classification", model=pipe_model, device="cpu", top_k=None)
    ref_tokens = pipe.tokenizer(f, s, truncation="longest_first" if s else True, max_length=spec.max_length)["input_ids"]
    ref_tokens_per_sentence = sum(map(len, ref_tokens)) / n
    print(f"  pipeline model: {'this model' if reference == 'model' else 'a sentence-pair classifier of the base'}"
          f" ({spec.context_window} neighbour(s) each side), {ref_tokens_per_sentence:.1f} tokens per sentence", flush=True)
    pipe_sps = {}
    for bs in args.pipeline_batch_sizes:
        list(pipe(enc_inputs[:8], batch_size=bs, truncation=True, max_length=spec.max_length))
        t = time.perf_counter()
        list(pipe(enc_inputs, batch_size=bs, truncation=True, max_length=spec.max_length))
        pipe_sps[bs] = n / (time.perf_counter() - t)
        print(f"  pipeline batch_size={bs}: {pipe_sps[bs]:.1f} sentences/s", flush=True)
    ref_dir.cleanup()
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
    tokens_per_sentence = sum(lengths) / n  # every model row counted, overlapping windows included
    flops = encoder_flops(exact.model.config, padded_widths(lengths, list(range(len(lengths))), exact.batch_size)) / n
    rate = {k: matmul_gflops(args.threads, k) for k in ("fp32", "bf16", "fp16")}
    ceiling = max(rate.values()) * 1e9 / flops
    needed = 5 * pipe_sps[best_bs] * flops / 1e9
    # torch's profiler sees torch operators only, so profile the torch fp32 path: the same arithmetic as every path
    top, in_torch = profile_top_ops(lambda: exact.predict_proba(articles[: max(1, len(articles) // 4)]))
    print(f"  profile of the torch fp32 predictor (a quarter of the articles): torch operators "
          f"{in_torch:.0%} of wall time; " + ", ".join(f"{name} {share:.0%}" for name, share in top), flush=True)
    print(f"  inputs: {len(lengths)} model rows of mean {np.mean(lengths):.1f} tokens, {tokens_per_sentence:.1f} tokens "
          f"per sentence (the pipeline's {ref_tokens_per_sentence:.1f}); {flops / 1e9:.3f} GFLOP per sentence; matmul "
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
        "architecture": exact.architecture.name, "pipeline_model": reference,
        "mean_tokens_per_input": round(float(np.mean(lengths)), 1),
        "tokens_per_sentence": round(tokens_per_sentence, 1),
        "pipeline_tokens_per_sentence": round(ref_tokens_per_sentence, 1),
        "gflop_per_sentence": round(flops / 1e9, 4),
        **{f"matmul_gflops_{k}": round(v, 1) for k, v in rate.items()},
        "gflops_needed_for_5x": round(needed, 1),
        "profile_torch_share_of_wall": round(in_torch, 3),
        "profile_top_ops": {name: round(share, 3) for name, share in top},
        "compute_ceiling_sentences_per_s": round(ceiling, 1),
        "compute_ceiling_vs_pipeline": round(ceiling / pipe_sps[best_bs], 2),
    }
    return result
