"""Labelled sentence rows: the one reader and writer of the project's JSONL contract.

A row is ``{"id", "article", "idx", "text", "label"}``; rows of an article are contiguous and in order.
A prediction row (what ``sourcetag predict`` writes) is such a row plus ``start``, ``end``, ``probs``,
``needs_review`` and ``evidence``: :class:`PredictedRow`, read by :func:`read_predictions`.
Every error names the file and line.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import os
import re
import secrets
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, ClassVar

from .errors import DataError, OutputError, reason
from .labels import LABEL2ID, LABELS


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


def decode_text(raw: bytes, name: str) -> str:
    """UTF-8 text of a file's bytes; :class:`DataError` naming the file (and line) for binary or non-UTF-8 data."""
    if b"\x00" in raw[:8192]:
        raise DataError(f"{name}: binary file, not text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise DataError(f"{name}:{line}: not valid UTF-8 (byte {e.start})") from e


def read_text(path: str | Path) -> str:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise DataError(f"{path}: cannot read ({reason(e)})") from e
    return decode_text(raw, str(path))


_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _has_surrogate(value) -> bool:
    if isinstance(value, str):
        return any("\ud800" <= ch <= "\udfff" for ch in value)
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_surrogate(v) for v in value)
    return False


def parse_json_line(line: str, where: str) -> dict | None:
    """The JSON object on one line (``None`` for a blank line); :class:`DataError` naming ``where`` otherwise.

    Text must be Unicode that can be written back out: an escaped unpaired surrogate (``"\\ud800"``) is refused.
    """
    if not line.strip():
        return None
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        raise DataError(f"{where}: malformed JSON ({e.msg})") from e
    except RecursionError as e:
        raise DataError(f"{where}: malformed JSON (nested too deeply)") from e
    if not isinstance(obj, dict):
        raise DataError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    try:
        surrogate = bool(_SURROGATE_ESCAPE.search(line)) and _has_surrogate(obj)
    except RecursionError as e:
        raise DataError(f"{where}: malformed JSON (nested too deeply)") from e
    if surrogate:
        raise DataError(f"{where}: a string holds an unpaired surrogate escape, which is not a character")
    return obj


def iter_jsonl_text(text: str, name: str) -> Iterator[tuple[int, dict]]:
    """``(line_number, object)`` for each non-blank line of ``text``; errors name ``name`` and the line.

    Lines end at ``\\n``, ``\\r\\n`` or a lone ``\\r`` only: U+2028 and U+0085 are valid inside a JSON string.
    """
    for n, line in enumerate(_LINE_BREAK.split(text), 1):
        obj = parse_json_line(line, f"{name}:{n}")
        if obj is not None:
            yield n, obj


def iter_text_lines(stream: BinaryIO, name: str, max_bytes: int | None = None) -> Iterator[tuple[int, str]]:
    """``(line_number, line)`` of a UTF-8 byte stream, read one line at a time (lines end as in
    :func:`iter_jsonl_text`; a leading byte-order mark is dropped).

    :class:`DataError` naming the line for bytes that are not UTF-8, or for a line over ``max_bytes``.
    """
    n = 0
    offset = 0
    while True:
        raw = stream.readline() if max_bytes is None else stream.readline(max_bytes + 2)
        if not raw:
            return
        if max_bytes is not None and len(raw.rstrip(b"\r\n")) > max_bytes:
            raise DataError(f"{name}:{n + 1}: line longer than {max_bytes:,} bytes")
        body = raw[3:] if offset == 0 and raw.startswith(codecs.BOM_UTF8) else raw
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as e:
            line = n + body[: e.start].count(b"\r") + 1
            raise DataError(f"{name}:{line}: not valid UTF-8 (byte {offset + len(raw) - len(body) + e.start})") from e
        offset += len(raw)
        if text.endswith("\n"):
            text = text[:-1]
        if text.endswith("\r"):
            text = text[:-1]
        for line in text.split("\r"):
            n += 1
            yield n, line


def iter_jsonl_stream(stream: BinaryIO, name: str, max_bytes: int | None = None) -> Iterator[tuple[int, dict]]:
    """:func:`iter_jsonl_text` over a byte stream read one line at a time (see :func:`iter_text_lines`)."""
    for n, line in iter_text_lines(stream, name, max_bytes):
        obj = parse_json_line(line, f"{name}:{n}")
        if obj is not None:
            yield n, obj


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, dict]]:
    """``(line_number, object)`` for each non-blank line of a JSONL file."""
    return iter_jsonl_text(read_text(path), str(path))


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


def write_text_atomic(path: str | Path, text: str, force: bool = True) -> None:
    """Write ``text`` to a temporary file beside ``path`` and rename it into place (no partial output).

    :class:`OutputError` naming ``path`` when it exists and ``force`` is false, or when it cannot be written
    (read-only file system, disk full, permission denied).
    """
    path = Path(path)
    if path.exists() and not force:
        raise OutputError(f"{path} exists", option="force")
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Not tempfile.mkstemp: it creates files 0600 whatever the umask. Created with 0666, the umask applies as for
        # any new file; a file being replaced keeps its own mode.
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            mode = None
        while tmp is None:
            candidate = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
            try:
                fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
                tmp = candidate
            except FileExistsError:
                continue
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException as e:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise OutputError(f"{path}: cannot write ({reason(e)})") from e
        raise


@contextmanager
def staged_directory(path: str | Path) -> Iterator[Path]:
    """A new empty directory beside ``path`` to fill; it becomes ``path`` (replacing an older one) when the block
    ends, and is removed when the block fails or is interrupted, so ``path`` never holds half a result."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o777 & ~umask)  # mkdtemp makes it private; the result gets the modes of any new directory
    except OSError as e:
        raise OutputError(f"{path}: cannot write ({reason(e)})") from e
    try:
        yield tmp
        if path.exists():
            old = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".old"))
            os.replace(path, old / path.name)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except OSError as e:
        raise OutputError(f"{path}: cannot write ({reason(e)})") from e
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check_parents(path: str | Path) -> None:
    """:class:`OutputError` when a file stands where one of ``path``'s directories should be (writes nothing)."""
    path = Path(path)
    blocking = next((p for p in path.parents if p.exists()), None)
    if blocking is not None and not blocking.is_dir():
        raise OutputError(f"{path}: cannot write ({blocking} is not a directory)")


def check_writable(path: str | Path) -> None:
    """:class:`OutputError` now, rather than after hours of work, when ``path``'s directory cannot take a new file
    (it is created if missing; nothing is left in it)."""
    path = Path(path)
    check_parents(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path.parent):
            pass
    except OSError as e:
        raise OutputError(f"{path}: cannot write ({reason(e)})") from e


def write_jsonl_atomic(path: str | Path, records: Iterable[dict], force: bool = True) -> None:
    """Write JSON lines atomically (see :func:`write_text_atomic`)."""
    write_text_atomic(path, "".join(json.dumps(rec, ensure_ascii=False) + "\n" for rec in records), force)


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
