import json

import pytest
from sourcetag.formats.files import write_jsonl_atomic
from sourcetag.formats.rows import group_articles, read_rows
from sourcetag.model.errors import DataError, OutputError


def write(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


def test_reads_rows_and_fills_ids(tmp_path):
    p = write(tmp_path / "a.jsonl", [{"article": "x", "text": "One.", "label": "filler"},
                                     {"article": "x", "text": "Two.", "label": "filler"},
                                     {"article": "y", "text": "Three.", "label": "filler", "extra": 1}])
    rows = read_rows(p)
    assert [(r.id, r.idx) for r in rows] == [("x-0", 0), ("x-1", 1), ("y-0", 0)]
    assert rows[2].extra == {"extra": 1}
    assert [len(a) for a in group_articles(rows)] == [2, 1]


@pytest.mark.parametrize("bad, message", [
    ('{"article": "x", "text": "a", "label": "nope"}', ":1: unknown label 'nope'"),
    ('{"article": "x", "label": "filler"}', ":1: missing field 'text'"),
    ('{"article": "x", "text": "a"', ":1: malformed JSON"),
    ('[1, 2]', ":1: expected a JSON object"),
    ('{"article": "x", "text": "  ", "label": "filler"}', ":1: field 'text' must be a non-empty string"),
])
def test_errors_name_file_and_line(tmp_path, bad, message):
    p = write(tmp_path / "bad.jsonl", [bad])
    with pytest.raises(DataError) as e:
        read_rows(p)
    assert str(e.value).startswith(str(p)) and message in str(e.value)


def test_rejects_split_articles_and_duplicate_ids(tmp_path):
    rows = [{"article": a, "text": "t", "label": "filler"} for a in ("x", "y", "x")]
    with pytest.raises(DataError, match=":3: rows of article 'x' are not contiguous"):
        read_rows(write(tmp_path / "a.jsonl", rows))
    rows = [{"id": "same", "article": a, "text": "t", "label": "filler"} for a in ("x", "y")]
    with pytest.raises(DataError, match=":2: duplicate id 'same'"):
        read_rows(write(tmp_path / "b.jsonl", rows))


def test_non_utf8_reports_line(tmp_path):
    p = tmp_path / "x.jsonl"
    p.write_bytes(b'{"article": "x", "text": "ok", "label": "filler"}\n{"article": "\xff"}\n')
    with pytest.raises(DataError, match=r"x.jsonl:2: not valid UTF-8"):
        read_rows(p)


def test_atomic_write_refuses_existing_without_force(tmp_path):
    p = tmp_path / "out.jsonl"
    write_jsonl_atomic(p, [{"a": 1}])
    with pytest.raises(OutputError, match="out.jsonl exists"):
        write_jsonl_atomic(p, [{"a": 2}], force=False)
    assert json.loads(p.read_text()) == {"a": 1}


def test_atomic_writes_honour_the_umask_and_keep_an_existing_mode(tmp_path):
    """Output files were created 0600 (mkstemp's mode) although the umask allowed 0644."""
    import os
    import stat

    from sourcetag.formats.files import write_text_atomic

    old = os.umask(0o022)
    try:
        write_text_atomic(tmp_path / "new.jsonl", "x\n")
        assert stat.S_IMODE((tmp_path / "new.jsonl").stat().st_mode) == 0o644
        (tmp_path / "private.jsonl").write_text("old")
        os.chmod(tmp_path / "private.jsonl", 0o600)
        write_text_atomic(tmp_path / "private.jsonl", "new\n")
        assert stat.S_IMODE((tmp_path / "private.jsonl").stat().st_mode) == 0o600
        assert (tmp_path / "private.jsonl").read_text() == "new\n"
    finally:
        os.umask(old)
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
