"""One input file's articles: plain text, an HTML page, JSONL articles, or pre-split sentence rows.

Every problem is an :class:`InputError` whose message names the file (and line). :func:`read_stream` checks a
whole file before it returns, then reads it again one article (a JSONL file one line) at a time; an article longer
than ``max_chars`` characters is refused.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from ..model.errors import DataError, InputError
from ..model.limits import BYTES_PER_CHAR_READ, MAX_ARTICLE_CHARS
from .jsonl import decode_text, iter_jsonl_stream
from .rows import iter_rows

FORMATS = ("auto", "text", "html", "jsonl", "sentences")
_SUFFIXES = {".txt": "text", ".text": "text", ".md": "text", ".html": "html", ".htm": "html",
             ".jsonl": "jsonl", ".json": "jsonl", ".ndjson": "jsonl"}


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

    def fingerprint(self) -> str:
        """A hash of the article's id and content: how a resumed run recognises what an earlier run labelled."""
        body = self.text if self.sentences is None else json.dumps(self.sentences, ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(f"{self.id}\0{body}".encode()).hexdigest()[:32]


def too_long(where: str, chars: int, max_chars: int) -> InputError:
    return InputError(f"{where}: article of {chars:,} characters, over the limit of {max_chars:,}",
                      option="max_article_chars")


def _decode(raw: bytes, name: str) -> str:
    if not raw.strip():
        raise InputError(f"{name}: empty file")
    try:
        text = decode_text(raw, name)
    except DataError as e:
        raise InputError(str(e)) from e
    if not text.strip():  # only Unicode spaces (no-break, line separators): no sentence to label
        raise InputError(f"{name}: empty file")
    return text


def sniff(name: str, head: str, first_line: str) -> str:
    """Pick a format from the file name, then from the content: the lower-cased start of the text and its first
    non-blank line."""
    fmt = _SUFFIXES.get(Path(name).suffix.lower())
    if fmt in (None, "text") and (head.startswith("<!doctype html") or head.startswith("<html")):
        return "html"
    if fmt == "jsonl" or (fmt is None and head.startswith("{")):
        try:
            obj = json.loads(first_line)
        except (ValueError, RecursionError):
            return "jsonl"  # the reader reports the malformed line
        return "sentences" if isinstance(obj, dict) and "article" in obj else "jsonl"
    return fmt or "text"


def _sniff_stream(name: str, stream: BinaryIO, max_line: int) -> str:
    """:func:`sniff` on the start of a seekable stream (its first line read whole); the stream is rewound."""
    head = stream.read(2048).decode("utf-8", errors="replace").lstrip("\ufeff").lstrip()[:500].lower()
    stream.seek(0)
    first = ""
    if head.startswith("{"):
        while line := stream.readline(max_line):
            if line.strip():
                first = line.decode("utf-8", errors="replace").lstrip("\ufeff")
                break
        stream.seek(0)
    return sniff(name, head, first)


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


def jsonl_articles(objects: Iterable[tuple[int, dict]], name: str, max_chars: int) -> Iterator[Article]:
    stem = Path(name).stem
    for n, obj in objects:
        body = obj.get("text")
        if not isinstance(body, str) or not body.strip():
            raise InputError(f"{name}:{n}: row has no 'text'")
        title = obj.get("title")
        full = f"{title}\n\n{body}" if isinstance(title, str) and title.strip() else body
        if len(full) > max_chars:
            raise too_long(f"{name}:{n}", len(full), max_chars)
        meta = {k: obj[k] for k in ("title", "url") if k in obj}
        yield Article(id=str(obj.get("id", f"{stem}:{n}")), source=f"{name}:{n}", text=full, meta=meta,
                      id_given="id" in obj)


def sentence_articles(objects: Iterable[tuple[int, dict]], name: str, max_chars: int) -> Iterator[Article]:
    rows: list[dict] = []
    chars = 0
    for row in iter_rows(objects, name, require_label=False):
        if rows and rows[0]["article"] != row.article:
            yield Article(id=rows[0]["article"], source=name, sentences=rows, id_given=True)
            rows, chars = [], 0
        chars += len(row.text)
        if chars > max_chars:
            raise too_long(f"{name}: article {row.article!r}", chars, max_chars)
        rows.append(row.to_dict())
    if rows:
        yield Article(id=rows[0]["article"], source=name, sentences=rows, id_given=True)


def _stream_articles(stream: BinaryIO, name: str, used: str, max_chars: int) -> Iterator[Article]:
    objects = iter_jsonl_stream(stream, name, BYTES_PER_CHAR_READ * max_chars)
    return jsonl_articles(objects, name, max_chars) if used == "jsonl" else sentence_articles(objects, name, max_chars)


def read_stream(name: str, stream: BinaryIO, fmt: str, art_id: str,
                max_chars: int = MAX_ARTICLE_CHARS) -> tuple[str, Iterator[Article]]:
    """The format used (``auto`` resolved) and the articles of one seekable byte stream.

    The whole stream is checked before this returns, so a bad file raises here, before any of its articles is
    labelled; the articles are then read again one at a time (a JSONL file one line at a time). A file holding
    one article is read only up to ``BYTES_PER_CHAR_READ * max_chars`` bytes.
    """
    max_bytes = BYTES_PER_CHAR_READ * max_chars
    head = stream.read(8192)
    stream.seek(0)
    if b"\x00" in head:
        raise InputError(f"{name}: binary file, not text")
    used = _sniff_stream(name, stream, max_bytes) if fmt == "auto" else fmt
    try:
        if used in ("text", "html"):
            raw = stream.read(max_bytes + 1)
            if len(raw) > max_bytes:
                raise InputError(f"{name}: over {max_bytes:,} bytes, too large for one article",
                                 option="max_article_chars")
            text = _decode(raw, name)
            if len(text) > max_chars:
                raise too_long(name, len(text), max_chars)
            article = Article(id=art_id, source=name, text=text) if used == "text" else _html_article(text, name, art_id)
            if len(article.text) > max_chars:
                raise too_long(name, len(article.text), max_chars)
            return used, iter([article])
        if used not in ("jsonl", "sentences"):
            raise InputError(f"{name}: unknown input format {used!r}")
        if sum(1 for _ in _stream_articles(stream, name, used, max_chars)) == 0:  # checks every line
            raise InputError(f"{name}: empty file")
    except DataError as e:
        raise InputError(str(e), option=e.option) from e

    def again() -> Iterator[Article]:
        stream.seek(0)
        try:
            yield from _stream_articles(stream, name, used, max_chars)
        except DataError as e:  # only when the file changed since it was checked
            raise InputError(str(e), option=e.option) from e

    return used, again()


def read_source(name: str, raw: bytes, fmt: str, art_id: str,
                max_chars: int = MAX_ARTICLE_CHARS) -> tuple[str, list[Article]]:
    """Articles in one file's bytes; returns the format used (``auto`` resolved) and the articles."""
    used, articles = read_stream(name, io.BytesIO(raw), fmt, art_id, max_chars)
    return used, list(articles)
