"""The evaluation report: metrics.json, confusion-matrix and reliability PNGs, report.md, a printed summary."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..formats.rows import Row, group_articles
from ..model.labels import LABELS

SHORT = {"official_statement": "official", "attributed_claim": "attributed", "unverified_assertion": "unverified",
         "filler": "filler"}


def summary_rows(systems: dict[str, dict]) -> list[list[str]]:
    rows = []
    for name, m in systems.items():
        ci = m["macro_f1_ci95"]
        rows.append([name, f"{m['macro_f1']:.3f}", f"[{ci['ci_low']:.3f}, {ci['ci_high']:.3f}]", f"{m['accuracy']:.3f}"]
                    + [f"{m['per_label'][k]['f1']:.3f}" for k in LABELS])
    return rows


SUMMARY_HEAD = ["system", "macro-F1", "95% CI (by article)", "accuracy"] + [f"F1 {SHORT[k]}" for k in LABELS]


def text_table(head: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=True)]

    def fmt(r):
        return "  ".join(str(x).ljust(w) if i == 0 else str(x).rjust(w)
                         for i, (x, w) in enumerate(zip(r, widths, strict=True)))

    return "\n".join([fmt(head), "  ".join("-" * w for w in widths), *map(fmt, rows)])


def md_table(head: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" if i == 0 else "---:" for i in range(len(head))) + "|"]
    out += ["| " + " | ".join(str(x) for x in r) + " |" for r in rows]
    return "\n".join(out)


def plot_confusion(cm: list[list[int]], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cm = np.asarray(cm)
    fig, ax = plt.subplots(figsize=(5.5, 4.8))
    norm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    names = [SHORT[k] for k in LABELS]
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
    ax.set_yticks(range(len(names)), names)
    for i in range(len(names)):
        for j in range(len(names)):
            ax.text(j, i, f"{cm[i, j]}\n{norm[i, j]:.0%}", ha="center", va="center",
                    color="white" if norm[i, j] > 0.5 else "black", fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_reliability(cal: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 4), sharey=True)
    for ax, key in zip(axes, ("before", "after"), strict=True):
        e = cal[key]
        n = len(e["bin_count"])
        centers = (np.arange(n) + 0.5) / n
        acc = np.array(e["bin_accuracy"])
        has = np.array(e["bin_count"]) > 0
        ax.bar(centers[has], acc[has], width=1 / n, edgecolor="black", alpha=0.7, label="accuracy")
        ax.plot([0, 1], [0, 1], "k--", label="perfect calibration")
        title = "before (T = 1)" if key == "before" else f"after (T = {cal['temperature']:.2f})"
        ax.set_title(f"{title}: ECE {e['ece']:.3f}")
        ax.set_xlabel("confidence (top probability)")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
    axes[0].set_ylabel("accuracy")
    axes[0].legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _clip(s: str, n: int = 160) -> str:
    return (s[:n] + "…") if len(s) > n else s


def confused_examples(rows: list[Row], pred: np.ndarray, per_pair: int = 5) -> dict[tuple[str, str], list[str]]:
    """For each (gold, predicted) pair that differs, up to ``per_pair`` sentences with their neighbours."""
    pos = {id(r): (art, i) for art in group_articles(rows) for i, r in enumerate(art)}
    out: dict[tuple[str, str], list[str]] = {}
    for r, p in zip(rows, pred, strict=True):
        gold, guess = r.label, LABELS[int(p)]
        if gold == guess:
            continue
        ex = out.setdefault((gold, guess), [])
        if len(ex) >= per_pair:
            continue
        art, i = pos[id(r)]
        prev = art[i - 1].text if i else ""
        nxt = art[i + 1].text if i + 1 < len(art) else ""
        ex.append(f"`{r.id}`: {_clip(prev)} **⟦{_clip(r.text)}⟧** {_clip(nxt)}".replace("\n", " "))
    return out


def write_report(report_dir: Path, data_name: str, model_name: str, systems: dict[str, dict], calibration: dict,
                 rows: list[Row], model_pred: np.ndarray) -> str:
    """Write everything into ``report_dir``; return the printed summary table."""
    from ..formats.outputs import record_written

    if not report_dir.exists():  # a report folder made inside a trained model's folder goes with it on train --force
        record_written(report_dir.parent, report_dir.name)
    report_dir.mkdir(parents=True, exist_ok=True)
    main = systems[model_name]
    plot_confusion(main["confusion_matrix"], report_dir / "confusion_matrix.png", f"{model_name} on {data_name}")
    plot_reliability(calibration, report_dir / "reliability.png")
    metrics = {"data": data_name, "n_sentences": len(rows), "n_articles": len(group_articles(rows)),
               "model": model_name, "systems": systems, "calibration": calibration}
    (report_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    summary = text_table(SUMMARY_HEAD, summary_rows(systems))
    per_label = [[k, f"{v['precision']:.3f}", f"{v['recall']:.3f}", f"{v['f1']:.3f}", str(v["support"])]
                 for k, v in main["per_label"].items()]
    cm = [[SHORT[LABELS[i]]] + [str(x) for x in row] for i, row in enumerate(main["confusion_matrix"])]
    pairs = confused_examples(rows, model_pred)
    counts = {(LABELS[i], LABELS[j]): main["confusion_matrix"][i][j] for i in range(4) for j in range(4) if i != j}
    err = []
    for (g, p), n in sorted(counts.items(), key=lambda kv: -kv[1]):
        if n == 0:
            continue
        err.append(f"### gold {g} → predicted {p} ({n})\n")
        err += [f"- {e}" for e in pairs.get((g, p), [])]
        err.append("")
    cm_table = md_table(["gold \\ predicted"] + [SHORT[k] for k in LABELS], cm)
    md = f"""# Evaluation report

Model `{model_name}` on `{data_name}`: {len(rows)} sentences, {metrics['n_articles']} articles.
Intervals are 95% percentile bootstrap intervals of macro-F1, resampling articles (1,000 resamples).

## Summary

{md_table(SUMMARY_HEAD, summary_rows(systems))}

## Per label ({model_name})

{md_table(['label', 'precision', 'recall', 'F1', 'support'], per_label)}

## Confusion matrix (rows gold, columns predicted)

{cm_table}

![confusion matrix](confusion_matrix.png)

## Calibration

Expected calibration error of the top probability (10 bins): {calibration['before']['ece']:.4f} before,
{calibration['after']['ece']:.4f} after temperature scaling (T = {calibration['temperature']:.3f}, fitted on dev).

![reliability diagram](reliability.png)

## Confused sentences (⟦target⟧ with its neighbours)

{chr(10).join(err) if err else 'No errors.'}
"""
    (report_dir / "report.md").write_text(md, encoding="utf-8")
    return summary
