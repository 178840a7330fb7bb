"""Prediction rows as CSV: one row per sentence, probabilities and evidence in columns, and no cell that a
spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import json
from pathlib import Path

CSV_BASE = ["article", "idx", "id", "text", "start", "end", "label"]


def jsonl_to_csv(rows: Path, target: Path, labels) -> Path:
    """The JSONL prediction rows in ``rows`` as CSV in ``target`` (returned), in two passes over the file: the
    columns of every row first, then the rows."""
    extra: set[str] = set()
    with open(rows, encoding="utf-8") as f:
        for line in f:
            extra.update(json.loads(line))
    extra_cols = sorted(extra - set(CSV_BASE) - {"probs", "evidence", "needs_review"})
    fields = CSV_BASE + [f"p_{k}" for k in labels] + ["needs_review", "evidence_cue", "evidence_source"] + extra_cols
    with open(rows, encoding="utf-8") as src, open(target, "w", encoding="utf-8", newline="") as dst:
        w = csv.DictWriter(dst, fieldnames=fields, extrasaction="ignore")
        w.writerow({f: csv_cell(f) for f in fields})  # the header too: extra field names come from the input
        for line in src:
            w.writerow({k: csv_cell(v) for k, v in csv_row(json.loads(line), labels, extra_cols).items()})
    return target


def csv_row(r: dict, labels, extra_cols) -> dict:
    """One output row flattened for CSV: probabilities and evidence in columns, other values as JSON."""
    flat = {k: v for k, v in r.items() if k not in ("probs", "evidence")}
    flat.update({f"p_{k}": r["probs"][k] for k in labels})
    flat["evidence_cue"] = (r["evidence"] or {}).get("cue")
    flat["evidence_source"] = (r["evidence"] or {}).get("source")
    flat.update({k: json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v
                 for k, v in flat.items() if k in extra_cols})
    return flat


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """A text cell that a spreadsheet would run as a formula (``=HYPERLINK(...)``, ``+``, ``-``, ``@``, tab, CR at
    its start) gets a leading ``'``, which spreadsheets show as text (OWASP's advice on CSV injection); numbers,
    booleans and other text are unchanged. JSONL output keeps text exactly as read."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
