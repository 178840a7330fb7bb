"""`evaluate` metric: a percentile bootstrap interval for macro-F1, resampling whole articles.

A local metric module loaded by path. Sentences of one article are not independent, so the unit of
resampling is the article (``groups``).
"""

import datasets
import evaluate
import numpy as np
from sklearn.metrics import f1_score

_DESCRIPTION = "Percentile bootstrap confidence interval of macro-F1, resampling groups (articles)."
_KWARGS_DESCRIPTION = """
Args:
    predictions (list of int), references (list of int): label ids.
    groups (list of str): the article of each example.
    num_labels (int): number of labels (macro average over all of them).
    n_resamples (int, default 1000), confidence (float, default 0.95), seed (int, default 0).
Returns:
    macro_f1, ci_low, ci_high, n_resamples, n_groups.
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class BootstrapMacroF1(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Value("int32"), "references": datasets.Value("int32")}),
        )

    def _compute(self, predictions, references, groups, num_labels, n_resamples=1000, confidence=0.95, seed=0):
        pred, ref = np.asarray(predictions), np.asarray(references)
        labels = list(range(num_labels))
        names, inverse = np.unique(np.asarray(groups), return_inverse=True)
        members = [np.flatnonzero(inverse == g) for g in range(len(names))]
        rng = np.random.default_rng(seed)
        scores = []
        for _ in range(n_resamples):
            pick = rng.integers(0, len(members), len(members))
            idx = np.concatenate([members[g] for g in pick])
            scores.append(f1_score(ref[idx], pred[idx], labels=labels, average="macro", zero_division=0))
        alpha = (1 - confidence) / 2
        return {
            "macro_f1": float(f1_score(ref, pred, labels=labels, average="macro", zero_division=0)),
            "ci_low": float(np.quantile(scores, alpha)),
            "ci_high": float(np.quantile(scores, 1 - alpha)),
            "n_resamples": int(n_resamples),
            "n_groups": len(members),
        }
