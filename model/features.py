"""Turn the sentences of an article into model inputs.

The target sentence is always the first segment, so the model knows which sentence it labels. With a
context window of k, the second segment holds up to k previous and k next sentences of the same article,
with a separator where the target would sit. All token type ids are zero: all-MiniLM-L6-v2 was trained on
single sequences, its segment-B embedding is untrained, and a plain text pair measurably hurt
(``../shared/findings.md``). Optionally the official-role words found in the target are added as a hint.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from .lexicon import official_terms


@dataclass(frozen=True)
class InputSpec:
    """How sentences become model inputs; saved with every model so prediction matches training."""

    context_window: int = 1
    official_hint: bool = False
    max_length: int = 160

    def __post_init__(self) -> None:
        if self.context_window < 0:
            raise ValueError("context_window must be >= 0")
        if self.max_length < 16:
            raise ValueError("max_length must be >= 16")

    def to_dict(self) -> dict:
        return asdict(self)


def article_inputs(
    sentences: Sequence[str],
    spec: InputSpec,
    sep: str,
    lexicon: re.Pattern[str] | None = None,
) -> tuple[list[str], list[str] | None]:
    """First and second segments for every sentence of one article (second is None without context)."""
    firsts = [" ".join(s.split()) for s in sentences]
    if spec.context_window == 0 and not spec.official_hint:
        return firsts, None
    seconds = []
    k = spec.context_window
    for i, target in enumerate(firsts):
        parts = []
        if k:
            prev = " ".join(firsts[max(0, i - k) : i])
            nxt = " ".join(firsts[i + 1 : i + 1 + k])
            parts.append(f"{prev} {sep} {nxt}".strip())
        if spec.official_hint:
            if lexicon is None:
                raise ValueError("official_hint needs a lexicon")
            terms = official_terms(target, lexicon)
            parts.append("official: " + (", ".join(terms) if terms else "none"))
        seconds.append(f" {sep} ".join(parts))
    return firsts, seconds


def inputs_for_articles(
    articles: Sequence[Sequence[str]], spec: InputSpec, sep: str, lexicon: re.Pattern[str] | None = None,
) -> tuple[list[str], list[str] | None]:
    """First and second segments for every sentence of several articles, flattened in article order."""
    firsts: list[str] = []
    seconds: list[str] | None = [] if (spec.context_window or spec.official_hint) else None
    for sents in articles:
        f, s = article_inputs(sents, spec, sep, lexicon)
        firsts += f
        if seconds is not None and s is not None:
            seconds += s
    return firsts, seconds


def encode(tokenizer, firsts: list[str], seconds: list[str] | None, max_length: int) -> dict[str, list]:
    """Tokenize in one batched call; no padding (batches pad themselves) and no token type ids."""
    enc = tokenizer(
        firsts,
        seconds,
        truncation="longest_first" if seconds is not None else True,
        max_length=max_length,
        padding=False,
        return_token_type_ids=False,
    )
    return {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}
