"""Score a model (or any predictions) on labelled sentences: one function, used by training and reports."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..formats.rows import Row, group_articles
from ..model.labels import LABEL2ID, LABELS
from ..model.tagger import softmax
from .metrics import bootstrap_macro_f1, classification_metrics, expected_calibration_error


def score(rows: list[Row], pred: np.ndarray, n_resamples: int = 1000) -> dict:
    """Classification metrics and a by-article bootstrap interval of macro-F1 for label ids ``pred``."""
    y = np.array([LABEL2ID[r.label] for r in rows])
    m = classification_metrics(y, pred, LABELS)
    m["macro_f1_ci95"] = bootstrap_macro_f1(y, pred, [r.article for r in rows], len(LABELS), n_resamples)
    return m


def calibration(rows: list[Row], logits: np.ndarray, temperature: float) -> dict:
    """ECE (and reliability bins) before (T = 1) and after temperature scaling."""
    y = [LABEL2ID[r.label] for r in rows]
    return {"temperature": temperature,
            "before": expected_calibration_error(softmax(logits, 1.0), y),
            "after": expected_calibration_error(softmax(logits, temperature), y)}


def model_logits(tagger, rows: list[Row], progress: bool = False) -> np.ndarray:
    """The model's raw logits for ``rows`` (pre-split articles, in order), columns in ``LABELS`` order."""
    articles = [[r.text for r in art] for art in group_articles(rows)]
    logits = tagger.logits(articles, progress=progress)
    order = [list(tagger.labels).index(name) for name in LABELS]
    return logits[:, order]


@dataclass
class Evaluator:
    """A callable that scores a :class:`~sourcetag.model.tagger.Tagger` on ``rows``; primary metric macro-F1."""

    rows: list[Row]
    name: str = "eval"
    primary_metric: str = "macro_f1"
    n_resamples: int = 1000

    def __call__(self, tagger, progress: bool = False) -> dict:
        logits = model_logits(tagger, self.rows, progress)
        probs = softmax(logits, tagger.temperature)
        out = score(self.rows, probs.argmax(-1), self.n_resamples)
        out["calibration"] = calibration(self.rows, logits, tagger.temperature)
        out["probs"] = probs
        return out
