"""``sourcetag view``: an HTML page of prediction JSONL (:func:`sourcetag.view.render.render_html`), optionally
checked and photographed in headless Chromium (:func:`sourcetag.view.browser.check_page`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "an HTML page of predictions, every sentence highlighted by its label"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="sourcetag view",
        description="Write one self-contained HTML page (no network) showing each article with every sentence "
                    "highlighted by its label, from the JSONL that 'sourcetag predict' writes.")
    p.add_argument("predictions", metavar="PREDICTIONS.jsonl", help="prediction rows, or - for standard input")
    p.add_argument("-o", "--output", required=True, help="the HTML file to write")
    p.add_argument("--title", help="page title (default: from the input file name)")
    p.add_argument("--screenshot", metavar="PNG",
                   help="also open the page in headless Chromium, fail on console errors, and save a full-page PNG")
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    return p


def parse(argv: list[str]) -> argparse.Namespace:
    return build_parser().parse_args(argv)


def _warn(msg: str) -> None:
    print(f"sourcetag view: {msg}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    from ..formats.files import write_text_atomic
    from ..formats.predictions import predictions_from_text, read_predictions
    from ..model.errors import DataError

    out = Path(args.output)
    shot = Path(args.screenshot) if args.screenshot else None
    for p in (out, shot):
        if p is not None and p.exists() and not args.force:
            _warn(f"{p} exists; pass --force to overwrite it")
            return 1
    try:
        if args.predictions == "-":
            rows = predictions_from_text(sys.stdin.read(), "<stdin>")
        else:
            rows = read_predictions(args.predictions)
    except DataError as e:
        _warn(str(e))
        return 1
    name = "standard input" if args.predictions == "-" else Path(args.predictions).name
    from ..view.render import render_html

    write_text_atomic(out, render_html(rows, title=args.title or f"Sourcing view: {name}", source=name))
    articles = len({r.article for r in rows})
    print(f"sourcetag view: {len(rows)} sentences in {articles} articles to {out}", file=sys.stderr)
    if shot is not None:
        from ..view.browser import BrowserError, check_page

        try:
            problems = check_page(out, screenshot=shot)
        except BrowserError as e:
            _warn(f"screenshot: {e}")
            return 1
        if problems:
            _warn(f"{out} raised {len(problems)} error(s) in the browser:\n  " + "\n  ".join(problems))
            return 1
        print(f"sourcetag view: screenshot {shot}", file=sys.stderr)
    return 0
