"""The Ray engine's files: Parquet rows, atomic writes, shard markers, joining the shards into one output and reading
any output back (see :mod:`sourcetag.engines.ray_engine`)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from .shards import PARQUET

STATE = "_sourcetag"
"""The shards' directory keeps the run's options and one marker per written shard here."""


def parquet_schema(labels):
    import pyarrow as pa

    return pa.schema([("article", pa.string()), ("idx", pa.int64()), ("id", pa.string()), ("text", pa.string()),
                      ("start", pa.int64()), ("end", pa.int64()), ("label", pa.string()),
                      ("probs", pa.struct([(k, pa.float64()) for k in labels])), ("needs_review", pa.bool_()),
                      ("evidence", pa.struct([("cue", pa.string()), ("source", pa.string())])),
                      ("extra", pa.string())])


_CORE = ("article", "idx", "id", "text", "start", "end", "label", "probs", "needs_review", "evidence")


def rows_to_table(rows: list[dict], labels):
    """Output rows as a Parquet table: the fixed fields as columns, any other field (``gold_label``, input
    fields of pre-split rows) as a JSON object in ``extra`` (null when none); see :func:`table_rows`."""
    import pyarrow as pa

    records = []
    for r in rows:
        extra = {k: v for k, v in r.items() if k not in _CORE}
        rec = {k: r[k] for k in _CORE}
        rec["id"] = str(r["id"])
        rec["extra"] = json.dumps(extra, ensure_ascii=False) if extra else None
        records.append(rec)
    return pa.Table.from_pylist(records, schema=parquet_schema(labels))


def table_rows(table) -> list[dict]:
    """The JSONL rows a Parquet output table holds (the inverse of :func:`rows_to_table`, keys in row order)."""
    out = []
    for rec in table.to_pylist():
        extra = json.loads(rec.pop("extra")) if rec.get("extra") else {}
        row = {k: rec[k] for k in ("article", "idx", "id", "text", "start", "end")}
        row.update(extra)
        row.update({k: rec[k] for k in ("label", "probs", "needs_review", "evidence")})
        out.append(row)
    return out


def write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def shard_done(out_dir: Path, plan: dict) -> bool:
    marker = out_dir / STATE / f"{plan['shard']}.json"
    try:
        return json.loads(marker.read_text(encoding="utf-8"))["digest"] == plan["digest"]
    except (OSError, ValueError, KeyError, TypeError):
        return False



def shard_ids(path: Path) -> list[str]:
    if path.suffix == PARQUET:
        import pyarrow.parquet as pq

        return [str(i) for i in pq.read_table(path, columns=["id"]).column("id").to_pylist()]
    with open(path, encoding="utf-8") as f:
        return [str(json.loads(line)["id"]) for line in f]


def concat(parts: list[Path], dst: Path) -> None:
    with open(dst, "wb") as out:
        for part in parts:
            with open(part, "rb") as f:
                shutil.copyfileobj(f, out)


def join(shards: list[Path], dst: Path, suffix: str, labels) -> None:
    """The shards in order as one file: JSONL bytes concatenated, or one Parquet file with a row group or more
    per shard (read one shard at a time: memory stays flat)."""
    if suffix != PARQUET:
        concat(shards, dst)
        return
    import pyarrow.parquet as pq

    with pq.ParquetWriter(dst, parquet_schema(labels)) as w:
        for s in shards:
            w.write_table(pq.read_table(s))


def read_output(path: str | Path) -> list[dict]:
    """The rows of a prediction output as dicts: a JSONL file, a Parquet file, or a directory of shards."""
    p = Path(path)
    files = sorted(f for f in p.iterdir() if f.name.startswith("part-")) if p.is_dir() else [p]
    rows: list[dict] = []
    for f in files:
        if f.suffix == PARQUET:
            import pyarrow.parquet as pq

            rows += table_rows(pq.read_table(f))
        else:
            rows += [json.loads(line) for line in f.read_text(encoding="utf-8").splitlines()]
    return rows
