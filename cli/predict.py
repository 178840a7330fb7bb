"""``sourcetag predict``: label every sentence of new articles (a thin layer over :class:`Tagger`)."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections import Counter
from pathlib import Path

from .model.evidence import named_sources
from .model.records import write_jsonl_atomic, write_text_atomic
from .readers import FORMATS, Article, InputError, read_inputs


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
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    p.add_argument("--quiet", action="store_true", help="no progress bar, no profile table")
    return p


def sentence_rows(article: Article, results) -> list[dict]:
    rows = []
    for k, s in enumerate(results):
        ev = s.evidence
        row = {"article": article.id, "idx": s.idx, "id": f"{article.id}-{s.idx}", "text": s.text,
               "start": s.start, "end": s.end}
        if article.sentences is not None:  # pre-split input: keep every input field, gold label renamed
            given = dict(article.sentences[k])
            if "label" in given:
                given["gold_label"] = given.pop("label")
            row = {**given, "start": None, "end": None}
        row.update({"label": s.label, "probs": {k2: round(v, 6) for k2, v in s.probs.items()},
                    "needs_review": s.needs_review,
                    "evidence": {"cue": ev.cue, "source": ev.source} if ev else None})
        rows.append(row)
    return rows


def profile(article: Article, rows: list[dict], labels) -> dict:
    counts = Counter(r["label"] for r in rows)
    n = len(rows)
    sources = named_sources((r["evidence"] or {}).get("source") for r in rows)
    return {"article": article.id, "source": article.source, "sentences": n,
            "counts": {k: counts.get(k, 0) for k in labels},
            "shares": {k: round(counts.get(k, 0) / n, 4) if n else 0.0 for k in labels},
            "sources": sources, **({"meta": article.meta} if article.meta else {})}


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """A text cell that a spreadsheet would run as a formula (``=HYPERLINK(...)``, ``+``, ``-``, ``@``, tab, CR at
    its start) gets a leading ``'``, which spreadsheets show as text (OWASP's advice on CSV injection); numbers,
    booleans and other text are unchanged. JSONL output keeps text exactly as read."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def format_rows(rows: list[dict], fmt: str, labels) -> str:
    if fmt == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    buf = io.StringIO()
    base = ["article", "idx", "id", "text", "start", "end", "label"]
    extra = sorted({k for r in rows for k in r} - set(base) - {"probs", "evidence", "needs_review"})
    fields = base + [f"p_{k}" for k in labels] + ["needs_review", "evidence_cue", "evidence_source"] + extra
    w = csv.DictWriter(buf, fieldnames=fields, extrasaction="ignore")
    w.writerow({f: csv_cell(f) for f in fields})  # the header too: extra field names come from the input
    for r in rows:
        flat = {k: v for k, v in r.items() if k not in ("probs", "evidence")}
        flat.update({f"p_{k}": r["probs"][k] for k in labels})
        flat["evidence_cue"] = (r["evidence"] or {}).get("cue")
        flat["evidence_source"] = (r["evidence"] or {}).get("source")
        flat.update({k: json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v
                     for k, v in flat.items() if k in extra})
        w.writerow({k: csv_cell(v) for k, v in flat.items()})
    return buf.getvalue()


def profile_table(profiles: list[dict], labels, limit: int = 20) -> str:
    short = {"official_statement": "official", "attributed_claim": "attrib.", "unverified_assertion": "unverif.",
             "filler": "filler"}
    head = f"{'article':<28} {'sent':>5} " + " ".join(f"{short[k]:>9}" for k in labels) + "  sources"
    lines = [head, "-" * len(head)]
    for p in profiles[:limit]:
        srcs = "; ".join(p["sources"][:3]) + (" ..." if len(p["sources"]) > 3 else "")
        lines.append(f"{p['article'][:28]:<28} {p['sentences']:>5} "
                     + " ".join(f"{p['shares'][k]:>9.0%}" for k in labels) + f"  {srcs[:60]}")
    if len(profiles) > limit:
        lines.append(f"... and {len(profiles) - limit} more articles (see --profile)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from .model.tagger import resolve_device

    try:
        resolve_device(args.device)
    except ValueError as e:
        parser.error(f"argument --device: {e}")  # before any input is read or model loaded
    err = sys.stderr

    def warn(msg: str) -> None:
        print(f"sourcetag predict: {msg}", file=err)

    out_path = Path(args.output) if args.output else None
    for p in (out_path, Path(args.profile) if args.profile else None, Path(args.html) if args.html else None):
        if p is not None and p.exists() and not args.force:
            warn(f"{p} exists; pass --force to overwrite it")
            return 1
    fmt = args.output_format or ("csv" if out_path and out_path.suffix.lower() == ".csv" else "jsonl")
    try:
        articles, skipped, formats = read_inputs(args.inputs, args.input_format, args.skip_bad, warn)
    except InputError as e:
        warn(str(e))
        return 1
    if args.input_format == "auto" and not args.quiet:
        warn("input format: " + ", ".join(f"{k} ({v} file{'s' if v > 1 else ''})" for k, v in formats.items()))
    if not articles:
        warn("no articles to label")
        return 1
    from .model.tagger import ModelLoadError, Tagger

    try:
        tagger = Tagger.load(args.model, device=args.device, precision=args.precision,
                             batch_size=args.batch_size, review_threshold=args.review_threshold)
    except ModelLoadError as e:
        warn(str(e))
        return 1
    progress = not args.quiet and err.isatty()
    raw = [a for a in articles if a.sentences is None]
    pre = [a for a in articles if a.sentences is not None]
    results = {}
    if raw:
        for a, res in zip(raw, tagger.predict([a.text for a in raw], progress=progress), strict=True):
            results[id(a)] = res.sentences
    if pre:
        for a, res in zip(pre, tagger.predict_sentences([[r["text"] for r in a.sentences] for a in pre], progress), strict=True):
            results[id(a)] = res
    rows, profiles = [], []
    ids: dict[str, str] = {}
    for a in articles:
        arows = sentence_rows(a, results[id(a)])
        for r in arows:  # a pre-split row's own id can equal one made for a split article ("a-0")
            if str(r["id"]) in ids:
                warn(f"{a.source}: duplicate sentence id {r['id']!r} (also {ids[str(r['id'])]})")
                return 1
            ids[str(r["id"])] = a.source
        rows.extend(arows)
        profiles.append(profile(a, arows, tagger.labels))
    text = format_rows(rows, fmt, tagger.labels)
    if out_path is None:
        sys.stdout.write(text)
    else:
        write_text_atomic(out_path, text)
    if args.profile:
        write_jsonl_atomic(Path(args.profile), profiles)
    if args.html:
        from .html_view import render_html
        from .model.records import PredictedRow

        names = ", ".join(Path(i).name if i != "-" else "standard input" for i in args.inputs)
        write_text_atomic(Path(args.html), render_html([PredictedRow.from_dict(r) for r in rows],
                                                       title=f"Sourcing view: {names}", source=names,
                                                       review_threshold=args.review_threshold))
    if not args.quiet:
        print(profile_table(profiles, tagger.labels), file=err)
        where = f" to {out_path}" if out_path else ""
        print(f"labelled {len(rows)} sentences in {len(articles)} articles{where}"
              + (f"; skipped {len(skipped)} bad input(s)" if skipped else ""), file=err)
    return 0
