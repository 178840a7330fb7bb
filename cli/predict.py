"""``sourcetag predict``: label every sentence of new articles (a thin layer over :class:`Tagger`).

Articles stream through in chunks (:data:`CHUNK_CHARS`): each chunk is read, labelled and written before the next
is read, so memory stays flat however many articles there are. Rows go to a partial output first
(:mod:`sourcetag.partial`); the output file appears whole at the end, and ``--resume`` continues an interrupted run.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from .model.errors import InputError, OutputError, SourcetagError
from .model.evidence import named_sources
from .model.limits import MAX_ARTICLE_CHARS
from .model.records import PredictedRow, check_writable, write_text_atomic
from .partial import PartialOutput, csv_cell, partial_dir  # noqa: F401 (csv_cell: public here too)
from .readers import FORMATS, Article, ReadStats, iter_inputs

CHUNK_CHARS = 100_000
"""Characters of article text labelled at a time (about 800 sentences of news): enough length-sorted batches of
32 that padding stays as low as for one large batch, while a chunk's inputs and rows take a few MB at most."""


def _batch_size(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def _probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 <= value <= 1:  # NaN too
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1], got {text!r}")
    return value


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
    p.add_argument("--review-threshold", type=_probability, default=0.6,
                   help="flag needs_review when the top probability is below this (default 0.6)")
    p.add_argument("--precision", choices=("auto", "fp32", "bf16", "fp16", "onnx"), default="auto",
                   help="auto: bf16 on GPU and on CPUs with AMX; on other CPUs ONNX Runtime fp32 when installed, else torch fp32; fp32 forces exact torch fp32")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    p.add_argument("--batch-size", type=_batch_size, default=None, help="default: 32 on CPU, 128 on GPU")
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
    from .engines.options import add_engine_options

    add_engine_options(p)
    return p


def sentence_rows(article: Article, results) -> list[dict]:
    """Output rows of one article, serialised by the library's :class:`PredictedRow` (one to_dict for all)."""
    rows = []
    for k, s in enumerate(results):
        ev = {"cue": s.evidence.cue, "source": s.evidence.source} if s.evidence else None
        probs = {k2: round(v, 6) for k2, v in s.probs.items()}
        if article.sentences is not None:  # pre-split input: keep every input field, gold label renamed
            given = dict(article.sentences[k])
            if "label" in given:
                given["gold_label"] = given.pop("label")
            core = {f: given.pop(f) for f in ("id", "article", "idx", "text")}
            row = PredictedRow(**core, label=s.label, probs=probs, needs_review=s.needs_review, evidence=ev,
                               extra=given)
        else:
            row = PredictedRow(id=f"{article.id}-{s.idx}", article=article.id, idx=s.idx, text=s.text,
                               label=s.label, probs=probs, needs_review=s.needs_review, evidence=ev,
                               start=s.start, end=s.end)
        rows.append(row.to_dict())
    return rows


def profile(article: Article, rows: list[dict], labels) -> dict:
    counts = Counter(r["label"] for r in rows)
    n = len(rows)
    sources = named_sources((r["evidence"] or {}).get("source") for r in rows)
    return {"article": article.id, "source": article.source, "sentences": n,
            "counts": {k: counts.get(k, 0) for k in labels},
            "shares": {k: round(counts.get(k, 0) / n, 4) if n else 0.0 for k in labels},
            "sources": sources, **({"meta": article.meta} if article.meta else {})}


def profile_table(profiles: list[dict], labels, limit: int = 20, total: int | None = None) -> str:
    short = {"official_statement": "official", "attributed_claim": "attrib.", "unverified_assertion": "unverif.",
             "filler": "filler"}
    head = f"{'article':<28} {'sent':>5} " + " ".join(f"{short[k]:>9}" for k in labels) + "  sources"
    lines = [head, "-" * len(head)]
    for p in profiles[:limit]:
        srcs = "; ".join(p["sources"][:3]) + (" ..." if len(p["sources"]) > 3 else "")
        lines.append(f"{p['article'][:28]:<28} {p['sentences']:>5} "
                     + " ".join(f"{p['shares'][k]:>9.0%}" for k in labels) + f"  {srcs[:60]}")
    total = len(profiles) if total is None else total
    if total > limit:
        lines.append(f"... and {total - limit} more articles (see --profile)")
    return "\n".join(lines)


def chunks(articles: Iterable[Article], max_chars: int = CHUNK_CHARS) -> Iterator[list[Article]]:
    """Consecutive articles in groups of about ``max_chars`` characters (an article is never split)."""
    chunk: list[Article] = []
    size = 0
    for a in articles:
        chunk.append(a)
        size += len(a.text) if a.sentences is None else sum(len(r["text"]) for r in a.sentences)
        if size >= max_chars:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def label_chunk(tagger, chunk: list[Article]) -> tuple[str, str, int, list[tuple[str, str]]]:
    """JSONL rows and profiles of one chunk of articles, its number of sentences, and each row's id and source."""
    raw = [a for a in chunk if a.sentences is None]
    pre = [a for a in chunk if a.sentences is not None]
    results = {}
    if raw:
        for a, res in zip(raw, tagger.predict([a.text for a in raw]), strict=True):
            results[id(a)] = res.sentences
    if pre:
        for a, res in zip(pre, tagger.predict_sentences([[r["text"] for r in a.sentences] for a in pre]), strict=True):
            results[id(a)] = res
    rows, profiles, ids = [], [], []
    for a in chunk:
        arows = sentence_rows(a, results[id(a)])
        ids += [(str(r["id"]), a.source) for r in arows]
        rows += [json.dumps(r, ensure_ascii=False) + "\n" for r in arows]
        profiles.append(json.dumps(profile(a, arows, tagger.labels), ensure_ascii=False) + "\n")
    return "".join(rows), "".join(profiles), len(ids), ids


def skip_done(articles: Iterator[Article], done: list[str]) -> Iterator[Article]:
    """The articles after the ``done`` ones, checking that the inputs still start with exactly those."""
    for i, fingerprint in enumerate(done):
        a = next(articles, None)
        if a is None:
            raise OutputError(f"the inputs hold {i} articles, fewer than the {len(done)} the interrupted run "
                              "labelled; --force starts again")
        if a.fingerprint() != fingerprint:
            raise OutputError(f"{a.source}: not the article the interrupted run labelled at this place "
                              f"(article {i + 1}); the inputs changed since; --force starts again")
    yield from articles


def _model_fingerprint(model: str | None) -> str:
    from .model.artifact import artifact_fingerprint
    from .model.paths import default_model_dir

    return artifact_fingerprint(Path(model) if model else default_model_dir())  # empty: the model load reports it


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from .model.backends import resolve_device

    try:
        resolve_device(args.device)
    except ValueError as e:
        parser.error(f"argument --device: {e}")  # before any input is read or model loaded
    if args.resume and not args.output:
        parser.error("--resume needs --output: a run to standard output cannot be resumed")
    if args.max_article_chars < 1 or args.chunk_chars < 1:
        parser.error("--max-article-chars and --chunk-chars must be at least 1")
    err = sys.stderr

    def warn(msg: str) -> None:
        print(f"sourcetag predict: {msg}", file=err)

    from .engines.options import check_local, run_engine

    if args.engine != "local":
        return run_engine(args, parser, warn)
    check_local(args, parser)

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
    # what must not change between an interrupted run and its resumption (each changes the rows written)
    options = {"inputs": [str(Path(i).resolve()) if i != "-" else i for i in args.inputs],
               "input_format": args.input_format, "output_format": fmt, "profile": args.profile, "html": args.html,
               "model": str(Path(args.model).resolve()) if args.model else None,
               "model_metadata": _model_fingerprint(args.model), "precision": args.precision,
               "device": args.device, "batch_size": args.batch_size, "review_threshold": args.review_threshold,
               "max_article_chars": args.max_article_chars, "chunk_chars": args.chunk_chars,
               "skip_bad": args.skip_bad}
    if args.resume and not args.quiet and not partial_dir(out_path).exists():
        warn(f"{out_path}: no interrupted run to resume; starting from the first article")
    run = PartialOutput(out_path, options, resume=args.resume, force=args.force)
    stats = ReadStats()
    tagger = None
    try:
        articles = iter_inputs(args.inputs, args.input_format, args.skip_bad, warn, args.max_article_chars, stats)
        if run.resumed and not args.quiet:
            warn(f"resuming: {run.resumed} articles already labelled")
        bar = None
        if not args.quiet and err.isatty():
            from tqdm.auto import tqdm

            bar = tqdm(desc="predict", unit="article", initial=run.resumed, leave=False, file=err)
        row_ids = dict.fromkeys(run.row_ids(), "an earlier chunk")  # a row id may only occur once in the output
        for chunk in chunks(skip_done(articles, run.done), args.chunk_chars):
            if tagger is None:
                tagger = _load_tagger(args)
            rows, profiles, n, ids = label_chunk(tagger, chunk)
            for rid, source in ids:  # a pre-split row's own id can equal one made for a split article ("a-0")
                if rid in row_ids:
                    raise InputError(f"{source}: duplicate sentence id {rid!r} (also {row_ids[rid]})")
                row_ids[rid] = source
            run.commit([a.fingerprint() for a in chunk], rows, profiles, n, tagger.labels)
            if bar is not None:
                bar.update(len(chunk))
        if bar is not None:
            bar.close()
        if args.input_format == "auto" and not args.quiet and stats.formats:
            warn("input format: " + ", ".join(f"{k} ({v} file{'s' if v > 1 else ''})"
                                              for k, v in stats.formats.items()))
        if not run.done:
            raise InputError("no articles to label")
        table = profile_table(run.first_profiles(20), run.labels, total=len(run.done)) if not args.quiet else ""
        if html_path is not None:  # the page holds every row: it is the one output built in memory
            from .html_view import render_html
            from .model.records import read_predictions

            names = ", ".join(Path(i).name if i != "-" else "standard input" for i in args.inputs)
            write_text_atomic(html_path, render_html(read_predictions(run.rows_path), title=f"Sourcing view: {names}",
                                                     source=names, review_threshold=args.review_threshold))
        run.finish(fmt, profile_path, sys.stdout)
    except KeyboardInterrupt:
        if run.resumable:
            run.close()
            warn(f"interrupted after {_articles(len(run.done))}; the same command with --resume continues from there")
        else:
            run.discard()
            warn("interrupted")
        return 130
    except SourcetagError as e:
        # a run that labelled something keeps it, like an interrupted one: once the cause is fixed (a full disk,
        # a bad file further on), --resume continues instead of starting again
        if not run.resumable:
            run.discard()
            raise
        run.close()
        if len(run.done) == run.resumed:
            raise
        raise type(e)(f"{e}; what was labelled ({_articles(len(run.done))}) is kept for --resume",
                      option=e.option) from e
    except BaseException:
        run.close() if run.resumable else run.discard()
        raise
    if not args.quiet:
        print(table, file=err)
        where = f" to {out_path}" if out_path else ""
        print(f"labelled {run.sentences} sentences in {len(run.done)} articles{where}"
              + (f" ({run.resumed} of them before resuming)" if run.resumed else "")
              + (f"; skipped {len(stats.skipped)} bad input(s)" if stats.skipped else ""), file=err)
    return 0


def _articles(n: int) -> str:
    return f"{n} article{'' if n == 1 else 's'}"


def _load_tagger(args):
    from .model.tagger import Tagger

    return Tagger.load(args.model, device=args.device, precision=args.precision, batch_size=args.batch_size,
                       review_threshold=args.review_threshold, max_article_chars=args.max_article_chars)
