"""ONNX Runtime inference (``precision="onnx"``): fp32 results identical to torch within 1e-5.

The model is exported once (TorchScript exporter, dynamic batch and sequence axes), its attention, LayerNorm and
GELU subgraphs fused by ONNX Runtime's transformer optimizer, and cached beside the model (or in
``$SOURCETAG_HOME/onnx-cache`` when the model directory is read-only). Needs the ``onnx`` extra.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np

ONNX_FILE = "model.fused.onnx"


def _cache_path(model_dir: Path) -> Path:
    weights = model_dir / "model.safetensors"
    key = hashlib.sha256(weights.read_bytes()).hexdigest()[:16] if weights.is_file() else "nokey"
    local = model_dir / "onnx" / f"{key}-{ONNX_FILE}"
    if os.access(model_dir, os.W_OK):
        return local
    from .paths import home

    return home() / "onnx-cache" / f"{key}-{ONNX_FILE}"


def export(model_dir: Path) -> Path:
    """The fused ONNX file for ``model_dir``, exporting it first if it is not cached."""
    import torch
    from onnxruntime.transformers.optimizer import optimize_model
    from transformers import AutoModelForSequenceClassification

    target = _cache_path(model_dir)
    if target.is_file():
        return target
    if target.parent == model_dir / "onnx":  # the cache goes with the model on train --force
        from .paths import record_written

        record_written(model_dir, "onnx")
    target.parent.mkdir(parents=True, exist_ok=True)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir, attn_implementation="eager").eval()
    cfg = model.config
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        raw = Path(tmp) / "raw.onnx"
        ids = torch.ones((2, 16), dtype=torch.long)
        # The exporter warns that advanced indexing would go wrong with negative indices (BERT's graph has none) and
        # the tracer that the mask-padding test becomes a constant (the mask always spans the sequence). The test
        # suite checks the fused graph against torch fp32 on other batch and sequence shapes.
        with torch.inference_mode(), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Exporting aten::index operator")
            warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
            torch.onnx.export(
                model, (ids, torch.ones_like(ids)), str(raw), input_names=["input_ids", "attention_mask"],
                output_names=["logits"], opset_version=17, dynamo=False,
                dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
                              "logits": {0: "batch"}},
            )
        opt = optimize_model(str(raw), model_type="bert", num_heads=cfg.num_attention_heads,
                             hidden_size=cfg.hidden_size)
        fused = Path(tmp) / ONNX_FILE
        opt.save_model_to_file(str(fused))
        os.replace(fused, target)  # atomic: a concurrent reader sees the old state or the whole file
    return target


class OnnxRunner:
    """Runs the fused graph on padded batches; called like the torch model's forward, returns logits."""

    def __init__(self, model_dir: Path, threads: int | None = None):
        import onnxruntime as ort
        import torch

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or torch.get_num_threads()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(export(model_dir)), opts, providers=["CPUExecutionProvider"])

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        return self.session.run(["logits"], {"input_ids": input_ids.astype(np.int64),
                                             "attention_mask": attention_mask.astype(np.int64)})[0]
