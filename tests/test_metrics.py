import numpy as np
import pytest
from sourcetag.eval.calibration import fit_temperature, nll
from sourcetag.eval.metrics import bootstrap_macro_f1, classification_metrics, expected_calibration_error


def test_classification_metrics_by_hand():
    # gold:  a a b c d   pred: a b b c a
    m = classification_metrics([0, 0, 1, 2, 3], [0, 1, 1, 2, 0], ["a", "b", "c", "d"])
    assert m["accuracy"] == pytest.approx(3 / 5)
    # a: P 1/2 R 1/2 F 1/2; b: P 1/2 R 1 F 2/3; c: 1; d: 0 -> macro (0.5 + 0.6667 + 1 + 0) / 4
    assert m["per_label"]["a"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert m["per_label"]["b"]["f1"] == pytest.approx(2 / 3)
    assert m["per_label"]["d"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert m["macro_f1"] == pytest.approx((0.5 + 2 / 3 + 1 + 0) / 4)
    assert m["confusion_matrix"] == [[1, 1, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [1, 0, 0, 0]]


def test_ece_by_hand():
    # confidences 0.9 (right), 0.6 (wrong), 0.3->0.7 (right); with 2 bins all fall in (0.5, 1]:
    # |acc 2/3 - mean conf (0.9 + 0.6 + 0.7) / 3| = |0.6667 - 0.7333| = 0.0667
    e = expected_calibration_error([[0.9, 0.1], [0.6, 0.4], [0.3, 0.7]], [0, 1, 1], n_bins=2)
    assert e["ece"] == pytest.approx(1 / 15)
    assert e["bin_count"] == [0, 3]
    perfect = expected_calibration_error([[1.0, 0.0], [0.0, 1.0]], [0, 1], n_bins=10)
    assert perfect["ece"] == pytest.approx(0.0)


def test_bootstrap_interval_contains_estimate_and_collapses_when_perfect():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 400)
    pred = np.where(rng.random(400) < 0.7, y, rng.integers(0, 4, 400))
    groups = [f"a{i // 10}" for i in range(400)]
    b = bootstrap_macro_f1(y, pred, groups, 4, n_resamples=300)
    assert b["ci_low"] < b["macro_f1"] < b["ci_high"] and b["n_groups"] == 40
    p = bootstrap_macro_f1(y, y, groups, 4, n_resamples=50)
    assert p["ci_low"] == p["ci_high"] == 1.0


def test_temperature_recovers_known_scale():
    rng = np.random.default_rng(1)
    true_logits = rng.normal(0, 2, (5000, 4))
    p = np.exp(true_logits) / np.exp(true_logits).sum(1, keepdims=True)
    y = np.array([rng.choice(4, p=row) for row in p])
    t = fit_temperature(true_logits * 3.0, y)  # over-confident by 3x
    assert t == pytest.approx(3.0, rel=0.1)
    assert nll(true_logits * 3.0, y, t) < nll(true_logits * 3.0, y, 1.0)
