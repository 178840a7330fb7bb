"""``sourcetag evaluate``: the model against baselines on labelled sentences, with a report directory
(:func:`sourcetag.eval.compare.compare_and_report`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..model.errors import DataError, ModelError

HELP = "report a model's quality against baselines"


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


def parse(argv: list[str]) -> argparse.Namespace:
    return build_parser().parse_args(argv)


def run(args: argparse.Namespace) -> int:
    from ..formats.files import check_writable
    from ..formats.outputs import default_model_dir
    from ..formats.rows import read_rows
    from ..model.tagger import Tagger
    from .common import quiet_transformers

    quiet_transformers()

    def fail(msg: str) -> int:
        print(f"sourcetag evaluate: {msg}", file=sys.stderr)
        return 1

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
    except ModelError as e:
        return fail(str(e))
    from ..eval.compare import compare_and_report

    try:
        summary = compare_and_report(rows, args.data, tagger, report_dir, others, args.train_data,
                                     progress=not args.quiet and sys.stderr.isatty())
    except DataError as e:  # the training split of the fitted baselines
        return fail(str(e))
    if not args.quiet:
        print(summary)
        print(f"\nreport: {report_dir.resolve()}/report.md")
    return 0
