"""Read articles for ``sourcetag predict``: files, directories (walked recursively) and standard input.

Every problem is an :class:`InputError` whose message names the file (and line). :func:`iter_inputs` yields one
article at a time and reads JSONL files one line at a time (:mod:`sourcetag.formats.articles`), so memory does not
grow with the number of articles or the size of a file.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from ..model.errors import InputError, reason
from ..model.limits import MAX_ARTICLE_CHARS
from .articles import Article, read_stream


def expand_inputs(inputs: list[str]) -> list[tuple[str, Path | None]]:
    """Input names in order: files as given, directories walked recursively (sorted, hidden files skipped)."""
    out: list[tuple[str, Path | None]] = []
    for item in inputs:
        if item == "-":
            out.append(("<stdin>", None))
            continue
        p = Path(item)
        if p.is_dir():
            files = sorted(f for f in p.rglob("*") if f.is_file()
                           and not any(part.startswith(".") for part in f.relative_to(p).parts))
            if not files:
                raise InputError(f"{p}: directory has no files")
            out.extend((str(f), f) for f in files)
        elif p.is_file():
            out.append((str(p), p))
        else:
            raise InputError(f"{p}: no such file or directory")
    return out


def article_id_for(name: str, path: Path | None, roots: list[str]) -> str:
    """A readable id: the path relative to the input directory, without its suffix."""
    if path is None:
        return "stdin"
    for r in roots:
        rp = Path(r)
        if rp.is_dir():
            try:
                return str(path.relative_to(rp).with_suffix(""))
            except ValueError:
                pass
    return path.stem


@dataclass
class ReadStats:
    """What :func:`iter_inputs` has read so far: files per format, and the bad inputs it skipped."""

    formats: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


def _open(path: Path | None) -> BinaryIO:
    if path is not None:
        return path.open("rb")
    spool = tempfile.TemporaryFile()  # standard input, copied so that it can be checked and then read again
    shutil.copyfileobj(sys.stdin.buffer, spool, 1 << 20)
    spool.seek(0)
    return spool


def iter_inputs(inputs: list[str], fmt: str, skip_bad: bool, warn: Callable[[str], None],
                max_chars: int = MAX_ARTICLE_CHARS, stats: ReadStats | None = None) -> Iterator[Article]:
    """The articles of all inputs in order, one at a time, with unique ids (:func:`unique_ids`). A bad input raises
    :class:`InputError` before any of its articles is yielded, or with ``skip_bad`` is reported through ``warn``,
    noted in ``stats`` and skipped."""
    stats = stats if stats is not None else ReadStats()
    return unique_ids(_file_articles(inputs, fmt, skip_bad, warn, max_chars, stats), skip_bad, stats, warn)


def skip_or_raise(e: InputError, skip_bad: bool, stats: ReadStats, warn: Callable[[str], None]) -> None:
    """With ``skip_bad`` a bad input is recorded and reported; otherwise its error stands."""
    if not skip_bad:
        raise e
    stats.skipped.append(str(e))
    warn(f"skipped: {e}")


def _file_articles(inputs: list[str], fmt: str, skip_bad: bool, warn: Callable[[str], None], max_chars: int,
                   stats: ReadStats) -> Iterator[Article]:
    for name, path in expand_inputs(inputs):
        try:
            with _open(path) as stream:
                try:
                    used, articles = read_stream(name, stream, fmt, article_id_for(name, path, inputs), max_chars)
                except InputError as e:
                    skip_or_raise(e, skip_bad, stats, warn)
                    continue
                stats.formats[used] = stats.formats.get(used, 0) + 1
                yield from articles
        except OSError as e:
            raise InputError(f"{name}: cannot read ({reason(e)})") from e


def unique_ids(articles: Iterable[Article], skip_bad: bool, stats: ReadStats, warn) -> Iterator[Article]:
    """Articles whose ids, and whose sentences' ids, are unique over all inputs, one at a time.

    Two articles with one given id (or two sentence rows with one id) are an input error, reported like a bad
    file (raised, or with ``skip_bad`` reported and skipped); an id derived from a file name that is already taken
    (``a/x.txt`` and ``b/x.txt`` are both ``x``) gets ``~2``, ``~3``, ... appended. Articles stream through, so an
    id is settled when its article passes: a given id that repeats an earlier derived one is refused too.
    """
    owner: dict[str, str] = {}
    sentence_ids: dict[str, str] = {}
    for a in articles:
        try:
            if a.id_given and a.id in owner:
                raise InputError(f"{a.source}: duplicate article id {a.id!r} (also {owner[a.id]})")
            ids = [str(r["id"]) for r in a.sentences or []]
            dup = next((i for i in ids if i in sentence_ids), None)
            if dup is not None:
                raise InputError(f"{a.source}: duplicate sentence id {dup!r} (also {sentence_ids[dup]})")
        except InputError as e:
            skip_or_raise(e, skip_bad, stats, warn)
            continue
        if not a.id_given:
            base, k = a.id, 1
            while a.id in owner:
                k += 1
                a.id = f"{base}~{k}"
        owner[a.id] = a.source
        sentence_ids.update((i, a.source) for i in ids)
        yield a
