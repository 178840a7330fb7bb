"""The pipelined predictor: one machine kept busy (issue 16, "one machine").

:meth:`Tagger.predict_proba` does everything in turn: tokenize all rows through transformers' Python wrapper,
then for each batch pad, copy to the device, run, and wait for the logits on the CPU. On a GPU the model then
waits on the CPU most of the time (``../shared/findings.md``, "Speed on a GPU"). :class:`Pipeline` runs the
same model on the same inputs in three overlapping stages, chunk by chunk:

1. **prepare** (a worker thread): the caller's preparation of the chunk (e.g. sentence splitting), then its
   rows encoded by the architecture's own :meth:`encode` with the Rust tokenizer's ``encode_batch`` called
   directly (:class:`RustTokenizer`; the features are exactly the architecture's), cut into length-sorted
   batches of at most :attr:`token_budget` tokens (padding included) and padded;
2. **model** (the calling thread): each batch copied to the device and run; the logits of the sentences stay on
   the device until the chunk ends, then come back in one copy (one ``.cpu()`` per chunk, not per batch);
3. **finish** (a second worker thread): the caller's work on the probabilities: labels, evidence, rows.

Tokenizers, torch and ONNX Runtime release the GIL in their heavy calls, so the stages overlap even in Python.
The probabilities equal :meth:`Tagger.predict_proba`'s (same features, same backend; batches differ, which moves
float32 results by ~1e-6).

Precision: on the CPU the Tagger's own backend is used (ONNX Runtime or torch, as ``auto`` picks it). On a GPU
the module runs with its *weights* in bf16 (or fp16 where bf16 is unsupported), not under autocast, which the
findings measured 4-5x faster than fp32 for the bare model; with ``precision="auto"`` the first chunk is also run
in fp32, and bf16 weights are kept only when the argmax of the two agrees on >= :data:`AGREEMENT` of its
sentences (:attr:`Pipeline.probe` records the outcome).
"""

from __future__ import annotations

import copy
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

AGREEMENT = 0.995
"""The least argmax agreement with fp32, on the probe chunk, for ``auto`` to run a GPU model in bf16 weights."""
PROBE_ROWS = 4096
"""Model rows of the first chunk run in both precisions for the ``auto`` decision."""
CPU_TOKENS_PER_ROW = 96
"""CPU token budget per row of the Tagger's batch size: 32 rows of up to 96 tokens (a sentence and its
neighbours is 40-90), so batches hold as many rows as today's on typical news and fewer only for long rows."""
GPU_TOKEN_BUDGET = 131_072
"""Tokens per GPU batch (padding included): about 2,000 sentence-pair rows, the batch size at which the findings'
Tagger was fastest on an H200, without the memory of one huge padded batch."""
MAX_ROWS = 8192


class RustTokenizer:
    """The calls the architectures make on a transformers fast tokenizer, answered by its Rust tokenizer's
    ``encode_batch`` directly (no per-encoding conversion in Python). Only the forms the architectures use are
    supported: no padding, optional pairs, ``longest_first`` truncation to ``max_length``.

    The Rust tokenizer is a copy, so its truncation setting is this object's own: the Tagger's tokenizer may be
    used by another thread meanwhile. Any other attribute is the wrapped tokenizer's."""

    def __init__(self, hf_tokenizer):
        from tokenizers import Tokenizer

        self._hf = hf_tokenizer
        self._rust = Tokenizer.from_str(hf_tokenizer.backend_tokenizer.to_str())
        self._rust.no_padding()
        self._rust.no_truncation()
        self._truncation: int | None = None

    def __getattr__(self, name):
        return getattr(self._hf, name)

    def __call__(self, text, text_pair=None, *, add_special_tokens: bool = True, truncation=False,
                 max_length: int | None = None, padding=False, return_attention_mask: bool = True,
                 return_token_type_ids=None, **unsupported) -> dict[str, list]:
        if padding or unsupported or truncation not in (False, True, "longest_first"):
            raise NotImplementedError(f"RustTokenizer: unsupported arguments {unsupported or (padding, truncation)}")
        limit = (max_length or self._hf.model_max_length) if truncation else None
        if limit != self._truncation:
            if limit is None:
                self._rust.no_truncation()
            else:
                self._rust.enable_truncation(limit, strategy="longest_first")
            self._truncation = limit
        inputs = list(zip(text, text_pair, strict=True)) if text_pair is not None else list(text)
        encodings = self._rust.encode_batch(inputs, add_special_tokens=add_special_tokens) if inputs else []
        out = {"input_ids": [e.ids for e in encodings]}
        if return_attention_mask:
            out["attention_mask"] = [e.attention_mask for e in encodings]
        return out


def fast_architecture(architecture):
    """A shallow copy of ``architecture`` whose tokenizer is a :class:`RustTokenizer`: same module, same options,
    same :meth:`encode`, the tokenizing done by ``encode_batch``."""
    fast = copy.copy(architecture)
    fast.tokenizer = RustTokenizer(architecture.tokenizer)
    return fast


def token_batches(lengths: Sequence[int], token_budget: int, max_rows: int = MAX_ROWS) -> list[list[int]]:
    """Row indices in length order, cut into batches whose padded size (rows x longest row) stays within
    ``token_budget`` (a row longer than the budget gets a batch of its own)."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches: list[list[int]] = []
    batch: list[int] = []
    for i in order:
        if batch and ((len(batch) + 1) * lengths[i] > token_budget or len(batch) >= max_rows):
            batches.append(batch)
            batch = []
        batch.append(i)
    if batch:
        batches.append(batch)
    return batches


@dataclass
class Prepared:
    """A chunk ready for the model: the caller's state, the padded batches, and for every batch the flat indices
    of its sentences' logits (in ``logits.reshape(-1, labels)``) and the sentences' positions in the chunk."""

    item: object
    state: object
    sentences: int
    batches: list[dict[str, np.ndarray]]
    take: list[np.ndarray]
    dest: np.ndarray


class Pipeline:
    """Labels chunks of articles with a :class:`~sourcetag.model.tagger.Tagger`'s model, overlapping CPU work
    with the model's (see the module's documentation).

    ``precision`` (GPU only): ``auto`` (bf16 weights when they agree with fp32 on the first chunk), ``fp32``,
    ``bf16`` or ``fp16`` weights; default: the precision the Tagger was asked for. ``token_budget``: tokens per batch, padding included (default: 32 rows of 96
    tokens on the CPU, :data:`GPU_TOKEN_BUDGET` on a GPU).
    """

    def __init__(self, tagger, token_budget: int | None = None, precision: str | None = None,
                 max_rows: int = MAX_ROWS):
        self.tagger = tagger
        self.architecture = fast_architecture(tagger.architecture)
        self.num_labels = len(tagger.labels)
        self.gpu = tagger.device.type == "cuda" and tagger.backend == "torch"
        self.token_budget = token_budget or (GPU_TOKEN_BUDGET if self.gpu else tagger.batch_size * CPU_TOKENS_PER_ROW)
        self.max_rows = max_rows
        self.probe: dict | None = None
        self.precision = "fp32"
        self._modules: dict[str, object] = {}
        if self.gpu:
            import torch

            if precision is None:
                precision = getattr(tagger, "requested_precision", "auto")
            if precision not in ("auto", "fp32", "bf16", "fp16"):
                raise ValueError(f"precision must be auto, fp32, bf16 or fp16, got {precision!r}")
            low = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
            self.precision = low if precision == "auto" else precision
            self._decide = precision == "auto" and low != "fp32"
            if self.precision != "fp32":
                self._modules[self.precision] = self._cast(self.precision)
            if self.precision == "fp32" or self._decide:
                self._modules["fp32"] = tagger.model
        else:
            self._decide = False

    def _cast(self, precision: str):
        import torch

        dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}[precision]
        return copy.deepcopy(self.tagger.model).to(dtype=dtype).eval()

    # -- stage 1: prepare --------------------------------------------------------------------------------------
    def prepare(self, item, sentences: list[list[str]], state=None) -> Prepared:
        enc = self.architecture.encode(sentences)
        lengths = [len(f["input_ids"]) for f in enc.features]
        batches = token_batches(lengths, self.token_budget, self.max_rows)
        where: dict[int, tuple[int, int]] = {}  # model row -> (batch, position in it)
        arrays = []
        for b, rows in enumerate(batches):
            arrays.append(self.architecture.collate([enc.features[i] for i in rows]))
            for pos, i in enumerate(rows):
                where[i] = (b, pos)
        per_batch: list[list[tuple[int, int]]] = [[] for _ in batches]  # (flat index, sentence)
        for k, (row, slot) in enumerate(enc.placement):
            b, pos = where[row]
            mask = arrays[b].get("sentence_mask")
            width = mask.shape[1] if mask is not None else 1
            per_batch[b].append((pos * width + slot, k))
        take = [np.asarray([t for t, _ in p], dtype=np.int64) for p in per_batch]
        dest = np.asarray([k for p in per_batch for _, k in p], dtype=np.int64)
        if self.gpu:
            import torch

            arrays = [{k: torch.from_numpy(v) for k, v in a.items()} for a in arrays]
            take = [torch.from_numpy(t) for t in take]
        if self.gpu and torch.cuda.is_available():
            for a in arrays:  # pinned, so that the copies to the device run alongside the model
                for k in a:
                    a[k] = a[k].pin_memory()
            take = [t.pin_memory() for t in take]
        return Prepared(item, state, len(enc.placement), arrays, take, dest)

    # -- stage 2: the model ------------------------------------------------------------------------------------
    def logits(self, p: Prepared, precision: str | None = None) -> np.ndarray:
        """Logits of a prepared chunk's sentences, in order (float32)."""
        out = np.zeros((p.sentences, self.num_labels), dtype=np.float32)
        if not p.batches:
            return out
        if not self.gpu:
            got = [np.asarray(self.tagger._forward(a), dtype=np.float32).reshape(-1, self.num_labels)[t]
                   for a, t in zip(p.batches, p.take, strict=True)]
            out[p.dest] = np.concatenate(got)
            return out
        import torch

        module = self._modules[precision or self.precision]
        dev = self.tagger.device
        kept = []
        with torch.inference_mode():
            for a, t in zip(p.batches, p.take, strict=True):
                inputs = {k: v.to(dev, non_blocking=True) for k, v in a.items()}
                res = module(**inputs)
                logits = res["logits"] if isinstance(res, dict) else res.logits
                kept.append(logits.reshape(-1, self.num_labels)[t.to(dev, non_blocking=True)])
            out[p.dest] = torch.cat(kept).float().cpu().numpy()  # the one wait of the chunk
        return out

    def _probe(self, p: Prepared) -> None:
        """``auto`` on a GPU: the first chunk (its first :data:`PROBE_ROWS` rows' worth of batches) in both
        precisions; bf16 weights stay only if their argmax agrees with fp32's on >= :data:`AGREEMENT`."""
        rows, n = 0, 0
        for b in p.batches:
            rows += len(next(iter(b.values())))
            n += 1
            if rows >= PROBE_ROWS:
                break
        sub = Prepared(None, None, 0, p.batches[:n], p.take[:n], np.arange(sum(len(t) for t in p.take[:n])))
        sub.sentences = len(sub.dest)
        low = self.precision
        agree = float((self.logits(sub, "fp32").argmax(1) == self.logits(sub, low).argmax(1)).mean()) if sub.sentences else 1.0
        keep = agree >= AGREEMENT
        self.probe = {"precision": low, "sentences": sub.sentences, "agreement": round(agree, 4), "kept": keep}
        if not keep:
            self.precision = "fp32"
        self._modules = {self.precision: self._modules[self.precision]}
        self._decide = False

    # -- the three stages together -----------------------------------------------------------------------------
    def run(self, items: Iterable, prepare: Callable[[object], tuple[list[list[str]], object]],
            finish: Callable[[object, tuple[list[list[str]], object], np.ndarray], object], depth: int = 2) -> Iterator:
        """``finish(item, prepare(item), probabilities)`` for every item, in order, the three stages overlapping.

        ``prepare(item)`` gives the item's pre-split articles and any state ``finish`` needs; both run in worker
        threads. An exception in any stage is raised here, and stopping the iteration stops the workers."""
        ready: queue.Queue = queue.Queue(maxsize=depth)
        stop = threading.Event()
        done = object()

        def put(x) -> bool:
            while not stop.is_set():
                try:
                    ready.put(x, timeout=0.1)
                    return True
                except queue.Full:
                    continue
            return False

        def producer():
            try:
                for item in items:
                    sentences, state = prepare(item)
                    if not put(self.prepare(item, sentences, (sentences, state))):
                        return
                put(done)
            except BaseException as e:  # handed to the consumer, raised there
                put(e)

        worker = threading.Thread(target=producer, name="sourcetag-prepare", daemon=True)
        worker.start()
        finishing: deque = deque()
        temperature = self.tagger.temperature
        from ..model.tagger import softmax

        try:
            with ThreadPoolExecutor(1, thread_name_prefix="sourcetag-finish") as pool:
                while True:
                    p = ready.get()
                    if p is done:
                        break
                    if isinstance(p, BaseException):
                        raise p
                    if self._decide:
                        self._probe(p)
                    logits = self.logits(p)
                    finishing.append(pool.submit(lambda p=p, z=logits: finish(p.item, p.state, softmax(z, temperature))))
                    while len(finishing) > 1 or (finishing and finishing[0].done()):
                        yield finishing.popleft().result()
                while finishing:
                    yield finishing.popleft().result()
        finally:
            stop.set()
            for f in finishing:
                f.cancel()
            worker.join(timeout=5)

    # -- conveniences ------------------------------------------------------------------------------------------
    def predict_proba(self, articles: Sequence[Sequence[str]], chunk_sentences: int = 2048) -> np.ndarray:
        """Probabilities for every sentence of pre-split ``articles`` (as :meth:`Tagger.predict_proba`), through
        the pipeline in chunks of about ``chunk_sentences`` sentences (articles are never split)."""
        parts = list(self.run(_article_chunks(articles, chunk_sentences), lambda c: (c, None),
                              lambda _c, _s, probs: probs))
        return np.concatenate(parts) if parts else np.zeros((0, self.num_labels), dtype=np.float32)

    def predict_sentences(self, articles: Sequence[Sequence[str]], chunk_sentences: int = 2048) -> list[list]:
        """Labelled sentences of pre-split ``articles`` (as :meth:`Tagger.predict_sentences`), the labels and
        evidence made in the finishing thread."""
        out: list[list] = []
        for part in self.run(_article_chunks(articles, chunk_sentences), lambda c: (c, None),
                             lambda c, _s, probs: self.tagger.results(c, probs)):
            out += part
        return out


def _article_chunks(articles: Sequence[Sequence[str]], chunk_sentences: int) -> Iterator[list[list[str]]]:
    chunk: list[list[str]] = []
    n = 0
    for a in articles:
        chunk.append(list(a))
        n += len(a)
        if n >= chunk_sentences:
            yield chunk
            chunk, n = [], 0
    if chunk:
        yield chunk
