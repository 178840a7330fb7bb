import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from safetensors.torch import load_file
from sourcetag.main import main
from sourcetag.model.labels import LABELS
from sourcetag.training.train import OutputDirError


def run_train(tiny_base, fixture_file, out, *extra):
    return main(["train", "--base-model", str(tiny_base), "--train-file", str(fixture_file), "--output-dir", str(out),
                 "--epochs", "1", "--batch-size", "8", "--max-length", "64", "--precision", "fp32", *extra])


def test_trained_model_describes_itself(trained_model):
    meta = json.loads((trained_model / "sourcetag.json").read_text())
    config = json.loads((trained_model / "config.json").read_text())
    assert config["id2label"] == {str(i): name for i, name in enumerate(LABELS)}
    assert config["label2id"] == {name: i for i, name in enumerate(LABELS)}
    assert meta["input_spec"]["context_window"] == 1
    assert meta["config"]["TrainArguments"]["seed"] == 1
    assert meta["command_line"] == ["test"]
    assert len(meta["data_files"]["train"]["sha256"]) == 64
    assert meta["temperature"] > 0
    assert set(meta["scores"]) == {"dev", "test"}
    card = (trained_model / "README.md").read_text()
    assert "official_statement" in card and "macro-F1" in card
    assert not (trained_model / "checkpoints").exists()


def test_cli_train_refuses_non_empty_output_and_replaces_with_force(tmp_path, tiny_base, fixture_file, capsys):
    out = tmp_path / "m"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert run_train(tiny_base, fixture_file, out) == 1
    assert "not empty" in capsys.readouterr().err
    assert run_train(tiny_base, fixture_file, out, "--force") == 1  # not a sourcetag model dir: never deleted
    assert (out / "notes.txt").read_text() == "mine"
    out2 = tmp_path / "m2"
    capsys.readouterr()
    assert run_train(tiny_base, fixture_file, out2) == 0
    printed = "".join(capsys.readouterr())
    assert "epoch 1.00 | dev loss" in printed  # one readable line per epoch ...
    assert "'eval_loss'" not in printed and "'train_runtime'" not in printed  # ... and no raw Trainer dicts
    assert run_train(tiny_base, fixture_file, out2, "--force", "--make-default") == 0
    from sourcetag.formats.outputs import default_model_dir

    assert default_model_dir().resolve() == out2.resolve()


def test_same_seed_same_weights(tmp_path, tiny_base, fixture_file):
    for name in ("a", "b"):
        assert run_train(tiny_base, fixture_file, tmp_path / name, "--seed", "7") == 0
    wa, wb = (load_file(tmp_path / n / "model.safetensors") for n in ("a", "b"))
    assert wa.keys() == wb.keys()
    assert all((wa[k] == wb[k]).all() for k in wa)


def test_training_precision_auto_follows_the_bf16_probe(tmp_path, tiny_base, fixture_file, monkeypatch):
    """`sourcetag train` resolves --precision auto through the same probe as prediction (bf16 where it is fast)."""
    from sourcetag.model import backends

    for fast, expected in ((True, "bf16"), (False, "fp32")):
        monkeypatch.setattr(backends, "cpu_has_fast_bf16", lambda fast=fast: fast)
        out = tmp_path / expected
        assert main(["train", "--base-model", str(tiny_base), "--train-file", str(fixture_file), "--output-dir",
                     str(out), "--epochs", "1", "--batch-size", "8", "--max-length", "64"]) == 0
        assert json.loads((out / "sourcetag.json").read_text())["precision_trained"] == expected


def test_resume_fromlast_checkpoint(tmp_path, tiny_base, fixture_file):
    out = tmp_path / "r"
    assert run_train(tiny_base, fixture_file, out, "--keep-checkpoints") == 0
    assert list((out / "checkpoints").glob("checkpoint-*"))
    assert run_train(tiny_base, fixture_file, out, "--resume-from", "last", "--epochs", "2") == 0
    meta = json.loads((out / "sourcetag.json").read_text())
    assert meta["epochs_run"] == pytest.approx(2.0)


def test_config_file_and_validation(tmp_path, tiny_base, fixture_file, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[ModelArguments]\ncontext_window = 0\n[TrainArguments]\nseed = 3\n')
    out = tmp_path / "c"
    assert run_train(tiny_base, fixture_file, out, f"--config={cfg}") == 0
    meta = json.loads((out / "sourcetag.json").read_text())
    assert meta["input_spec"]["context_window"] == 0 and meta["config"]["TrainArguments"]["seed"] == 3
    assert run_train(tiny_base, fixture_file, tmp_path / "x", "--context-window", "-1") == 2
    bad = tmp_path / "bad.toml"
    bad.write_text("nonsense_key = 1\n")
    capsys.readouterr()
    assert run_train(tiny_base, fixture_file, tmp_path / "y", "--config", str(bad)) == 2  # a usage error
    assert "unknown config keys ['nonsense_key']" in capsys.readouterr().err


def test_missing_training_file_is_one_clear_error(tmp_path, capsys):
    assert main(["train", "--train-file", str(tmp_path / "nope.jsonl"), "--output-dir", str(tmp_path / "o")]) == 1
    assert "nope.jsonl: no such training file" in capsys.readouterr().err


def test_output_dir_error_type(tmp_path):
    from sourcetag.training.config import TrainArguments
    from sourcetag.training.outputs import prepare_output_dir

    (tmp_path / "f").write_text("x")
    with pytest.raises(OutputDirError):
        prepare_output_dir(TrainArguments(output_dir=str(tmp_path)))


def test_length_bucketed_order_pads_little_and_shuffles_batches():
    from sourcetag.training.data import LengthBucketedBatchOrder

    rng = random.Random(0)
    lengths = [rng.randint(3, 120) for _ in range(1000)]
    order = list(LengthBucketedBatchOrder(lengths, batch_size=32, seed=5))
    assert sorted(order) == list(range(1000))  # a permutation: every sentence once per epoch
    batches = [order[i : i + 32] for i in range(0, 1000, 32)]
    padded = sum(len(b) * max(lengths[i] for i in b) for b in batches)
    assert padded < 1.1 * sum(lengths)  # random batches of 32 would pad to about 1.9x here
    widths = [max(lengths[i] for i in b) for b in batches[:-1]]
    assert widths != sorted(widths) and widths != sorted(widths, reverse=True)  # no long-to-short sweep
    assert len(batches[-1]) == 1000 % 32  # only the remainder batch is short, and it comes last
    again = LengthBucketedBatchOrder(lengths, batch_size=32, seed=5)
    first, second = list(again), list(again)
    assert first == order and second != first  # seeded per run, different each epoch


def test_force_never_deletes_a_folder_sourcetag_did_not_write(tmp_path, tiny_base, fixture_file, capsys):
    """Issue 19 item 1: a user's folder that merely has a checkpoints/ subfolder is not a model to replace."""
    out = tmp_path / "work"
    (out / "checkpoints").mkdir(parents=True)
    (out / "thesis.txt").write_text("x")
    (out / "checkpoints" / "mine.txt").write_text("y")
    assert run_train(tiny_base, fixture_file, out, "--max-steps", "2", "--force") == 1
    assert "refusing" in capsys.readouterr().err
    assert (out / "thesis.txt").read_text() == "x" and (out / "checkpoints" / "mine.txt").read_text() == "y"


def test_resume_on_a_wrong_folder_writes_nothing_there(tmp_path, tiny_base, fixture_file, capsys):
    """The second road to item 1: a failed --resume-from last must not leave a checkpoints/ for --force to trust."""
    out = tmp_path / "work"
    out.mkdir()
    (out / "thesis.txt").write_text("x")
    assert run_train(tiny_base, fixture_file, out, "--resume-from", "last") == 1
    capsys.readouterr()
    assert sorted(p.name for p in out.iterdir()) == ["thesis.txt"]
    assert run_train(tiny_base, fixture_file, out, "--max-steps", "2", "--force") == 1
    assert (out / "thesis.txt").read_text() == "x"


def test_force_replaces_only_what_sourcetag_wrote(tmp_path, tiny_base, fixture_file):
    out = tmp_path / "m"
    assert run_train(tiny_base, fixture_file, out, "--max-steps", "2") == 0
    written = {p.name for p in out.iterdir()}
    assert {".sourcetag-output.json", "sourcetag.json", "model.safetensors", "README.md"} <= written
    (out / "notes.txt").write_text("mine")
    (out / "model.safetensors").write_bytes(b"old weights")
    assert run_train(tiny_base, fixture_file, out, "--max-steps", "2", "--force") == 0
    assert (out / "notes.txt").read_text() == "mine"  # never written by sourcetag: kept
    assert (out / "model.safetensors").read_bytes() != b"old weights"  # replaced
    assert {p.name for p in out.iterdir()} == written | {"notes.txt"}
    marker = json.loads((out / ".sourcetag-output.json").read_text())
    assert "notes.txt" not in marker["entries"] and "model.safetensors" in marker["entries"]


def test_failed_run_leaves_no_output_folder(tmp_path, tiny_base, fixture_file, monkeypatch, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"article": "a", "text": "x", "label": "filler"}\n{"article": \n')
    out = tmp_path / "never"
    assert main(["train", "--base-model", str(tiny_base), "--train-file", str(bad), "--output-dir", str(out)]) == 1
    assert "bad.jsonl:2" in capsys.readouterr().err
    assert not out.exists()  # bad data: nothing created

    import transformers

    def crash(self, *args, **kwargs):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(transformers.Trainer, "train", crash)
    with pytest.raises(RuntimeError, match="out of memory"):
        run_train(tiny_base, fixture_file, out)
    assert not out.exists()  # failed before any checkpoint: nothing to resume, nothing left behind


@pytest.mark.parametrize("option, value", [("--learning-rate", "0"), ("--learning-rate", "nan"),
                                           ("--weight-decay", "-1"), ("--patience", "-1"), ("--threads", "-2"),
                                           ("--max-steps", "0"), ("--epochs", "inf"), ("--seed", "-1"),
                                           ("--split-fractions", "nan,0,1"), ("--eval-batch-size", "0")])
def test_bad_numeric_training_options_are_refused(tmp_path, tiny_base, fixture_file, capsys, option, value):
    out = tmp_path / "never"
    assert run_train(tiny_base, fixture_file, out, option, value) == 2
    assert option.lstrip("-") in capsys.readouterr().err
    assert not out.exists()


def test_training_on_missing_labels_warns(tmp_path, tiny_base, fixture_file, capsys):
    """A model trained on a single label was saved without a word; it can only ever answer that label."""
    one = tmp_path / "one.jsonl"
    one.write_text("".join(json.dumps({**json.loads(line), "label": "filler"}) + "\n"
                           for line in fixture_file.read_text().splitlines()))
    out = tmp_path / "m"
    assert run_train(tiny_base, one, out, "--max-steps", "2") == 0
    err = capsys.readouterr().err
    assert "sourcetag train: warning: " in err and "only one label" in err and "official_statement" in err
    meta = json.loads((out / "sourcetag.json").read_text())
    assert any("only one label" in w for w in meta["warnings"])
    assert "**Warning:** the training data has only one label" in (out / "README.md").read_text()


def test_no_weight_bars_when_output_is_not_a_terminal(tmp_path, tiny_base, fixture_file, capsys):
    assert run_train(tiny_base, fixture_file, tmp_path / "m", "--max-steps", "2") == 0
    err = capsys.readouterr().err
    assert "Loading weights" not in err and "Writing model shards" not in err


def test_cuda_without_a_gpu_is_one_clear_error(tmp_path, tiny_base, fixture_file, capsys, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    out = tmp_path / "never"
    assert run_train(tiny_base, fixture_file, out, "--device", "cuda") == 2
    err = capsys.readouterr().err
    assert "no CUDA GPU" in err and "Traceback" not in err
    assert not out.exists()


_SLOW_TRAIN = """
import sys, time
import transformers
real = transformers.Trainer.training_step
def slow(self, *args, **kwargs):
    time.sleep(0.15)  # so that the parent can kill the run after its first checkpoint
    return real(self, *args, **kwargs)
transformers.Trainer.training_step = slow
from sourcetag.main import main
raise SystemExit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("architecture", ["sequence", "article"])
def test_training_resumed_after_sigkill_equals_an_uninterrupted_run(tmp_path, tiny_base, fixture_file, capsys,
                                                                    architecture):
    from safetensors.torch import load_file
    from sourcetag.training.outputs import complete_checkpoints

    def argv(out, *extra):
        return ["train", "--base-model", str(tiny_base), "--train-file", str(fixture_file), "--output-dir", str(out),
                "--epochs", "3", "--patience", "10", "--batch-size", "8", "--max-length", "64", "--precision", "fp32",
                "--learning-rate", "1e-3", "--seed", "5", "--architecture", architecture, "--window-tokens", "48",
                *(["--batch-size", "2"] if architecture == "article" else []), *extra]

    def dev_lines(printed: str) -> dict[str, str]:
        return {line.split(" |")[0]: line for line in printed.splitlines() if line.startswith("epoch ")}

    capsys.readouterr()
    assert main(argv(tmp_path / "whole")) == 0
    whole_lines = dev_lines(capsys.readouterr().out)
    out = tmp_path / "killed"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    child = subprocess.Popen([sys.executable, "-c", _SLOW_TRAIN, *argv(out)], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 180
    while time.time() < deadline and child.poll() is None and not complete_checkpoints(out):
        time.sleep(0.05)
    child.kill()
    child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    assert complete_checkpoints(out) and not (out / "sourcetag.json").exists()
    assert main(argv(out, "--resume-from", "last")) == 0
    # every epoch after the kill scores the same on dev (the data order, weights and RNG continue exactly) ...
    resumed_lines = dev_lines(capsys.readouterr().out)
    assert resumed_lines and set(resumed_lines) < set(whole_lines)
    assert all(resumed_lines[k] == whole_lines[k] for k in resumed_lines)
    # ... and the model kept (the best epoch's) is the same
    whole, resumed = load_file(tmp_path / "whole" / "model.safetensors"), load_file(out / "model.safetensors")
    assert whole.keys() == resumed.keys()
    assert all((whole[k] == resumed[k]).all() for k in whole)
    meta = [json.loads((d / "sourcetag.json").read_text()) for d in (tmp_path / "whole", out)]
    assert meta[0]["scores"] == meta[1]["scores"] and meta[0]["temperature"] == meta[1]["temperature"]


def test_resume_passes_over_a_checkpoint_cut_short(tmp_path, capsys, tiny_base, fixture_file):
    from sourcetag.training.outputs import last_checkpoint

    for step, state in ((9, '{"global_step": 9}'), (18, '{"global_st'), (27, None)):
        ckpt = tmp_path / "m" / "checkpoints" / f"checkpoint-{step}"
        ckpt.mkdir(parents=True)
        (ckpt / "model.safetensors").write_bytes(b"")
        if state is not None:
            (ckpt / "trainer_state.json").write_text(state)
    assert last_checkpoint(tmp_path / "m") == str(tmp_path / "m" / "checkpoints" / "checkpoint-9")
    half = tmp_path / "m" / "checkpoints" / "checkpoint-18"
    assert main(["train", "--base-model", str(tiny_base), "--train-file", str(fixture_file), "--output-dir",
                 str(tmp_path / "m"), "--max-length", "64", "--resume-from", str(half)]) == 1
    assert capsys.readouterr().err.strip() == f"sourcetag train: {half}: not a complete checkpoint to resume from"
    from sourcetag.formats.outputs import record_written

    record_written(tmp_path / "m", "checkpoints", create=True)  # the marker a training run writes
    for step in (9, 18):
        (tmp_path / "m" / "checkpoints" / f"checkpoint-{step}" / "trainer_state.json").unlink(missing_ok=True)
    assert main(["train", "--train-file", str(fixture_file), "--output-dir", str(tmp_path / "m"),
                 "--resume-from", "last"]) == 1
    assert capsys.readouterr().err.strip() == (f"sourcetag train: {tmp_path / 'm' / 'checkpoints'}: no complete "
                                               "checkpoint to resume from")
