"""Multi-process training: rank 0 alone writes, the others wait (sourcetag.training.distributed).

The fast tests check the guard with two real gloo processes; the slow one runs ``torchrun --nproc_per_node 2 -m
sourcetag train`` on CPU with the tiny model and checks that one model comes out."""

import json
import os
import socket
import subprocess
import sys

import pytest
from sourcetag.training import distributed


def test_without_a_launcher_everything_runs_here(monkeypatch):
    for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(k, raising=False)
    assert not distributed.is_distributed() and distributed.is_main()
    distributed.ensure_process_group("cpu")  # no-op
    distributed.barrier()
    assert distributed.run_on_main(lambda: 7) == 7
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    assert distributed.is_distributed() and not distributed.is_main()
    assert distributed.backend_for("cuda") == "nccl" and distributed.backend_for("cpu") == "gloo"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank: int, port: int, out: str, fail: bool) -> None:
    os.environ.update({"RANK": str(rank), "LOCAL_RANK": str(rank), "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1",
                       "MASTER_PORT": str(port)})
    from pathlib import Path

    import torch.distributed as dist
    from sourcetag.training import distributed as d

    d.ensure_process_group("cpu")
    calls = Path(out) / "calls"

    def write():
        with open(calls, "a") as f:
            f.write(f"{rank}\n")
        if fail:
            raise ValueError("disk full")
        return str(calls)

    try:
        got = d.run_on_main(write)
        result = f"ok {got}"
    except Exception as e:
        result = f"{type(e).__name__}: {e}"
    (Path(out) / f"rank{rank}").write_text(result)
    d.barrier()
    dist.destroy_process_group()


@pytest.mark.parametrize("fail", [False, True])
def test_rank0_writes_once_and_the_others_get_its_result(tmp_path, fail):
    import torch.multiprocessing as mp

    mp.spawn(_worker, args=(_free_port(), str(tmp_path), fail), nprocs=2, join=True)
    assert (tmp_path / "calls").read_text() == "0\n"  # only rank 0 ran it
    r0, r1 = (tmp_path / "rank0").read_text(), (tmp_path / "rank1").read_text()
    if fail:
        assert r0 == "ValueError: disk full" and r1 == "RuntimeError: rank 0: disk full"
    else:
        assert r0 == r1 == f"ok {tmp_path / 'calls'}"


@pytest.mark.slow
def test_torchrun_two_cpu_processes_train_one_model(tiny_base, fixture_file, tmp_path):
    out = tmp_path / "model"
    home = tmp_path / "home"
    env = {**os.environ, "SOURCETAG_HOME": str(home), "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port",
           str(_free_port()), "-m", "sourcetag", "train", "--base-model", str(tiny_base), "--train-file",
           str(fixture_file), "--output-dir", str(out), "--epochs", "2", "--batch-size", "4", "--max-length", "64",
           "--precision", "fp32", "--device", "cpu", "--make-default"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    from sourcetag.formats.outputs import OUTPUT_MARKER
    from sourcetag.model.paths import METADATA_FILE

    meta = json.loads((out / METADATA_FILE).read_text(encoding="utf-8"))
    names = sorted(p.name for p in out.iterdir())
    assert "model.safetensors" in names and "README.md" in names
    assert proc.stderr.count("model saved to") + proc.stdout.count("model saved to") == 1  # one writer
    assert meta["scores"]["dev"]["n"] > 0 and (out / OUTPUT_MARKER).is_file()
    assert not (out / "checkpoints").exists()
    links = list(home.rglob("*")) if home.exists() else []
    assert links, "the default-model link was not made"
    from sourcetag.model.tagger import Tagger

    tagger = Tagger.load(out, device="cpu", precision="fp32")
    assert len(tagger.predict(["The minister said the port would reopen."])[0].sentences) == 1
