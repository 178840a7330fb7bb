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

Modules: :mod:`.shards` (reading and planning), :mod:`.ray_actor` (the actor), :mod:`.shard_io` (Parquet rows,
markers, joining, reading an output back) and this one (the run on the driver).
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ..model.errors import InputError, OutputError, SourcetagError
from .ray_actor import ShardLabeler
from .shard_io import (
    STATE,
    concat,
    join,
    read_output,
    rows_to_table,
    shard_done,
    shard_ids,
    table_rows,
    write_atomic,
)
from .shards import PARQUET, SHARD_ARTICLES, located_articles, plan_shards, read_shard

__all__ = ["PARQUET", "SHARD_ARTICLES", "STATE", "ShardLabeler", "located_articles", "plan_shards", "read_output",
           "read_shard", "rows_to_table", "run", "table_rows"]


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
    write_atomic(run_file, lambda p: p.write_text(json.dumps({"version": 1, "options": options}, indent=1) + "\n",
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
            for rid in shard_ids(out_dir / f"{p['shard']}{suffix}"):
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
        write_atomic(profile_path, lambda p: concat([out_dir / STATE / f"{n}.profiles.jsonl" for n in names], p))
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
        write_atomic(target, lambda p: join(shards, p, suffix, labels))
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
