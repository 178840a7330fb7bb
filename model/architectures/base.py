"""The architecture interface: articles in, per-sentence logits out; build, save and load."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np

IGNORE = -100
"""Label of a sentence that is not a training target (padding slots, context-only sentences)."""


@dataclass
class Encoded:
    """Model inputs for some articles: one feature dict per model row (a sentence, or a window of sentences), and
    for every sentence of the articles, in order, the row and output slot its logits come from."""

    features: list[dict[str, list]] = field(default_factory=list)
    placement: list[tuple[int, int]] = field(default_factory=list)


class Architecture(ABC):
    """A model architecture bound to its weights (``module``, a torch module) and tokenizer.

    Subclasses define how articles become rows of model inputs (:meth:`encode`), how rows are padded into a batch
    (:meth:`collate`), how a module is created from a base checkpoint and how it is saved and loaded. The module's
    ``forward`` takes the batch arrays named in :attr:`input_names` and returns ``{"logits": ...}`` of shape
    ``(batch, labels)`` or ``(batch, slots, labels)``.
    """

    name: ClassVar[str]
    input_names: ClassVar[tuple[str, ...]] = ("input_ids", "attention_mask")

    def __init__(self, module, tokenizer, options: dict):
        self.module = module
        self.tokenizer = tokenizer
        self.options = dict(options)

    @classmethod
    @abstractmethod
    def create(cls, base: str, options: dict, labels: Sequence[str]) -> Architecture:
        """A new model on the base checkpoint ``base`` (a local folder or hub id) with a fresh head for ``labels``."""

    @classmethod
    @abstractmethod
    def load(cls, model_dir: Path, options: dict) -> Architecture:
        """The model saved in ``model_dir`` by :meth:`save` (safetensors only)."""

    @abstractmethod
    def save(self, out: Path) -> list[str]:
        """Write weights, configuration and tokenizer into ``out``; returns the names written."""

    @abstractmethod
    def encode(self, articles: Sequence[Sequence[str]], labels: Sequence[Sequence[int]] | None = None,
               train: bool = False) -> Encoded:
        """Model rows for pre-split articles; with ``labels`` each row carries its ``labels`` too (``IGNORE``
        for sentences that are not targets). ``train`` may lay rows out for training (e.g. without overlap)."""

    @abstractmethod
    def collate(self, features: Sequence[dict]) -> dict[str, np.ndarray]:
        """Pad rows into one batch of int64 arrays (``labels`` padded with ``IGNORE`` when present)."""

    def describe(self) -> str:
        """A few words on what the model reads, for reports."""
        return self.name

    def default_batch_size(self, device_type: str) -> int:
        return 32 if device_type == "cpu" else 128

    @property
    def pad_id(self) -> int:
        return self.tokenizer.pad_token_id or 0

    def export_example(self) -> tuple[dict, dict]:
        """Example inputs (torch tensors) and dynamic axes for exporting the module to ONNX."""
        import torch

        ids = torch.ones((2, 16), dtype=torch.long)
        axes = {name: {0: "batch", 1: "sequence"} for name in self.input_names}
        return {"input_ids": ids, "attention_mask": torch.ones_like(ids)}, {**axes, "logits": {0: "batch"}}

    def logits(self, articles: Sequence[Sequence[str]], forward, batch_size: int, num_labels: int,
               progress: bool = False, encoded: Encoded | None = None) -> np.ndarray:
        """Logits for every sentence of ``articles`` in order, from length-sorted batches of rows.

        ``forward`` maps a batch (:meth:`collate` without labels) to a logits array (a backend of
        :mod:`sourcetag.model.backends`).
        """
        if batch_size < 1:
            raise ValueError(f"batch size must be >= 1, got {batch_size}")  # a negative one silently made no batches
        enc = encoded if encoded is not None else self.encode(articles)
        rows: list[np.ndarray | None] = [None] * len(enc.features)
        order = sorted(range(len(enc.features)), key=lambda i: len(enc.features[i]["input_ids"]))
        batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
        if progress and batches:
            from tqdm.auto import tqdm

            batches = tqdm(batches, desc="predict", unit="batch", leave=False)
        for batch in batches:
            arrays = self.collate([{k: v for k, v in enc.features[i].items() if k != "labels"} for i in batch])
            out = np.asarray(forward(arrays), dtype=np.float32)
            for row, i in enumerate(batch):
                rows[i] = out[row]
        result = np.zeros((len(enc.placement), num_labels), dtype=np.float32)
        for k, (row, slot) in enumerate(enc.placement):
            r = rows[row]
            result[k] = r if r.ndim == 1 else r[slot]
        return result


def pad_rows(features: Sequence[dict], names: Sequence[str], pad: dict[str, int]) -> dict[str, np.ndarray]:
    """Right-pad the listed fields of ``features`` to one width each (``pad`` gives the fill per field)."""
    out = {}
    for name in names:
        width = max(len(f[name]) for f in features)
        arr = np.full((len(features), width), pad.get(name, 0), dtype=np.int64)
        for i, f in enumerate(features):
            arr[i, : len(f[name])] = f[name]
        out[name] = arr
    return out
