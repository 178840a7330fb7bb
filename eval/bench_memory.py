"""Benchmark: the peak resident memory of a fresh ``sourcetag predict`` process (see :mod:`sourcetag.eval.benchmark`)."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def corpus_articles(path: str, n: int) -> list[list[str]]:
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


def untrained_model(out: Path, base: str | None = None) -> Path:
    """A base model (default: the default base) with a new, untrained classification head, saved as a sourcetag
    sequence model reading one neighbour on each side as a text pair: the same computation and memory as a trained
    pair model (the weights do not change either), for when none is at hand."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from ..model.artifact import ModelArtifact, write_artifact
    from ..model.features import InputSpec
    from ..model.labels import ID2LABEL, LABEL2ID, LABELS
    from ..model.paths import DEFAULT_BASE_MODEL, resolve_base_model

    base = resolve_base_model(base or DEFAULT_BASE_MODEL)
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
