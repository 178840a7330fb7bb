"""The project's one sentence splitter: training data, evaluation and prediction all go through it.

Scraped pages put furniture (bylines, ``READ MORE`` lines, teasers) on lines of their own, so every non-empty
line is split on its own and a sentence never spans a line break. Within a line, pysbd's rule-based
segmenter decides (it handles abbreviations, initials and decimals better than a regular expression would).
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Callable
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

Progress = Callable[[int], object]
"""Called with a number of characters done (``tqdm.update`` fits)."""


MAX_PIECE = 2000
"""Most characters pysbd reads at once. Its time grows with the square of its input (it searches the text from the
start for every sentence it found): one 51 KB line took 2 s, 411 KB 111 s. Lines up to this length (nearly every
paragraph) go to pysbd whole; a longer line goes through in windows of at most this many characters."""


def _pysbd_pieces(text: str) -> list[tuple[int, int]]:
    """pysbd's sentences of ``text`` as (start, end) offsets, surrounding spaces left out."""
    pieces: list[tuple[int, int]] = []
    cursor = 0
    for piece in _segmenter().segment(text):
        piece = piece.strip()
        if not piece:
            continue
        found = text.find(piece, cursor)
        if found < 0:  # pysbd altered the text: keep the rest of the line whole
            rest = text[cursor:]
            if rest.strip():
                found = cursor + len(rest) - len(rest.lstrip())
                pieces.append((found, len(text.rstrip())))
            cursor = len(text)
            break
        _keep_gap(text, cursor, found, pieces)
        pieces.append((found, found + len(piece)))
        cursor = found + len(piece)
    _keep_gap(text, cursor, len(text), pieces)
    return pieces


def _bounded_pieces(line: str, limit: int = MAX_PIECE, progress: Progress | None = None) -> list[tuple[int, int]]:
    """:func:`_pysbd_pieces` of a line of any length in time linear in its length.

    A line longer than ``limit`` is read in windows of ``limit`` characters. The last sentence pysbd finds in a
    window may run on past it, so the next window starts where that sentence starts, and a normal line splits as
    if pysbd had read it whole. Each window moves on by at least a quarter of ``limit``: when the last sentence
    starts earlier than that (a "sentence" of thousands of characters), it is cut at the window's last space.
    ``progress`` is called with the characters done after each window.
    """
    n = len(line)
    if n <= limit:
        pieces = _pysbd_pieces(line)
        if progress is not None:
            progress(n)
        return pieces
    pieces = []
    pos = 0
    while pos < n:
        start = pos
        end = min(n, pos + limit)
        found = [(pos + a, pos + b) for a, b in _pysbd_pieces(line[pos:end])]
        if end == n or not found:
            pieces += found
            pos = end
        else:
            last = found[-1][0]
            pieces += found[:-1]
            if last - pos >= limit // 4:
                pos = last  # read the last sentence again, whole, in the next window
            else:
                floor = max(last, pos + limit // 4)
                cut = max(line.rfind(" ", floor + 1, end), line.rfind("\t", floor + 1, end))
                cut = end if cut < 0 else cut
                piece_end = last + len(line[last:cut].rstrip())
                if piece_end > last:
                    pieces.append((last, piece_end))
                pos = cut
        if progress is not None:
            progress(pos - start)
    return pieces


def _line_pieces(line: str, limit: int = MAX_PIECE, progress: Progress | None = None) -> list[tuple[int, int]]:
    """pysbd's sentences of one line as (start, end) offsets, with its quote-mark slips repaired.

    pysbd sometimes leaves a closing quotation mark as a sentence of its own (``"``) or puts it at the start
    of the next sentence; such marks go back to the sentence they close.
    """
    pieces = _bounded_pieces(line, limit, progress)
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


def _keep_gap(line: str, start: int, end: int, pieces: list[tuple[int, int]]) -> None:
    """Text that pysbd skipped between two of its sentences (or after the last) becomes a piece of its own, so that
    no character is lost: pysbd returns nothing at all for a line such as ``"\\x0c!!"``."""
    gap = line[start:end]
    if gap.strip():
        pieces.append((start + len(gap) - len(gap.lstrip()), start + len(gap.rstrip())))


def _closes(previous: str, text: str) -> bool:
    """A straight quote at the start of ``text`` closes ``previous`` when that has an unclosed one."""
    return previous.count('"') % 2 == 1 and (len(text) == 1 or text[1].isspace())


def split_sentences(text: str, progress: Progress | None = None) -> list[Span]:
    """Split article text into sentences with their offsets in ``text``, in time linear in its length.

    ``text`` should already be :func:`normalize`-d when offsets must match a stored article. ``progress``, when
    given, is called with the number of characters done since its last call (``tqdm.update`` fits).
    """
    spans: list[Span] = []
    pos = 0
    for line in text.split("\n"):
        line_start = pos
        pos += len(line) + 1
        if line.strip():
            for start, end in _line_pieces(line, progress=progress):
                spans.append(Span(line[start:end], line_start + start, line_start + end))
        elif progress is not None:
            progress(len(line))
        if progress is not None and pos <= len(text):
            progress(1)  # the line break
    return spans
