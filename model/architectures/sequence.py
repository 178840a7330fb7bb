"""The sequence classifier: each sentence read on its own, or with neighbour sentences as a second segment
(:mod:`sourcetag.model.features`), by a transformers sequence-classification model."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..features import InputSpec, encode, inputs_for_articles
from .base import IGNORE, Architecture, Encoded, pad_rows


class SequenceArchitecture(Architecture):
    name = "sequence"

    def __init__(self, module, tokenizer, options: dict, lexicon=None):
        super().__init__(module, tokenizer, options)
        self.spec = InputSpec(**options)
        self.lexicon = lexicon

    @classmethod
    def create(cls, base: str, options: dict, labels: Sequence[str], lexicon=None) -> SequenceArchitecture:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        module = AutoModelForSequenceClassification.from_pretrained(
            base, num_labels=len(labels), id2label=dict(enumerate(labels)),
            label2id={name: i for i, name in enumerate(labels)})
        return cls(module, AutoTokenizer.from_pretrained(base), options, lexicon)

    @classmethod
    def load(cls, model_dir: Path, options: dict, lexicon=None) -> SequenceArchitecture:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        module = AutoModelForSequenceClassification.from_pretrained(model_dir, use_safetensors=True)
        return cls(module, AutoTokenizer.from_pretrained(model_dir), options, lexicon)

    def describe(self) -> str:
        return f"{self.spec.context_window} neighbour(s) of context"

    def save(self, out: Path) -> list[str]:
        self.module.save_pretrained(out)
        # The model was trained with all-zero token type ids; a tokenizer that never returns them makes every
        # consumer of the directory (transformers' pipeline included) feed the model what it was trained on.
        self.tokenizer.model_input_names = ["input_ids", "attention_mask"]
        self.tokenizer.save_pretrained(out)
        return ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"]

    def encode(self, articles, labels=None, train=False) -> Encoded:
        firsts, seconds = inputs_for_articles(articles, self.spec, self.tokenizer.sep_token or "|", self.lexicon)
        flat = [lab for art in labels for lab in art] if labels is not None else None
        keep = [i for i in range(len(firsts)) if not (train and flat is not None and flat[i] == IGNORE)]
        if len(keep) < len(firsts):
            firsts = [firsts[i] for i in keep]
            seconds = [seconds[i] for i in keep] if seconds is not None else None
        if not firsts:
            return Encoded()
        enc = encode(self.tokenizer, firsts, seconds, self.spec.max_length)
        features = [{"input_ids": ids, "attention_mask": mask}
                    for ids, mask in zip(enc["input_ids"], enc["attention_mask"], strict=True)]
        if flat is not None:
            for f, i in zip(features, keep, strict=True):
                f["labels"] = flat[i]
        return Encoded(features, [(row, 0) for row in range(len(features))])

    def collate(self, features) -> dict:
        batch = pad_rows(features, self.input_names, {"input_ids": self.pad_id})
        if "labels" in features[0]:
            import numpy as np

            batch["labels"] = np.asarray([f["labels"] for f in features], dtype=np.int64)
        return batch
