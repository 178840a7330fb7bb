"""Benchmark: the pipelined predictor (:mod:`sourcetag.engines.pipeline`) against today's ``Tagger`` path, side by
side in one run, on the same model, hardware and sentences (see :mod:`sourcetag.eval.benchmark`).

Both paths are timed end to end on pre-split articles, labels and evidence included
(``predict_sentences``), alternately, ``repeats`` times each (the best time counts: other work on the machine
only slows a run down). On a GPU the bare model is timed too: the pipeline's own batches already on the device,
module weights in bf16, forward only; the ratio of the pipeline to it is the issue's target (>= 0.5).
"""

from __future__ import annotations

import time

import numpy as np


def _sync(device) -> None:
    if device.type == "cuda":
        import torch

        torch.cuda.synchronize(device)


def bare_forward_rate(pipe, articles, dtype_name: str = "bf16", repeats: int = 2) -> float:
    """Sentences/s of the module alone on the pipeline's batches of ``articles``, inputs already on the device,
    weights cast to ``dtype_name``; the logits are not copied back."""
    import copy

    import torch

    device = pipe.tagger.device
    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[dtype_name]
    module = copy.deepcopy(pipe.tagger.model).to(device=device, dtype=dtype).eval()
    p = pipe.prepare(None, [list(a) for a in articles])
    batches = [{k: torch.as_tensor(v).to(device) for k, v in b.items()} for b in p.batches]
    best = float("inf")
    with torch.inference_mode():
        module(**batches[0])
        for _ in range(repeats):
            _sync(device)
            t = time.perf_counter()
            for b in batches:
                module(**b)
            _sync(device)
            best = min(best, time.perf_counter() - t)
    del module
    return p.sentences / best


def bench_pipeline(args, articles=None) -> dict:
    import torch

    from ..engines.pipeline import Pipeline
    from ..model.tagger import Tagger

    if args.threads:
        torch.set_num_threads(args.threads)
    if articles is None:
        from .bench_memory import corpus_articles

        articles = corpus_articles(args.data, args.sentences)
    n = sum(map(len, articles))
    tagger = Tagger.load(args.model, device=args.device, precision=args.precision)
    pipe = Pipeline(tagger, token_budget=args.token_budget)
    path = "onnx fp32" if tagger.backend == "onnx" else f"torch {tagger.precision}"
    print(f"{n} sentences in {len(articles)} articles; device {tagger.device}; {torch.get_num_threads()} threads; "
          f"Tagger path: {path}, batch {tagger.batch_size}; pipeline token budget {pipe.token_budget}; "
          f"{tagger.architecture.describe()}", flush=True)

    def today():
        return tagger.predict_sentences(articles)

    def pipelined():
        return pipe.predict_sentences(articles, chunk_sentences=args.chunk_sentences)

    tagger.predict_sentences(articles[:2])  # warm-up (ONNX export and session, CUDA kernels)
    pipelined()  # warm-up, and the bf16 probe on a GPU
    best = {"tagger": float("inf"), "pipeline": float("inf")}
    outs = {}
    for _ in range(args.repeats):
        for name, fn in (("tagger", today), ("pipeline", pipelined)):
            _sync(tagger.device)
            t = time.perf_counter()
            outs[name] = fn()
            _sync(tagger.device)
            best[name] = min(best[name], time.perf_counter() - t)
    rate = {k: n / v for k, v in best.items()}
    a = np.array([[s.probs[k] for k in tagger.labels] for art in outs["tagger"] for s in art])
    b = np.array([[s.probs[k] for k in tagger.labels] for art in outs["pipeline"] for s in art])
    result = {
        "sentences": n, "device": str(tagger.device), "threads": torch.get_num_threads(),
        "tagger_path": path, "pipeline_precision": pipe.precision if pipe.gpu else path,
        "pipeline_probe": pipe.probe, "token_budget": pipe.token_budget,
        "tagger_sentences_per_s": round(rate["tagger"], 1), "pipeline_sentences_per_s": round(rate["pipeline"], 1),
        "pipeline_vs_tagger": round(rate["pipeline"] / rate["tagger"], 3),
        "argmax_agreement": round(float((a.argmax(1) == b.argmax(1)).mean()), 4),
        "max_probability_difference": float(np.abs(a - b).max()) if len(a) else 0.0,
    }
    print(f"  Tagger.predict_sentences ({path}): {rate['tagger']:,.1f} sentences/s", flush=True)
    print(f"  pipeline.predict_sentences ({result['pipeline_precision']}): {rate['pipeline']:,.1f} sentences/s "
          f"= {result['pipeline_vs_tagger']:.2f}x; argmax agreement {result['argmax_agreement']:.4f}", flush=True)
    if pipe.gpu or args.bare:
        bare = bare_forward_rate(pipe, articles, "bf16" if tagger.device.type == "cuda" else "fp32")
        result["bare_forward_sentences_per_s"] = round(bare, 1)
        result["pipeline_vs_bare_forward"] = round(rate["pipeline"] / bare, 3)
        print(f"  bare model forward ({'bf16' if tagger.device.type == 'cuda' else 'fp32'} weights, batches on the "
              f"device): {bare:,.1f} sentences/s; pipeline / bare = {result['pipeline_vs_bare_forward']:.2f} "
              "(target >= 0.50 on a GPU)", flush=True)
    return result
