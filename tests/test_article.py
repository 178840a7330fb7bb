"""The article encoder: windows of whole sentences, save and load, the ONNX path and prediction end to end."""

from __future__ import annotations

import random

import numpy as np
import pytest
from sourcetag import Tagger
from sourcetag.model.architectures.windows import plan_windows

ARTICLES = [
    ["Headline about the port", "The ministry said the port reopened on Monday.", "“Ships are moving again.",
     "Residents were not convinced.", "READ MORE: Other story"],
    ["Police said two men were arrested.", "It rained.", "A witness told reporters she heard shouting."] * 12,
    ["One sentence alone."],
]


@pytest.mark.parametrize("overlap", [0.5, 0.25, 0.0])
def test_windows_cover_every_sentence_once_within_the_budget(overlap):
    rng = random.Random(7)
    for _ in range(500):
        lengths = [rng.randint(0, 90) for _ in range(rng.randint(0, 40))]
        budget = rng.choice([3, 8, 32, 128])
        cap = rng.choice([0, 1, 4])
        windows = plan_windows(lengths, budget, cap, overlap)
        owned = sorted(i for w in windows for i in w.owned)
        assert owned == list(range(len(lengths)))  # never dropped, never twice
        for w in windows:
            assert w.stop > w.start and all(w.start <= i < w.stop for i in w.owned)
            assert 1 + sum(min(n, budget - 2) + 1 for n in lengths[w.start : w.stop]) <= budget
            assert not cap or w.stop - w.start <= cap
        if not overlap:
            assert all(a.stop == b.start for a, b in zip(windows, windows[1:], strict=False))


def test_overlapping_windows_give_inner_sentences_context_on_both_sides():
    windows = plan_windows([20] * 30, 256)
    assert len(windows) > 2
    for w in windows:
        for i in w.owned:
            if 0 < i < 29:
                assert w.start < i < w.stop - 1, (i, w)
    # each sentence comes from the window where it sits most centrally: away from the window's edges
    middle = windows[1]
    assert middle.owned and min(middle.owned) - middle.start >= 2 and middle.stop - 1 - max(middle.owned) >= 2


@pytest.fixture(scope="module")
def article_model(tmp_path_factory, tiny_base, fixture_file):
    from sourcetag.training.config import DataArguments, ModelArguments, TrainArguments
    from sourcetag.training.train import train

    out = tmp_path_factory.mktemp("article") / "model"
    train(ModelArguments(base_model=str(tiny_base), architecture="article", window_tokens=48),
          DataArguments(train_file=str(fixture_file)),
          TrainArguments(output_dir=str(out), epochs=1, batch_size=4, seed=1, precision="fp32"),
          command_line=["test"], log=lambda *a: None)
    return out


def test_article_model_saves_its_architecture_and_loads_back_exactly(article_model):
    from sourcetag.model.artifact import read_artifact

    artifact = read_artifact(article_model)
    assert artifact.architecture == "article" and artifact.input_spec["window_tokens"] == 48
    a = Tagger.load(article_model, precision="fp32")
    b = Tagger.load(article_model, precision="fp32", batch_size=1)
    pa, pb = a.predict_proba(ARTICLES), b.predict_proba(ARTICLES)
    assert pa.shape == (sum(map(len, ARTICLES)), 4)
    np.testing.assert_allclose(pa, pb, atol=1e-5)  # batching and padding do not change a sentence's label
    assert "architecture `article`" in (article_model / "README.md").read_text(encoding="utf-8")


def test_article_model_reads_context(article_model):
    """The same sentence in another article gets other logits: the model reads its neighbours."""
    tagger = Tagger.load(article_model, precision="fp32")
    target = "Residents were not convinced."
    a = tagger.logits([["The ministry said the port reopened on Monday.", target]])[1]
    b = tagger.logits([["Share this article", target]])[1]
    assert not np.allclose(a, b)
    alone = Tagger(tagger.architecture.__class__(tagger.model, tagger.tokenizer, {"window_tokens": 48,
                                                                                   "max_sentences": 1}),
                   tagger.artifact, precision="fp32")
    c = alone.logits([["The ministry said the port reopened on Monday.", target]])[1]
    d = alone.logits([["Share this article", target]])[1]
    np.testing.assert_allclose(c, d, atol=1e-5)  # a one-sentence window reads the sentence alone


def test_a_sentence_longer_than_a_window_is_labelled(article_model):
    tagger = Tagger.load(article_model, precision="fp32")
    long = " ".join(["The council said the road would close"] * 40) + "."
    result = tagger.predict_sentences([["Short one.", long, "After it."]])[0]
    assert [s.text for s in result] == ["Short one.", long, "After it."]
    assert all(s.label in tagger.labels for s in result)


def test_article_model_onnx_backend_agrees_with_torch(article_model):
    pytest.importorskip("onnxruntime")
    exact = Tagger.load(article_model, precision="fp32").predict_proba(ARTICLES)
    onnx = Tagger.load(article_model, backend="onnx")
    np.testing.assert_allclose(onnx.predict_proba(ARTICLES), exact, atol=1e-4)
    assert (onnx.predict_proba(ARTICLES).argmax(-1) == exact.argmax(-1)).all()


def test_prediction_options_override_the_window_overlap_and_refuse_unknown_keys(article_model):
    from sourcetag.model.errors import ModelError

    tiled = Tagger.load(article_model, precision="fp32", options={"overlap": 0.0})
    assert tiled.architecture.overlap == 0.0
    assert tiled.predict_proba(ARTICLES).shape == (sum(map(len, ARTICLES)), 4)
    with pytest.raises(ModelError, match="no option window_size"):
        Tagger.load(article_model, precision="fp32", options={"window_size": 3})
