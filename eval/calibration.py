"""Temperature scaling: one scalar T fitted on dev logits so that softmax(logits / T) is calibrated."""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar


def nll(logits: np.ndarray, labels: np.ndarray, temperature: float) -> float:
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-logp[np.arange(len(labels)), labels].mean())


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature in [0.05, 20] minimising dev negative log-likelihood (1.0 when there is no data)."""
    logits = np.asarray(logits, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    if len(labels) == 0:
        return 1.0
    res = minimize_scalar(lambda t: nll(logits, labels, t), bounds=(0.05, 20.0), method="bounded",
                          options={"xatol": 1e-4})
    return float(res.x)
