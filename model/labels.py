"""The four sourcing labels: one place for their names, order and definitions."""

from __future__ import annotations

LABELS: tuple[str, ...] = ("official_statement", "attributed_claim", "unverified_assertion", "filler")
"""Label names in the order of the model's output units."""

LABEL2ID: dict[str, int] = {name: i for i, name in enumerate(LABELS)}
ID2LABEL: dict[int, str] = dict(enumerate(LABELS))

DEFINITIONS: dict[str, str] = {
    "official_statement": "what an official body or an official in that role says, states, announces, warns, reports",
    "attributed_claim": "a claim the text pins on an identifiable source that is not official",
    "unverified_assertion": "a claim with no source or only a vague one; the writer's own analysis and speculation",
    "filler": "no claim about the news: page furniture, boilerplate, credits, editorial notes, bare speaker tags",
}


def check_label(label: object) -> str:
    """Return ``label`` if it is one of :data:`LABELS`, else raise ``ValueError`` naming the valid ones."""
    if label not in LABEL2ID:
        raise ValueError(f"unknown label {label!r}; expected one of {', '.join(LABELS)}")
    return label  # type: ignore[return-value]
