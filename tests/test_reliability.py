"""No traceback for any user error, resumable prediction, bounded inputs, identical output run to run.

Each class of user error ends in exactly one line on stderr, a known exit code (1: bad data, inputs, model or
output location; 2: usage; 130: Ctrl-C) and no output file. The kill tests run ``sourcetag predict`` and
``sourcetag train`` in a child process, stop it with SIGINT or SIGKILL mid-way and check that ``--resume`` /
``--resume-from last`` finishes with what an uninterrupted run writes.
"""

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sourcetag.main import main

REPO = Path(__file__).resolve().parents[1]


def articles_dir(root: Path, n: int = 24) -> Path:
    d = root / "in"
    d.mkdir()
    for i in range(n):
        (d / f"a{i:02d}.txt").write_text(
            f"Port story {i}\n\nThe ministry said on Monday that {i} ships were waiting. Police said two men "
            f"were held. “We are ready,” one said. It rained.\n", encoding="utf-8")
    return d


def predict(model_dir, *args):
    return main(["predict", "--quiet", "--precision", "fp32", "--model", str(model_dir), *map(str, args)])


def one_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert "Traceback" not in err[0]
    return err[0]


def files_in(d: Path) -> set[str]:
    return {str(p.relative_to(d)) for p in d.rglob("*")}


# -- one line, one exit code, nothing written ------------------------------------------------------------------

def _raise(err_no):
    def fail(*args, **kwargs):
        raise OSError(err_no, os.strerror(err_no))
    return fail


@pytest.mark.parametrize("which", ["output", "profile"])
def test_read_only_output_location_is_one_line(model_dir, tmp_path, capsys, monkeypatch, which):
    """A read-only directory (simulated: the tests run as root, which ignores permission bits)."""
    src = articles_dir(tmp_path, 2)
    out, prof = tmp_path / "ro" / "o.jsonl", tmp_path / "ro" / "p.jsonl"
    monkeypatch.setattr("sourcetag.formats.files.tempfile.TemporaryFile", _raise(errno.EROFS))
    args = ["-o", out] if which == "output" else ["--profile", prof]
    assert predict(model_dir, src, *args) == 1
    line = one_line(capsys)
    assert line == f"sourcetag predict: {out if which == 'output' else prof}: cannot write (Read-only file system)"
    assert not (tmp_path / "ro").exists() or not any((tmp_path / "ro").iterdir())


def test_output_under_a_file_is_one_line_in_every_command(model_dir, tmp_path, capsys, tiny_base, fixture_file):
    """A location that cannot exist (a file where a directory should be), with no simulation."""
    src = articles_dir(tmp_path, 1)
    (tmp_path / "file").write_text("x")
    out = tmp_path / "file" / "o.jsonl"
    assert predict(model_dir, src, "-o", out) == 1
    assert one_line(capsys) == f"sourcetag predict: {out}: cannot write ({tmp_path / 'file'} is not a directory)"
    assert main(["evaluate", "--quiet", "--model", str(model_dir), "--data", str(fixture_file),
                 "--report", str(tmp_path / "file" / "rep")]) == 1
    assert one_line(capsys) == (f"sourcetag evaluate: {tmp_path / 'file' / 'rep'}: cannot write "
                                f"({tmp_path / 'file'} is not a directory)")
    assert main(["train", "--base-model", str(tiny_base), "--train-file", str(fixture_file), "--output-dir",
                 str(tmp_path / "file" / "m")]) == 1
    assert one_line(capsys) == (f"sourcetag train: {tmp_path / 'file' / 'm'}: cannot write "
                                f"({tmp_path / 'file'} is not a directory)")
    assert (tmp_path / "file").read_text() == "x"


def test_unreadable_input_is_one_line(model_dir, tmp_path, capsys, monkeypatch):
    src = articles_dir(tmp_path, 2)
    monkeypatch.setattr("sourcetag.formats.readers._open", _raise(errno.EACCES))
    out = tmp_path / "o.jsonl"
    assert predict(model_dir, src, "-o", out) == 1
    assert one_line(capsys) == f"sourcetag predict: {src / 'a00.txt'}: cannot read (Permission denied)"
    assert not out.exists() and not list(tmp_path.glob(".o.jsonl*"))


def test_disk_full_while_writing_is_one_line(model_dir, tmp_path, capsys, monkeypatch):
    src = articles_dir(tmp_path, 2)
    out = tmp_path / "o.jsonl"
    monkeypatch.setattr("sourcetag.formats.partial._write", _raise(errno.ENOSPC))
    assert predict(model_dir, src, "-o", out) == 1
    assert one_line(capsys) == f"sourcetag predict: {out}: cannot write (No space left on device)"
    assert not out.exists() and not list(tmp_path.glob(".o.jsonl*"))


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_full_standard_output_is_one_line(model_dir, tmp_path, capsys, monkeypatch):
    src = articles_dir(tmp_path, 1)
    with open("/dev/full", "w", encoding="utf-8") as full:
        monkeypatch.setattr("sys.stdout", full)
        assert predict(model_dir, src) == 1
    assert one_line(capsys) == "sourcetag predict: <stdout>: cannot write (No space left on device)"


def test_output_that_is_a_directory_is_one_line(model_dir, tmp_path, capsys):
    src = articles_dir(tmp_path, 1)
    (tmp_path / "taken").mkdir()
    assert predict(model_dir, src, "-o", tmp_path / "taken", "--force") == 1
    assert one_line(capsys) == (f"sourcetag predict: {tmp_path / 'taken'}: cannot write (Is a directory); what was "
                                "labelled (1 article) is kept for --resume")
    assert files_in(tmp_path / "taken") == set()
    (tmp_path / "taken").rmdir()
    assert predict(model_dir, src, "-o", tmp_path / "taken", "--resume") == 0  # nothing left to label
    assert (tmp_path / "taken").read_text(encoding="utf-8").count("\n") == 5


@pytest.mark.parametrize("content, message", [
    ("nonsense_key = 1\n", "unknown config keys ['nonsense_key']"),
    ("[TrainArguments\nseed = 1\n", "cannot read config (Expected ']'"),
    ("epochs = [1, 2]\n", "epochs must be a single value, not a list"),
])
def test_bad_config_is_one_line_and_a_usage_error(tmp_path, capsys, content, message):
    cfg = tmp_path / "c.toml"
    cfg.write_text(content, encoding="utf-8")
    assert main(["train", "--config", str(cfg), "--output-dir", str(tmp_path / "out")]) == 2
    line = one_line(capsys)
    assert line.startswith(f"sourcetag train: {cfg}: ") and message in line
    assert not (tmp_path / "out").exists()


def test_config_that_is_not_a_table_is_one_line(tmp_path, capsys):
    cfg = tmp_path / "c.json"
    cfg.write_text("[1, 2]", encoding="utf-8")
    assert main(["train", "--config", str(cfg)]) == 2
    assert one_line(capsys) == f"sourcetag train: {cfg}: a config file holds keys and values, not a list"


def test_resume_without_an_output_file_is_a_usage_error(model_dir, tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        predict(model_dir, articles_dir(tmp_path, 1), "--resume")
    assert e.value.code == 2
    assert "--resume needs --output" in capsys.readouterr().err


def test_ctrl_c_is_one_line_exit_130_and_no_output(model_dir, tmp_path, capsys, monkeypatch):
    """Ctrl-C in the first chunk leaves nothing; after a finished chunk, the partial output is kept for --resume
    and the one line says so; the output file never appears."""
    from sourcetag.formats import stream as predict_module

    src = articles_dir(tmp_path, 6)
    out = tmp_path / "o.jsonl"
    real = predict_module.label_chunk
    calls = []

    def interrupted_at(k):
        def label_chunk(tagger, chunk):
            calls.append(1)
            if len(calls) == k:
                raise KeyboardInterrupt
            return real(tagger, chunk)
        return label_chunk

    monkeypatch.setattr(predict_module, "label_chunk", interrupted_at(1))
    assert predict(model_dir, src, "-o", out, "--chunk-chars", "100") == 130
    assert one_line(capsys) == "sourcetag predict: interrupted"
    assert not out.exists() and not list(tmp_path.glob(".o.jsonl*"))
    calls.clear()
    monkeypatch.setattr(predict_module, "label_chunk", interrupted_at(3))
    assert predict(model_dir, src, "-o", out, "--chunk-chars", "100") == 130
    assert one_line(capsys) == ("sourcetag predict: interrupted after 2 articles; the same command with --resume "
                                "continues from there")
    assert not out.exists()
    monkeypatch.setattr(predict_module, "label_chunk", real)
    assert predict(model_dir, src, "-o", out, "--chunk-chars", "100", "--resume") == 0
    assert len({r["article"] for r in map(json.loads, out.read_text().splitlines())}) == 6


def test_ctrl_c_in_evaluate_leaves_no_report(model_dir, tmp_path, capsys, monkeypatch, fixture_file):
    from sourcetag.eval import report

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(report, "plot_reliability", interrupted)
    rep = tmp_path / "report"
    assert main(["evaluate", "--quiet", "--model", str(model_dir), "--data", str(fixture_file), "--train-data",
                 str(fixture_file), "--report", str(rep), "--precision", "fp32"]) == 130
    assert one_line(capsys) == "sourcetag evaluate: interrupted"
    assert not rep.exists() and not list(tmp_path.glob(".report*"))


@pytest.mark.parametrize("call", ["TemporaryFile", "mkdtemp"])
def test_unwritable_report_location_is_one_line(model_dir, tmp_path, capsys, monkeypatch, fixture_file, call):
    """Found before the evaluation starts, or (the location changed meanwhile) when the report is written."""
    monkeypatch.setattr(f"sourcetag.formats.files.tempfile.{call}", _raise(errno.EROFS))
    rep = tmp_path / "report"
    assert main(["evaluate", "--quiet", "--model", str(model_dir), "--data", str(fixture_file), "--train-data",
                 str(fixture_file), "--report", str(rep), "--precision", "fp32"]) == 1
    assert one_line(capsys) == f"sourcetag evaluate: {rep}: cannot write (Read-only file system)"
    assert not rep.exists()


def test_ctrl_c_in_train_is_one_line(tmp_path, capsys, monkeypatch, tiny_base, fixture_file):
    import transformers

    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(transformers.Trainer, "train", interrupted)
    out = tmp_path / "m"
    assert main(["train", "--base-model", str(tiny_base), "--train-file", str(fixture_file), "--output-dir", str(out),
                 "--max-length", "64", "--precision", "fp32"]) == 130
    assert capsys.readouterr().err.strip().splitlines()[-1] == "sourcetag train: interrupted"
    assert not (out / "model.safetensors").exists() and not (out / "sourcetag.json").exists()


# -- resume --------------------------------------------------------------------------------------------------

def reference_run(model_dir, src, tmp_path, *extra):
    ref, ref_prof = tmp_path / "ref.jsonl", tmp_path / "ref-profile.jsonl"
    assert predict(model_dir, src, "-o", ref, "--profile", ref_prof, *extra) == 0
    return ref.read_bytes(), ref_prof.read_bytes()


_SLOW_CHILD = """
import sys, time
from sourcetag.formats import stream as predict
real = predict.label_chunk
def slow(tagger, chunk):
    time.sleep(0.3)  # so that the parent can stop the run between chunks and mid-way through one
    return real(tagger, chunk)
predict.label_chunk = slow
from sourcetag.main import main
raise SystemExit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_resume_after_a_signal_equals_an_uninterrupted_run(model_dir, tmp_path, capsys, sig):
    src = articles_dir(tmp_path)
    common = ["--chunk-chars", "400"]  # 2-3 articles per chunk: about 10 chunks
    ref, ref_prof = reference_run(model_dir, src, tmp_path, *common)
    out, prof = tmp_path / "o.jsonl", tmp_path / "p.jsonl"
    argv = ["predict", "--quiet", "--precision", "fp32", "--model", str(model_dir), str(src), "-o", str(out),
            "--profile", str(prof), *common]
    progress = tmp_path / ".o.jsonl.partial" / "progress.jsonl"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen([sys.executable, "-c", _SLOW_CHILD, *argv], env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and child.poll() is None:
        if progress.exists() and progress.read_text().count("\n") >= 3:
            break
        time.sleep(0.02)
    time.sleep(0.1)  # most likely in the middle of the next chunk
    child.send_signal(sig)
    _, err = child.communicate(timeout=60)
    assert child.returncode == (130 if sig == signal.SIGINT else -signal.SIGKILL)
    if sig == signal.SIGINT:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("sourcetag predict: interrupted after "), err
        assert "--resume" in lines[0]
    assert not out.exists() and not prof.exists()
    done = sum(len(json.loads(x)["articles"]) for x in progress.read_text().splitlines())
    assert 0 < done < 24
    capsys.readouterr()
    assert predict(model_dir, src, "-o", out, "--profile", prof, *common) == 1  # never silently reused
    assert "add --resume to continue it, or --force to start again" in one_line(capsys)
    assert predict(model_dir, src, "-o", out, "--profile", prof, *common, "--resume") == 0
    assert out.read_bytes() == ref and prof.read_bytes() == ref_prof
    assert not (tmp_path / ".o.jsonl.partial").exists()


def test_resume_drops_what_a_cut_short_chunk_wrote(model_dir, tmp_path, monkeypatch):
    """A kill between writing a chunk's rows and its progress line (or in the middle of that line)."""
    from sourcetag.formats import stream as predict_module

    src = articles_dir(tmp_path, 8)
    ref, ref_prof = reference_run(model_dir, src, tmp_path, "--chunk-chars", "200", "--output-format", "csv")
    out, prof = tmp_path / "o.csv", tmp_path / "p.jsonl"
    real = predict_module.label_chunk
    calls = []

    def stop_third(tagger, chunk):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(tagger, chunk)

    monkeypatch.setattr(predict_module, "label_chunk", stop_third)
    assert predict(model_dir, src, "-o", out, "--profile", prof, "--chunk-chars", "200") == 130
    state = tmp_path / ".o.csv.partial"
    with open(state / "rows.jsonl", "a", encoding="utf-8") as f:
        f.write('{"article": "half a row')
    with open(state / "profiles.jsonl", "a", encoding="utf-8") as f:
        f.write('{"article": "a02"}\n')
    with open(state / "progress.jsonl", "a", encoding="utf-8") as f:
        f.write('{"articles": ["torn')
    monkeypatch.setattr(predict_module, "label_chunk", real)
    assert predict(model_dir, src, "-o", out, "--profile", prof, "--chunk-chars", "200", "--resume") == 0
    assert out.read_bytes() == ref and prof.read_bytes() == ref_prof


def test_resume_refuses_other_options_or_changed_inputs(model_dir, tmp_path, capsys, monkeypatch):
    from sourcetag.formats import stream as predict_module

    src = articles_dir(tmp_path, 6)
    out = tmp_path / "o.jsonl"
    real = predict_module.label_chunk
    monkeypatch.setattr(predict_module, "label_chunk",
                        lambda t, c: real(t, c) if c[0].id != "a02" else (_ for _ in ()).throw(KeyboardInterrupt))
    assert predict(model_dir, src, "-o", out, "--chunk-chars", "150") == 130
    monkeypatch.setattr(predict_module, "label_chunk", real)
    capsys.readouterr()
    assert predict(model_dir, src, "-o", out, "--chunk-chars", "150", "--resume", "--review-threshold", "0.9") == 1
    assert one_line(capsys) == (f"sourcetag predict: {out}: the interrupted run used other options "
                                "(review_threshold: 0.6, now 0.9); resume with the same ones, or --force to start again")
    (src / "a01.txt").write_text("Changed since.", encoding="utf-8")
    assert predict(model_dir, src, "-o", out, "--chunk-chars", "150", "--resume") == 1
    assert one_line(capsys) == (f"sourcetag predict: {src / 'a01.txt'}: not the article the interrupted run labelled "
                                "at this place (article 2); the inputs changed since; --force starts again")
    assert not out.exists()
    assert predict(model_dir, src, "-o", out, "--chunk-chars", "150", "--force") == 0  # starts again
    assert not (tmp_path / ".o.jsonl.partial").exists()


# -- bounded resources -----------------------------------------------------------------------------------------

def test_prediction_streams_in_chunks(model_dir, tmp_path, monkeypatch):
    """Articles are read lazily: when a chunk is labelled, no article beyond it has been read."""
    from sourcetag.formats import readers
    from sourcetag.formats import stream as predict_module

    events = []
    real_read, real_label = readers.read_stream, predict_module.label_chunk

    def read_stream(name, *args, **kwargs):
        events.append(("read", Path(name).stem))
        return real_read(name, *args, **kwargs)

    def label_chunk(tagger, chunk):
        events.append(("label", [a.id for a in chunk]))
        return real_label(tagger, chunk)

    monkeypatch.setattr(readers, "read_stream", read_stream)
    monkeypatch.setattr(predict_module, "label_chunk", label_chunk)
    assert predict(model_dir, articles_dir(tmp_path, 12), "-o", tmp_path / "o.jsonl", "--chunk-chars", "300") == 0
    read_so_far: list[str] = []
    for kind, what in events:
        if kind == "read":
            read_so_far.append(what)
        else:
            assert 1 <= len(what) <= 3
            assert read_so_far[-1] == what[-1]  # nothing read ahead of the chunk being labelled


def test_article_over_the_size_limit_is_refused_in_one_line(model_dir, tmp_path, capsys):
    big = tmp_path / "big.txt"
    big.write_text("The ministry said so. " * 100, encoding="utf-8")
    jl = tmp_path / "arts.jsonl"
    jl.write_text(json.dumps({"text": "Short."}) + "\n" + json.dumps({"text": "x" * 3000}) + "\n", encoding="utf-8")
    out = tmp_path / "o.jsonl"
    assert predict(model_dir, big, "-o", out, "--max-article-chars", "1000") == 1
    assert one_line(capsys) == (f"sourcetag predict: {big}: article of 2,200 characters, over the limit of 1,000; "
                                "see --max-article-chars")
    assert predict(model_dir, jl, "-o", out, "--max-article-chars", "1000") == 1
    assert one_line(capsys) == (f"sourcetag predict: {jl}:2: article of 3,000 characters, over the limit of 1,000; "
                                "see --max-article-chars")
    huge = tmp_path / "huge.txt"
    huge.write_bytes(b"a" * 13_000)  # over 12 bytes per allowed character: refused before it is read
    assert predict(model_dir, huge, "-o", out, "--max-article-chars", "1000") == 1
    assert "over 12,000 bytes, too large for one article" in one_line(capsys)
    assert not out.exists()


def test_long_line_without_punctuation_and_long_sentence_finish_in_seconds(model_dir):
    """Splitting and labelling are linear in the length of a line (a 100,000-character line with no sentence end
    and a 5,000-word sentence). The limit is loose for shared CPUs; each takes well under a second idle."""
    from sourcetag import Tagger

    tagger = Tagger.load(model_dir, precision="fp32")
    for text in ("x" * 100_000, " ".join(["word"] * 5000) + ".", "ab " * 33_000):
        t = time.perf_counter()
        result = tagger.predict(text)
        assert time.perf_counter() - t < 60  # 1-6 s each on 2 idle cores; generous for a loaded machine
        assert "".join(s.text for s in result.sentences).replace(" ", "") == text.replace(" ", "")


# -- determinism ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_same_command_twice_gives_byte_identical_output(model_dir, tmp_path, fmt):
    src = articles_dir(tmp_path, 5)
    (src / "page.html").write_text(
        "<html><body><article><h1>Port reopens</h1><p>The ministry said on Monday that the port had reopened "
        "after a week of repairs to the harbour walls.</p></article></body></html>", encoding="utf-8")
    outs = []
    for name in ("one", "two"):
        out, prof = tmp_path / f"{name}.{fmt}", tmp_path / f"{name}-profile.jsonl"
        assert predict(model_dir, src, "-o", out, "--profile", prof) == 0
        outs.append((out.read_bytes(), prof.read_bytes()))
    assert outs[0] == outs[1]
    assert outs[0][0]
