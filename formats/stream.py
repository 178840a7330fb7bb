"""A prediction run written chunk by chunk: articles stream through in chunks of about :data:`CHUNK_CHARS`
characters, each read, labelled and written (to a :class:`~sourcetag.formats.partial.PartialOutput`) before the
next is read, so memory stays flat however many articles there are, and an interrupted run keeps every finished
chunk.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from ..model.errors import InputError, OutputError
from .articles import Article
from .outputs import default_model_dir
from .partial import PartialOutput
from .predictions import sentence_rows
from .profiles import profile

CHUNK_CHARS = 100_000
"""Characters of article text labelled at a time (about 800 sentences of news): enough length-sorted batches of
32 that padding stays as low as for one large batch, while a chunk's inputs and rows take a few MB at most."""


def chunks(articles: Iterable[Article], max_chars: int = CHUNK_CHARS) -> Iterator[list[Article]]:
    """Consecutive articles in groups of about ``max_chars`` characters (an article is never split)."""
    chunk: list[Article] = []
    size = 0
    for a in articles:
        chunk.append(a)
        size += len(a.text) if a.sentences is None else sum(len(r["text"]) for r in a.sentences)
        if size >= max_chars:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def label_chunk(tagger, chunk: list[Article]) -> tuple[str, str, int, list[tuple[str, str]]]:
    """JSONL rows and profiles of one chunk of articles, its number of sentences, and each row's id and source."""
    raw = [a for a in chunk if a.sentences is None]
    pre = [a for a in chunk if a.sentences is not None]
    results = {}
    if raw:
        for a, res in zip(raw, tagger.predict([a.text for a in raw]), strict=True):
            results[id(a)] = res.sentences
    if pre:
        for a, res in zip(pre, tagger.predict_sentences([[r["text"] for r in a.sentences] for a in pre]), strict=True):
            results[id(a)] = res
    rows, profiles, ids = [], [], []
    for a in chunk:
        arows = sentence_rows(a, results[id(a)])
        ids += [(str(r["id"]), a.source) for r in arows]
        rows += [json.dumps(r, ensure_ascii=False) + "\n" for r in arows]
        profiles.append(json.dumps(profile(a, arows, tagger.labels), ensure_ascii=False) + "\n")
    return "".join(rows), "".join(profiles), len(ids), ids


def skip_done(articles: Iterator[Article], done: list[str]) -> Iterator[Article]:
    """The articles after the ``done`` ones, checking that the inputs still start with exactly those."""
    for i, fingerprint in enumerate(done):
        a = next(articles, None)
        if a is None:
            raise OutputError(f"the inputs hold {i} articles, fewer than the {len(done)} the interrupted run "
                              "labelled; --force starts again")
        if a.fingerprint() != fingerprint:
            raise OutputError(f"{a.source}: not the article the interrupted run labelled at this place "
                              f"(article {i + 1}); the inputs changed since; --force starts again")
    yield from articles


def label_into(run: PartialOutput, articles: Iterator[Article], load_tagger: Callable[[], object], chunk_chars: int,
               on_chunk: Callable[[int], None] | None = None) -> None:
    """Label ``articles`` chunk by chunk into ``run``, after the ones the interrupted run it resumes labelled.

    The tagger is loaded (``load_tagger()``) once there is a chunk to label; ``on_chunk`` gets the number of
    articles of each chunk written. A sentence id may occur only once in the whole output.
    """
    tagger = None
    row_ids = dict.fromkeys(run.row_ids(), "an earlier chunk")
    for chunk in chunks(skip_done(articles, run.done), chunk_chars):
        if tagger is None:
            tagger = load_tagger()
        rows, profiles, n, ids = label_chunk(tagger, chunk)
        for rid, source in ids:  # a pre-split row's own id can equal one made for a split article ("a-0")
            if rid in row_ids:
                raise InputError(f"{source}: duplicate sentence id {rid!r} (also {row_ids[rid]})")
            row_ids[rid] = source
        run.commit([a.fingerprint() for a in chunk], rows, profiles, n, tagger.labels)
        if on_chunk is not None:
            on_chunk(len(chunk))


def model_fingerprint(model: str | None) -> str:
    """What identifies the model a run labels with (empty when it cannot be read), so that a resumed run uses the same one."""
    from ..model.artifact import artifact_fingerprint

    return artifact_fingerprint(Path(model) if model else default_model_dir())  # empty: the model load reports it
