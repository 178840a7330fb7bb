"""Model architectures: each turns articles into per-sentence logits, trains through the same Trainer, and saves
and loads itself. The saved model's artifact (:mod:`sourcetag.model.artifact`) names its architecture; adding one
is one new module here and one line in :data:`ARCHITECTURES`.

- ``sequence``: each sentence (optionally with neighbour sentences as a second segment) classified on its own.
- ``article``: whole-sentence windows of the article encoded jointly, a sentence's vector the mean of its tokens.
"""

from __future__ import annotations

from importlib import import_module

from .base import Architecture, Encoded

ARCHITECTURES = {
    "sequence": "sourcetag.model.architectures.sequence:SequenceArchitecture",
    "article": "sourcetag.model.architectures.article:ArticleArchitecture",
}


def architecture_class(name: str) -> type[Architecture]:
    """The class registered under ``name``."""
    if name not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {name!r}; known: {', '.join(ARCHITECTURES)}")
    module, cls = ARCHITECTURES[name].split(":")
    return getattr(import_module(module), cls)


__all__ = ["ARCHITECTURES", "Architecture", "Encoded", "architecture_class"]
