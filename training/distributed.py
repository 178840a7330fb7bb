"""Multi-process (DDP) training: which process writes, and where the others wait.

``torchrun --nproc_per_node N -m sourcetag train ...`` and ``accelerate launch -m sourcetag train ...`` start N
copies of the command with ``RANK``, ``LOCAL_RANK`` and ``WORLD_SIZE`` set; the HF Trainer then trains with
DistributedDataParallel. Everything outside the Trainer that writes (the output directory and its marker, the
model, metadata, card and default-model link) must happen once: only rank 0 does it, the other ranks wait for it
at a barrier. A plain ``sourcetag train`` (no launcher, ``WORLD_SIZE`` unset or 1) is unaffected: every helper
here is then a no-op or runs its function directly.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1") or 1)


def rank() -> int:
    return int(os.environ.get("RANK", "0") or 0)


def local_rank() -> int:
    return int(os.environ.get("LOCAL_RANK", "0") or 0)


def is_distributed() -> bool:
    return world_size() > 1


def is_main() -> bool:
    """Whether this process writes: rank 0, or the only process."""
    return rank() == 0


def backend_for(device_type: str) -> str:
    return "nccl" if device_type == "cuda" else "gloo"


def ensure_process_group(device) -> None:
    """Start the process group (NCCL on GPUs, gloo on CPUs) if a launcher started several processes and nobody has
    yet; the Trainer (through accelerate) then uses it as it is."""
    if not is_distributed():
        return
    import torch
    import torch.distributed as dist

    if dist.is_initialized():
        return
    device_type = getattr(device, "type", str(device).split(":")[0])
    if device_type == "cuda":
        torch.cuda.set_device(local_rank())
    dist.init_process_group(backend=backend_for(device_type))


def barrier() -> None:
    if not is_distributed():
        return
    import torch.distributed as dist

    if dist.is_initialized():
        dist.barrier()


def run_on_main(fn: Callable[[], T]) -> T:
    """``fn()`` on rank 0 only, after every rank got here; the other ranks wait and get rank 0's result (or raise
    its error as a ``RuntimeError``). Without a launcher it is just ``fn()``."""
    if not is_distributed():
        return fn()
    import torch.distributed as dist

    barrier()  # every rank has finished what comes before (its checks of the output directory, say)
    box: list = [None]
    error = None
    if is_main():
        try:
            box[0] = ("ok", fn())
        except Exception as e:  # handed to the other ranks, then raised here too
            error = e
            box[0] = ("error", f"rank 0: {e}")
    dist.broadcast_object_list(box, src=0)
    if error is not None:
        raise error
    status, value = box[0]
    if status == "error":
        raise RuntimeError(value)
    return value
