"""The article encoder: whole-sentence windows of an article encoded jointly (Cohan et al., EMNLP 2019).

A window reads ``[CLS] s1 [SEP] s2 [SEP] ...`` (:mod:`.windows`); a sentence's vector is the mean of its own
tokens' final hidden states (its ``[SEP]`` included), and a linear head maps it to label logits. At prediction
the windows overlap and a sentence is labelled from the window where it sits most centrally; training tiles the
article with windows that do not overlap, so every sentence is a target once per epoch at the cost of reading it
once. Options: ``window_tokens`` (the token budget of a window), ``max_sentences`` (a cap on sentences per
window; 1 reads every sentence alone, the same architecture without context) and ``overlap`` (the share of a
window the next one repeats at prediction; 0 tiles the article as training does).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch

from .base import IGNORE, Architecture, Encoded, pad_rows
from .windows import plan_windows

DEFAULTS = {"window_tokens": 256, "max_sentences": 0, "overlap": 0.5, "dropout": 0.1}


class ArticleEncoder(torch.nn.Module):
    """A transformer encoder with a linear head over mean-pooled sentence tokens.

    ``sentence_ids`` gives each token's sentence slot in its window (-1 for ``[CLS]`` and padding);
    ``sentence_mask`` marks the window's slots (its width is the number of slots). Returns logits of shape
    ``(windows, slots, labels)``.
    """

    def __init__(self, encoder, num_labels: int, dropout: float = 0.1):
        super().__init__()
        self.encoder = encoder
        self.config = encoder.config
        self.dropout = torch.nn.Dropout(dropout)
        self.classifier = torch.nn.Linear(encoder.config.hidden_size, num_labels)

    def forward(self, input_ids, attention_mask, sentence_ids, sentence_mask, labels=None):
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        slots = torch.arange(sentence_mask.shape[1], device=input_ids.device)
        member = (sentence_ids.unsqueeze(-1) == slots).to(hidden.dtype)  # (windows, tokens, slots)
        sums = torch.einsum("bts,bth->bsh", member, hidden)
        vectors = sums / member.sum(1).clamp(min=1).unsqueeze(-1)
        logits = self.classifier(self.dropout(vectors))
        out = {"logits": logits}
        if labels is not None:
            out["loss"] = torch.nn.functional.cross_entropy(logits.flatten(0, 1).float(), labels.flatten(),
                                                            ignore_index=IGNORE)
        return out


def _load_encoder(base: str):
    from transformers import AutoModel

    try:  # BERT-style encoders: the pooler is never used here
        return AutoModel.from_pretrained(base, add_pooling_layer=False)
    except TypeError:
        return AutoModel.from_pretrained(base)


class ArticleArchitecture(Architecture):
    name = "article"
    input_names = ("input_ids", "attention_mask", "sentence_ids", "sentence_mask")
    PREDICTION_OPTIONS = ("overlap",)

    def __init__(self, module, tokenizer, options: dict, lexicon=None):
        super().__init__(module, tokenizer, {**DEFAULTS, **options})
        self.window_tokens = int(self.options["window_tokens"])
        self.max_sentences = int(self.options["max_sentences"])
        self.overlap = float(self.options["overlap"])
        if not 0 <= self.overlap < 1:
            raise ValueError(f"overlap must be in [0, 1), got {self.overlap}")
        if self.window_tokens < 8:
            raise ValueError(f"window_tokens must be >= 8, got {self.window_tokens}")
        if self.max_sentences < 0:
            raise ValueError(f"max_sentences must be >= 0, got {self.max_sentences}")

    @classmethod
    def create(cls, base: str, options: dict, labels: Sequence[str], lexicon=None) -> ArticleArchitecture:
        from transformers import AutoTokenizer

        encoder = _load_encoder(base)
        encoder.config.num_labels = len(labels)
        encoder.config.id2label = dict(enumerate(labels))
        encoder.config.label2id = {name: i for i, name in enumerate(labels)}
        opts = {**DEFAULTS, **options}
        module = ArticleEncoder(encoder, len(labels), float(opts["dropout"]))
        return cls(module, AutoTokenizer.from_pretrained(base), opts)

    @classmethod
    def load(cls, model_dir: Path, options: dict, lexicon=None) -> ArticleArchitecture:
        from safetensors.torch import load_file
        from transformers import AutoConfig, AutoModel, AutoTokenizer

        config = AutoConfig.from_pretrained(model_dir)
        try:
            encoder = AutoModel.from_config(config, add_pooling_layer=False)
        except TypeError:
            encoder = AutoModel.from_config(config)
        opts = {**DEFAULTS, **options}
        module = ArticleEncoder(encoder, config.num_labels, float(opts["dropout"]))
        module.load_state_dict(load_file(str(Path(model_dir) / "model.safetensors")), strict=True)
        return cls(module, AutoTokenizer.from_pretrained(model_dir), opts)

    def save(self, out: Path) -> list[str]:
        from safetensors.torch import save_file

        self.module.config.save_pretrained(out)
        state = {k: v.detach().to("cpu").contiguous() for k, v in self.module.state_dict().items()}
        save_file(state, str(Path(out) / "model.safetensors"), metadata={"format": "pt"})
        self.tokenizer.model_input_names = ["input_ids", "attention_mask"]
        self.tokenizer.save_pretrained(out)
        return ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"]

    def describe(self) -> str:
        cap = f", at most {self.max_sentences} sentence(s)" if self.max_sentences else ""
        return f"article windows of {self.window_tokens} tokens{cap}"

    def default_batch_size(self, device_type: str) -> int:
        return 8 if device_type == "cpu" else 64

    def encode(self, articles, labels=None, train=False) -> Encoded:
        texts = [" ".join(s.split()) for art in articles for s in art]
        tokens = self.tokenizer(texts, add_special_tokens=False, return_attention_mask=False,
                                return_token_type_ids=False)["input_ids"] if texts else []
        cls_id, sep_id = self.tokenizer.cls_token_id, self.tokenizer.sep_token_id
        if cls_id is None or sep_id is None:
            raise ValueError("the article encoder needs a tokenizer with [CLS] and [SEP] tokens")
        keep = self.window_tokens - 2
        enc = Encoded()
        placement: list[tuple[int, int]] = []
        first = 0
        for a, art in enumerate(articles):
            toks = tokens[first : first + len(art)]
            first += len(art)
            for w in plan_windows([len(t) for t in toks], self.window_tokens, self.max_sentences,
                                  overlap=0.0 if train else self.overlap):
                ids, sids = [cls_id], [-1]
                for slot, i in enumerate(range(w.start, w.stop)):
                    piece = toks[i][:keep] + [sep_id]
                    ids += piece
                    sids += [slot] * len(piece)
                feature = {"input_ids": ids, "attention_mask": [1] * len(ids), "sentence_ids": sids,
                           "sentence_mask": [1] * (w.stop - w.start)}
                owned = set(w.owned)
                if labels is not None:
                    feature["labels"] = [labels[a][i] if i in owned else IGNORE for i in range(w.start, w.stop)]
                row = len(enc.features)
                enc.features.append(feature)
                placement += [(i, row, i - w.start) for i in w.owned]
            enc.placement += [(row, slot) for _, row, slot in sorted(placement)]
            placement = []
        return enc

    def collate(self, features) -> dict:
        batch = pad_rows(features, self.input_names, {"input_ids": self.pad_id, "sentence_ids": -1})
        if "labels" in features[0]:
            batch["labels"] = pad_rows(features, ["labels"], {"labels": IGNORE})["labels"]
        return batch

    def export_example(self) -> tuple[dict, dict]:
        ids = torch.ones((2, 16), dtype=torch.long)
        sids = torch.tensor([[-1] + [0] * 5 + [1] * 5 + [2] * 5, [-1] + [0] * 8 + [1] * 7])
        example = {"input_ids": ids, "attention_mask": torch.ones_like(ids), "sentence_ids": sids,
                   "sentence_mask": torch.tensor([[1, 1, 1], [1, 1, 0]])}
        axes = {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
                "sentence_ids": {0: "batch", 1: "sequence"}, "sentence_mask": {0: "batch", 1: "sentences"},
                "logits": {0: "batch", 1: "sentences"}}
        return example, axes


__all__ = ["ArticleArchitecture", "ArticleEncoder"]
