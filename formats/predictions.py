"""Prediction rows: what ``sourcetag predict`` writes, one :class:`PredictedRow` per sentence, with one
:meth:`~PredictedRow.to_dict` and one :meth:`~PredictedRow.from_dict` for every writer and reader.

A prediction row is a sentence row (:mod:`sourcetag.formats.rows`) plus ``start``, ``end``, ``probs``,
``needs_review`` and ``evidence``. Every error names the file and line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from ..model.errors import DataError
from ..model.labels import LABEL2ID, LABELS
from .jsonl import read_text
from .rows import rows_from_text

if TYPE_CHECKING:
    from .articles import Article


@dataclass
class PredictedRow:
    """One labelled sentence as ``sourcetag predict`` writes it: the row, the model's label and probabilities.

    ``start``/``end`` are offsets in the article's normalised text (``None`` for pre-split input), ``evidence``
    is ``{"cue", "source"}`` or ``None``; ``extra`` keeps any other field (``gold_label``, input fields).
    """

    id: str
    article: str
    idx: int
    text: str
    label: str
    probs: dict[str, float]
    needs_review: bool
    evidence: dict | None = None
    start: int | None = None
    end: int | None = None
    extra: dict = field(default_factory=dict)

    FIELDS: ClassVar[tuple[str, ...]] = ("id", "article", "idx", "text", "start", "end", "label", "probs", "needs_review", "evidence")

    def to_dict(self) -> dict:
        return {"article": self.article, "idx": self.idx, "id": self.id, "text": self.text, "start": self.start,
                "end": self.end, **self.extra, "label": self.label, "probs": self.probs,
                "needs_review": self.needs_review, "evidence": self.evidence}

    @classmethod
    def from_dict(cls, obj: dict) -> PredictedRow:
        """The row a prediction dict describes; ``ValueError`` naming the field that is missing or malformed."""
        for key in ("article", "text", "label", "probs", "needs_review"):
            if key not in obj:
                raise ValueError(f"missing field {key!r} (not a prediction row: run 'sourcetag predict' first)")
        text, label, probs = obj["text"], obj["label"], obj["probs"]
        if not isinstance(text, str):
            raise ValueError("field 'text' must be a string")
        if label not in LABEL2ID:
            raise ValueError(f"unknown label {label!r}; expected one of {', '.join(LABELS)}")
        if not isinstance(probs, dict) or set(probs) != set(LABELS) or not all(
                isinstance(v, int | float) and not isinstance(v, bool) and -1e-6 <= v <= 1 + 1e-6
                for v in probs.values()):
            raise ValueError(f"'probs' must map each of {', '.join(LABELS)} to a probability")
        if not isinstance(obj["needs_review"], bool):
            raise ValueError("'needs_review' must be true or false")
        ev = obj.get("evidence")
        if ev is not None and not (isinstance(ev, dict) and isinstance(ev.get("cue"), str)
                                   and isinstance(ev.get("source"), str | None)):
            raise ValueError("'evidence' must be null or {\"cue\": string, \"source\": string or null}")
        idx = obj.get("idx", 0)
        if not isinstance(idx, int) or isinstance(idx, bool) or idx < 0:
            raise ValueError("'idx' must be a non-negative integer")
        offsets = obj.get("start"), obj.get("end")
        if not all(o is None or (isinstance(o, int) and not isinstance(o, bool) and o >= 0) for o in offsets):
            raise ValueError("'start' and 'end' must be non-negative integers or null")
        article = str(obj["article"])
        return cls(id=str(obj["id"]) if obj.get("id") is not None else f"{article}-{idx}", article=article,
                   idx=idx, text=text, label=label, probs={k: float(probs[k]) for k in LABELS},
                   needs_review=obj["needs_review"], evidence=ev, start=offsets[0], end=offsets[1],
                   extra={k: v for k, v in obj.items() if k not in cls.FIELDS})


def predictions_from_text(text: str, path: str) -> list[PredictedRow]:
    """Prediction rows of JSONL text: the file checks of :func:`rows_from_text`, then each row's own fields."""
    out = []
    for row in rows_from_text(text, path, require_label=True):
        try:
            out.append(PredictedRow.from_dict(row.to_dict()))
        except ValueError as e:
            raise DataError(f"{path}:{row.line}: {e}") from e
    return out


def read_predictions(path: str | Path) -> list[PredictedRow]:
    """Read the JSONL that ``sourcetag predict`` writes (rows in article order); errors name the file and line."""
    return predictions_from_text(read_text(path), str(path))


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
