"""Benchmark: the HTML view of many articles, rendered and opened in a browser (see :mod:`sourcetag.eval.benchmark`)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np


def synthetic_predictions(path: str, n_articles: int, seed: int = 0) -> list[dict]:
    """Prediction rows for ``n_articles`` articles made from the corpus (cycled), with random probabilities."""
    from ..formats.rows import group_articles, read_rows
    from ..model.evidence import find_evidence
    from ..model.labels import LABELS

    rng = np.random.default_rng(seed)
    corpus = group_articles(read_rows(path))
    rows = []
    for a in range(n_articles):
        art, pos = corpus[a % len(corpus)], 0
        for k, r in enumerate(art):
            p = rng.dirichlet([0.3] * len(LABELS))
            p[LABELS.index(r.label)] += 1.5  # mostly right, sometimes unsure
            p /= p.sum()
            label = LABELS[int(p.argmax())]
            ev = find_evidence(r.text) if label in ("official_statement", "attributed_claim") else None
            start = pos + (2 if k and k % 3 == 0 else 1 if k else 0)  # a paragraph every three sentences
            pos = start + len(r.text)
            rows.append({"article": f"{a:04d}-{r.article}", "idx": k, "id": f"{a:04d}-{r.id}", "text": r.text,
                         "start": start, "end": pos, "label": label,
                         "probs": {name: round(float(v), 6) for name, v in zip(LABELS, p, strict=True)},
                         "needs_review": bool(p.max() < 0.6),
                         "evidence": {"cue": ev.cue, "source": ev.source} if ev else None})
    return rows


def bench_view(args) -> dict:
    from ..formats.files import write_jsonl_atomic, write_text_atomic
    from ..formats.predictions import read_predictions
    from ..view.browser import Browser, BrowserError
    from ..view.render import render_html

    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "predictions.jsonl", Path(args.output or Path(tmp) / "view.html")
        write_jsonl_atomic(src, synthetic_predictions(args.data, args.articles))
        t0 = time.perf_counter()
        rows = read_predictions(src)
        t1 = time.perf_counter()
        page = render_html(rows, title=f"{args.articles} articles")
        t2 = time.perf_counter()
        write_text_atomic(out, page)
        t3 = time.perf_counter()
        result: dict = {"articles": args.articles, "sentences": len(rows),
                        "jsonl_mb": round(src.stat().st_size / 1e6, 2), "html_mb": round(out.stat().st_size / 1e6, 2),
                        "read_s": round(t1 - t0, 2), "render_s": round(t2 - t1, 2), "write_s": round(t3 - t2, 2),
                        "total_s": round(t3 - t0, 2)}
        try:
            with Browser(timeout=120) as b:
                t4 = time.perf_counter()
                tab = b.open(out)
                t5 = time.perf_counter()
                last = f"a{args.articles}"
                tab.evaluate(f"document.getElementById('{last}').open = true; "
                             f"document.getElementById('{last}').scrollIntoView(); "
                             "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
                t6 = time.perf_counter()
                tab.evaluate("document.querySelector('input[data-filter=f]').click(); document.body.offsetHeight; "
                             "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
                t7 = time.perf_counter()
                result.update(browser_load_s=round(t5 - t4, 2), browser_open_last_article_s=round(t6 - t5, 2),
                              browser_filter_s=round(t7 - t6, 2),
                              dom_sentences=tab.evaluate("document.querySelectorAll('.text .s').length"),
                              console_errors=tab.errors + tab.requests)
        except BrowserError as e:
            result["browser"] = f"not measured: {e}"
    return result
