"""Labelled sentence rows: the project's JSONL contract.

A row is ``{"id", "article", "idx", "text", "label"}``; rows of an article are contiguous and in order.
Every error names the file and line. Prediction rows are :mod:`sourcetag.formats.predictions`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..model.errors import DataError
from ..model.labels import LABEL2ID, LABELS
from .jsonl import iter_jsonl_text, read_text


@dataclass
class Row:
    id: str
    article: str
    idx: int
    text: str
    label: str | None
    extra: dict
    line: int | None = field(default=None, compare=False, repr=False)
    """Line of the file the row was read from (for error messages)."""

    def to_dict(self) -> dict:
        d = {"id": self.id, "article": self.article, "idx": self.idx, "text": self.text}
        if self.label is not None:
            d["label"] = self.label
        return {**d, **self.extra}


def read_rows(path: str | Path, require_label: bool = True) -> list[Row]:
    """Read sentence rows; ``article`` and ``text`` are required, ``id``/``idx`` are filled in when missing.

    Rows of one article must be contiguous (article order); ``idx`` values, when given, must increase.
    """
    return rows_from_text(read_text(path), str(path), require_label)


def rows_from_text(text: str, path: str, require_label: bool = True) -> list[Row]:
    """:func:`read_rows` for JSONL text already in memory (``path`` names it in errors)."""
    return list(iter_rows(iter_jsonl_text(text, path), path, require_label))


def iter_rows(objects: Iterable[tuple[int, dict]], path: str, require_label: bool = True) -> Iterator[Row]:
    """Checked rows from ``(line_number, object)`` pairs, one at a time (see :func:`read_rows`)."""
    prev: Row | None = None
    seen_articles: set[str] = set()
    ids: set[str] = set()
    for n, obj in objects:
        where = f"{path}:{n}"
        for key in ("article", "text"):
            if key not in obj:
                raise DataError(f"{where}: missing field {key!r}")
        text = obj["text"]
        if not isinstance(text, str) or not text.strip():
            raise DataError(f"{where}: field 'text' must be a non-empty string")
        article = str(obj["article"])
        if prev is not None and prev.article != article:
            if article in seen_articles:
                raise DataError(f"{where}: rows of article {article!r} are not contiguous (article order)")
        new_article = prev is None or prev.article != article
        seen_articles.add(article)
        idx = obj.get("idx")
        if idx is None:
            idx = 0 if new_article else prev.idx + 1
        elif not isinstance(idx, int) or isinstance(idx, bool) or idx < 0:
            raise DataError(f"{where}: 'idx' must be a non-negative integer")
        elif not new_article and idx <= prev.idx:
            raise DataError(f"{where}: 'idx' {idx} is not after {prev.idx} in article {article!r}")
        label = obj.get("label")
        if require_label and label is None:
            raise DataError(f"{where}: missing field 'label'")
        if label is not None and (not isinstance(label, str) or label not in LABEL2ID):
            raise DataError(f"{where}: unknown label {label!r}; expected one of {', '.join(LABELS)}")
        rid = str(obj.get("id") if obj.get("id") is not None else f"{article}-{idx}")
        if rid in ids:
            raise DataError(f"{where}: duplicate id {rid!r}")
        ids.add(rid)
        extra = {k: v for k, v in obj.items() if k not in ("id", "article", "idx", "text", "label")}
        prev = Row(rid, article, idx, text, label, extra, line=n)
        yield prev


def group_articles(rows: Iterable[Row]) -> list[list[Row]]:
    """Rows grouped into articles, in order."""
    groups: list[list[Row]] = []
    for r in rows:
        if groups and groups[-1][0].article == r.article:
            groups[-1].append(r)
        else:
            groups.append([r])
    return groups
