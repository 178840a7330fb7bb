"""The ``sourcetag`` command: ``train``, ``evaluate``, ``predict``, ``view``. Each is a thin layer over the library."""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

from . import __version__


def _load_config_file(path: str) -> dict:
    """Flat or sectioned JSON/TOML config; sections are the dataclass names or anything else (flattened)."""
    p = Path(path)
    try:
        if p.suffix == ".toml":
            import tomllib

            data = tomllib.loads(p.read_text(encoding="utf-8"))
        else:
            data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise SystemExit(f"sourcetag: {path}: cannot read config ({e})") from e
    flat: dict = {}
    for k, v in data.items():
        if isinstance(v, dict):
            flat.update(v)
        else:
            flat[k] = v
    return flat


def cmd_train(argv: list[str]) -> int:
    from transformers import HfArgumentParser

    from .training.config import CONFIG_CLASSES

    parser = HfArgumentParser(CONFIG_CLASSES, prog="sourcetag train",
                              description="Fine-tune a transformer on labelled sentence JSONL.")
    parser.add_argument("--config", help="JSON or TOML file of defaults (flags override it).")
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--config")
    cfg_path = pre.parse_known_args(argv)[0].config
    if cfg_path:
        cfg = _load_config_file(cfg_path)
        known = {a.dest for a in parser._actions}
        unknown = sorted(set(cfg) - known)
        if unknown:
            raise SystemExit(f"sourcetag: {cfg_path}: unknown config keys {unknown}")
        parser.set_defaults(**cfg)
    try:
        model_args, data_args, train_args, _extra = parser.parse_args_into_dataclasses(argv)
    except ValueError as e:
        print(f"sourcetag train: {e}", file=sys.stderr)
        return 2
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # the training bars stay: training is long
    if not sys.stderr.isatty():  # transformers' own bars (loading weights, writing shards) only litter logs
        hf_logging.disable_progress_bar()
    from .model.records import DataError
    from .training.train import OutputDirError, train

    def one_line(message, category, filename, lineno, file=None, line=None):
        print(f"sourcetag train: warning: {message}", file=sys.stderr)

    try:
        with warnings.catch_warnings():
            warnings.showwarning = one_line
            train(model_args, data_args, train_args, command_line=["sourcetag", "train", *argv])
    except (DataError, OutputDirError, FileNotFoundError) as e:
        print(f"sourcetag train: {e}", file=sys.stderr)
        return 1
    return 0


def _quiet_transformers() -> None:
    """Commands print their own progress; transformers' weight-loading bars and warnings are noise there."""
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


def cmd_evaluate(argv: list[str]) -> int:
    from .eval.cli import main as eval_main

    _quiet_transformers()
    return eval_main(argv)


def cmd_predict(argv: list[str]) -> int:
    from .predict import main as predict_main

    _quiet_transformers()
    return predict_main(argv)


def cmd_view(argv: list[str]) -> int:
    from .view import main as view_main

    return view_main(argv)


COMMANDS = {
    "train": (cmd_train, "fine-tune a model on labelled sentences"),
    "evaluate": (cmd_evaluate, "report a model's quality against baselines"),
    "predict": (cmd_predict, "label the sentences of new articles"),
    "view": (cmd_view, "an HTML page of predictions, every sentence highlighted by its label"),
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(f"usage: sourcetag {{{','.join(COMMANDS)}}} ...\n\nsourcetag {__version__}: label news sentences by "
              "how their claims are sourced.\n\ncommands:")
        for name, (_, help_) in COMMANDS.items():
            print(f"  {name:<10}{help_}")
        print("\nRun 'sourcetag COMMAND --help' for a command's options.")
        return 0 if argv else 2
    if argv[0] == "--version":
        print(__version__)
        return 0
    if argv[0] not in COMMANDS:
        print(f"sourcetag: unknown command {argv[0]!r}; choose from {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    return COMMANDS[argv[0]][0](argv[1:])
