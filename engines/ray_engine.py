"""``sourcetag predict --engine ray``: the same job as the local engine, spread over a Ray cluster with Ray Data.

How a run goes:

1. **Plan** (on the driver, no model): the inputs are read once through the same readers as the local engine
   (same formats, checks, ``--skip-bad``, unique ids), plus Parquet files. Articles are cut into the local
   engine's chunks (:func:`sourcetag.formats.stream.chunks`), and consecutive chunks into *shards* of about
   ``--shard-articles`` articles. A shard is a small description: which files, which articles of each (by
   position), their final ids, and a digest of the articles' fingerprints. Shard ``k`` is named
   ``part-{k:05d}``: the same inputs and options always give the same shards and names.
2. **Label** (on the cluster): a Ray Data pipeline over the shard descriptions, ``map_batches`` with an
   :class:`~ray.data.ActorPoolStrategy` of ``--workers`` actors. Each actor loads the :class:`Tagger` once (one
   GPU per actor with ``--device cuda``, else ``--cpus-per-worker`` CPUs), reads its shard's articles from the
   files itself, labels them chunk by chunk with the local engine's :func:`~sourcetag.formats.stream.label_chunk` (so the
   rows are the local engine's rows) and writes the shard: data file, then profiles, then a marker holding the
   digest, each under a temporary name renamed into place. The driver prints one progress line.
3. **Assemble**: ``-o OUT.jsonl`` / ``-o OUT.parquet`` (or no ``-o``: standard output) joins the shards in order
   into one file, written atomically; ``-o DIR/`` keeps the shards: ``DIR/part-00000.jsonl`` ... (or
   ``.parquet`` shards for a directory named ``*.parquet``).

A rerun with ``--resume`` skips every shard whose marker is present with the same digest, so a crashed or
interrupted run continues without labelling or writing anything twice; ``--force`` starts again. The shards'
directory (``DIR`` itself, or ``.OUT.ray/`` beside a single output file) keeps the run's options in
``_sourcetag/run.json``; a resumed run must use the same ones. Files whose names start with ``_`` or ``.`` are
ignored by Parquet and Spark readers, so a ``*.parquet`` directory reads as one dataset.

Ray itself is the optional extra ``sourcetag[ray]``. Without ``--ray-address`` a local Ray is started for the run
(no dashboard) and shut down after it; an already initialised Ray (``ray.init`` by the caller) is used as is.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from ..model.errors import InputError, OutputError, SourcetagError

SHARD_ARTICLES = 500
"""Articles per shard by default: enough work per task that scheduling costs little, small enough that a crash
loses little and many workers stay busy."""
STATE = "_sourcetag"
PARQUET = ".parquet"


# -- reading ---------------------------------------------------------------------------------------------------
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


# -- writing ---------------------------------------------------------------------------------------------------
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


def _write_atomic(path: Path, write: Callable[[Path], None]) -> None:
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


class ShardLabeler:
    """A Ray Data actor: loads the Tagger once, then labels and writes one shard per call."""

    def __init__(self, out_dir: str, shard_format: str, tagger_kwargs: dict, input_format: str, max_chars: int,
                 threads: int | None = None):
        if threads:
            import torch

            torch.set_num_threads(threads)
        from ..model.tagger import Tagger

        self.out_dir = Path(out_dir)
        self.shard_format = shard_format
        self.input_format = input_format
        self.max_chars = max_chars
        self.tagger = Tagger.load(**tagger_kwargs)

    def label(self, plan: dict) -> dict:
        from ..formats.stream import label_chunk

        articles = read_shard(plan, self.input_format, self.max_chars)
        rows, profiles, ids = [], [], []
        it = iter(articles)
        for size in plan["chunks"]:
            r, p, _n, i = label_chunk(self.tagger, list(itertools.islice(it, size)))
            rows.append(r)
            profiles.append(p)
            ids += [rid for rid, _ in i]
        name = plan["shard"]
        labels = list(self.tagger.labels)
        data = self.out_dir / f"{name}{self.shard_format}"
        text = "".join(rows)
        if self.shard_format == PARQUET:
            import pyarrow.parquet as pq

            table = rows_to_table([json.loads(line) for line in text.splitlines()], labels)
            _write_atomic(data, lambda p: pq.write_table(table, p))
        else:
            _write_atomic(data, lambda p: p.write_text(text, encoding="utf-8"))
        state = self.out_dir / STATE
        _write_atomic(state / f"{name}.profiles.jsonl", lambda p: p.write_text("".join(profiles), encoding="utf-8"))
        marker = {"digest": plan["digest"], "articles": len(articles), "sentences": len(ids), "labels": labels}
        _write_atomic(state / f"{name}.json", lambda p: p.write_text(json.dumps(marker) + "\n", encoding="utf-8"))
        return {"shard": name, "articles": len(articles), "sentences": len(ids), "ids": json.dumps(ids)}

    def __call__(self, batch: dict) -> dict:
        out: dict[str, list] = {"shard": [], "articles": [], "sentences": [], "ids": []}
        for plan in batch["plan"]:
            res = self.label(json.loads(plan))
            for k in out:
                out[k].append(res[k])
        return out


# -- the run ---------------------------------------------------------------------------------------------------
def _output_layout(output: str | None) -> tuple[str, Path | None, str]:
    """``(kind, target, shard suffix)``: kind is ``dir``, ``file`` or ``stdout``."""
    if output is None:
        return "stdout", None, ".jsonl"
    p = Path(output)
    is_dir = output.endswith(("/", os.sep)) or p.is_dir() or not p.suffix
    suffix = PARQUET if p.suffix.lower() == PARQUET else ".jsonl"
    if not is_dir and p.suffix.lower() not in (PARQUET, ".jsonl", ".json", ".ndjson"):
        raise OutputError(f"{output}: the ray engine writes JSONL or Parquet (a .jsonl or .parquet file, or a "
                          "directory of shards)", option="output")
    return ("dir" if is_dir else "file"), p, suffix


def _progress(err, quiet: bool):
    start = time.monotonic()
    state = {"last": 0.0}
    tty = err.isatty()

    def show(done: int, total: int, articles: int, sentences: int, final: bool = False) -> None:
        if quiet:
            return
        now = time.monotonic()
        if not final and not tty and now - state["last"] < 10:
            return
        state["last"] = now
        rate = sentences / max(now - start, 1e-9)
        line = (f"ray: {done}/{total} shards, {articles:,} articles, {sentences:,} sentences, "
                f"{rate:,.0f} sentences/s")
        print(("\r" if tty else "") + line, end="\n" if final or not tty else "", file=err, flush=True)

    return show


def _start_ray(address: str | None, num_cpus: int):
    import logging

    import ray

    logging.getLogger("ray.data").setLevel(logging.WARNING)  # its INFO lines (plans, log paths) would bury ours
    if ray.is_initialized():
        return False
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    if address:
        ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING)
    else:
        ray.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
    return True


def run(args, warn: Callable[[str], None], err=None) -> int:
    """``sourcetag predict --engine ray`` with the parsed arguments of :func:`sourcetag.commands.predict.build_parser`."""
    err = err if err is not None else sys.stderr
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as e:
        raise SourcetagError("the ray engine needs Ray: pip install 'sourcetag[ray]'") from e
    from ..formats.outputs import default_model_dir
    from ..formats.profiles import profile_table
    from ..formats.readers import ReadStats
    from ..formats.stream import model_fingerprint
    from ..model.tagger import resolve_device

    if args.html or (args.output_format or "jsonl") == "csv":
        raise OutputError("the ray engine writes JSONL or Parquet rows; for CSV or --html use --engine local "
                          "(or 'sourcetag view' on the output)")
    kind, target, suffix = _output_layout(args.output)
    profile_path = Path(args.profile) if args.profile else None
    for p in ([target] if kind == "file" else []) + ([profile_path] if profile_path else []):
        if p.exists() and not args.force:
            raise OutputError(f"{p} exists; pass --force to overwrite it")
    tmp_root = None
    if kind == "dir":
        out_dir = target
    elif kind == "file":
        out_dir = target.parent / f".{target.name}.ray"
    else:
        tmp_root = Path(tempfile.mkdtemp(prefix="sourcetag-ray-"))
        out_dir = tmp_root / "shards"
    model = Path(args.model).resolve() if args.model else default_model_dir().resolve()
    device = str(resolve_device(args.device))
    gpu = device.startswith("cuda")
    options = {"inputs": [str(Path(i).resolve()) for i in args.inputs], "input_format": args.input_format,
               "shard_format": suffix, "model": str(model), "model_metadata": model_fingerprint(str(model)),
               "precision": args.precision, "device": args.device, "batch_size": args.batch_size,
               "review_threshold": args.review_threshold, "max_article_chars": args.max_article_chars,
               "chunk_chars": args.chunk_chars, "shard_articles": args.shard_articles, "skip_bad": args.skip_bad}
    run_file = out_dir / STATE / "run.json"
    if out_dir.exists() and any(out_dir.iterdir()):
        if args.force:
            if kind == "dir" and not run_file.is_file():
                raise OutputError(f"{out_dir}: a directory that is not a ray engine output; refusing to empty it")
            shutil.rmtree(out_dir)
        elif not run_file.is_file():
            raise OutputError(f"{out_dir}: not empty, and not the output of a ray engine run")
        elif not args.resume:
            raise OutputError(f"{out_dir}: holds the shards of an earlier run; add --resume to continue it, or "
                              "--force to start again")
        else:
            try:
                saved = json.loads(run_file.read_text(encoding="utf-8"))["options"]
            except (OSError, ValueError, KeyError, TypeError) as e:
                raise OutputError(f"{out_dir}: not a ray engine output that can be resumed ({e})") from e
            changed = [k for k in sorted(set(saved) | set(options)) if saved.get(k) != options.get(k)]
            if changed:
                k = changed[0]
                raise OutputError(f"{out_dir}: the earlier run used other options ({k}: {saved.get(k)!r}, now "
                                  f"{options.get(k)!r}); resume with the same ones, or --force to start again")
    (out_dir / STATE).mkdir(parents=True, exist_ok=True)
    _write_atomic(run_file, lambda p: p.write_text(json.dumps({"version": 1, "options": options}, indent=1) + "\n",
                                                 encoding="utf-8"))

    stats = ReadStats()
    articles = located_articles(args.inputs, args.input_format, args.skip_bad, warn, args.max_article_chars, stats)
    plans = list(plan_shards(articles, args.shard_articles, args.chunk_chars))
    if not plans:
        raise InputError("no articles to label")
    todo = [p for p in plans if not shard_done(out_dir, p)]
    if len(todo) < len(plans) and not args.quiet:
        warn(f"resuming: {len(plans) - len(todo)} of {len(plans)} shards already written")
    # ids must be unique over the whole output, as in the local engine (a pre-split row's id can equal one made
    # for a split article): the ids of shards written earlier are read back from their data
    row_ids: dict[str, str] = {}
    done_articles = done_sentences = 0
    todo_names = {p["shard"] for p in todo}
    for p in plans:
        if p["shard"] not in todo_names:
            marker = json.loads((out_dir / STATE / f"{p['shard']}.json").read_text(encoding="utf-8"))
            done_articles += marker["articles"]
            done_sentences += marker["sentences"]
            for rid in _shard_ids(out_dir / f"{p['shard']}{suffix}"):
                row_ids[rid] = p["shard"]
    show = _progress(err, args.quiet)
    started = _start_ray(args.ray_address, max(args.workers * args.cpus_per_worker, os.cpu_count() or 1))
    try:
        if todo:
            from ray.data import ActorPoolStrategy, DataContext

            ctx = DataContext.get_current()
            ctx.enable_progress_bars = False
            ctx.execution_options.preserve_order = False
            ds = ray.data.from_items([{"plan": json.dumps(p)} for p in todo], override_num_blocks=len(todo))
            tagger_kwargs = {"path": str(model), "device": args.device, "precision": args.precision,
                             "batch_size": args.batch_size, "review_threshold": args.review_threshold,
                             "max_article_chars": args.max_article_chars}
            resources = {"num_gpus": 1} if gpu else {"num_cpus": args.cpus_per_worker}
            labelled = ds.map_batches(
                ShardLabeler, batch_size=1, batch_format="numpy",
                compute=ActorPoolStrategy(size=min(args.workers, len(todo))),
                fn_constructor_kwargs={"out_dir": str(out_dir.resolve()), "shard_format": suffix,
                                       "tagger_kwargs": tagger_kwargs, "input_format": args.input_format,
                                       "max_chars": args.max_article_chars,
                                       "threads": None if gpu else args.cpus_per_worker},
                **resources)
            n_done = len(plans) - len(todo)
            show(n_done, len(plans), done_articles, done_sentences)
            for res in labelled.iter_rows():
                n_done += 1
                done_articles += int(res["articles"])
                done_sentences += int(res["sentences"])
                for rid in json.loads(res["ids"]):
                    if rid in row_ids:
                        raise InputError(f"duplicate sentence id {rid!r} (shards {row_ids[rid]} and {res['shard']})")
                    row_ids[rid] = str(res["shard"])
                show(n_done, len(plans), done_articles, done_sentences)
        show(len(plans), len(plans), done_articles, done_sentences, final=True)
    finally:
        if started:
            ray.shutdown()
    if args.input_format == "auto" and not args.quiet and stats.formats:
        warn("input format: " + ", ".join(f"{k} ({v} file{'s' if v > 1 else ''})" for k, v in stats.formats.items()))
    names = [p["shard"] for p in plans]
    labels = json.loads((out_dir / STATE / f"{names[0]}.json").read_text(encoding="utf-8"))["labels"]
    if profile_path is not None:
        _write_atomic(profile_path, lambda p: _concat([out_dir / STATE / f"{n}.profiles.jsonl" for n in names], p))
    table = ""
    if not args.quiet:
        first: list[dict] = []
        for n in names:
            with open(out_dir / STATE / f"{n}.profiles.jsonl", encoding="utf-8") as f:
                first += [json.loads(line) for line in itertools.islice(f, 20 - len(first))]
            if len(first) >= 20:
                break
        table = profile_table(first, labels, total=done_articles)
    shards = [out_dir / f"{n}{suffix}" for n in names]
    if kind == "file":
        _write_atomic(target, lambda p: _join(shards, p, suffix, labels))
        shutil.rmtree(out_dir)
    elif kind == "stdout":
        try:
            if suffix == PARQUET:
                raise OutputError("Parquet output needs -o")
            for s in shards:
                with open(s, encoding="utf-8") as f:
                    shutil.copyfileobj(f, sys.stdout)
            sys.stdout.flush()
        finally:
            shutil.rmtree(tmp_root, ignore_errors=True)
    if not args.quiet:
        print(table, file=err)
        where = f" to {target}" if target else ""
        print(f"labelled {done_sentences} sentences in {done_articles} articles{where} ({len(plans)} shards)"
              + (f"; skipped {len(stats.skipped)} bad input(s)" if stats.skipped else ""), file=err)
    return 0


def _shard_ids(path: Path) -> list[str]:
    if path.suffix == PARQUET:
        import pyarrow.parquet as pq

        return [str(i) for i in pq.read_table(path, columns=["id"]).column("id").to_pylist()]
    with open(path, encoding="utf-8") as f:
        return [str(json.loads(line)["id"]) for line in f]


def _concat(parts: list[Path], dst: Path) -> None:
    with open(dst, "wb") as out:
        for part in parts:
            with open(part, "rb") as f:
                shutil.copyfileobj(f, out)


def _join(shards: list[Path], dst: Path, suffix: str, labels) -> None:
    """The shards in order as one file: JSONL bytes concatenated, or one Parquet file with a row group or more
    per shard (read one shard at a time: memory stays flat)."""
    if suffix != PARQUET:
        _concat(shards, dst)
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
