"""``sourcetag train``: fine-tune a model on labelled sentences (:func:`sourcetag.training.train.train`)."""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

from ..model.errors import ConfigError, reason

HELP = "fine-tune a model on labelled sentences"


def load_config_file(path: str) -> dict:
    """Flat or sectioned JSON/TOML config; sections are the dataclass names or anything else (flattened)."""
    p = Path(path)
    try:
        if p.suffix == ".toml":
            import tomllib

            data = tomllib.loads(p.read_text(encoding="utf-8"))
        else:
            data = json.loads(p.read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(f"{path}: cannot read config ({reason(e)})") from e
    except ValueError as e:  # JSON and TOML syntax errors, non-UTF-8 bytes
        raise ConfigError(f"{path}: cannot read config ({e})") from e
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a config file holds keys and values, not a {type(data).__name__}")
    flat: dict = {}
    for k, v in data.items():
        if isinstance(v, dict):
            flat.update(v)
        else:
            flat[k] = v
    for k, v in flat.items():
        if isinstance(v, dict | list):
            raise ConfigError(f"{path}: {k} must be a single value, not a {type(v).__name__}")
    return flat


def parse(argv: list[str]) -> argparse.Namespace:
    """The three argument dataclasses (``model``, ``data``, ``train``), flags over ``--config`` over defaults."""
    from transformers import HfArgumentParser

    from ..training.config import CONFIG_CLASSES

    parser = HfArgumentParser(CONFIG_CLASSES, prog="sourcetag train",
                              description="Fine-tune a transformer on labelled sentence JSONL.")
    parser.add_argument("--config", help="JSON or TOML file of defaults (flags override it).")
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--config")
    cfg_path = pre.parse_known_args(argv)[0].config
    if cfg_path:
        cfg = load_config_file(cfg_path)
        known = {a.dest for a in parser._actions}
        unknown = sorted(set(cfg) - known)
        if unknown:
            raise ConfigError(f"{cfg_path}: unknown config keys {unknown}")
        # as strings, so that argparse converts and checks them like the same values given as flags
        parser.set_defaults(**{k: v if v is None else str(v) for k, v in cfg.items()})
    try:
        model_args, data_args, train_args, _extra = parser.parse_args_into_dataclasses(argv)
    except ValueError as e:  # a value the dataclasses refuse: a usage error like a bad flag
        raise ConfigError(str(e)) from e
    return argparse.Namespace(model=model_args, data=data_args, train=train_args, argv=list(argv))


def run(args: argparse.Namespace) -> int:
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # the training bars stay: training is long
    if not sys.stderr.isatty():  # transformers' own bars (loading weights, writing shards) only litter logs
        hf_logging.disable_progress_bar()
    from ..training.outputs import complete_checkpoints
    from ..training.train import train

    def one_line(message, category, filename, lineno, file=None, line=None):
        print(f"sourcetag train: warning: {message}", file=sys.stderr)

    try:
        with warnings.catch_warnings():
            warnings.showwarning = one_line
            train(args.model, args.data, args.train, command_line=["sourcetag", "train", *args.argv])
    except KeyboardInterrupt:
        resumable = complete_checkpoints(Path(args.train.output_dir))
        print("sourcetag train: interrupted" + ("; --resume-from last continues from the last checkpoint"
                                                 if resumable else ""), file=sys.stderr)
        return 130
    return 0
