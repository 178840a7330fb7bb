"""ONNX Runtime export (``backend="onnx"``, run by :class:`sourcetag.model.backends.OnnxBackend`): fp32 results identical to torch within 1e-5.

The model is exported once (TorchScript exporter, dynamic batch and sequence axes), its attention, LayerNorm and
GELU subgraphs fused by ONNX Runtime's transformer optimizer, and cached beside the model (or in
``$SOURCETAG_HOME/onnx-cache`` when the model directory is read-only) under a hash of the weights actually loaded.
Needs the ``onnx`` extra.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import warnings
from pathlib import Path

ONNX_FILE = "model.fused.onnx"


def weights_key(model, extra=None) -> str:
    """A hash of the weights and architecture of a loaded model: what the exported graph computes.

    It is taken from the tensors in memory, not from a file name, so every weight format (one file, shards,
    anything transformers loads) gets its own graph and changed weights always get a new one. The path the model
    came from and its label names are left out: they do not change the graph.
    """
    import json

    import torch

    h = hashlib.sha256()
    config = {k: v for k, v in model.config.to_dict().items()
              if k not in ("_name_or_path", "transformers_version", "id2label", "label2id")}
    h.update(json.dumps([config, extra], sort_keys=True, default=str).encode())
    for name, tensor in sorted(model.state_dict().items()):
        t = tensor.detach().to("cpu").contiguous()
        h.update(f"{name}:{t.dtype}:{tuple(t.shape)}".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()[:16]


def _cache_path(model_dir: Path, key: str) -> Path:
    local = model_dir / "onnx" / f"{key}-{ONNX_FILE}"
    if os.access(model_dir, os.W_OK):
        return local
    from ..formats.outputs import home

    return home() / "onnx-cache" / f"{key}-{ONNX_FILE}"


def export(model_dir: Path, architecture) -> Path:
    """The fused ONNX file for ``architecture``'s module, exporting it first if it is not cached; the cache is keyed
    on :func:`weights_key` of the weights actually loaded and on the architecture's name and options."""
    import copy

    import torch
    from onnxruntime.transformers.optimizer import optimize_model

    model = architecture.module
    target = _cache_path(model_dir, weights_key(model, [architecture.name, architecture.options]))
    if target.is_file():
        return target
    if target.parent == model_dir / "onnx":  # the cache goes with the model on train --force
        from ..formats.outputs import record_written

        record_written(model_dir, "onnx")
    target.parent.mkdir(parents=True, exist_ok=True)
    model = copy.deepcopy(model).to("cpu").float().eval()  # the caller's model keeps its device, dtype, attention
    encoder = getattr(model, "encoder", model)
    (encoder if hasattr(encoder, "set_attn_implementation") else model).set_attn_implementation("eager")
    cfg = model.config
    example, axes = architecture.export_example()
    names = list(architecture.input_names)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        raw = Path(tmp) / "raw.onnx"
        # The exporter warns that advanced indexing would go wrong with negative indices (BERT's graph has none) and
        # the tracer that the mask-padding test becomes a constant (the mask always spans the sequence). The test
        # suite checks the fused graph against torch fp32 on other batch and sequence shapes.
        with torch.inference_mode(), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Exporting aten::index operator")
            warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
            torch.onnx.export(
                model, tuple(example[n] for n in names), str(raw), input_names=names,
                output_names=["logits"], opset_version=17, dynamo=False, dynamic_axes=axes,
            )
        opt = optimize_model(str(raw), model_type="bert", num_heads=cfg.num_attention_heads,
                             hidden_size=cfg.hidden_size)
        fused = Path(tmp) / ONNX_FILE
        opt.save_model_to_file(str(fused))
        os.replace(fused, target)  # atomic: a concurrent reader sees the old state or the whole file
    return target
