"""JSON Lines: the one reader of the project's JSONL files, text and streams alike; every error names the file and line.

Text is UTF-8 (a leading byte-order mark is dropped); lines end at ``\\n``, ``\\r\\n`` or a lone ``\\r``; each non-blank line
holds one JSON object.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from ..model.errors import DataError, reason


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
