"""The ``--engine`` options of ``sourcetag predict`` and the hand-over to an engine other than the local one.

Kept apart from the command itself so that the command needs only two calls: :func:`add_engine_options` when it
builds its parser, :func:`run_engine` when ``--engine`` is not ``local`` (and :func:`check_local` when it is).
Ray is imported only by a Ray run.
"""

from __future__ import annotations

import argparse

from ..commands.common import positive_int

ENGINES = ("local", "ray")


def add_engine_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("engine", "where the labelling runs (see the README, 'Prediction at scale')")
    g.add_argument("--engine", choices=ENGINES, default="local",
                   help="local: this process (default); ray: a Ray cluster with Ray Data, output written as shards "
                        "(needs the 'ray' extra)")
    g.add_argument("--ray-address", metavar="ADDR",
                   help="the Ray cluster to join (e.g. ray://head:10001 or auto); default: start a local Ray")
    g.add_argument("--workers", type=positive_int, default=None, metavar="N",
                   help="ray: model actors (each loads the model once; one GPU each with --device cuda); "
                        "default: 1 per GPU with --device cuda, else 2")
    g.add_argument("--cpus-per-worker", type=positive_int, default=1, metavar="N",
                   help="ray, CPU workers: CPUs (and torch threads) per actor (default 1)")
    g.add_argument("--shard-articles", type=positive_int, default=None, metavar="N",
                   help="ray: articles per shard, the unit of work, of output files and of resumption (default 500)")


def run_engine(args: argparse.Namespace, warn) -> int:
    if args.engine == "ray":
        from .ray_engine import SHARD_ARTICLES, run

        if args.shard_articles is None:
            args.shard_articles = SHARD_ARTICLES
        if args.workers is None:
            args.workers = _default_workers(args.device)
        return run(args, warn)
    raise ValueError(f"unknown engine {args.engine!r}")  # the parser's choices keep it out


def _default_workers(device: str) -> int:
    if device.startswith("cuda"):
        import torch

        return max(1, torch.cuda.device_count())
    return 2


def check_local(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    """The Ray-only options are refused with the local engine, so that a forgotten ``--engine ray`` is not silent."""
    for opt in ("ray_address", "workers", "shard_articles"):
        if getattr(args, opt) is not None:
            parser.error(f"--{opt.replace('_', '-')} needs --engine ray")
