"""The ``sourcetag`` command: dispatch to one of :data:`~sourcetag.commands.COMMANDS`, each a thin layer over the
library (:mod:`sourcetag.commands`), and turn every user error into one line on stderr and an exit code."""

from __future__ import annotations

import sys
from importlib import import_module

from . import __version__
from .commands import COMMANDS


def _command(name: str):
    return import_module(f".commands.{name}", __package__)


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
        command = _command(name)
        return command.run(command.parse(argv))
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
        for name in COMMANDS:
            print(f"  {name:<10}{_command(name).HELP}")
        print("\nRun 'sourcetag COMMAND --help' for a command's options.")
        return 0 if argv else 2
    if argv[0] == "--version":
        print(__version__)
        return 0
    if argv[0] not in COMMANDS:
        print(f"sourcetag: unknown command {argv[0]!r}; choose from {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    return run_command(argv[0], argv[1:])
