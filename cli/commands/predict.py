"""``sourcetag predict``: label every sentence of new articles (:func:`sourcetag.formats.stream.label_into` with a
:class:`~sourcetag.model.tagger.Tagger`, or another engine).

Rows go to a partial output first (:mod:`sourcetag.formats.partial`); the output file appears whole at the end,
and ``--resume`` continues an interrupted run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..formats.articles import FORMATS
from ..formats.stream import CHUNK_CHARS
from ..model.limits import MAX_ARTICLE_CHARS
from .common import positive_int, probability

HELP = "label the sentences of new articles"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sourcetag predict", description="Label every sentence of news articles.")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="files, directories (recursive) or - for stdin")
    p.add_argument("--model", help="model directory (default: $SOURCETAG_MODEL or the default model)")
    p.add_argument("-o", "--output", help="output file (default: standard output)")
    p.add_argument("--input-format", choices=FORMATS, default="auto")
    p.add_argument("--output-format", choices=("jsonl", "csv"), default=None,
                   help="default: from the output file's suffix, else jsonl")
    p.add_argument("--profile", help="write per-article sourcing profiles (JSONL) to this file")
    p.add_argument("--html", metavar="FILE", help="also write an HTML view of the predictions (see 'sourcetag view')")
    p.add_argument("--review-threshold", type=probability, default=0.6,
                   help="flag needs_review when the top probability is below this (default 0.6)")
    p.add_argument("--precision", choices=("auto", "fp32", "bf16", "fp16", "onnx"), default="auto",
                   help="auto: bf16 on GPU and on CPUs with AMX; on other CPUs ONNX Runtime fp32 when installed, else torch fp32; fp32 forces exact torch fp32")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    p.add_argument("--batch-size", type=positive_int, default=None, help="default: 32 on CPU, 128 on GPU")
    p.add_argument("--pipelined", choices=("auto", "on", "off"), default="auto",
                   help="label through the pipelined predictor, which overlaps splitting, tokenizing and writing "
                        "with the model and runs GPU models with bf16 weights when they agree with fp32 "
                        "(sourcetag.engines.pipeline); auto: on a GPU (default)")
    p.add_argument("--skip-bad", action="store_true", help="report and skip unreadable articles instead of stopping")
    p.add_argument("--max-article-chars", type=int, default=MAX_ARTICLE_CHARS, metavar="N",
                   help=f"refuse articles longer than this (default {MAX_ARTICLE_CHARS:,} characters)")
    p.add_argument("--chunk-chars", type=int, default=CHUNK_CHARS, metavar="N",
                   help=f"label and write articles in chunks of about this many characters (default {CHUNK_CHARS:,}); "
                        "an interrupted run keeps every finished chunk")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted run with the same inputs, options and output file")
    p.add_argument("--force", action="store_true",
                   help="overwrite existing output files (and drop an interrupted run's partial output)")
    p.add_argument("--quiet", action="store_true", help="no progress bar, no profile table")
    from ..engines.options import add_engine_options

    add_engine_options(p)
    return p


def parse(argv: list[str]) -> argparse.Namespace:
    """The arguments, checked before any input is read or model loaded."""
    parser = build_parser()
    args = parser.parse_args(argv)
    from ..model.backends import resolve_device

    try:
        resolve_device(args.device)
    except ValueError as e:
        parser.error(f"argument --device: {e}")
    if args.resume and not args.output:
        parser.error("--resume needs --output: a run to standard output cannot be resumed")
    if args.max_article_chars < 1 or args.chunk_chars < 1:
        parser.error("--max-article-chars and --chunk-chars must be at least 1")
    if args.engine == "local":
        from ..engines.options import check_local

        check_local(args, parser)
    return args


def _warn(msg: str) -> None:
    print(f"sourcetag predict: {msg}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    from .common import quiet_transformers

    quiet_transformers()
    if args.engine != "local":
        from ..engines.options import run_engine

        return run_engine(args, _warn)
    from ..formats.partial import PartialOutput, count_articles, partial_dir
    from ..formats.predictions import read_predictions
    from ..formats.profiles import profile_table
    from ..formats.readers import ReadStats, iter_inputs
    from ..formats.stream import label_into
    from ..model.errors import InputError

    out_path, profile_path, html_path, fmt = _outputs(args)
    if args.resume and not args.quiet and not partial_dir(out_path).exists():
        _warn(f"{out_path}: no interrupted run to resume; starting from the first article")
    run = PartialOutput(out_path, _run_options(args, fmt), resume=args.resume, force=args.force)
    stats = ReadStats()
    try:
        with run.kept_on_failure():
            articles = iter_inputs(args.inputs, args.input_format, args.skip_bad, _warn, args.max_article_chars, stats)
            if run.resumed and not args.quiet:
                _warn(f"resuming: {run.resumed} articles already labelled")
            bar = None
            if not args.quiet and sys.stderr.isatty():
                from tqdm.auto import tqdm

                bar = tqdm(desc="predict", unit="article", initial=run.resumed, leave=False, file=sys.stderr)
            label_into(run, articles, lambda: _load_tagger(args), args.chunk_chars, bar and bar.update,
                       fast={"auto": "auto", "on": True, "off": False}[args.pipelined])
            if bar is not None:
                bar.close()
            if args.input_format == "auto" and not args.quiet and stats.formats:
                _warn("input format: " + ", ".join(f"{k} ({v} file{'s' if v > 1 else ''})"
                                                   for k, v in stats.formats.items()))
            if not run.done:
                raise InputError("no articles to label")
            table = profile_table(run.first_profiles(20), run.labels, total=len(run.done)) if not args.quiet else ""
            if html_path is not None:  # the page holds every row: it is the one output built in memory
                from ..formats.files import write_text_atomic
                from ..view.render import render_html

                names = ", ".join(Path(i).name if i != "-" else "standard input" for i in args.inputs)
                write_text_atomic(html_path, render_html(read_predictions(run.rows_path), source=names,
                                                         title=f"Sourcing view: {names}",
                                                         review_threshold=args.review_threshold))
            run.finish(fmt, profile_path, sys.stdout)
    except KeyboardInterrupt:
        _warn(f"interrupted after {count_articles(len(run.done))}; the same command with --resume continues from "
              "there" if run.resumable else "interrupted")
        return 130
    if not args.quiet:
        print(table, file=sys.stderr)
        where = f" to {out_path}" if out_path else ""
        print(f"labelled {run.sentences} sentences in {len(run.done)} articles{where}"
              + (f" ({run.resumed} of them before resuming)" if run.resumed else "")
              + (f"; skipped {len(stats.skipped)} bad input(s)" if stats.skipped else ""), file=sys.stderr)
    return 0


def _outputs(args: argparse.Namespace) -> tuple[Path | None, Path | None, Path | None, str]:
    """The output, profile and HTML files (each checked: new, or ``--force``; writable) and the output format."""
    from ..formats.files import check_writable
    from ..model.errors import OutputError

    out_path = Path(args.output) if args.output else None
    profile_path = Path(args.profile) if args.profile else None
    html_path = Path(args.html) if args.html else None
    for p in (out_path, profile_path, html_path):
        if p is not None and p.exists() and not args.force:
            raise OutputError(f"{p} exists; pass --force to overwrite it")
    for p in (out_path, profile_path, html_path):
        if p is not None:
            check_writable(p)
    fmt = args.output_format or ("csv" if out_path and out_path.suffix.lower() == ".csv" else "jsonl")
    return out_path, profile_path, html_path, fmt


def _run_options(args: argparse.Namespace, fmt: str) -> dict:
    """What must not change between an interrupted run and its resumption (each changes the rows written)."""
    from ..formats.stream import model_fingerprint

    return {"inputs": [str(Path(i).resolve()) if i != "-" else i for i in args.inputs],
            "input_format": args.input_format, "output_format": fmt, "profile": args.profile, "html": args.html,
            "model": str(Path(args.model).resolve()) if args.model else None,
            "model_metadata": model_fingerprint(args.model), "precision": args.precision,
            "device": args.device, "batch_size": args.batch_size, "review_threshold": args.review_threshold,
            "max_article_chars": args.max_article_chars, "chunk_chars": args.chunk_chars,
            "skip_bad": args.skip_bad}


def _load_tagger(args: argparse.Namespace):
    from ..model.tagger import Tagger

    return Tagger.load(args.model, device=args.device, precision=args.precision, batch_size=args.batch_size,
                       review_threshold=args.review_threshold, max_article_chars=args.max_article_chars)
