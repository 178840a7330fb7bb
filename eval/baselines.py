"""Baselines reported next to the model: majority label, hand-written rules, TF-IDF + logistic regression.

Each baseline is fitted on training rows (the rules need none) and predicts label ids in ``LABELS`` order for
rows of pre-split articles, so every baseline and the model are scored by the same code.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np

from ..formats.rows import Row
from ..model.evidence import find_evidence
from ..model.labels import LABEL2ID, LABELS
from ..model.lexicon import compile_lexicon, read_lexicon_text

_FURNITURE = re.compile(
    r"^(read more|don.t miss|related|more like this|share|sign up|subscribe|follow us|leave a (reply|comment)|"
    r"source( link)?:?|photo|photograph|image|video|watch|getty|advertisement|cookie|we use|please enter|"
    r"posted|updated|published|by [A-Z]|copyright|©|disclaimer|reporting by|editing by|topics|related topics|"
    r"this article|newsletter|click here|comments?\b)",
    re.IGNORECASE,
)
_VAGUE = re.compile(r"^(reportedly|allegedly|experts?|analysts?|observers|sources?|reports?|critics|it is (believed|said))\b",
                    re.IGNORECASE)


class MajorityBaseline:
    name = "majority label"

    def fit(self, rows: list[Row]) -> MajorityBaseline:
        self.label = Counter(r.label for r in rows).most_common(1)[0][0]
        return self

    def predict(self, rows: list[Row]) -> np.ndarray:
        return np.full(len(rows), LABEL2ID[self.label])


class RuleBaseline:
    """Attribution cue + official-role lexicon on the source span + page-furniture patterns."""

    name = "rules (cues + official lexicon + furniture)"

    def __init__(self, lexicon_text: str | None = None):
        self.lexicon = compile_lexicon(lexicon_text or read_lexicon_text())

    def fit(self, rows: list[Row]) -> RuleBaseline:
        return self

    def label(self, text: str) -> str:
        t = text.strip()
        words = t.split()
        if _FURNITURE.match(t) or len(words) <= 2 or t.endswith((":", "?")):
            return "filler"
        ev = find_evidence(t)
        if ev is None or (ev.source and _VAGUE.match(ev.source)):
            return "unverified_assertion"
        source = ev.source or t
        return "official_statement" if self.lexicon.search(source) else "attributed_claim"

    def predict(self, rows: list[Row]) -> np.ndarray:
        return np.array([LABEL2ID[self.label(r.text)] for r in rows])


class TfidfBaseline:
    """Word and character n-gram TF-IDF with a class-balanced logistic regression (scikit-learn)."""

    name = "TF-IDF + logistic regression"

    def __init__(self, seed: int = 0):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline, make_union

        self.pipe = make_pipeline(
            make_union(TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
                       TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True)),
            LogisticRegression(max_iter=2000, class_weight="balanced", C=4.0, random_state=seed),
        )

    def fit(self, rows: list[Row]) -> TfidfBaseline:
        self.pipe.fit([r.text for r in rows], [LABEL2ID[r.label] for r in rows])
        return self

    def predict(self, rows: list[Row]) -> np.ndarray:
        return self.pipe.predict([r.text for r in rows])


def all_baselines(train_rows: list[Row] | None, lexicon_text: str | None = None) -> list:
    """Fitted baselines; without training rows only the rule baseline (it needs none)."""
    out: list = [RuleBaseline(lexicon_text).fit([])]
    if train_rows:
        out = [MajorityBaseline().fit(train_rows), *out, TfidfBaseline().fit(train_rows)]
    return out


__all__ = ["LABELS", "MajorityBaseline", "RuleBaseline", "TfidfBaseline", "all_baselines"]
