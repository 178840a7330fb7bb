"""``sourcetag predict --engine ray``: the same rows as the local engine, shards, Parquet, resumption.

One local Ray of 2 CPUs is started for the whole module (Ray's start-up is the slow part); the runs use 2 actors.
The planning tests need no Ray."""

import json
import shutil

import pytest
from sourcetag.main import main

FIXTURE_ARTICLES = 6


def predict(*args):
    return main(["predict", "--quiet", "--precision", "fp32", *map(str, args)])


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def ray_cluster():
    ray = pytest.importorskip("ray")
    pytest.importorskip("ray.data")
    import os

    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.fixture
def inputs(tmp_path, fixture_file):
    """A folder of mixed inputs built from the fixture: text files (one nested), an articles JSONL file with given
    ids, and pre-split sentence rows."""
    d = tmp_path / "in"
    (d / "sub").mkdir(parents=True)
    by_article: dict[str, list[str]] = {}
    for r in read_jsonl(fixture_file):
        by_article.setdefault(r["article"], []).append(r["text"])
    arts = list(by_article.items())
    for k, (a, sents) in enumerate(arts[:4]):
        (d / ("sub" if k % 2 else "") / f"{a}.txt").write_text("\n\n".join(sents) + "\n", encoding="utf-8")
    with open(d / "more.jsonl", "w", encoding="utf-8") as f:
        for a, sents in arts[4:]:
            f.write(json.dumps({"id": f"j-{a}", "title": sents[0], "text": " ".join(sents[1:])}) + "\n")
    rows = [r for r in read_jsonl(fixture_file) if r["article"] in dict(arts[:2])]
    (d / "pre.jsonl").write_text("".join(json.dumps({**r, "id": f"p-{r['id']}", "article": f"p-{r['article']}"})
                                         + "\n" for r in rows), encoding="utf-8")
    return d


def by_id(rows):
    out = {str(r["id"]): r for r in rows}
    assert len(out) == len(rows)
    return out


def test_ray_rows_equal_local_rows_and_file(ray_cluster, model_dir, inputs, tmp_path, capsys):
    from sourcetag.engines.ray_engine import read_output

    local, ray_out = tmp_path / "local.jsonl", tmp_path / "ray.jsonl"
    assert predict("--model", model_dir, inputs, "-o", local, "--chunk-chars", 300) == 0
    assert main(["predict", "--precision", "fp32", "--model", str(model_dir), str(inputs), "-o", str(ray_out),
                 "--chunk-chars", "300", "--engine", "ray", "--workers", "2", "--shard-articles", "2"]) == 0
    err = capsys.readouterr().err
    assert "ray: " in err and "shards" in err and "sentences/s" in err
    want, got = read_jsonl(local), read_output(ray_out)
    assert len(want) > 50 and by_id(got) == by_id(want)
    assert ray_out.read_bytes() == local.read_bytes()  # the same order too: shards are joined in input order
    assert not (tmp_path / ".ray.jsonl.ray").exists()


def test_parquet_in_and_out_and_shard_directory(ray_cluster, model_dir, inputs, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq
    from sourcetag.engines.ray_engine import read_output

    local = tmp_path / "local.jsonl"
    assert predict("--model", model_dir, inputs, "-o", local) == 0  # other chunks: the same rows
    # the articles file as Parquet gives the same rows (ids from its id column)
    pq_in = tmp_path / "pq-in"
    shutil.copytree(inputs, pq_in)
    objs = read_jsonl(pq_in / "more.jsonl")
    (pq_in / "more.jsonl").unlink()
    pq.write_table(pa.Table.from_pylist(objs), pq_in / "more.parquet")
    out_dir = tmp_path / "shards.parquet"
    assert predict("--model", model_dir, pq_in, "-o", f"{out_dir}/", "--engine", "ray", "--workers", "2",
                   "--shard-articles", "3", "--chunk-chars", "300") == 0
    parts = sorted(p.name for p in out_dir.iterdir() if not p.name.startswith(("_", ".")))
    assert parts == [f"part-{k:05d}.parquet" for k in range(len(parts))] and len(parts) >= 2
    assert by_id(read_output(out_dir)) == by_id(read_jsonl(local))
    assert pq.read_table(out_dir).num_rows == len(read_jsonl(local))  # the directory reads as one dataset
    single = tmp_path / "one.parquet"
    assert predict("--model", model_dir, pq_in, "-o", single, "--engine", "ray", "--workers", "2") == 0
    assert by_id(read_output(single)) == by_id(read_jsonl(local))


def test_rerun_skips_written_shards_and_needs_resume(ray_cluster, model_dir, inputs, tmp_path, capsys):
    from sourcetag.engines.ray_engine import STATE, read_output

    out = tmp_path / "out"
    args = ["--model", model_dir, inputs, "-o", f"{out}/", "--engine", "ray", "--workers", "2",
            "--shard-articles", "2", "--chunk-chars", "300"]
    assert predict(*args) == 0
    first = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    n = len(first)
    assert n >= 3
    # a crash after two shards: one shard never written, one written without its marker (cut short)
    (out / "part-00001.jsonl").unlink()
    (out / STATE / "part-00001.json").unlink()
    (out / STATE / "part-00002.json").unlink()
    kept = (out / "part-00000.jsonl").stat().st_mtime_ns
    capsys.readouterr()
    assert predict(*args) == 1  # neither --resume nor --force
    assert "--resume" in capsys.readouterr().err
    assert main(["predict", "--precision", "fp32", *map(str, args), "--resume"]) == 0
    assert f"resuming: {n - 2} of {n} shards already written" in capsys.readouterr().err
    assert (out / "part-00000.jsonl").stat().st_mtime_ns == kept  # not written again
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == first
    assert len(by_id(read_output(out))) == len(read_output(out))  # no duplicates
    # other options: refused
    assert predict(*args, "--resume", "--review-threshold", "0.9") == 1
    assert "other options" in capsys.readouterr().err


# -- no Ray needed ----------------------------------------------------------------------------------------------
def test_shards_are_whole_local_chunks_with_deterministic_names(inputs):
    from sourcetag.engines.ray_engine import located_articles, plan_shards, read_shard
    from sourcetag.formats.readers import ReadStats, iter_inputs
    from sourcetag.formats.stream import chunks

    def plan():
        arts = located_articles([str(inputs)], "auto", False, print, 10**6, ReadStats())
        return list(plan_shards(arts, 3, 250))

    plans = plan()
    assert plans == plan()
    assert [p["shard"] for p in plans] == [f"part-{k:05d}" for k in range(len(plans))]
    local = list(iter_inputs([str(inputs)], "auto", False, print, 10**6))
    local_chunks = [len(c) for c in chunks(iter(local), 250)]
    assert [n for p in plans for n in p["chunks"]] == local_chunks
    assert all(sum(p["chunks"]) >= 3 for p in plans[:-1])
    read = [a for p in plans for a in read_shard(p, "auto", 10**6)]
    assert [(a.id, a.fingerprint()) for a in read] == [(a.id, a.fingerprint()) for a in local]


def test_local_engine_refuses_ray_options(model_dir, inputs, tmp_path, capsys):
    with pytest.raises(SystemExit):
        predict("--model", model_dir, inputs, "-o", tmp_path / "o.jsonl", "--workers", "2")
    assert "needs --engine ray" in capsys.readouterr().err


def test_parquet_rows_round_trip():
    from sourcetag.engines.ray_engine import rows_to_table, table_rows
    from sourcetag.model.labels import LABELS

    probs = {k: 0.25 for k in LABELS}
    rows = [{"article": "a", "idx": 0, "id": "a-0", "text": "x", "start": 0, "end": 1, "label": LABELS[0],
             "probs": probs, "needs_review": True, "evidence": None},
            {"article": "b", "idx": 0, "id": "q", "text": "y", "start": None, "end": None, "gold_label": LABELS[1],
             "source": {"n": [1]}, "label": LABELS[1], "probs": probs, "needs_review": False,
             "evidence": {"cue": "said", "source": None}}]
    back = table_rows(rows_to_table(rows, LABELS))
    assert back == rows and [list(r) for r in back] == [list(r) for r in rows]
