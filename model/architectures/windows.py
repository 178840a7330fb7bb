"""Windows of whole sentences for the article encoder (Cohan et al., EMNLP 2019).

An article's sentences, each already tokenised without special tokens, are packed into windows
``[CLS] s1 [SEP] s2 [SEP] ...`` of at most ``budget`` tokens. Windows overlap: the next window starts at the
first sentence past the middle of the current one, so every sentence away from the article's edges has context on
both sides in some window. Each sentence is then predicted from the window where it sits most centrally (the
most tokens on its shorter side). A sentence longer than a window alone is cut to fit one (never dropped): its
first ``budget - 2`` tokens are read, which is what a sentence-level model with that budget reads too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Window:
    """Sentences ``start`` to ``stop - 1`` of one article, and which of them this window is used to predict."""

    start: int
    stop: int
    owned: tuple[int, ...]  # article sentence indices predicted from this window (the rest is context)


def clip(lengths: Sequence[int], budget: int) -> list[int]:
    """Token counts as read: a sentence gets at most ``budget - 2`` tokens (``[CLS]`` and its ``[SEP]``)."""
    if budget < 3:
        raise ValueError(f"a window needs room for [CLS], one token and [SEP]: budget {budget} < 3")
    return [min(n, budget - 2) for n in lengths]


def plan_windows(lengths: Sequence[int], budget: int, max_sentences: int = 0, overlap: float = 0.5) -> list[Window]:
    """Windows over sentences of the given token lengths (without special tokens).

    ``max_sentences`` caps the sentences per window (0: no cap; 1 reads every sentence alone). With ``overlap`` 0
    the windows tile the article (each sentence read once, as in training); above 0 the next window starts at the
    first sentence whose middle lies past ``1 - overlap`` of the current window's tokens (0.5: consecutive windows
    share about half), and each sentence is owned by the window where it sits most centrally.
    """
    if not 0 <= overlap < 1:
        raise ValueError(f"overlap must be in [0, 1), got {overlap}")
    sizes = [n + 1 for n in clip(lengths, budget)]  # a sentence and its [SEP]
    n = len(sizes)
    if n == 0:
        return []
    cap = max_sentences if max_sentences > 0 else n
    spans: list[tuple[int, int]] = []
    start = 0
    while True:
        used, stop = 1, start  # [CLS]
        while stop < n and stop - start < cap and used + sizes[stop] <= budget:
            used += sizes[stop]
            stop += 1
        spans.append((start, stop))
        if stop >= n:
            break
        if not overlap:
            start = stop
            continue
        # the next window starts at the first sentence whose middle lies past 1 - overlap of this window
        mark, acc, nxt = (used - 1) * (1 - overlap), 0, stop
        for i in range(start, stop):
            if acc + sizes[i] / 2 > mark:
                nxt = i
                break
            acc += sizes[i]
        start = max(nxt, start + 1)
    if not overlap:
        return [Window(a, b, tuple(range(a, b))) for a, b in spans]
    best: dict[int, tuple[float, int]] = {}
    for w, (a, b) in enumerate(spans):
        offsets, acc = [], 0
        for i in range(a, b):
            offsets.append(acc)
            acc += sizes[i]
        for i, off in zip(range(a, b), offsets, strict=True):
            before, after = off, acc - off - sizes[i]
            # edges of the article count as fully covered: nothing lies beyond them
            if i == a and a == 0:
                before = float("inf")
            if i == b - 1 and b == n:
                after = float("inf")
            score = min(before, after)
            if i not in best or score > best[i][0]:
                best[i] = (score, w)
    owned: dict[int, list[int]] = {}
    for i, (_, w) in best.items():
        owned.setdefault(w, []).append(i)
    return [Window(a, b, tuple(sorted(owned.get(w, [])))) for w, (a, b) in enumerate(spans)]
