"""sourcetag: label every sentence of a news article by how its claim is sourced.

>>> from sourcetag import Tagger
>>> tagger = Tagger.load()            # default model, or Tagger.load("path/to/model")
>>> result = tagger.predict("The ministry said 12 people were hurt.")  # doctest: +SKIP
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import version as _version
from typing import TYPE_CHECKING

__version__ = _version("sourcetag")
"""The installed distribution's version: pyproject.toml's ``version`` is its one place."""

__all__ = ["LABELS", "ArticleResult", "DataError", "Evidence", "InputError", "ModelError", "OutputError",
           "SentenceResult", "SourcetagError", "Tagger", "__version__", "split_sentences"]

_LAZY = {
    "Tagger": "sourcetag.model.tagger",
    "ArticleResult": "sourcetag.model.tagger",
    "SentenceResult": "sourcetag.model.tagger",
    "Evidence": "sourcetag.model.evidence",
    "LABELS": "sourcetag.model.labels",
    "split_sentences": "sourcetag.model.splitter",
    **{name: "sourcetag.model.errors" for name in ("SourcetagError", "DataError", "InputError", "ModelError",
                                                    "OutputError")},
}

if TYPE_CHECKING:
    from .model.errors import DataError, InputError, ModelError, OutputError, SourcetagError
    from .model.evidence import Evidence
    from .model.labels import LABELS
    from .model.splitter import split_sentences
    from .model.tagger import ArticleResult, SentenceResult, Tagger


def __getattr__(name: str):
    # Lazy so that `import sourcetag` and `sourcetag --help` do not load torch.
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'sourcetag' has no attribute {name!r}")
