"""Read articles for ``sourcetag predict``: plain text, HTML, JSONL articles, or pre-split sentences.

Every problem is an :class:`InputError` whose message names the file (and line).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .model.records import DataError, decode_text, group_articles, iter_jsonl_text, rows_from_text

FORMATS = ("auto", "text", "html", "jsonl", "sentences")
_SUFFIXES = {".txt": "text", ".text": "text", ".md": "text", ".html": "html", ".htm": "html",
             ".jsonl": "jsonl", ".json": "jsonl", ".ndjson": "jsonl"}


class InputError(ValueError):
    """Bad input; the message names the file and, where it applies, the line."""


@dataclass
class Article:
    """One article to label: raw ``text`` to split, or pre-split ``sentences`` (rows kept for output)."""

    id: str
    source: str
    text: str | None = None
    sentences: list[dict] | None = None
    meta: dict = field(default_factory=dict)
    id_given: bool = False
    """The id comes from the input itself (a JSONL ``id``, a sentence row's ``article``), not from a file name."""


def _decode(raw: bytes, name: str) -> str:
    if not raw.strip():
        raise InputError(f"{name}: empty file")
    try:
        return decode_text(raw, name)
    except DataError as e:
        raise InputError(str(e)) from e


def sniff(name: str, text: str) -> str:
    """Pick a format from the file name, then from the content."""
    fmt = _SUFFIXES.get(Path(name).suffix.lower())
    head = text.lstrip()[:500].lower()
    if fmt in (None, "text") and (head.startswith("<!doctype html") or head.startswith("<html")):
        return "html"
    if fmt == "jsonl" or (fmt is None and head.startswith("{")):
        first = next((ln for ln in text.splitlines() if ln.strip()), "")
        try:
            obj = json.loads(first)
        except json.JSONDecodeError:
            return "jsonl"  # the reader reports the malformed line
        return "sentences" if isinstance(obj, dict) and "article" in obj else "jsonl"
    return fmt or "text"


MIN_HTML_WORDS = 10
"""Fewer words than this after extraction means the page has no main text (only navigation or furniture)."""


def _html_article(html: str, name: str, art_id: str) -> Article:
    import trafilatura

    doc = None
    # precision first (it returns nothing for pages without an article); then trafilatura's own fallbacks
    for options in ({"favor_precision": True, "no_fallback": True}, {}):
        doc = trafilatura.bare_extraction(html, include_comments=False, include_tables=False, with_metadata=True,
                                          **options)
        if doc is not None and len((getattr(doc, "text", None) or "").split()) >= MIN_HTML_WORDS:
            break
        doc = None
    if doc is None:
        raise InputError(f"{name}: no main text found in the HTML page")
    body = doc.text
    title = getattr(doc, "title", None)
    text = f"{title}\n\n{body}" if title and not body.startswith(title) else body
    meta = {k: getattr(doc, k, None) for k in ("title", "url", "date", "author")}
    return Article(id=art_id, source=name, text=text, meta={k: v for k, v in meta.items() if v})


def _jsonl_articles(text: str, name: str) -> Iterator[Article]:
    stem = Path(name).stem
    for n, obj in iter_jsonl_text(text, name):
        body = obj.get("text")
        if not isinstance(body, str) or not body.strip():
            raise InputError(f"{name}:{n}: row has no 'text'")
        title = obj.get("title")
        full = f"{title}\n\n{body}" if isinstance(title, str) and title.strip() else body
        meta = {k: obj[k] for k in ("title", "url") if k in obj}
        yield Article(id=str(obj.get("id", f"{stem}:{n}")), source=f"{name}:{n}", text=full, meta=meta,
                      id_given="id" in obj)


def _sentence_articles(text: str, name: str) -> Iterator[Article]:
    for art in group_articles(rows_from_text(text, name, require_label=False)):
        yield Article(id=art[0].article, source=name, sentences=[r.to_dict() for r in art], id_given=True)


def read_source(name: str, raw: bytes, fmt: str, art_id: str) -> tuple[str, list[Article]]:
    """Articles in one file's bytes; returns the format used (``auto`` resolved) and the articles."""
    text = _decode(raw, name)
    used = sniff(name, text) if fmt == "auto" else fmt
    try:
        return used, _articles(text, name, used, art_id)
    except DataError as e:
        raise InputError(str(e)) from e


def _articles(text: str, name: str, used: str, art_id: str) -> list[Article]:
    if used == "text":
        return [Article(id=art_id, source=name, text=text)]
    if used == "html":
        return [_html_article(text, name, art_id)]
    if used == "jsonl":
        return list(_jsonl_articles(text, name))
    if used == "sentences":
        return list(_sentence_articles(text, name))
    raise InputError(f"{name}: unknown input format {used!r}")


def expand_inputs(inputs: list[str]) -> list[tuple[str, Path | None]]:
    """Input names in order: files as given, directories walked recursively (sorted, hidden files skipped)."""
    out: list[tuple[str, Path | None]] = []
    for item in inputs:
        if item == "-":
            out.append(("<stdin>", None))
            continue
        p = Path(item)
        if p.is_dir():
            files = sorted(f for f in p.rglob("*") if f.is_file()
                           and not any(part.startswith(".") for part in f.relative_to(p).parts))
            if not files:
                raise InputError(f"{p}: directory has no files")
            out.extend((str(f), f) for f in files)
        elif p.is_file():
            out.append((str(p), p))
        else:
            raise InputError(f"{p}: no such file or directory")
    return out


def article_id_for(name: str, path: Path | None, roots: list[str]) -> str:
    """A readable id: the path relative to the input directory, without its suffix."""
    if path is None:
        return "stdin"
    for r in roots:
        rp = Path(r)
        if rp.is_dir():
            try:
                return str(path.relative_to(rp).with_suffix(""))
            except ValueError:
                pass
    return path.stem


def read_inputs(inputs: list[str], fmt: str, skip_bad: bool, warn) -> tuple[list[Article], list[str], dict]:
    """All articles of all inputs; bad ones raise, or with ``skip_bad`` are reported and skipped."""
    articles: list[Article] = []
    skipped: list[str] = []
    formats: dict[str, int] = {}
    for name, path in expand_inputs(inputs):
        try:
            raw = sys.stdin.buffer.read() if path is None else path.read_bytes()
            used, arts = read_source(name, raw, fmt, article_id_for(name, path, inputs))
        except InputError as e:
            if not skip_bad:
                raise
            skipped.append(str(e))
            warn(f"skipped: {e}")
            continue
        except OSError as e:
            raise InputError(f"{name}: cannot read ({e.strerror})") from e
        formats[used] = formats.get(used, 0) + 1
        articles.extend(arts)
    return unique_ids(articles, skip_bad, skipped, warn), skipped, formats


def unique_ids(articles: list[Article], skip_bad: bool, skipped: list[str], warn) -> list[Article]:
    """Articles whose ids, and whose sentences' ids, are unique over all inputs.

    Two articles with one given id (or two sentence rows with one id) are an input error, reported like a bad
    file (raised, or with ``skip_bad`` reported and skipped); an id derived from a file name that is already taken
    (``a/x.txt`` and ``b/x.txt`` are both ``x``) gets ``~2``, ``~3``, ... appended.
    """
    kept: list[Article] = []
    given: dict[str, str] = {}
    sentence_ids: dict[str, str] = {}
    for a in articles:
        try:
            if a.id_given and a.id in given:
                raise InputError(f"{a.source}: duplicate article id {a.id!r} (also {given[a.id]})")
            ids = [str(r["id"]) for r in a.sentences or []]
            dup = next((i for i in ids if i in sentence_ids), None)
            if dup is not None:
                raise InputError(f"{a.source}: duplicate sentence id {dup!r} (also {sentence_ids[dup]})")
        except InputError as e:
            if not skip_bad:
                raise
            skipped.append(str(e))
            warn(f"skipped: {e}")
            continue
        if a.id_given:
            given[a.id] = a.source
        sentence_ids.update((i, a.source) for i in ids)
        kept.append(a)
    used = set(given)
    for a in kept:
        if not a.id_given:
            base, k = a.id, 1
            while a.id in used:
                k += 1
                a.id = f"{base}~{k}"
            used.add(a.id)
    return kept
