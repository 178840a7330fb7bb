"""The project's one sentence splitter: training data, evaluation and prediction all go through it.

Scraped pages put furniture (bylines, ``READ MORE`` lines, teasers) on lines of their own, so every non-empty
line is split on its own and a sentence never spans a line break. Within a line, pysbd's rule-based
segmenter decides (it handles abbreviations, initials and decimals better than a regular expression would).
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    """A sentence and its character offsets in the article text (``text == article[start:end]``)."""

    text: str
    start: int
    end: int


@functools.lru_cache(maxsize=1)
def _segmenter():
    import pysbd

    return pysbd.Segmenter(language="en", clean=False)


def normalize(text: str) -> str:
    """Normalise line endings and odd spaces the same way for every input, so offsets are stable."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u00a0", " ").replace("\u2028", "\n").replace("\u2029", "\n")
    return unicodedata.normalize("NFC", text)


def split_sentences(text: str) -> list[Span]:
    """Split article text into sentences with their offsets in ``text``.

    ``text`` should already be :func:`normalize`-d when offsets must match a stored article.
    """
    spans: list[Span] = []
    seg = _segmenter()
    pos = 0
    for line in text.split("\n"):
        line_start = pos
        pos += len(line) + 1
        if not line.strip():
            continue
        cursor = 0
        for piece in seg.segment(line):
            piece = piece.strip()
            if not piece:
                continue
            found = line.find(piece, cursor)
            if found < 0:  # pysbd altered the text; fall back to the rest of the line
                found, piece = cursor, line[cursor:].strip()
                if not piece:
                    break
                found = line.find(piece, cursor)
            spans.append(Span(piece, line_start + found, line_start + found + len(piece)))
            cursor = found + len(piece)
    return spans
