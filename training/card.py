"""The model card: README.md in the model directory, written from the saved metadata."""

from __future__ import annotations

from pathlib import Path

from ..model.artifact import ModelArtifact
from ..model.labels import DEFINITIONS, LABELS


def _scores_table(scores: dict) -> str:
    if not scores:
        return "No scores recorded.\n"
    lines = ["| split | n | macro-F1 | accuracy | " + " | ".join(LABELS) + " |",
             "|---|---:|---:|---:|" + "---:|" * len(LABELS)]
    for name, s in scores.items():
        lines.append(f"| {name} | {s['n']} | {s['macro_f1']:.3f} | {s['accuracy']:.3f} | "
                     + " | ".join(f"{s['f1'][k]:.3f}" for k in LABELS) + " |")
    return "\n".join(lines) + "\n"


def _input_section(artifact: ModelArtifact) -> str:
    spec = artifact.input_spec
    if artifact.architecture == "article":
        cap = f", at most {spec['max_sentences']} per window" if spec.get("max_sentences") else ""
        return (f"The article is read in windows of whole sentences of at most {spec['window_tokens']} tokens{cap}, "
                "`[CLS] s1 [SEP] s2 [SEP] ...`, overlapping by about half; each sentence's vector is the mean of its "
                "own tokens, and it is labelled from the window where it sits most centrally (architecture "
                "`article`).")
    return (f"Each sentence is the first segment; {spec.get('context_window', 0)} neighbour sentence(s) on each side "
            "of the same article form the second segment (token type ids all zero)"
            + ("; official-role words found by the lexicon are added as a hint" if spec.get("official_hint") else "")
            + f". Maximum length {spec.get('max_length')} tokens (architecture `sequence`).")


def write_model_card(out: Path, artifact: ModelArtifact, extra_sections: str = "") -> Path:
    """Write (or rewrite) ``out/README.md`` from the model's artifact; ``extra_sections`` is appended (e.g. ablations)."""
    meta = {**artifact.training, "temperature": artifact.temperature, "sourcetag_version": artifact.sourcetag_version}
    cfg = meta["config"]
    labels = "\n".join(f"- `{k}`: {DEFINITIONS[k]}" for k in LABELS)
    counts = meta.get("label_counts", {})
    count_lines = "\n".join(f"- {split}: " + ", ".join(f"{k} {v}" for k, v in c.items()) for split, c in counts.items())
    warned = "".join(f"\n**Warning:** {w}.\n" for w in meta.get("warnings") or [])
    text = f"""# sourcetag model

Labels every sentence of a news article by how its claim is sourced. Trained with sourcetag
{meta['sourcetag_version']} from `{cfg['ModelArguments']['base_model']}`.

## Labels
{labels}

The full definitions are the project's annotation guideline (`data/guideline.md`).

## Input
{_input_section(artifact)} Probabilities are calibrated by temperature scaling on dev
(T = {meta['temperature']:.3f}).

## Scores (calibrated probabilities, argmax)
{_scores_table(meta.get('scores', {}))}
## Training data
{count_lines}
{warned}
Data files and their SHA-256 are in `sourcetag.json`, with the resolved configuration and command line:

    {' '.join(meta.get('command_line', []))}

Trained on {meta['device_trained']} ({meta['precision_trained']}) in {meta['train_seconds']:.0f} s,
{meta.get('epochs_run') or 0:.1f} epochs.

## Limits
The corpus is invented news text in many house styles; accuracy on real pages is lower (see the evaluation
report). The hard boundary is `official_statement` versus `attributed_claim`: knowing who is official.
{extra_sections}"""
    path = out / "README.md"
    path.write_text(text, encoding="utf-8")
    return path
