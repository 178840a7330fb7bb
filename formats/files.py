"""Writing files and directories whole: atomic replacement, staged directories, and checks that a location can be
written before hours of work go into it. Every error is an :class:`~sourcetag.model.errors.OutputError` naming the path.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..model.errors import OutputError, reason


def write_text_atomic(path: str | Path, text: str, force: bool = True) -> None:
    """Write ``text`` to a temporary file beside ``path`` and rename it into place (no partial output).

    :class:`OutputError` naming ``path`` when it exists and ``force`` is false, or when it cannot be written
    (read-only file system, disk full, permission denied).
    """
    path = Path(path)
    if path.exists() and not force:
        raise OutputError(f"{path} exists", option="force")
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Not tempfile.mkstemp: it creates files 0600 whatever the umask. Created with 0666, the umask applies as for
        # any new file; a file being replaced keeps its own mode.
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            mode = None
        while tmp is None:
            candidate = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
            try:
                fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
                tmp = candidate
            except FileExistsError:
                continue
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException as e:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise OutputError(f"{path}: cannot write ({reason(e)})") from e
        raise


@contextmanager
def staged_directory(path: str | Path) -> Iterator[Path]:
    """A new empty directory beside ``path`` to fill; it becomes ``path`` (replacing an older one) when the block
    ends, and is removed when the block fails or is interrupted, so ``path`` never holds half a result."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o777 & ~umask)  # mkdtemp makes it private; the result gets the modes of any new directory
    except OSError as e:
        raise OutputError(f"{path}: cannot write ({reason(e)})") from e
    try:
        yield tmp
        if path.exists():
            old = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".old"))
            os.replace(path, old / path.name)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except OSError as e:
        raise OutputError(f"{path}: cannot write ({reason(e)})") from e
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check_parents(path: str | Path) -> None:
    """:class:`OutputError` when a file stands where one of ``path``'s directories should be (writes nothing)."""
    path = Path(path)
    blocking = next((p for p in path.parents if p.exists()), None)
    if blocking is not None and not blocking.is_dir():
        raise OutputError(f"{path}: cannot write ({blocking} is not a directory)")


def check_writable(path: str | Path) -> None:
    """:class:`OutputError` now, rather than after hours of work, when ``path``'s directory cannot take a new file
    (it is created if missing; nothing is left in it)."""
    path = Path(path)
    check_parents(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path.parent):
            pass
    except OSError as e:
        raise OutputError(f"{path}: cannot write ({reason(e)})") from e


def write_jsonl_atomic(path: str | Path, records: Iterable[dict], force: bool = True) -> None:
    """Write JSON lines atomically (see :func:`write_text_atomic`)."""
    write_text_atomic(path, "".join(json.dumps(rec, ensure_ascii=False) + "\n" for rec in records), force)


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
