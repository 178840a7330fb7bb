"""The pipelined predictor (sourcetag.engines.pipeline): the Rust tokenizer gives the architectures' exact
features, and the pipeline the Tagger's probabilities, labels and rows, for both architectures."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sourcetag import Tagger
from sourcetag.engines.pipeline import Pipeline, fast_architecture, token_batches
from sourcetag.main import main

ARTICLES = [
    ["Headline about the port", "The ministry said the port reopened on Monday.", "“Ships are moving again.",
     "Residents were not convinced.", "READ MORE: Other story"],
    ["Police said two men were arrested.", "It rained.", "A witness told reporters she heard shouting."] * 12,
    ["One sentence alone."],
    [],
    ["", "   ", "Ünïcödé — “quotes” and émigré café naïve.", " ".join(["The council said the road would close"] * 40)],
]


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


@pytest.fixture(params=["sequence", "article"])
def model(request, trained_model, article_model):
    return trained_model if request.param == "sequence" else article_model


def corpus_articles(fixture_file) -> list[list[str]]:
    by: dict[str, list[str]] = {}
    for line in fixture_file.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        by.setdefault(r["article"], []).append(r["text"])
    return list(by.values())


def test_rust_tokenizer_gives_the_architectures_exact_features(model, fixture_file):
    arch = Tagger.load(model, precision="fp32").architecture
    articles = ARTICLES + corpus_articles(fixture_file)
    want, got = arch.encode(articles), fast_architecture(arch).encode(articles)
    assert got.features == want.features and got.placement == want.placement
    assert len(want.features) > 20
    assert arch.tokenizer is not fast_architecture(arch).tokenizer  # the Tagger's own tokenizer is left alone


def test_token_batches_keep_the_budget_and_every_row_once():
    rng = np.random.default_rng(3)
    lengths = list(rng.integers(1, 200, size=500))
    batches = token_batches(lengths, 1000, max_rows=20)
    assert sorted(i for b in batches for i in b) == list(range(500))
    for b in batches:
        assert len(b) <= 20 and (len(b) == 1 or len(b) * max(lengths[i] for i in b) <= 1000)
    assert token_batches([5000, 3], 1000) == [[1], [0]]  # a row over the budget gets a batch alone


@pytest.mark.parametrize("precision", ["fp32", "auto"])
def test_pipeline_probabilities_equal_the_taggers(model, fixture_file, precision):
    tagger = Tagger.load(model, precision=precision)
    articles = ARTICLES + corpus_articles(fixture_file)
    want = tagger.predict_proba(articles)
    # small batches and chunks: many of each, so that order and placement are exercised
    pipe = Pipeline(tagger, token_budget=400)
    got = pipe.predict_proba(articles, chunk_sentences=40)
    np.testing.assert_allclose(got, want, atol=1e-5)
    assert (got.argmax(1) == want.argmax(1)).all()
    a, b = pipe.predict_sentences(articles, chunk_sentences=40), tagger.predict_sentences(articles)
    assert [[(s.label, s.evidence, s.needs_review) for s in x] for x in a] == \
        [[(s.label, s.evidence, s.needs_review) for s in x] for x in b]


def test_pipeline_raises_a_stage_error_and_stops_early(trained_model):
    tagger = Tagger.load(trained_model, precision="fp32")
    pipe = Pipeline(tagger)

    def items():
        yield [["One."]]
        raise ValueError("broken input")

    with pytest.raises(ValueError, match="broken input"):
        list(pipe.run(items(), lambda c: (c, None), lambda c, s, p: p))
    with pytest.raises(KeyError):
        list(pipe.run([[["a"]]], lambda c: (c, None), lambda c, s, p: {}["missing"]))
    gen = pipe.run(([["Sentence one."]] for _ in range(1000)), lambda c: (c, None), lambda c, s, p: p)
    assert next(gen).shape == (1, len(tagger.labels))
    gen.close()  # the preparing thread stops instead of reading all 1,000 chunks


def test_predict_command_pipelined_gives_the_same_rows(model, fixture_file, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for k, sents in enumerate(corpus_articles(fixture_file)[:6]):
        (src / f"a{k}.txt").write_text("\n\n".join(sents) + "\n", encoding="utf-8")
    rows = fixture_file.read_text(encoding="utf-8").splitlines()[:30]
    (src / "pre.jsonl").write_text("".join(json.dumps({**json.loads(r), "id": f"p{i}"}) + "\n"
                                           for i, r in enumerate(rows)), encoding="utf-8")
    outs = {}
    for mode in ("off", "on"):
        outs[mode] = tmp_path / f"{mode}.jsonl"
        assert main(["predict", "--quiet", "--precision", "fp32", "--model", str(model), str(src), "-o",
                     str(outs[mode]), "--chunk-chars", "400", "--pipelined", mode]) == 0
    off, on = ([json.loads(line) for line in p.read_text(encoding="utf-8").splitlines()] for p in outs.values())
    assert len(off) > 50 and len(on) == len(off)
    for a, b in zip(off, on, strict=True):
        assert {k: v for k, v in a.items() if k != "probs"} == {k: v for k, v in b.items() if k != "probs"}
        assert max(abs(a["probs"][k] - b["probs"][k]) for k in a["probs"]) < 1e-5


def test_the_gpu_path_on_the_cpu_keeps_logits_until_the_chunk_ends_and_probes_bf16(model, fixture_file):
    """The GPU code path (torch module, logits kept as tensors, one copy per chunk, bf16 weights and the fp32
    probe) run on the CPU, where torch computes bf16 too: the same probabilities as the Tagger in fp32, and the
    probe's decision recorded."""
    tagger = Tagger.load(model, precision="fp32")
    articles = ARTICLES + corpus_articles(fixture_file)
    want = tagger.predict_proba(articles)
    pipe = Pipeline(tagger, token_budget=400)
    pipe.gpu = True
    pipe._modules = {"fp32": tagger.model}
    np.testing.assert_allclose(pipe.predict_proba(articles, chunk_sentences=40), want, atol=1e-5)
    pipe._modules["bf16"] = pipe._cast("bf16")
    pipe.precision, pipe._decide = "bf16", True
    got = pipe.predict_proba(articles, chunk_sentences=40)
    assert pipe.probe is not None and pipe.probe["precision"] == "bf16" and pipe.probe["sentences"] > 0
    assert pipe.precision == ("bf16" if pipe.probe["agreement"] >= 0.995 else "fp32")
    assert list(pipe._modules) == [pipe.precision]  # the other copy is dropped
    np.testing.assert_allclose(got, want, atol=0.1)
