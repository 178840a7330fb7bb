"""The project's own `evaluate` metric modules, loaded by file path (never from a hub)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np

_HERE = Path(__file__).parent


@cache
def load_metric(name: str):
    """Load the local metric module ``<name>.py`` from this folder through ``evaluate.load``."""
    import evaluate

    path = _HERE / f"{name}.py"
    if not path.is_file():
        raise FileNotFoundError(path)
    return evaluate.load(str(path))


def classification_metrics(y_true, y_pred, labels) -> dict:
    """Accuracy, macro-F1, per-label P/R/F1/support and the confusion matrix (see sourcing_classification.py)."""
    return load_metric("sourcing_classification").compute(
        predictions=[int(x) for x in y_pred], references=[int(x) for x in y_true], labels=list(labels)
    )


def expected_calibration_error(probs, y_true, n_bins: int = 10) -> dict:
    """ECE and reliability-diagram bins of the top-label probability (see expected_calibration_error.py)."""
    probs = np.asarray(probs, dtype=np.float64)
    return load_metric("expected_calibration_error").compute(
        predictions=probs.tolist(), references=[int(x) for x in y_true], n_bins=n_bins
    )


def bootstrap_macro_f1(y_true, y_pred, groups, num_labels: int, n_resamples: int = 1000, seed: int = 0) -> dict:
    """Macro-F1 with a 95% percentile bootstrap interval, resampling articles (see bootstrap_macro_f1.py)."""
    return load_metric("bootstrap_macro_f1").compute(
        predictions=[int(x) for x in y_pred], references=[int(x) for x in y_true], groups=[str(g) for g in groups],
        num_labels=num_labels, n_resamples=n_resamples, seed=seed,
    )
