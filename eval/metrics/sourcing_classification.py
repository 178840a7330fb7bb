"""`evaluate` metric: accuracy, macro-F1, per-label precision/recall/F1/support and the confusion matrix.

A local metric module, loaded by path (``evaluate.load(<this file>)``), never fetched from a hub. It wraps
scikit-learn so the numbers are the standard ones.
"""

import datasets
import evaluate
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

_DESCRIPTION = "Accuracy, macro-F1, per-label precision/recall/F1/support and confusion matrix (scikit-learn)."
_KWARGS_DESCRIPTION = """
Args:
    predictions (list of int): predicted label ids.
    references (list of int): gold label ids.
    labels (list of str): label names; position i names id i. Every label is reported, even with no support.
Returns:
    accuracy, macro_f1, per_label {name: {precision, recall, f1, support}}, confusion_matrix (rows gold, columns
    predicted, in ``labels`` order), labels.
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class SourcingClassification(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Value("int32"), "references": datasets.Value("int32")}),
        )

    def _compute(self, predictions, references, labels):
        ids = list(range(len(labels)))
        p, r, f, s = precision_recall_fscore_support(references, predictions, labels=ids, zero_division=0)
        return {
            "accuracy": float(accuracy_score(references, predictions)) if len(references) else 0.0,
            "macro_f1": float(f.mean()),
            "per_label": {
                name: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
                for i, name in enumerate(labels)
            },
            "confusion_matrix": confusion_matrix(references, predictions, labels=ids).tolist(),
            "labels": list(labels),
        }
