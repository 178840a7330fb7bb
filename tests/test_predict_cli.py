import csv
import io
import json

import pytest
from sourcetag.main import main
from sourcetag.model.labels import LABELS

HTML = """<!DOCTYPE html><html><head><title>Ministry says port reopened</title></head><body>
<nav>Home | World | Sport</nav>
<article><h1>Ministry says port reopened</h1>
<p>The ministry said on Monday that the port had reopened after a week of repairs to the harbour walls.</p>
<p>One fisherman told the local paper that his boat had been badly damaged by the storm last week.</p>
<p>Residents spent the weekend clearing debris from the flooded streets near the old harbour.</p>
</article><footer>Cookie settings</footer></body></html>"""


def predict(*args):
    return main(["predict", "--quiet", "--precision", "fp32", *map(str, args)])


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_text_directory_with_profile(model_dir, tmp_path):
    d = tmp_path / "in"
    (d / "sub").mkdir(parents=True)
    (d / "a.txt").write_text("Port reopens\n\nThe mayor said the port would reopen. Ships wait.\n", encoding="utf-8")
    (d / "sub" / "b.txt").write_text("Police said two men were arrested.", encoding="utf-8")
    out, prof = tmp_path / "out.jsonl", tmp_path / "profile.jsonl"
    assert predict("--model", model_dir, d, "-o", out, "--profile", prof) == 0
    rows = read_jsonl(out)
    assert [r["article"] for r in rows] == ["a", "a", "a", "sub/b"]
    assert [r["idx"] for r in rows] == [0, 1, 2, 0]
    text = (d / "a.txt").read_text()
    for r in rows[:3]:
        assert text[r["start"] : r["end"]] == r["text"]
        assert set(r["probs"]) == set(LABELS) and r["label"] in LABELS
        assert isinstance(r["needs_review"], bool)
    profiles = read_jsonl(prof)
    assert [p["article"] for p in profiles] == ["a", "sub/b"]
    assert sum(profiles[0]["counts"].values()) == 3
    assert abs(sum(profiles[0]["shares"].values()) - 1) < 1e-3


def test_html_jsonl_and_auto_detection(model_dir, tmp_path, capsys):
    (tmp_path / "page.html").write_text(HTML, encoding="utf-8")
    (tmp_path / "arts.jsonl").write_text(
        json.dumps({"id": "x1", "title": "Port reopens", "text": "The mayor said so.", "url": "http://e.x"}) + "\n",
        encoding="utf-8")
    out = tmp_path / "o.jsonl"
    assert main(["predict", "--model", str(model_dir), str(tmp_path / "page.html"), str(tmp_path / "arts.jsonl"),
                 "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "html (1 file)" in err and "jsonl (1 file)" in err
    rows = read_jsonl(out)
    html_rows = [r for r in rows if r["article"] == "page"]
    assert html_rows[0]["text"] == "Ministry says port reopened"
    assert any("fisherman" in r["text"] for r in html_rows)
    assert not any("Cookie" in r["text"] or "Home |" in r["text"] for r in html_rows)
    assert [r["text"] for r in rows if r["article"] == "x1"] == ["Port reopens", "The mayor said so."]


def test_sentences_format_keeps_fields_and_is_not_resplit(model_dir, tmp_path):
    src = tmp_path / "s.jsonl"
    rows = [{"id": "q1", "article": "A", "idx": 0, "text": "One. Two. Three.", "label": "filler", "source": "x"},
            {"id": "q2", "article": "A", "idx": 1, "text": "The minister said so.", "label": "official_statement"}]
    src.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "o.jsonl"
    assert predict("--model", model_dir, "--input-format", "sentences", src, "-o", out) == 0
    got = read_jsonl(out)
    assert [r["id"] for r in got] == ["q1", "q2"]
    assert got[0]["text"] == "One. Two. Three." and got[0]["source"] == "x"
    assert got[0]["gold_label"] == "filler" and got[0]["label"] in LABELS


def test_stdin_and_csv(model_dir, tmp_path, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"Police said two men were arrested. It rained.")))
    out = tmp_path / "o.csv"
    assert predict("--model", model_dir, "-", "-o", out) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["text"] for r in rows] == ["Police said two men were arrested.", "It rained."]
    assert {f"p_{k}" for k in LABELS} <= set(rows[0])


@pytest.mark.parametrize("name, content, fmt, message", [
    ("empty.txt", b"  \n", "auto", "empty.txt: empty file"),
    ("bin.txt", b"abc\x00\x01\x02", "auto", "bin.txt: binary file"),
    ("latin.txt", b"ok line\ncaf\xe9\n", "auto", "latin.txt:2: not valid UTF-8"),
    ("bad.jsonl", b'{"text": "fine"}\n{"text": \n', "auto", "bad.jsonl:2: malformed JSON"),
    ("notext.jsonl", b'{"text": "fine"}\n{"title": "x"}\n', "auto", "notext.jsonl:2: row has no 'text'"),
    ("sent.jsonl", b'{"article": "a", "text": "x"}\n{"article": "a"}\n', "sentences", "sent.jsonl:2: missing field 'text'"),
    ("empty.html", b"<html><body><nav>Home</nav></body></html>", "auto", "empty.html: no main text"),
])
def test_bad_input_one_line_nonzero_and_no_output(model_dir, tmp_path, capsys, name, content, fmt, message):
    (tmp_path / name).write_bytes(content)
    out = tmp_path / "o.jsonl"
    assert predict("--model", model_dir, "--input-format", fmt, tmp_path / name, "-o", out) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and str(tmp_path) in err[0]
    assert not out.exists()


def test_skip_bad_reports_and_counts(model_dir, tmp_path, capsys):
    d = tmp_path / "in"
    d.mkdir()
    (d / "good.txt").write_text("The minister said so.", encoding="utf-8")
    (d / "bad.txt").write_bytes(b"\xff\xfe\x00\x00")
    out = tmp_path / "o.jsonl"
    assert predict("--model", model_dir, d, "-o", out) == 1
    assert main(["predict", "--model", str(model_dir), "--skip-bad", str(d), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "skipped: " in err and "bad.txt" in err and "skipped 1 bad input" in err
    assert {r["article"] for r in read_jsonl(out)} == {"good"}


def test_no_overwrite_without_force(model_dir, tmp_path, capsys):
    (tmp_path / "a.txt").write_text("The minister said so.", encoding="utf-8")
    out = tmp_path / "o.jsonl"
    out.write_text("keep me")
    assert predict("--model", model_dir, tmp_path / "a.txt", "-o", out) == 1
    assert out.read_text() == "keep me" and "--force" in capsys.readouterr().err
    assert predict("--model", model_dir, tmp_path / "a.txt", "-o", out, "--force") == 0
    assert read_jsonl(out)[0]["text"] == "The minister said so."


def test_missing_model_and_missing_input(tmp_path, capsys):
    (tmp_path / "a.txt").write_text("Text.", encoding="utf-8")
    assert predict("--model", tmp_path / "none", tmp_path / "a.txt") == 1
    assert "no such model directory" in capsys.readouterr().err
    assert predict("--model", tmp_path / "none", tmp_path / "missing.txt") == 1
    assert "missing.txt: no such file or directory" in capsys.readouterr().err


@pytest.mark.parametrize("option, value", [("--batch-size", "-1"), ("--batch-size", "0"), ("--batch-size", "x"),
                                           ("--review-threshold", "2"), ("--review-threshold", "-0.1"),
                                           ("--review-threshold", "nan")])
def test_bad_numeric_options_are_refused(model_dir, tmp_path, capsys, option, value):
    """Issue 19 item 5: --batch-size -1 gave uniform probabilities and labelled everything official, exit 0."""
    (tmp_path / "a.txt").write_text("The minister said so.", encoding="utf-8")
    out = tmp_path / "o.jsonl"
    with pytest.raises(SystemExit) as exit_:
        predict("--model", model_dir, option, value, tmp_path / "a.txt", "-o", out)
    assert exit_.value.code == 2
    assert option in capsys.readouterr().err
    assert not out.exists()


def test_same_file_names_in_two_folders_get_unique_ids(model_dir, tmp_path):
    """Duplicate input ids gave duplicate output ids; ids sourcetag derives (file names) are made unique."""
    for d in ("a", "b"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "x.txt").write_text("The minister said so. It rained.", encoding="utf-8")
    out, prof = tmp_path / "o.jsonl", tmp_path / "p.jsonl"
    assert predict("--model", model_dir, tmp_path / "a" / "x.txt", tmp_path / "b" / "x.txt", "-o", out,
                   "--profile", prof) == 0
    rows = read_jsonl(out)
    assert len({r["id"] for r in rows}) == len(rows) == 4
    assert [p["article"] for p in read_jsonl(prof)] == ["x", "x~2"]


def test_duplicate_given_ids_are_refused(model_dir, tmp_path, capsys):
    (tmp_path / "a.jsonl").write_text(json.dumps({"id": "n1", "text": "The minister said so."}) + "\n"
                                      + json.dumps({"id": "n1", "text": "Police said so."}) + "\n", encoding="utf-8")
    out = tmp_path / "o.jsonl"
    assert predict("--model", model_dir, tmp_path / "a.jsonl", "-o", out) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "a.jsonl:2" in err[0] and "duplicate article id 'n1'" in err[0]
    assert not out.exists()
    assert main(["predict", "--quiet", "--precision", "fp32", "--model", str(model_dir), "--skip-bad",
                 str(tmp_path / "a.jsonl"), "-o", str(out)]) == 0
    assert [r["text"] for r in read_jsonl(out)] == ["The minister said so."]


def test_duplicate_sentence_ids_across_files_are_refused(model_dir, tmp_path, capsys):
    for name, article in (("s1.jsonl", "A"), ("s2.jsonl", "B")):
        (tmp_path / name).write_text(json.dumps({"id": "q1", "article": article, "text": "Police said so."}) + "\n",
                                     encoding="utf-8")
    out = tmp_path / "o.jsonl"
    assert predict("--model", model_dir, "--input-format", "sentences", tmp_path / "s1.jsonl", tmp_path / "s2.jsonl",
                   "-o", out) == 1
    assert "duplicate sentence id 'q1'" in capsys.readouterr().err
    assert not out.exists()


def test_sentence_id_shared_by_a_split_and_a_pre_split_article_is_refused(model_dir, tmp_path, capsys):
    (tmp_path / "a.txt").write_text("The minister said so.", encoding="utf-8")
    (tmp_path / "s.jsonl").write_text(json.dumps({"id": "a-0", "article": "Z", "text": "Police said so."}) + "\n",
                                      encoding="utf-8")
    out = tmp_path / "o.jsonl"
    assert predict("--model", model_dir, tmp_path / "a.txt", tmp_path / "s.jsonl", "-o", out) == 1
    assert "duplicate sentence id 'a-0'" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("device", ["cuda", "cuda:3", "tpu"])
def test_unavailable_device_is_one_clear_error(model_dir, tmp_path, capsys, monkeypatch, device):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    (tmp_path / "a.txt").write_text("The minister said so.", encoding="utf-8")
    with pytest.raises(SystemExit) as exit_:
        predict("--model", model_dir, "--device", device, tmp_path / "a.txt")
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "--device" in err and device in err and "Traceback" not in err


def test_csv_cells_that_a_spreadsheet_would_run_are_prefixed(model_dir, tmp_path):
    """Spreadsheet formula injection: a cell starting with =, +, -, @, tab or CR is a formula to Excel/Calc."""
    src = tmp_path / "arts.jsonl"
    src.write_text(json.dumps({"id": "@evil", "text": '=HYPERLINK("http://x.example","click")\n+1 more line\n'
                               "The minister said so.", "url": "=cmd|' /C calc'!A0"}) + "\n", encoding="utf-8")
    out, jl = tmp_path / "o.csv", tmp_path / "o.jsonl"
    assert predict("--model", model_dir, src, "-o", out) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["text"] for r in rows] == ["'=HYPERLINK(\"http://x.example\",\"click\")", "'+1 more line",
                                         "The minister said so."]
    assert {r["article"] for r in rows} == {"'@evil"} and {r["id"][:2] for r in rows} == {"'@"}
    assert all(float(r["p_filler"]) >= 0 for r in rows)  # numbers stay numbers
    assert predict("--model", model_dir, src, "-o", jl) == 0  # JSONL keeps the text as it is
    assert read_jsonl(jl)[0]["text"].startswith("=HYPERLINK")


def test_csv_header_and_extra_fields_are_prefixed_too(model_dir, tmp_path):
    src = tmp_path / "s.jsonl"
    src.write_text(json.dumps({"article": "A", "text": "Police said so.", "=SUM(A1)": "-2+3"}) + "\n", encoding="utf-8")
    out = tmp_path / "o.csv"
    assert predict("--model", model_dir, "--input-format", "sentences", src, "-o", out) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert rows[0]["'=SUM(A1)"] == "'-2+3"
