"""sourcetag's one error family: everything a user can get wrong is a :class:`SourcetagError`.

A message is one line that names the file (and the line, where there is one) and what is wrong with it. It never
names a command-line flag, because the library is used without the command too: where a setting changes the
outcome, its name is in :attr:`SourcetagError.option` and the ``sourcetag`` command shows it as a flag. The
command prints each of these as one line on stderr and exits 1 (2 for a :class:`ConfigError`); anything else is a
bug and keeps its traceback.
"""

from __future__ import annotations


class SourcetagError(Exception):
    """A user error: bad data, inputs, model, configuration or output location.

    ``option`` names the setting (a config field or keyword argument, e.g. ``"force"``) that resolves it, if any.
    """

    exit_code = 1

    def __init__(self, message: str, option: str | None = None):
        super().__init__(message)
        self.option = option


class DataError(SourcetagError, ValueError):
    """Bad labelled data (training, evaluation, corpus files); the message names the file and line."""


class InputError(SourcetagError, ValueError):
    """A bad article to label (unreadable, empty, binary, malformed, too long); names the file and line."""


class ModelError(SourcetagError, RuntimeError):
    """The model directory is missing, incomplete, unsafe to load or not a sourcetag model."""


class OutputError(SourcetagError):
    """An output location that cannot or must not be written: unwritable, full, or holding earlier results."""


class ConfigError(SourcetagError, ValueError):
    """A configuration file that cannot be read or holds unknown settings (a usage error: exit code 2)."""

    exit_code = 2


def reason(e: OSError) -> str:
    """The operating system's words for an OS error ("Read-only file system", "No space left on device")."""
    return e.strerror or str(e) or type(e).__name__
