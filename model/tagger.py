"""The trained model and its inference: :class:`Tagger` owns prediction, end to end."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..formats.outputs import default_model_dir
from .artifact import ModelArtifact, check_label_order, load_model
from .backends import TorchBackend, resolve_device, resolve_runtime
from .errors import InputError, ModelError
from .evidence import Evidence, find_evidence
from .limits import MAX_ARTICLE_CHARS
from .splitter import normalize, split_sentences

ModelLoadError = ModelError
"""The earlier name of :class:`~sourcetag.model.errors.ModelError`, kept for code that catches it."""


@dataclass
class SentenceResult:
    """One labelled sentence."""

    idx: int
    text: str
    label: str
    probs: dict[str, float]
    needs_review: bool
    evidence: Evidence | None = None
    start: int | None = None
    end: int | None = None

    def to_dict(self) -> dict:
        d = {
            "idx": self.idx,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "label": self.label,
            "probs": self.probs,
            "needs_review": self.needs_review,
            "evidence": self.evidence.to_dict() if self.evidence else None,
        }
        return d


@dataclass
class ArticleResult:
    """All sentences of one article, with the normalised text their offsets refer to."""

    sentences: list[SentenceResult]
    text: str | None = None
    meta: dict = field(default_factory=dict)

    @property
    def labels(self) -> list[str]:
        return [s.label for s in self.sentences]


def _pre_split(articles) -> list[list[str]]:
    """Pre-split articles as lists; a string where a list of sentence lists belongs would be read one character
    per sentence, so it is refused."""
    articles = [articles] if isinstance(articles, str) else list(articles)
    if any(isinstance(a, str) for a in articles):
        raise TypeError("pre-split input is a list of articles, each a list of sentence strings; "
                        "use predict() for raw text")
    articles = [list(a) for a in articles]
    bad = next((s for a in articles for s in a if not isinstance(s, str)), None)
    if bad is not None:
        raise TypeError(f"sentences must be strings, got {type(bad).__name__}")
    return articles


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = logits / temperature
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


class Tagger:
    """A trained sourcetag model.

    >>> tagger = Tagger.load()                      # the default model (or $SOURCETAG_MODEL)
    >>> result = tagger.predict("Police said two men were arrested.\\nREAD MORE: Other story")
    >>> [(s.label, round(s.probs[s.label], 2)) for s in result.sentences]  # doctest: +SKIP
    """

    def __init__(self, architecture, artifact: ModelArtifact, device: str | None = None, precision: str = "auto",
                 batch_size: int | None = None, review_threshold: float = 0.6, model_dir: str | Path | None = None,
                 max_article_chars: int = MAX_ARTICLE_CHARS, backend: str = "auto"):
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1):
            raise ValueError(f"batch_size must be a whole number >= 1 (or None for the default), got {batch_size!r}")
        if not (isinstance(review_threshold, int | float) and 0 <= review_threshold <= 1):
            raise ValueError(f"review_threshold must be a probability in [0, 1], got {review_threshold!r}")
        self.architecture = architecture
        self.artifact = artifact
        self._labels = check_label_order(architecture.module.config, artifact)
        self.device = resolve_device(device)
        self.requested_precision = precision  # "auto" lets the pipelined predictor choose bf16 weights on a GPU
        self.backend, self.precision = resolve_runtime(backend, precision, self.device, onnx_ok=model_dir is not None)
        # On CPU, batches of 32 length-sorted sentences predicted as fast as 64 (133 against 128 sentences/s, 2 cores)
        # and a fresh 2,000-sentence prediction peaked at 736 MB against 942 MB; a GPU wants larger batches.
        self.batch_size = batch_size or architecture.default_batch_size(self.device.type)
        self.review_threshold = review_threshold
        self.max_article_chars = max_article_chars
        self.temperature = float(artifact.temperature)
        self._tokenizer_lock = threading.Lock()
        self.model.to(self.device)
        self.model.eval()
        if self.backend == "onnx":
            if model_dir is None:
                raise ValueError("the onnx backend needs a saved model (use Tagger.load)")
            from .backends import OnnxBackend

            try:
                self._forward = OnnxBackend(architecture, Path(model_dir))
            except Exception as e:  # export or session errors for unusual models: auto falls back, a request fails
                if backend == "onnx" or precision == "onnx":
                    raise
                warnings.warn(f"{model_dir}: ONNX Runtime path unavailable ({type(e).__name__}: {e}); using torch fp32",
                              stacklevel=2)
                self.backend = "torch"
        if self.backend == "torch":
            self._forward = TorchBackend(self.model, self.device, self.precision)

    @property
    def labels(self) -> tuple[str, ...]:
        """Label names in the order of the model's outputs."""
        return self._labels

    @property
    def model(self):
        """The torch module."""
        return self.architecture.module

    @property
    def tokenizer(self):
        return self.architecture.tokenizer

    @property
    def metadata(self) -> dict:
        """The artifact as ``sourcetag.json`` holds it."""
        return self.artifact.to_dict()

    @classmethod
    def load(cls, path: str | Path | None = None, **kwargs) -> Tagger:
        """Load a trained model directory (default: ``$SOURCETAG_MODEL`` or the default-model link).

        Keyword arguments go to :class:`Tagger` (``device``, ``backend``, ``precision``, ``batch_size``,
        ``review_threshold``, ``max_article_chars``), except ``options``: prediction-time overrides of the model's
        input spec (:func:`~sourcetag.model.artifact.load_model`).
        """
        model_dir = Path(path) if path is not None else default_model_dir()
        if not model_dir.exists():
            hint = "" if path is not None else " (run the README's main command, or set SOURCETAG_MODEL)"
            raise ModelError(f"{model_dir}: no such model directory{hint}")
        loaded = load_model(model_dir, kwargs.pop("options", None))
        return cls(loaded.architecture, loaded.artifact, model_dir=model_dir, **kwargs)

    # -- inference -----------------------------------------------------------------------------------------
    def logits(self, articles: Sequence[Sequence[str]], progress: bool = False) -> np.ndarray:
        """Raw logits (before temperature) for every sentence of pre-split articles, in order."""
        articles = _pre_split(articles)
        # A fast tokenizer is one Rust object whose truncation settings transformers rewrites in place; a thread
        # that does so while another encodes gets "RuntimeError: Already borrowed" (huggingface/tokenizers#537).
        with self._tokenizer_lock:
            encoded = self.architecture.encode(articles)
        return self.architecture.logits(articles, self._forward, self.batch_size, len(self._labels), progress,
                                        encoded=encoded)

    def predict_proba(self, articles: Sequence[Sequence[str]], progress: bool = False) -> np.ndarray:
        """Calibrated probabilities, one row per sentence, columns in :attr:`labels` order."""
        return softmax(self.logits(articles, progress), self.temperature)

    def predict_sentences(self, articles: Sequence[Sequence[str]], progress: bool = False) -> list[list[SentenceResult]]:
        """Label pre-split articles: a list of articles, each a list of sentence strings (not re-split)."""
        articles = _pre_split(articles)
        return self.results(articles, self.predict_proba(articles, progress))

    def results(self, articles: Sequence[Sequence[str]], probs: np.ndarray) -> list[list[SentenceResult]]:
        """The labelled sentences of pre-split ``articles`` from their probabilities (one row per sentence, in
        order): label, review flag and, for sourced labels, the evidence."""
        out: list[list[SentenceResult]] = []
        row = 0
        for sents in articles:
            results = []
            for i, text in enumerate(sents):
                p = probs[row]
                row += 1
                k = int(p.argmax())
                label = self._labels[k]
                results.append(SentenceResult(
                    idx=i, text=text, label=label,
                    probs={name: float(p[j]) for j, name in enumerate(self._labels)},
                    needs_review=bool(p[k] < self.review_threshold),
                    evidence=find_evidence(text) if label in ("official_statement", "attributed_claim") else None,
                ))
            out.append(results)
        return out

    def predict(self, article: str | Sequence[str], progress: bool = False) -> ArticleResult | list[ArticleResult]:
        """Split and label raw article text; a string gives one :class:`ArticleResult`, a list gives a list."""
        single = isinstance(article, str)
        normed, spans = self.split([article] if single else list(article), progress)
        labelled = self.predict_sentences([[s.text for s in sp] for sp in spans], progress)
        results = self.article_results(normed, spans, labelled)
        return results[0] if single else results

    def split(self, texts: Sequence[str], progress: bool = False) -> tuple[list[str], list[list]]:
        """Raw article texts checked, normalised and split: the normalised texts and each one's sentence spans."""
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise TypeError(f"predict takes article text (a string or a list of strings), got {type(t).__name__}")
            if len(t) > self.max_article_chars:
                raise InputError(f"article {i}: {len(t):,} characters, over the limit of {self.max_article_chars:,}",
                                 option="max_article_chars")
        normed = [normalize(t) for t in texts]
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=sum(map(len, normed)), desc="split", unit="char", unit_scale=True, leave=False)
        spans = [split_sentences(t, bar.update if bar is not None else None) for t in normed]
        if bar is not None:
            bar.close()
        return normed, spans

    @staticmethod
    def article_results(normed: list[str], spans: list[list], labelled: list[list[SentenceResult]]) -> list[ArticleResult]:
        """Split articles' labelled sentences with their offsets in the normalised text."""
        results = []
        for text, sp, sents in zip(normed, spans, labelled, strict=True):
            for s, span in zip(sents, sp, strict=True):
                s.start, s.end = span.start, span.end
            results.append(ArticleResult(sentences=sents, text=text))
        return results
