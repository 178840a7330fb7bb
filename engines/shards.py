"""The Ray engine's shards: reading inputs (Parquet included) with where each article came from, cutting them into
shard descriptions, and reading a shard's articles back on a worker (see :mod:`sourcetag.engines.ray_engine`)."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

from ..model.errors import InputError, OutputError

SHARD_ARTICLES = 500
"""Articles per shard by default: enough work per task that scheduling costs little, small enough that a crash
loses little and many workers stay busy."""
PARQUET = ".parquet"


def _parquet_articles(path: Path, name: str, fmt: str, max_chars: int):
    """Articles of a Parquet file: rows like the JSONL article format (``text``, optional ``id``, ``title``,
    ``url``), or pre-split sentence rows (an ``article`` column), numbered from 1 like JSONL lines."""
    import pyarrow.parquet as pq

    from ..formats.articles import jsonl_articles, sentence_articles

    try:
        pf = pq.ParquetFile(path)
    except Exception as e:  # pyarrow raises its own error types for a file that is not Parquet
        raise InputError(f"{name}: not a readable Parquet file ({e})") from e
    used = fmt if fmt in ("jsonl", "sentences") else ("sentences" if "article" in pf.schema_arrow.names else "jsonl")

    def objects():
        n = 0
        for batch in pf.iter_batches(batch_size=1024):
            for obj in batch.to_pylist():
                n += 1
                yield n, {k: v for k, v in obj.items() if v is not None}

    make = jsonl_articles if used == "jsonl" else sentence_articles
    from ..model.errors import DataError

    def checked():
        try:
            yield from make(objects(), name, max_chars)
        except DataError as e:
            raise InputError(str(e), option=e.option) from e

    if next(checked(), None) is None:
        raise InputError(f"{name}: empty file")
    return "parquet", checked()


def file_articles(name: str, path: Path, fmt: str, art_id: str, max_chars: int):
    """The format used and the articles of one input file (Parquet included)."""
    if path.suffix.lower() == PARQUET:
        return _parquet_articles(path, name, fmt, max_chars)
    from ..formats.articles import read_stream

    stream = path.open("rb")
    used, articles = read_stream(name, stream, fmt, art_id, max_chars)

    def closing():
        with stream:
            yield from articles

    return used, closing()


def located_articles(inputs: list[str], fmt: str, skip_bad: bool, warn: Callable[[str], None], max_chars: int,
                     stats) -> Iterator:
    """The local engine's article stream (:func:`sourcetag.formats.readers.iter_inputs`), Parquet files included, each
    article carrying where it was read: ``a.where = (file, position in the file)``."""
    from ..formats.readers import article_id_for, expand_inputs, skip_or_raise, unique_ids
    from ..model.errors import reason

    if "-" in inputs:
        raise InputError("the ray engine reads files, not standard input: its workers cannot read the driver's stdin")

    def per_file():
        for name, path in expand_inputs(inputs):
            try:
                used, articles = file_articles(name, path, fmt, article_id_for(name, path, inputs), max_chars)
            except InputError as e:
                skip_or_raise(e, skip_bad, stats, warn)
                continue
            except OSError as e:
                raise InputError(f"{name}: cannot read ({reason(e)})") from e
            stats.formats[used] = stats.formats.get(used, 0) + 1
            for k, a in enumerate(articles):
                a.where = (str(path.resolve()), k)
                yield a

    return unique_ids(per_file(), skip_bad, stats, warn)


def _digest(fingerprints: list[str]) -> str:
    return hashlib.sha256("\n".join(fingerprints).encode()).hexdigest()[:32]


def plan_shards(articles, shard_articles: int, chunk_chars: int) -> Iterator[dict]:
    """Shard descriptions, in input order: consecutive local-engine chunks of about ``shard_articles`` articles.

    ``segments`` are ``[file, first position, count]`` runs of the shard's articles, ``ids`` their final ids,
    ``chunks`` the number of articles in each chunk, ``digest`` a hash of the articles' fingerprints."""
    from ..formats.stream import chunks

    shard: list = []
    sizes: list[int] = []
    k = 0

    def emit():
        segments: list[list] = []
        for a in shard:
            f, pos = a.where
            if segments and segments[-1][0] == f and segments[-1][1] + segments[-1][2] == pos:
                segments[-1][2] += 1
            else:
                segments.append([f, pos, 1])
        return {"shard": f"part-{k:05d}", "segments": segments, "ids": [a.id for a in shard], "chunks": list(sizes),
                "digest": _digest([a.fingerprint() for a in shard])}

    for chunk in chunks(articles, chunk_chars):
        shard += chunk
        sizes.append(len(chunk))
        if len(shard) >= shard_articles:
            yield emit()
            shard, sizes, k = [], [], k + 1
    if shard:
        yield emit()


def read_shard(plan: dict, fmt: str, max_chars: int) -> list:
    """The articles a shard description names, read from their files, with their final ids; ``OutputError`` when
    the files changed since the plan was made."""
    from ..formats.readers import article_id_for

    out = []
    for f, start, count in plan["segments"]:
        path = Path(f)
        _, articles = file_articles(f, path, fmt, article_id_for(f, path, []), max_chars)
        got = list(itertools.islice(articles, start, start + count))
        if len(got) != count:
            raise OutputError(f"{f}: fewer articles than when the run was planned; the inputs changed")
        out += got
    for a, i in zip(out, plan["ids"], strict=True):
        a.id = i
    if _digest([a.fingerprint() for a in out]) != plan["digest"]:
        raise OutputError(f"{plan['shard']}: its articles changed since the run was planned (inputs edited?)")
    return out
