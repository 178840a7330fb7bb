"""The partial output of ``sourcetag predict``: rows written as they are labelled, and what lets a run resume.

With ``-o OUT``, a hidden directory ``.OUT.partial/`` beside ``OUT`` holds:

- ``run.json``: the options of the run; a resumed run must use the same ones;
- ``rows.jsonl`` and ``profiles.jsonl``: the labelled rows and article profiles so far;
- ``progress.jsonl``: one line per finished chunk of articles, with the fingerprints of its articles and the
  sizes of the two data files after it.

A chunk is done once its progress line is complete. Resuming truncates the data files to the sizes that the last
complete line records, so rows of a chunk that was cut short (Ctrl-C, SIGKILL, power loss: every write is synced
before its progress line) are dropped and labelled again, and no article is written twice or lost. Only the
finished run puts ``OUT`` (and the profile file) in place, each renamed whole. Without ``-o`` the same files live
in a temporary directory and the rows go to standard output at the end.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from ..model.errors import OutputError, SourcetagError, reason
from .csv_output import jsonl_to_csv

ROWS, PROFILES, PROGRESS, RUN = "rows.jsonl", "profiles.jsonl", "progress.jsonl", "run.json"


def partial_dir(out: Path) -> Path:
    return out.parent / f".{out.name}.partial"


def _write(f: BinaryIO, data: bytes) -> None:
    """Append and sync (one place, so that a test can make the disk full)."""
    f.write(data)
    f.flush()
    os.fsync(f.fileno())


class PartialOutput:
    """Rows and profiles of one prediction run, written chunk by chunk; see the module docstring."""

    def __init__(self, out: Path | None, options: dict, resume: bool = False, force: bool = False):
        self.out = out
        self.options = options
        self.done: list[str] = []  # fingerprints of the articles labelled, in input order
        self.sentences = 0
        self.labels: list[str] | None = None
        self.resumed = 0
        self._files: dict[str, BinaryIO] = {}
        if out is None:
            self.dir = Path(tempfile.mkdtemp(prefix="sourcetag-predict-"))
            self._start()
            return
        self.dir = partial_dir(out)
        if self.dir.exists() and resume:
            self._load()
        elif self.dir.exists() and not force:
            n = sum(len(r["articles"]) for r in self._read_progress()[0]) if (self.dir / PROGRESS).is_file() else 0
            raise OutputError(f"{out}: an interrupted run left its partial output in {self.dir} ({n} articles "
                              "labelled); add --resume to continue it, or --force to start again")
        else:
            if self.dir.exists():
                shutil.rmtree(self.dir)
            self._start()

    # -- set-up --------------------------------------------------------------------------------------------
    def _fail(self, e: OSError, path: Path | None = None) -> OutputError:
        return OutputError(f"{path or self.out or '<stdout>'}: cannot write ({reason(e)})")

    def _start(self) -> None:
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            (self.dir / RUN).write_text(json.dumps({"version": 1, "options": self.options}, indent=1) + "\n",
                                        encoding="utf-8")
            for name in (ROWS, PROFILES, PROGRESS):
                self._files[name] = open(self.dir / name, "wb")
        except OSError as e:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise self._fail(e) from e

    def _read_progress(self) -> tuple[list[dict], int]:
        """The complete progress records and the byte length they take (a torn last line is left out)."""
        records, size = [], 0
        with open(self.dir / PROGRESS, "rb") as f:
            for line in f:
                if not line.endswith(b"\n"):
                    break
                try:
                    records.append(json.loads(line))
                except ValueError:
                    break
                size += len(line)
        return records, size

    def _load(self) -> None:
        try:
            saved = json.loads((self.dir / RUN).read_text(encoding="utf-8"))["options"]
            records, size = self._read_progress()
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise OutputError(f"{self.dir}: not a partial output that can be resumed ({e}); --force starts "
                              "again") from e
        changed = [k for k in sorted(set(saved) | set(self.options)) if saved.get(k) != self.options.get(k)]
        if changed:
            k = changed[0]
            raise OutputError(f"{self.out}: the interrupted run used other options ({k}: {saved.get(k)!r}, now "
                              f"{self.options.get(k)!r}); resume with the same ones, or --force to start again")
        last = records[-1] if records else {"rows": 0, "profiles": 0}
        try:
            for name, key in ((ROWS, "rows"), (PROFILES, "profiles"), (PROGRESS, None)):
                f = open(self.dir / name, "r+b")
                f.truncate(size if key is None else last[key])  # drop what a cut-short chunk wrote
                f.seek(0, os.SEEK_END)
                self._files[name] = f
        except OSError as e:
            self.close()
            raise OutputError(f"{self.dir}: cannot resume ({reason(e)}); --force starts again") from e
        for r in records:
            self.done += r["articles"]
            self.sentences += r["sentences"]
            self.labels = r["labels"]
        self.resumed = len(self.done)

    # -- writing -------------------------------------------------------------------------------------------
    def commit(self, fingerprints: list[str], rows: str, profiles: str, sentences: int, labels) -> None:
        """Write one labelled chunk; it counts as done once its progress line is written."""
        f_rows, f_prof, f_prog = (self._files[n] for n in (ROWS, PROFILES, PROGRESS))
        try:
            _write(f_rows, rows.encode("utf-8"))
            _write(f_prof, profiles.encode("utf-8"))
            record = {"articles": fingerprints, "sentences": sentences, "rows": f_rows.tell(),
                      "profiles": f_prof.tell(), "labels": list(labels)}
            _write(f_prog, (json.dumps(record) + "\n").encode("utf-8"))
        except OSError as e:
            raise self._fail(e) from e
        self.done += fingerprints
        self.sentences += sentences
        self.labels = list(labels)

    @property
    def rows_path(self) -> Path:
        """The JSONL rows written so far."""
        return self.dir / ROWS

    def row_ids(self) -> list[str]:
        """The ids of the rows written so far (an earlier run's, when resumed)."""
        with open(self.dir / ROWS, encoding="utf-8") as f:
            return [str(json.loads(line)["id"]) for line in f]

    def first_profiles(self, n: int) -> list[dict]:
        out = []
        with open(self.dir / PROFILES, encoding="utf-8") as f:
            for line in f:
                if len(out) == n:
                    break
                out.append(json.loads(line))
        return out

    def finish(self, fmt: str, profile: Path | None, stdout=None) -> None:
        """Put the finished output in place: ``OUT`` (or ``stdout``) and the profile file, each whole."""
        self.close()
        rows = self.dir / ROWS
        try:
            if fmt == "csv":
                rows = jsonl_to_csv(rows, self.dir / "rows.csv", self.labels or [])
            if profile is not None:
                _install(self.dir / PROFILES, profile)
        except OSError as e:
            raise self._fail(e, profile) from e
        try:
            if self.out is None:
                with open(rows, encoding="utf-8", newline="") as f:
                    shutil.copyfileobj(f, stdout)
                stdout.flush()
            else:
                os.replace(rows, self.out)  # the same directory: atomic
        except OSError as e:
            if self.out is None:  # what is left in stdout's buffer would fail again, and loudly, at exit
                _to_devnull(stdout)
            if isinstance(e, BrokenPipeError):
                raise
            raise self._fail(e) from e
        self.discard()

    # -- ending --------------------------------------------------------------------------------------------
    def close(self) -> None:
        for f in self._files.values():
            f.close()
        self._files = {}

    def discard(self) -> None:
        self.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    @contextmanager
    def kept_on_failure(self) -> Iterator[None]:
        """A block that writes this run: when it fails, what a later resume needs is kept, and the rest removed.

        A run that labelled something keeps it, like an interrupted one: once the cause is fixed (a full disk, a bad
        file further on), a resumed run continues instead of starting again; a :class:`SourcetagError` then says
        so. A run that cannot be resumed leaves nothing.
        """
        try:
            yield
        except SourcetagError as e:
            if not self.resumable:
                self.discard()
                raise
            self.close()
            if len(self.done) == self.resumed:
                raise
            raise type(e)(f"{e}; what was labelled ({count_articles(len(self.done))}) is kept for --resume",
                          option=e.option) from e
        except BaseException:
            self.close() if self.resumable else self.discard()
            raise

    @property
    def resumable(self) -> bool:
        """Whether a later ``--resume`` can continue from here (an output file, and at least one chunk done)."""
        return self.out is not None and bool(self.done)


def _to_devnull(stream) -> None:
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file: nothing to silence
        pass


def _install(src: Path, dst: Path) -> None:
    """Rename ``src`` to ``dst``; across file systems, copy it to a new file beside ``dst`` and rename that."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(src, dst)
        return
    except OSError as e:
        if e.errno != errno.EXDEV:
            raise
    tmp = dst.parent / f".{dst.name}.{os.getpid()}.tmp"
    try:
        with open(src, "rb") as f, open(tmp, "wb") as g:
            shutil.copyfileobj(f, g)
        os.replace(tmp, dst)
    finally:
        tmp.unlink(missing_ok=True)


def count_articles(n: int) -> str:
    return f"{n} article{'' if n == 1 else 's'}"
