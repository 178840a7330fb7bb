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
    from .model.errors import ConfigError, reason

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
            from .model.errors import ConfigError

            raise ConfigError(f"{cfg_path}: unknown config keys {unknown}")
        # as strings, so that argparse converts and checks them like the same values given as flags
        parser.set_defaults(**{k: v if v is None else str(v) for k, v in cfg.items()})
    try:
        model_args, data_args, train_args, _extra = parser.parse_args_into_dataclasses(argv)
    except ValueError as e:
        print(f"sourcetag train: {e}", file=sys.stderr)
        return 2
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # the training bars stay: training is long
    if not sys.stderr.isatty():  # transformers' own bars (loading weights, writing shards) only litter logs
        hf_logging.disable_progress_bar()
    from .training.outputs import complete_checkpoints
    from .training.train import train

    def one_line(message, category, filename, lineno, file=None, line=None):
        print(f"sourcetag train: warning: {message}", file=sys.stderr)

    try:
        with warnings.catch_warnings():
            warnings.showwarning = one_line
            train(model_args, data_args, train_args, command_line=["sourcetag", "train", *argv])
    except KeyboardInterrupt:
        resumable = complete_checkpoints(Path(train_args.output_dir))
        print("sourcetag train: interrupted" + ("; --resume-from last continues from the last checkpoint"
                                                 if resumable else ""), file=sys.stderr)
        return 130
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


def _error_line(prog: str, e: BaseException) -> str:
    from .model.errors import SourcetagError, reason

    if isinstance(e, SourcetagError):
        msg = str(e) + (f"; see --{e.option.replace('_', '-')}" if e.option else "")
    else:  # OSError
        msg = f"{e.filename}: {reason(e)}" if getattr(e, "filename", None) else reason(e)
    return f"{prog}: " + " ".join(msg.split("\n"))


def run_command(name: str, argv: list[str]) -> int:
    """Run one command; every user error ends as one line on stderr and an exit code, never a traceback.

    1: bad data, inputs, model or output location (:class:`~sourcetag.model.errors.SourcetagError`, or an
    operating-system error such as a full disk); 2: usage (bad flags or config file); 130: interrupted (Ctrl-C).
    """
    from .model.errors import SourcetagError

    prog = f"sourcetag {name}"
    try:
        return COMMANDS[name][0](argv)
    except SourcetagError as e:
        print(_error_line(prog, e), file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader of standard output went away (e.g. `| head`): nothing left to say
        return 1
    except OSError as e:  # a location the system refuses: read-only file system, disk full, permission denied
        print(_error_line(prog, e), file=sys.stderr)
        return 1


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
    return run_command(argv[0], argv[1:])
