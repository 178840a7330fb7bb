"""The project's one sentence splitter: training data, evaluation and prediction all go through it.

Scraped pages put furniture (bylines, ``READ MORE`` lines, teasers) on lines of their own, so every non-empty
line is split on its own and a sentence never spans a line break. Within a line, pysbd's rule-based
segmenter decides (it handles abbreviations, initials and decimals better than a regular expression would).
"""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    """A sentence and its character offsets in the article text (``text == article[start:end]``)."""

    text: str
    start: int
    end: int


_local = threading.local()


def _segmenter():
    """This thread's pysbd segmenter: ``Segmenter.segment`` keeps the text in an attribute while it works, so a
    segmenter shared between threads matches one thread's sentences against another's text and drops them."""
    seg = getattr(_local, "segmenter", None)
    if seg is None:
        import pysbd

        seg = _local.segmenter = pysbd.Segmenter(language="en", clean=False)
    return seg


def normalize(text: str) -> str:
    """Normalise line endings and odd spaces the same way for every input, so offsets are stable."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u00a0", " ").replace("\u2028", "\n").replace("\u2029", "\n")
    return unicodedata.normalize("NFC", text)


_CLOSERS = "”’»\"')]"


def _line_pieces(line: str) -> list[tuple[int, int]]:
    """pysbd's sentences of one line as (start, end) offsets, with its quote-mark slips repaired.

    pysbd sometimes leaves a closing quotation mark as a sentence of its own (``"``) or puts it at the start
    of the next sentence; such marks go back to the sentence they close.
    """
    pieces: list[tuple[int, int]] = []
    cursor = 0
    for piece in _segmenter().segment(line):
        piece = piece.strip()
        if not piece:
            continue
        found = line.find(piece, cursor)
        if found < 0:  # pysbd altered the text: keep the rest of the line whole
            rest = line[cursor:]
            if rest.strip():
                found = cursor + len(rest) - len(rest.lstrip())
                pieces.append((found, len(line.rstrip())))
            cursor = len(line)
            break
        pieces.append((found, found + len(piece)))
        cursor = found + len(piece)
    repaired: list[tuple[int, int]] = []
    for start, end in pieces:
        text = line[start:end]
        if repaired and not any(ch.isalnum() for ch in text):
            repaired[-1] = (repaired[-1][0], end)
            continue
        if repaired and text[0] in "”’»" or (repaired and text[0] == '"' and _closes(line[repaired[-1][0]:repaired[-1][1]], text)):
            lead = 1
            while lead < len(text) and text[lead] in _CLOSERS:
                lead += 1
            repaired[-1] = (repaired[-1][0], start + lead)
            rest = line[start + lead:end]
            start = start + lead + (len(rest) - len(rest.lstrip()))
            if start >= end:
                continue
        repaired.append((start, end))
    return repaired


def _closes(previous: str, text: str) -> bool:
    """A straight quote at the start of ``text`` closes ``previous`` when that has an unclosed one."""
    return previous.count('"') % 2 == 1 and (len(text) == 1 or text[1].isspace())


def split_sentences(text: str) -> list[Span]:
    """Split article text into sentences with their offsets in ``text``.

    ``text`` should already be :func:`normalize`-d when offsets must match a stored article.
    """
    spans: list[Span] = []
    pos = 0
    for line in text.split("\n"):
        line_start = pos
        pos += len(line) + 1
        if not line.strip():
            continue
        for start, end in _line_pieces(line):
            spans.append(Span(line[start:end], line_start + start, line_start + end))
    return spans
