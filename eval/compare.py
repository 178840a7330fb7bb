"""A model beside other models and the baselines on the same labelled rows, written as one report directory."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..formats.files import staged_directory
from ..formats.outputs import record_written
from ..formats.rows import Row, read_rows
from .baselines import all_baselines
from .evaluator import Evaluator, score
from .report import write_report


def _scores_only(r: dict) -> dict:
    return {k: v for k, v in r.items() if k not in ("calibration", "probs")}


def compare_and_report(rows: list[Row], data: str | Path, tagger, report_dir: Path, others=(),
                       train_data: str | Path | None = None, progress: bool = False) -> str:
    """Score ``tagger``, the ``(name, tagger)`` pairs of ``others`` and the baselines (fitted on ``train_data`` when
    that file exists) on ``rows`` read from ``data``; write the report into ``report_dir`` whole (an interrupted or
    failed report leaves no half directory) and return the printed summary."""
    evaluator = Evaluator(rows, name=Path(data).stem)
    model_name = f"sourcetag ({tagger.architecture.describe()})"
    result = evaluator(tagger, progress)
    systems = {model_name: _scores_only(result)}
    systems.update((name, _scores_only(evaluator(other, progress))) for name, other in others)
    train_rows = read_rows(train_data) if train_data and Path(train_data).is_file() else None
    for b in all_baselines(train_rows):
        systems[b.name] = score(rows, b.predict(rows))
    pred = np.asarray(result["probs"]).argmax(-1)
    if not report_dir.exists():  # a report folder made inside a trained model's folder goes with it on train --force
        record_written(report_dir.parent, report_dir.name)
    with staged_directory(report_dir) as staged:
        return write_report(staged, str(data), model_name, systems, result["calibration"], rows, pred)
