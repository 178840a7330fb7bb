#!/usr/bin/env bash
# GPU check for issue 16 (batch prediction at scale), for a machine with an NVIDIA GPU: at most 5 minutes.
#
#   bash scripts/gpu_check.sh [MODEL_DIR] [SENTENCES]
#
# Prints, in one run on the same GPU and the same sentences (with context, from data/train.jsonl):
#   1. transformers' pipeline (text pairs, batch 128)              sentences/s
#   2. Tagger.predict_sentences, fp32 and the `auto` path, batch 512 sentences/s
#   3. the bare model alone, pre-tokenized batches already on the GPU, fp32 and bf16 weights: forward sentences/s,
#      and the bf16 argmax agreement with fp32
#   3b. the pipelined predictor (sourcetag.engines.pipeline, what `sourcetag predict` uses on a GPU) end to end,
#      labels and evidence included, against the Tagger and against the bare model's bf16 forward on the
#      pipeline's own batches, both timed in the same run (`python -m sourcetag.eval.benchmark pipeline`), with
#      its bf16 probe (argmax agreement with fp32 on the first chunk) and the ratios to the bare forward (target
#      >= 0.50) and to transformers' pipeline (target >= 20x)
#   4. sourcetag predict --engine ray --device cuda --workers 1 on the seed articles: rows equal to the local
#      engine's (by id), and both wall times
# and the hardware (nvidia-smi, torch, CUDA). Without MODEL_DIR an untrained head on the default base model is
# used (the same computation as a trained default model). SENTENCES defaults to 20,000.
# GPU_CHECK_ALLOW_CPU=1 runs it on the CPU with few sentences, only to check the script itself.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
MODEL=${1:-}
N=${2:-20000}
export HF_HUB_OFFLINE=1 RAY_USAGE_STATS_ENABLED=0 TOKENIZERS_PARALLELISM=false
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo "no nvidia-smi"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
timeout 270 "$PY" - "$MODEL" "$N" "$WORK" <<'EOF'
import json, os, sys, time
from pathlib import Path

import numpy as np
import torch

model_arg, n, work = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
cpu_ok = os.environ.get("GPU_CHECK_ALLOW_CPU") == "1"
if not torch.cuda.is_available() and not cpu_ok:
    sys.exit("gpu_check: no CUDA device (GPU_CHECK_ALLOW_CPU=1 checks the script on the CPU)")
dev = "cuda" if torch.cuda.is_available() else "cpu"
print(f"torch {torch.__version__}, CUDA {torch.version.cuda}, device "
      f"{torch.cuda.get_device_name(0) if dev == 'cuda' else 'cpu'}", flush=True)

from sourcetag.eval.bench_memory import corpus_articles, untrained_model
from sourcetag.model.features import inputs_for_articles
from sourcetag.model.tagger import Tagger

model = model_arg or str(untrained_model(work / "model"))
articles = corpus_articles("data/train.jsonl", n)
n = sum(map(len, articles))
print(f"model {model_arg or 'untrained head on the default base model'}; {n} sentences in {len(articles)} articles",
      flush=True)


def sync():
    if dev == "cuda":
        torch.cuda.synchronize()


def rate(fn, warm=None):
    fn(warm) if warm is not None else None
    sync()
    t = time.perf_counter()
    out = fn(None)
    sync()
    return out, n / (time.perf_counter() - t)


results = {}
exact = Tagger.load(model, device=dev, precision="fp32", batch_size=512)
spec = exact.architecture.spec  # the sentence-pair architecture (the default); the pipeline needs its text pairs
f, s = inputs_for_articles(articles, spec, exact.tokenizer.sep_token, exact.architecture.lexicon)

# 1. pipeline
from transformers import pipeline

pipe = pipeline("text-classification", model=model, device=0 if dev == "cuda" else -1, top_k=None)
enc = [{"text": x, "text_pair": y} for x, y in zip(f, s, strict=True)] if s else [{"text": x} for x in f]
_, results["pipeline, batch 128"] = rate(
    lambda w: list(pipe(enc[:256] if w else enc, batch_size=128, truncation=True, max_length=spec.max_length)),
    warm=True)

# 2. Tagger
for name in ("fp32", "auto"):
    tg = exact if name == "fp32" else Tagger.load(model, device=dev, precision="auto", batch_size=512)
    _, results[f"Tagger.predict_sentences {name} ({tg.precision}), batch 512"] = rate(
        lambda w, tg=tg: tg.predict_sentences(articles[:5] if w else articles), warm=True)

# 3. bare model, pre-tokenized batches on the device
from transformers import AutoModelForSequenceClassification

tok = exact.tokenizer
enc_all = tok(f, s, truncation=True, max_length=spec.max_length) if s else tok(f, truncation=True,
                                                                                      max_length=spec.max_length)
order = np.argsort([len(x) for x in enc_all["input_ids"]])
batches = []
for i in range(0, n, 512):
    idx = order[i:i + 512]
    b = tok.pad({"input_ids": [enc_all["input_ids"][j] for j in idx],
                 "attention_mask": [enc_all["attention_mask"][j] for j in idx]}, return_tensors="pt")
    batches.append({k: v.to(dev) for k, v in b.items()})
bare = {}
for dtype in (torch.float32, torch.bfloat16):
    m = AutoModelForSequenceClassification.from_pretrained(model).to(dev, dtype=dtype).eval()

    def fwd(w, m=m):
        with torch.inference_mode():
            return [m(**b).logits.float() for b in (batches[:1] if w else batches)]
    logits, sps = rate(fwd, warm=True)
    bare[dtype] = torch.cat(logits).argmax(-1).cpu()
    results[f"bare model, {str(dtype).split('.')[-1]} weights, forward only"] = sps
agree = float((bare[torch.float32] == bare[torch.bfloat16]).float().mean())

# 3b. the pipelined predictor, end to end, and the bare bf16 forward on its batches, in the same run
import argparse

from sourcetag.eval.bench_pipeline import bench_pipeline

os.environ["TOKENIZERS_PARALLELISM"] = "true"  # encode_batch on every core from here (no fork follows in this process)

bp = bench_pipeline(argparse.Namespace(model=model, device=dev, precision="auto", token_budget=None,
                                       chunk_sentences=4096, repeats=2, bare=True, threads=0), articles=articles)
results[f"pipeline end to end ({bp['pipeline_precision']})"] = bp["pipeline_sentences_per_s"]
results["bare model on the pipeline's batches, forward only"] = bp["bare_forward_sentences_per_s"]

print("\npath                                                sentences/s")
for k, v in results.items():
    print(f"{k:<52}{v:>11,.0f}")
print(f"bare bf16 argmax agreement with fp32: {agree:.4f}")
bf16 = results["bare model, bfloat16 weights, forward only"]
best = max(v for k, v in results.items() if k.startswith("Tagger"))
print(f"best Tagger path / bare bf16 forward: {best / bf16:.2f} (target >= 0.50); "
      f"/ pipeline: {best / results['pipeline, batch 128']:.1f}x (target >= 20x)")
fast = bp["pipeline_sentences_per_s"]
print(f"pipelined predictor end to end: {fast:,.0f} sentences/s; bf16 probe {bp['pipeline_probe']}; "
      f"/ bare forward on its batches (same run): {bp['pipeline_vs_bare_forward']:.2f}; / bare bf16 forward "
      f"(step 3): {fast / bf16:.2f} (target >= 0.50); / transformers' pipeline: "
      f"{fast / results['pipeline, batch 128']:.1f}x (target >= 20x); / Tagger: {bp['pipeline_vs_tagger']:.2f}x")
(work / "model_path").write_text(model)
EOF
# 4. the Ray engine on the GPU: same rows as the local engine, on the seed articles
MODEL_DIR=${MODEL:-$WORK/model}
[ -d "$MODEL_DIR" ] || MODEL_DIR=$(cat "$WORK/model_path")
DEVICE=cuda; [ "${GPU_CHECK_ALLOW_CPU:-}" = 1 ] && ! nvidia-smi -L >/dev/null 2>&1 && DEVICE=cpu
t0=$(date +%s.%N)
timeout 60 "$PY" -m sourcetag predict --quiet --model "$MODEL_DIR" --device "$DEVICE" seeds -o "$WORK/local.jsonl"
t1=$(date +%s.%N)
timeout 120 "$PY" -m sourcetag predict --quiet --model "$MODEL_DIR" --device "$DEVICE" seeds -o "$WORK/ray.jsonl" \
  --engine ray --workers 1
t2=$(date +%s.%N)
"$PY" - "$WORK/local.jsonl" "$WORK/ray.jsonl" "$t0" "$t1" "$t2" <<'EOF'
import json, sys
a, b = ({(r := json.loads(line))["id"]: r for line in open(p, encoding="utf-8")} for p in sys.argv[1:3])
t0, t1, t2 = map(float, sys.argv[3:])
same = sum(a[k] == b.get(k) for k in a)
print(f"ray engine on the seeds: {same}/{len(a)} rows equal to the local engine's ({len(b)} written); "
      f"wall {t2 - t1:.1f} s against {t1 - t0:.1f} s local (Ray start-up included)")
EOF
