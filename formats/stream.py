"""A prediction run written chunk by chunk: articles stream through in chunks of about :data:`CHUNK_CHARS`
characters, each read, labelled and written (to a :class:`~sourcetag.formats.partial.PartialOutput`) before the
next is read, so memory stays flat however many articles there are, and an interrupted run keeps every finished
chunk.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np

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


def prepare_chunk(tagger, chunk: list[Article]) -> tuple[list[list[str]], tuple]:
    """The sentences to label in a chunk (raw articles split, pre-split ones as given; raw ones first), and what
    :func:`finish_chunk` needs to make its rows."""
    raw = [a for a in chunk if a.sentences is None]
    pre = [a for a in chunk if a.sentences is not None]
    normed, spans = tagger.split([a.text for a in raw]) if raw else ([], [])
    sentences = [[s.text for s in sp] for sp in spans] + [[r["text"] for r in a.sentences] for a in pre]
    return sentences, (chunk, raw, pre, normed, spans)


def finish_chunk(tagger, sentences: list[list[str]], state: tuple, probs) -> tuple[str, str, int, list[tuple[str, str]]]:
    """:func:`label_chunk`'s answer for a chunk prepared by :func:`prepare_chunk`, from the probabilities of its
    sentences (one row per sentence, in order)."""
    chunk, raw, pre, normed, spans = state
    labelled = tagger.results(sentences, probs)
    results = {}
    for a, res in zip(raw, tagger.article_results(normed, spans, labelled[: len(raw)]), strict=True):
        results[id(a)] = res.sentences
    for a, res in zip(pre, labelled[len(raw):], strict=True):
        results[id(a)] = res
    rows, profiles, ids = [], [], []
    for a in chunk:
        arows = sentence_rows(a, results[id(a)])
        ids += [(str(r["id"]), a.source) for r in arows]
        rows += [json.dumps(r, ensure_ascii=False) + "\n" for r in arows]
        profiles.append(json.dumps(profile(a, arows, tagger.labels), ensure_ascii=False) + "\n")
    return "".join(rows), "".join(profiles), len(ids), ids


def label_chunk(tagger, chunk: list[Article]) -> tuple[str, str, int, list[tuple[str, str]]]:
    """JSONL rows and profiles of one chunk of articles, its number of sentences, and each row's id and source."""
    sentences, state = prepare_chunk(tagger, chunk)
    n_raw = len(state[1])
    # raw and pre-split articles predicted apart, as ever: the same batches, so the same bits in every row
    parts = [tagger.predict_proba(part) for part in (sentences[:n_raw], sentences[n_raw:]) if part]
    probs = np.concatenate(parts) if parts else np.zeros((0, len(tagger.labels)), dtype=np.float32)
    return finish_chunk(tagger, sentences, state, probs)


def label_chunks(tagger, chunks_: Iterable[list[Article]], fast: bool | str = "auto") -> Iterator[tuple]:
    """:func:`label_chunk` for each chunk in order; ``fast``: through the pipelined predictor
    (:class:`sourcetag.engines.pipeline.Pipeline`), which overlaps splitting and tokenizing the next chunk and
    writing the last one with the model's work on this one; ``"auto"``: when the model runs on a GPU."""
    if fast == "auto":
        fast = tagger.device.type == "cuda" and tagger.backend == "torch"
    if not fast:
        for chunk in chunks_:
            yield label_chunk(tagger, chunk)
        return
    from ..engines.pipeline import Pipeline

    yield from Pipeline(tagger).run(chunks_, lambda c: prepare_chunk(tagger, c),
                                    lambda c, prepared, probs: finish_chunk(tagger, prepared[0], prepared[1], probs))


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
               on_chunk: Callable[[int], None] | None = None, fast: bool | str = "auto") -> None:
    """Label ``articles`` chunk by chunk into ``run``, after the ones the interrupted run it resumes labelled.

    The tagger is loaded (``load_tagger()``) once there is a chunk to label; ``on_chunk`` gets the number of
    articles of each chunk written. A sentence id may occur only once in the whole output. ``fast``: label through
    the pipelined predictor (:func:`label_chunks`; ``"auto"``: on a GPU).
    """
    row_ids = dict.fromkeys(run.row_ids(), "an earlier chunk")
    pending = chunks(skip_done(articles, run.done), chunk_chars)
    first = next(pending, None)
    if first is None:
        return
    tagger = load_tagger()  # once there is a chunk to label
    todo = itertools.chain([first], pending)
    queue: list[list[Article]] = []  # the chunks handed to the labeller and not yet committed, in order

    def handed():
        for chunk in todo:
            queue.append(chunk)
            yield chunk

    for rows, profiles, n, ids in label_chunks(tagger, handed(), fast=fast):
        chunk = queue.pop(0)
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
