"""Ablation table from evaluation reports: ``python -m sourcetag.eval.ablation NAME=DIR[,DIR...] ...``.

Each DIR is a trained model with ``report-test/metrics.json`` and ``report-seeds/metrics.json`` (written by
``sourcetag evaluate --report``). Several DIRs for one NAME (different seeds) give the mean and the spread
(standard deviation). ``--card MODEL_DIR`` adds the table to that model's card.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

from ..model.labels import LABELS

SETS = (("report-test", "corpus test split"), ("report-seeds", "seed articles (real pages)"))


def _stat(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"


def ablation_table(configs: list[tuple[str, list[Path]]]) -> str:
    """A Markdown table: per configuration and evaluation set, macro-F1 and per-label F1 (mean ± sd over seeds)."""
    head = "| configuration | seeds | evaluated on | macro-F1 | " + " | ".join(LABELS) + " |"
    lines = [head, "|---|---:|---|---:|" + "---:|" * len(LABELS)]
    for name, dirs in configs:
        for sub, label in SETS:
            metrics = []
            for d in dirs:
                path = d / sub / "metrics.json"
                if not path.is_file():
                    raise FileNotFoundError(f"{path}: run 'sourcetag evaluate --report {d / sub}' first")
                m = json.loads(path.read_text())
                metrics.append(m["systems"][m["model"]])
            lines.append(f"| {name} | {len(dirs)} | {label} | {_stat([m['macro_f1'] for m in metrics])} | "
                         + " | ".join(_stat([m["per_label"][k]["f1"] for m in metrics]) for k in LABELS) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m sourcetag.eval.ablation", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("configs", nargs="+", metavar="NAME=DIR[,DIR...]")
    p.add_argument("--card", help="model directory whose README.md gets the table")
    args = p.parse_args(argv)
    configs = []
    for item in args.configs:
        name, sep, dirs = item.partition("=")
        if not sep:
            p.error(f"expected NAME=DIR[,DIR...], got {item!r}")
        configs.append((name, [Path(d) for d in dirs.split(",")]))
    table = ablation_table(configs)
    print(table)
    if args.card:
        from ..training.card import write_model_card

        model_dir = Path(args.card)
        meta = json.loads((model_dir / "sourcetag.json").read_text())
        write_model_card(model_dir, meta, extra_sections="\n## Ablation\n\n" + table + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
