"""Ablation table from evaluation reports: ``python -m sourcetag.eval.ablation NAME=DIR[,DIR...] ...``.

Each DIR is a trained model with ``report-test/metrics.json`` and ``report-seeds/metrics.json`` (written by
``sourcetag evaluate --report``), and ``report-realdev/metrics.json`` for real-dev (``../shared/real-dev``): a set
is a column of the table when every DIR has it. Several DIRs for one NAME (different seeds) give the mean and the spread
(standard deviation). ``--card MODEL_DIR`` adds the table to that model's card, ``--report REPORT_DIR`` to an
evaluation report's report.md (replacing an earlier ablation section), ``--output FILE`` writes it alone.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

from ..formats.files import write_text_atomic
from ..model.labels import LABELS

SETS = (("report-test", "corpus test split"), ("report-seeds", "seed articles (real pages)"),
        ("report-realdev", "real-dev (16 real pages)"))
REQUIRED = ("report-test", "report-seeds")


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
            if sub not in REQUIRED and not all((d / sub / "metrics.json").is_file() for d in dirs):
                continue
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


def add_section(path: Path, title: str, section: str) -> None:
    """Append ``section`` to a Markdown file, replacing an earlier section with the same ``## title``."""
    text = path.read_text(encoding="utf-8")
    head = f"\n## {title}\n"
    start = text.find(head)
    if start >= 0:
        end = text.find("\n## ", start + len(head))
        text = text[:start] + (text[end:] if end >= 0 else "")
    write_text_atomic(path, text.rstrip("\n") + "\n" + section)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m sourcetag.eval.ablation", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("configs", nargs="*", metavar="NAME=DIR[,DIR...]")
    p.add_argument("--table", help="use the table in this Markdown file (written earlier with --output) instead")
    p.add_argument("--card", help="model directory whose README.md gets the table")
    p.add_argument("--report", action="append", default=[],
                   help="evaluation report directory whose report.md gets the table (repeatable)")
    p.add_argument("--output", help="also write the table (Markdown) to this file")
    p.add_argument("--title", default="Ablation", help="section heading (default: Ablation)")
    args = p.parse_args(argv)
    if bool(args.table) == bool(args.configs):
        p.error("give NAME=DIR configurations or --table FILE (one of the two)")
    configs = []
    for item in args.configs:
        name, sep, dirs = item.partition("=")
        if not sep:
            p.error(f"expected NAME=DIR[,DIR...], got {item!r}")
        configs.append((name, [Path(d) for d in dirs.split(",")]))
    if args.table:
        lines = Path(args.table).read_text(encoding="utf-8").splitlines()
        table = "\n".join(line for line in lines if not line.startswith("# ")).strip()
    else:
        table = ablation_table(configs)
    print(table)
    section = f"\n## {args.title}\n\n{table}\n"
    if args.output:
        write_text_atomic(Path(args.output), f"# {args.title}\n\n{table}\n")
    for report in args.report:
        add_section(Path(report) / "report.md", args.title, section)
    if args.card:
        from ..model.artifact import read_artifact
        from ..training.card import write_model_card

        model_dir = Path(args.card)
        write_model_card(model_dir, read_artifact(model_dir), extra_sections=section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
