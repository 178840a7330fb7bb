"""``sourcetag evaluate``: the model against baselines on labelled sentences, with a report directory."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sourcetag evaluate",
                                description="Per-label quality, baselines, calibration and errors on labelled sentences.")
    p.add_argument("--model", help="model directory (default: $SOURCETAG_MODEL or the default model)")
    p.add_argument("--data", default="data/test.jsonl", help="labelled sentence JSONL (default: data/test.jsonl)")
    p.add_argument("--train-data", default="data/train.jsonl",
                   help="training split for the fitted baselines (default: data/train.jsonl; skipped if missing)")
    p.add_argument("--compare", action="append", default=[], metavar="NAME=DIR",
                   help="another trained model to report beside it, e.g. 'no context=runs/x' (repeatable)")
    p.add_argument("--report", help="report directory (default: <model>/report-<data name>)")
    p.add_argument("--precision", default="auto", choices=("auto", "fp32", "bf16", "fp16", "onnx"))
    p.add_argument("--model-option", action="append", default=[], metavar="KEY=VALUE",
                   help="prediction-time option of the model, e.g. 'overlap=0' for the article encoder's windows "
                        "(repeatable)")
    p.add_argument("--force", action="store_true", help="overwrite an existing report directory")
    p.add_argument("--quiet", action="store_true")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def fail(msg: str) -> int:
        print(f"sourcetag evaluate: {msg}", file=sys.stderr)
        return 1

    from ..model.paths import default_model_dir
    from ..model.records import DataError, check_writable, read_rows, staged_directory
    from ..model.tagger import ModelLoadError, Tagger
    from .baselines import all_baselines
    from .evaluator import Evaluator, score
    from .report import write_report

    try:
        rows = read_rows(args.data)
    except DataError as e:
        return fail(str(e))
    if not rows:
        return fail(f"{args.data}: no sentences")
    model_dir = Path(args.model) if args.model else default_model_dir()
    report_dir = Path(args.report) if args.report else model_dir / f"report-{Path(args.data).stem}"
    if report_dir.exists() and any(report_dir.iterdir()) and not args.force:
        return fail(f"{report_dir} exists; pass --force to overwrite it")
    check_writable(report_dir)
    compare = []
    for item in args.compare:
        name, sep, path = item.partition("=")
        if not sep:
            return fail(f"--compare takes NAME=DIR, got {item!r}")
        compare.append((name, path))
    options = {}
    for item in args.model_option:
        key, sep, value = item.partition("=")
        try:
            options[key] = float(value)
        except ValueError:
            return fail(f"--model-option takes KEY=NUMBER, got {item!r}")
    try:
        tagger = Tagger.load(args.model, precision=args.precision, options=options or None)
        others = [(name, Tagger.load(path, precision=args.precision)) for name, path in compare]
    except ModelLoadError as e:
        return fail(str(e))
    progress = not args.quiet and sys.stderr.isatty()
    evaluator = Evaluator(rows, name=Path(args.data).stem)
    model_name = f"sourcetag ({tagger.architecture.describe()})"
    def scores_only(r: dict) -> dict:
        return {k: v for k, v in r.items() if k not in ("calibration", "probs")}

    result = evaluator(tagger, progress)
    systems = {model_name: scores_only(result)}
    systems.update((name, scores_only(evaluator(other, progress))) for name, other in others)
    train_rows = None
    if args.train_data and Path(args.train_data).is_file():
        try:
            train_rows = read_rows(args.train_data)
        except DataError as e:
            return fail(str(e))
    for b in all_baselines(train_rows):
        systems[b.name] = score(rows, b.predict(rows))
    pred = np.asarray(result["probs"]).argmax(-1)
    if not report_dir.exists():  # a report folder made inside a trained model's folder goes with it on train --force
        from ..model.paths import record_written

        record_written(report_dir.parent, report_dir.name)
    with staged_directory(report_dir) as staged:  # an interrupted or failed report leaves no half directory
        summary = write_report(staged, str(args.data), model_name, systems, result["calibration"], rows, pred)
    if not args.quiet:
        print(summary)
        print(f"\nreport: {report_dir.resolve()}/report.md")
    return 0
