"""Tests that fail when the model stops learning: fit a separable fixture, then label unseen sentences.

The rest of the suite checks shapes and plumbing with a tiny model that may label everything alike; these
tests check that training moves the weights towards the gold labels. Break the loss (make it return zero)
or shift the labels in training and they go red (see tests/README.md).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FIXTURES, build_tiny_base, fixture_texts
from sourcetag import Tagger
from sourcetag.main import main

SEPARABLE = FIXTURES / "separable.jsonl"
# Unseen sentences of the fixture's patterns, one per line, each with the label a working model must give.
UNSEEN = [
    ("Police said the market on Station Road was closed after the fire.", "official_statement"),
    ("A local blogger wrote that the crowds left the square before noon.", "attributed_claim"),
    ("The suspect is believed to have left the town.", "unverified_assertion"),
    ("Share this article", "filler"),
    ("The ministry said the new bridge would open in June.", "official_statement"),
    ("One teacher told reporters the heating had failed.", "attributed_claim"),
    ("Sign up for our morning newsletter", "filler"),
]


@pytest.fixture(scope="module", params=["sequence", "article"])
def separable_model(request, tmp_path_factory) -> Path:
    """The tiny model trained on the separable fixture, once per architecture."""
    from sourcetag.training.config import DataArguments, ModelArguments, TrainArguments
    from sourcetag.training.train import train

    texts = fixture_texts(SEPARABLE) + [t for t, _ in UNSEEN]
    base = build_tiny_base(texts, tmp_path_factory.mktemp("separable-base"))
    work = tmp_path_factory.mktemp(f"separable-{request.param}")
    # The same sentences under other article ids as dev and test: the test asks whether training fits what it
    # is shown (the best dev epoch is then the best fit), not whether it generalises from 48 sentences.
    held = work / "held.jsonl"
    held.write_text("".join(json.dumps({**r, "id": "h" + r["id"], "article": "h" + r["article"]}) + "\n"
                            for r in _gold()), encoding="utf-8")
    out = work / "model"
    # Sentence alone: the tiny 2-layer model does not fit neighbour-context pairs of 48 sentences in a few epochs.
    train(ModelArguments(base_model=str(base), architecture=request.param, context_window=0, max_length=64,
                         window_tokens=64),
          DataArguments(train_file=str(SEPARABLE), dev_file=str(held), test_file=str(held)),
          TrainArguments(output_dir=str(out), epochs=12, batch_size=8, learning_rate=5e-3, seed=1,
                         precision="fp32", patience=12, warmup_ratio=0.0),
          command_line=["test"], log=lambda *a: None)
    return out


def _gold() -> list[dict]:
    return [json.loads(line) for line in SEPARABLE.read_text(encoding="utf-8").splitlines()]


def test_training_fits_a_separable_fixture(separable_model):
    rows = _gold()
    articles: dict[str, list[str]] = {}
    for r in rows:
        articles.setdefault(r["article"], []).append(r["text"])
    tagger = Tagger.load(separable_model, precision="fp32")
    predicted = [s.label for art in tagger.predict_sentences(list(articles.values())) for s in art]
    accuracy = sum(p == r["label"] for p, r in zip(predicted, rows, strict=True)) / len(rows)
    assert accuracy >= 0.9, f"training accuracy {accuracy:.2f}: the model did not learn the fixture"
    assert len(set(predicted)) == 4


def test_predict_command_gives_the_right_labels_on_unseen_sentences(separable_model, tmp_path):
    article = tmp_path / "article.txt"
    article.write_text("\n".join(t for t, _ in UNSEEN) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["predict", "--quiet", "--precision", "fp32", "--model", str(separable_model),
                 str(article), "-o", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["text"] for r in rows] == [t for t, _ in UNSEEN]
    right = sum(r["label"] == label for r, (_, label) in zip(rows, UNSEEN, strict=True))
    # The article model reads the seven unrelated sentences as one article, each in the others' context, unlike any
    # training article; the tiny model then gets 5-6 right depending on thread count (one that learned nothing gets
    # one or two: --break-loss makes this fail).
    assert right >= (7 if "sequence" in str(separable_model) else 5), [r["label"] for r in rows]
