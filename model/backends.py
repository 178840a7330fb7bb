"""Where a model runs: the device, the backend (torch or ONNX Runtime) and the precision (fp32, bf16, fp16).

A backend is a callable from a batch of int64 arrays (named by the architecture's ``input_names``) to a logits
array; :func:`resolve_runtime` picks the fastest numerically safe backend and precision for the hardware.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import numpy as np
import torch

PRECISIONS = ("auto", "fp32", "bf16", "fp16")
BACKENDS = ("auto", "torch", "onnx")


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


def cpu_has_amx_bf16() -> bool:
    """Whether this CPU has Intel AMX tiles with BF16 support."""
    probe = getattr(torch.cpu, "_is_amx_tile_supported", None)
    try:
        return bool(probe and probe() and torch.cpu._is_avx512_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def bf16_matmul_speedup(rounds: int = 3, reps: int = 4) -> float:
    """bf16 over fp32 rate of an encoder-shaped CPU matmul (512 tokens x 384 -> 1,536), best of ``rounds``
    alternating timings at the current thread count (about 0.1 s)."""
    import time

    x, w = torch.randn(512, 384), torch.randn(1536, 384)
    best = {torch.float32: float("inf"), torch.bfloat16: float("inf")}
    pairs = {dtype: (x.to(dtype), w.to(dtype)) for dtype in best}
    with torch.inference_mode():
        for a, b in pairs.values():
            torch.nn.functional.linear(a, b)  # warm-up: kernels chosen, caches filled
        for _ in range(rounds):
            for dtype, (a, b) in pairs.items():
                t = time.perf_counter()
                for _ in range(reps):
                    torch.nn.functional.linear(a, b)
                best[dtype] = min(best[dtype], time.perf_counter() - t)
    return best[torch.float32] / best[torch.bfloat16]


@functools.lru_cache(maxsize=1)
def cpu_has_fast_bf16() -> bool:
    """Whether this CPU multiplies bf16 matrices clearly faster than fp32 (AMX, or a measured speed-up >= 1.3x,
    probed once per process).

    CPU flags alone do not tell: two 2-core machines with AVX512-BF16 and no AMX exposed measured an encoder-shaped
    bf16 matmul at 162 GFLOP/s against 289 for fp32 (Intel), and at 426 against 186 (AMD EPYC).
    """
    if cpu_has_amx_bf16():
        return True
    try:
        return bf16_matmul_speedup() >= 1.3
    except RuntimeError:  # no bf16 kernels in this build
        return False


def onnx_runtime_installed() -> bool:
    """Whether the ``onnx`` extra (ONNX Runtime and onnx) is installed."""
    return all(importlib.util.find_spec(name) is not None for name in ("onnxruntime", "onnx"))


def resolve_runtime(backend: str, precision: str, device: torch.device, onnx_ok: bool = False) -> tuple[str, str]:
    """The backend and precision to run with; ``auto`` picks the fastest numerically safe path for the hardware.

    GPU: torch in bf16 (fp16 where bf16 is unsupported). CPU: torch bf16 where the CPU multiplies bf16 clearly
    faster (:func:`cpu_has_fast_bf16`), for prediction and for training alike (bf16 autocast, fp32 weights and
    optimiser: on the 2-core AMD EPYC the pair model trained in 1,300 s against 1,698 s in fp32, 1.3x, with test, seed and
    real-dev scores within the spread of fp32 seeds, ``eval/results/ablation.md``); else ONNX Runtime's fused fp32 graph when the
    ``onnx`` extra is installed and the model was loaded from a directory (``onnx_ok``; the graph is exported there
    once); else torch fp32. Measured on the project's 2-core Intel machines (AVX512-BF16 without AMX, torch 2.13, 2,000 sentences with context): ONNX
    Runtime 133.1 sentences/s, torch fp32 125.8, bf16 autocast 82.7, with the same labels (largest probability
    difference below 1e-4); on a 2-core AMD EPYC (AVX512-BF16, sentence alone): bf16 autocast 521.0, ONNX Runtime
    334.5, fp32 274.4, argmax agreement 1.0 (``python -m sourcetag.eval.benchmark predict``). Dynamic int8 is never
    used: it changed about 10% of a fine-tuned model's labels.
    ``precision="onnx"`` is the earlier spelling of ``backend="onnx"`` and is still accepted.
    """
    if precision == "onnx":
        backend, precision = "onnx", "fp32"
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}")
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}")
    if backend == "onnx":
        if device.type != "cpu":
            raise ValueError("the onnx backend runs on the CPU only")
        if precision not in ("auto", "fp32"):
            raise ValueError("the onnx backend runs in fp32 only")
        return "onnx", "fp32"
    if precision == "auto":
        if device.type == "cuda":
            precision = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
        elif cpu_has_fast_bf16():
            precision = "bf16"
        elif backend == "auto" and onnx_ok and onnx_runtime_installed():
            return "onnx", "fp32"
        else:
            precision = "fp32"
    return "torch", precision


class TorchBackend:
    """Runs a torch module on ``device`` (autocast for bf16/fp16); returns the logits as a float32 array."""

    def __init__(self, module: torch.nn.Module, device: torch.device, precision: str = "fp32"):
        self.module = module
        self.device = device
        self.dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
        module.eval()

    def __call__(self, arrays: dict[str, np.ndarray]) -> np.ndarray:
        inputs = {k: torch.from_numpy(v).to(self.device) for k, v in arrays.items()}
        with torch.inference_mode(), torch.autocast(self.device.type, dtype=self.dtype, enabled=self.dtype is not None):
            out = self.module(**inputs)
        logits = out["logits"] if isinstance(out, dict) else out.logits
        return logits.float().cpu().numpy()


class OnnxBackend:
    """Runs the architecture's module exported to a fused ONNX graph (:mod:`sourcetag.model.onnx_backend`)."""

    def __init__(self, architecture, model_dir: Path, threads: int | None = None):
        import onnxruntime as ort

        from .onnx_backend import export

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or torch.get_num_threads()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(export(Path(model_dir), architecture)), opts,
                                            providers=["CPUExecutionProvider"])
        self.names = [i.name for i in self.session.get_inputs()]

    def __call__(self, arrays: dict[str, np.ndarray]) -> np.ndarray:
        return self.session.run(["logits"], {k: arrays[k].astype(np.int64) for k in self.names})[0]
