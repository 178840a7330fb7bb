"""The trained model and its inference: :class:`Tagger` owns prediction, end to end."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import sys
import threading
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .errors import InputError, ModelError
from .evidence import Evidence, find_evidence
from .features import InputSpec, encode, inputs_for_articles
from .labels import LABELS
from .lexicon import compile_lexicon
from .limits import MAX_ARTICLE_CHARS
from .paths import METADATA_FILE, default_model_dir
from .splitter import normalize, split_sentences

PRECISIONS = ("auto", "fp32", "bf16", "fp16", "onnx")


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


def resolve_device(device: str | None) -> torch.device:
    """``None``/``"auto"`` picks CUDA when present, else CPU; ``cpu``, ``cuda`` and ``cuda:N`` must exist here.

    Raises ``ValueError`` naming the device otherwise (torch would fail later, deep in a traceback).
    """
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        dev = None
    if dev is None or dev.type not in ("cpu", "cuda"):
        raise ValueError(f"unknown device {device!r}; use auto, cpu, cuda or cuda:N")
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            build = "a CPU-only build of torch" if torch.version.cuda is None else "no GPU visible"
            raise ValueError(f"device {device!r}: no CUDA GPU available ({build}); use cpu or auto")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(f"device {device!r}: only {torch.cuda.device_count()} CUDA GPU(s) here")
    return dev


def cpu_has_fast_bf16() -> bool:
    """Whether this CPU multiplies bf16 matrices faster than fp32: Intel AMX tiles with BF16 support.

    AVX512-BF16 alone is not enough: on the project's 2-core machines (AVX512-BF16, no AMX exposed) an
    encoder-shaped bf16 matmul ran at 162 GFLOP/s against 289 for fp32.
    """
    probe = getattr(torch.cpu, "_is_amx_tile_supported", None)
    try:
        return bool(probe and probe() and torch.cpu._is_avx512_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def onnx_runtime_installed() -> bool:
    """Whether the ``onnx`` extra (ONNX Runtime and onnx) is installed."""
    return all(importlib.util.find_spec(name) is not None for name in ("onnxruntime", "onnx"))


def resolve_precision(precision: str, device: torch.device, onnx_ok: bool = False) -> str:
    """The fastest numerically safe path for the hardware when ``auto``.

    GPU: bf16 (fp16 where bf16 is unsupported). CPU: bf16 autocast where the CPU has AMX (:func:`cpu_has_fast_bf16`);
    else ONNX Runtime's fused fp32 graph when the ``onnx`` extra is installed and the model was loaded from a
    directory (``onnx_ok``; the graph is exported there once); else torch fp32. All CPU paths use length-bucketed
    batches. Measured on the project's 2-core machines (AVX512-BF16 without AMX, torch 2.13, 2,000 sentences with
    context, `python -m sourcetag.eval.benchmark predict`): ONNX Runtime 133.1 sentences/s, torch fp32 125.8, bf16
    autocast 82.7; ONNX Runtime gave the same labels as fp32 (largest probability difference below 1e-4), and
    while another job shared the two cores it ran at 62-64 against 27-30 for torch. Dynamic int8 is never used:
    it changed about 10% of a fine-tuned model's labels. ``fp32`` forces exact torch fp32 anywhere.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}")
    if precision == "onnx" and device.type != "cpu":
        raise ValueError("precision 'onnx' runs on the CPU only")
    if precision != "auto":
        return precision
    if device.type == "cuda":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    if cpu_has_fast_bf16():
        return "bf16"
    return "onnx" if onnx_ok and onnx_runtime_installed() else "fp32"


def torch_forward(model: torch.nn.Module, device: torch.device, precision: str):
    """A forward function (padded id and mask arrays -> logits array) for a torch model."""
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
    model.eval()

    def forward(input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        with torch.inference_mode(), torch.autocast(device.type, dtype=dtype, enabled=dtype is not None):
            out = model(input_ids=torch.from_numpy(input_ids).to(device),
                        attention_mask=torch.from_numpy(attention_mask).to(device)).logits
        return out.float().cpu().numpy()

    return forward


def batched_logits(
    forward,
    encoded: dict[str, list],
    pad_id: int,
    num_labels: int,
    batch_size: int = 64,
    progress: bool = False,
) -> np.ndarray:
    """Logits in input order, computed on length-sorted batches so that little compute goes to padding.

    ``forward`` maps padded ``input_ids`` and ``attention_mask`` arrays to a logits array
    (:func:`torch_forward` or an ONNX runner).
    """
    if batch_size < 1:
        raise ValueError(f"batch size must be >= 1, got {batch_size}")  # a negative one silently made no batches
    ids = encoded["input_ids"]
    n = len(ids)
    out = np.zeros((n, num_labels), dtype=np.float32)
    order = sorted(range(n), key=lambda i: len(ids[i]))
    batches = [order[i : i + batch_size] for i in range(0, n, batch_size)]
    if progress:
        from tqdm.auto import tqdm

        batches = tqdm(batches, desc="predict", unit="batch", leave=False)
    for batch in batches:
        width = max(len(ids[i]) for i in batch)
        input_ids = np.full((len(batch), width), pad_id, dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, i in enumerate(batch):
            input_ids[row, : len(ids[i])] = ids[i]
            mask[row, : len(ids[i])] = 1
        out[batch] = forward(input_ids, mask)
    return out


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


MODEL_FILES: tuple[tuple[str, ...], ...] = (
    ("config.json",),
    ("model.safetensors", "model.safetensors.index.json"),  # never pickled weights: see check_safetensors
    ("tokenizer.json",),
    ("tokenizer_config.json",),
)
"""Files a model folder needs (any one name of each group). transformers loads a folder without its tokenizer
files anyway, as a BERT tokenizer with a 5-token vocabulary whose every input reads as unknown, and the model
then gives one label to everything; training writes all of them."""


@contextlib.contextmanager
def _weight_bars_only_on_a_terminal():
    """transformers draws a 'Loading weights' bar on every load; written to a log it is only litter."""
    from transformers.utils import logging as hf_logging

    off = hf_logging.is_progress_bar_enabled() and not sys.stderr.isatty()
    if off:
        hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if off:
            hf_logging.enable_progress_bar()


def missing_model_files(model_dir: Path) -> list[str]:
    """The needed files that ``model_dir`` lacks (named by the first name of each group of :data:`MODEL_FILES`)."""
    return [group[0] for group in MODEL_FILES if not any((model_dir / name).is_file() for name in group)]


def check_label_order(config, metadata: dict) -> tuple[str, ...]:
    """The label of each model output, after checking it against the order training recorded.

    Output units are only numbers: ``id2label`` in ``config.json`` names them, so an edited or mixed-up map would
    swap labels in silence (official sentences reported as filler). ``sourcetag.json`` records the order training
    used (``labels``; models without the record were all trained in :data:`LABELS` order).
    """
    id2label = {int(k): v for k, v in config.id2label.items()}
    names = [id2label.get(i) for i in range(config.num_labels)]
    if sorted(map(str, names)) != sorted(LABELS):
        raise ModelLoadError(f"model labels {names} are not the sourcetag labels {list(LABELS)}")
    recorded = list(metadata.get("labels") or LABELS)
    if names != recorded:
        raise ModelLoadError(f"config.json id2label gives the outputs the order {names}, but training recorded "
                             f"{recorded} in sourcetag.json; refusing a label map that would swap labels")
    label2id = {str(k): int(v) for k, v in (config.label2id or {}).items()}
    if label2id and label2id != {name: i for i, name in enumerate(names)}:
        raise ModelLoadError(f"config.json label2id {label2id} disagrees with its id2label {names}")
    return tuple(names)


SAFE_WEIGHTS = ("model.safetensors", "model.safetensors.index.json")
PICKLED_WEIGHTS = ("*.bin", "*.pt", "*.pth", "*.ckpt", "*.pkl", "*.pickle")


def check_safetensors(model_dir: Path) -> None:
    """:class:`ModelError` for a folder whose weights are pickled only, or whose config names a weights file that is
    not safetensors, saying why it is refused (a folder without weights is reported by :func:`missing_model_files`)."""
    config = model_dir / "config.json"
    try:
        named = json.loads(config.read_text(encoding="utf-8")).get("transformers_weights") if config.is_file() else None
    except (OSError, ValueError, AttributeError):
        named = None  # transformers reports a broken config itself
    if isinstance(named, str) and not named.endswith((".safetensors", ".safetensors.index.json")):
        raise ModelError(f"{config}: names the weights file {named!r}, which is not safetensors; sourcetag loads "
                         "safetensors only")
    if any((model_dir / name).is_file() for name in SAFE_WEIGHTS):
        return
    pickled = sorted({p.name for pattern in PICKLED_WEIGHTS for p in model_dir.glob(pattern)})
    if pickled:
        raise ModelError(f"{model_dir}: holds only pickled weights ({', '.join(pickled)}); sourcetag loads "
                         "safetensors only, because loading a pickle can run code hidden in it (re-save the model "
                         "with save_pretrained, which writes model.safetensors)")


class Tagger:
    """A trained sourcetag model.

    >>> tagger = Tagger.load()                      # the default model (or $SOURCETAG_MODEL)
    >>> result = tagger.predict("Police said two men were arrested.\\nREAD MORE: Other story")
    >>> [(s.label, round(s.probs[s.label], 2)) for s in result.sentences]  # doctest: +SKIP
    """

    def __init__(self, model, tokenizer, metadata: dict, device: str | None = None, precision: str = "auto",
                 batch_size: int | None = None, review_threshold: float = 0.6, lexicon_text: str | None = None,
                 model_dir: str | Path | None = None, max_article_chars: int = MAX_ARTICLE_CHARS):
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1):
            raise ValueError(f"batch_size must be a whole number >= 1 (or None for the default), got {batch_size!r}")
        if not (isinstance(review_threshold, int | float) and 0 <= review_threshold <= 1):
            raise ValueError(f"review_threshold must be a probability in [0, 1], got {review_threshold!r}")
        self._labels = check_label_order(model.config, metadata)
        self.model = model
        self.tokenizer = tokenizer
        self.metadata = metadata
        self.device = resolve_device(device)
        self.precision = resolve_precision(precision, self.device, onnx_ok=model_dir is not None)
        # On CPU, batches of 32 length-sorted inputs predicted as fast as 64 (133 against 128 sentences/s, 2 cores)
        # and a fresh 2,000-sentence prediction peaked at 736 MB against 942 MB; a GPU wants larger batches.
        self.batch_size = batch_size or (32 if self.device.type == "cpu" else 128)
        self.review_threshold = review_threshold
        self.max_article_chars = max_article_chars
        self.spec = InputSpec(**metadata.get("input_spec", {}))
        self.temperature = float(metadata.get("temperature", 1.0))
        self._lexicon = compile_lexicon(lexicon_text) if lexicon_text else None
        self._tokenizer_lock = threading.Lock()
        self.model.to(self.device)
        self.model.eval()
        if self.precision == "onnx":
            if model_dir is None:
                raise ValueError("precision 'onnx' needs a saved model (use Tagger.load)")
            from .onnx_backend import OnnxRunner

            try:
                self._forward = OnnxRunner(Path(model_dir), model=self.model)
            except Exception as e:  # export or session errors for unusual models: auto falls back, a request fails
                if precision != "auto":
                    raise
                warnings.warn(f"{model_dir}: ONNX Runtime path unavailable ({type(e).__name__}: {e}); using torch fp32",
                              stacklevel=2)
                self.precision = "fp32"
        if self.precision != "onnx":
            self._forward = torch_forward(self.model, self.device, self.precision)

    @property
    def labels(self) -> tuple[str, ...]:
        """Label names in the order of the model's outputs."""
        return self._labels

    @classmethod
    def load(cls, path: str | Path | None = None, **kwargs) -> Tagger:
        """Load a trained model directory (default: ``$SOURCETAG_MODEL`` or the default-model link).

        Keyword arguments go to :class:`Tagger` (``device``, ``precision``, ``batch_size``, ``review_threshold``,
        ``max_article_chars``).
        """
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        model_dir = Path(path) if path is not None else default_model_dir()
        if not model_dir.exists():
            hint = "" if path is not None else " (run the README's main command, or set SOURCETAG_MODEL)"
            raise ModelLoadError(f"{model_dir}: no such model directory{hint}")
        meta_path = model_dir / METADATA_FILE
        if not meta_path.is_file():
            raise ModelLoadError(f"{model_dir}: not a sourcetag model (no {METADATA_FILE})")
        try:
            metadata = json.loads(meta_path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise ModelLoadError(f"{meta_path}: broken metadata ({e})") from e
        check_safetensors(model_dir)  # first: a folder of pickled weights gets the reason it is refused
        missing = missing_model_files(model_dir)
        if missing:
            raise ModelLoadError(f"{model_dir}: incomplete model folder, missing {', '.join(missing)}")
        try:
            # safetensors only: a pickled checkpoint can run code when it is loaded, even through
            # torch.load(weights_only=True)'s restricted unpickler, and sourcetag always writes safetensors
            with _weight_bars_only_on_a_terminal():
                model = AutoModelForSequenceClassification.from_pretrained(model_dir, use_safetensors=True)
            tokenizer = AutoTokenizer.from_pretrained(model_dir)
        except Exception as e:  # transformers and safetensors raise many types for a broken directory
            raise ModelLoadError(f"{model_dir}: cannot load the model ({str(e).splitlines()[0]})") from e
        lex_path = model_dir / "official_roles.txt"
        lexicon_text = lex_path.read_text(encoding="utf-8") if lex_path.is_file() else None
        return cls(model, tokenizer, metadata, lexicon_text=lexicon_text, model_dir=model_dir, **kwargs)

    # -- inference -----------------------------------------------------------------------------------------
    ENCODE_CHUNK = 4096
    """Sentences tokenised per call when showing progress (a second or so on 2 cores)."""

    def encode_articles(self, articles: Sequence[Sequence[str]], progress: bool = False) -> dict[str, list]:
        """Model inputs for pre-split articles, flattened in article order."""
        articles = _pre_split(articles)
        firsts, seconds = inputs_for_articles(articles, self.spec, self.tokenizer.sep_token or "|", self._lexicon)
        if not firsts:
            return {"input_ids": [], "attention_mask": []}
        step = self.ENCODE_CHUNK if progress else len(firsts)
        starts = range(0, len(firsts), step)
        if progress and len(firsts) > step:
            from tqdm.auto import tqdm

            starts = tqdm(starts, desc="encode", unit="chunk", leave=False)
        out: dict[str, list] = {"input_ids": [], "attention_mask": []}
        for i in starts:
            # A fast tokenizer is one Rust object whose truncation settings transformers rewrites in place; a thread
            # that does so while another encodes gets "RuntimeError: Already borrowed" (huggingface/tokenizers#537).
            with self._tokenizer_lock:
                part = encode(self.tokenizer, firsts[i : i + step],
                              seconds[i : i + step] if seconds is not None else None, self.spec.max_length)
            for key in out:
                out[key] += part[key]
        return out

    def logits(self, articles: Sequence[Sequence[str]], progress: bool = False) -> np.ndarray:
        """Raw logits (before temperature) for every sentence of pre-split articles, in order."""
        enc = self.encode_articles(articles, progress)
        if not enc["input_ids"]:
            return np.zeros((0, len(self._labels)), dtype=np.float32)
        pad = self.tokenizer.pad_token_id or 0
        return batched_logits(self._forward, enc, pad, len(self._labels), self.batch_size, progress)

    def predict_proba(self, articles: Sequence[Sequence[str]], progress: bool = False) -> np.ndarray:
        """Calibrated probabilities, one row per sentence, columns in :attr:`labels` order."""
        return softmax(self.logits(articles, progress), self.temperature)

    def predict_sentences(self, articles: Sequence[Sequence[str]], progress: bool = False) -> list[list[SentenceResult]]:
        """Label pre-split articles: a list of articles, each a list of sentence strings (not re-split)."""
        articles = _pre_split(articles)
        probs = self.predict_proba(articles, progress)
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
        texts = [article] if single else list(article)
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
        labelled = self.predict_sentences([[s.text for s in sp] for sp in spans], progress)
        results = []
        for text, sp, sents in zip(normed, spans, labelled, strict=True):
            for s, span in zip(sents, sp, strict=True):
                s.start, s.end = span.start, span.end
            results.append(ArticleResult(sentences=sents, text=text))
        return results[0] if single else results
