"""`evaluate` metric: expected calibration error of the top-label probability (equal-width bins).

A local metric module loaded by path. ECE = sum over bins of (bin share) * |accuracy - mean confidence|.
"""

import datasets
import evaluate
import numpy as np

_DESCRIPTION = "Expected calibration error (top-label, equal-width confidence bins)."
_KWARGS_DESCRIPTION = """
Args:
    predictions (list of list of float): class probabilities per example (rows sum to 1).
    references (list of int): gold label ids.
    n_bins (int): number of equal-width confidence bins, default 10.
Returns:
    ece (float), and per bin: bin_confidence, bin_accuracy, bin_count (lists of length n_bins).
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class ExpectedCalibrationError(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {"predictions": datasets.Sequence(datasets.Value("float64")), "references": datasets.Value("int32")}
            ),
        )

    def _compute(self, predictions, references, n_bins=10):
        probs = np.asarray(predictions, dtype=np.float64)
        refs = np.asarray(references)
        conf = probs.max(axis=1)
        correct = (probs.argmax(axis=1) == refs).astype(np.float64)
        # bin i holds confidences in (i/n, (i+1)/n]; a confidence of exactly 0 goes to bin 0
        bins = np.clip(np.ceil(conf * n_bins).astype(int) - 1, 0, n_bins - 1)
        ece, bin_conf, bin_acc, bin_count = 0.0, [], [], []
        for b in range(n_bins):
            m = bins == b
            n = int(m.sum())
            bin_count.append(n)
            bin_conf.append(float(conf[m].mean()) if n else 0.0)
            bin_acc.append(float(correct[m].mean()) if n else 0.0)
            if n:
                ece += n / len(conf) * abs(bin_acc[-1] - bin_conf[-1])
        return {"ece": float(ece), "bin_confidence": bin_conf, "bin_accuracy": bin_acc, "bin_count": bin_count}
