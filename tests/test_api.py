import numpy as np
import pytest
from sourcetag import LABELS, Tagger
from sourcetag.model.tagger import ModelLoadError

ARTICLE = ("Ministry says port reopened\n\nBy Staff\n\nThe ministry said the port reopened on Monday. "
           "“Ships are moving again.\n\nREAD MORE: Other story")


def test_predict_one_article(model_dir):
    tagger = Tagger.load(model_dir, precision="fp32")
    assert set(tagger.labels) == set(LABELS)
    result = tagger.predict(ARTICLE)
    assert [s.text for s in result.sentences][:3] == ["Ministry says port reopened", "By Staff",
                                                      "The ministry said the port reopened on Monday."]
    for s in result.sentences:
        assert s.label in LABELS
        assert abs(sum(s.probs.values()) - 1) < 1e-5
        assert s.label == max(s.probs, key=s.probs.get)
        assert result.text[s.start : s.end] == s.text
        assert s.needs_review == (s.probs[s.label] < tagger.review_threshold)


def test_list_input_and_pre_split_match(model_dir):
    tagger = Tagger.load(model_dir, precision="fp32")
    many = tagger.predict([ARTICLE, "Police said two men were arrested."])
    assert isinstance(many, list) and len(many) == 2
    pre = tagger.predict_sentences([[s.text for s in many[0].sentences]])
    assert [s.label for s in pre[0]] == many[0].labels
    np.testing.assert_allclose([s.probs[LABELS[0]] for s in pre[0]],
                               [s.probs[LABELS[0]] for s in many[0].sentences], atol=1e-6)


def test_batching_does_not_change_results(model_dir):
    articles = [[f"Sentence number {i} said the ministry.", "“Quoted.", "x" * (i + 1)] for i in range(7)]
    a = Tagger.load(model_dir, precision="fp32", batch_size=2).predict_proba(articles)
    b = Tagger.load(model_dir, precision="fp32", batch_size=64).predict_proba(articles)
    np.testing.assert_allclose(a, b, atol=1e-5)


def test_evidence_only_for_sourced_labels(model_dir):
    tagger = Tagger.load(model_dir, precision="fp32")
    for s in tagger.predict(ARTICLE).sentences:
        if s.label in ("unverified_assertion", "filler"):
            assert s.evidence is None


def test_default_model_from_environment(model_dir, monkeypatch):
    monkeypatch.setenv("SOURCETAG_MODEL", str(model_dir))
    assert Tagger.load().metadata["input_spec"]["context_window"] == 1


def test_missing_and_broken_models(tmp_path, model_dir):
    with pytest.raises(ModelLoadError, match="no such model directory"):
        Tagger.load(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelLoadError, match="not a sourcetag model"):
        Tagger.load(tmp_path / "empty")
    (model_dir / "model.safetensors").write_bytes(b"garbage")
    with pytest.raises(ModelLoadError, match="cannot load the model"):
        Tagger.load(model_dir)


def test_predict_sentences_rejects_raw_strings(model_dir):
    with pytest.raises(TypeError):
        Tagger.load(model_dir).predict_sentences(["not a list of sentences"])


def test_onnx_runtime_path_matches_fp32(model_dir):
    pytest.importorskip("onnxruntime")
    articles = [["The ministry said the port reopened.", "“Ships are moving again.", "READ MORE: Other story"],
                ["Police said two men were arrested.", "It rained."]]
    exact = Tagger.load(model_dir, precision="fp32").predict_proba(articles)
    onnx = Tagger.load(model_dir, backend="onnx")
    assert (onnx.backend, onnx.precision) == ("onnx", "fp32")
    np.testing.assert_allclose(onnx.predict_proba(articles), exact, atol=1e-4)
    assert list((model_dir / "onnx").glob("*.onnx"))  # cached for the next load
    legacy = Tagger.load(model_dir, precision="onnx")  # the earlier spelling of the backend still works
    assert (legacy.backend, legacy.precision) == ("onnx", "fp32")


def test_auto_precision_on_cpu(model_dir, monkeypatch):
    """bf16 with AMX; else ONNX Runtime when installed and the model is loaded from a directory; else fp32."""
    from sourcetag.model import backends as tagger_module

    articles = [["The ministry said the port reopened.", "“Ships are moving again.", "READ MORE: Other story"]]
    exact = Tagger.load(model_dir, precision="fp32").predict_proba(articles)
    onnx_installed = tagger_module.onnx_runtime_installed()
    monkeypatch.setattr(tagger_module, "cpu_has_fast_bf16", lambda: False)
    monkeypatch.setattr(tagger_module, "onnx_runtime_installed", lambda: False)
    assert Tagger.load(model_dir, device="cpu").precision == "fp32"
    if onnx_installed:
        monkeypatch.setattr(tagger_module, "onnx_runtime_installed", lambda: True)
        onnx = Tagger.load(model_dir, device="cpu")
        assert onnx.backend == "onnx"
        np.testing.assert_allclose(onnx.predict_proba(articles), exact, atol=1e-4)
        in_memory = Tagger.load(model_dir, precision="fp32")
        no_file = Tagger(in_memory.architecture, in_memory.artifact)  # nothing to export the graph beside
        assert (no_file.backend, no_file.precision) == ("torch", "fp32")
    monkeypatch.setattr(tagger_module, "cpu_has_fast_bf16", lambda: True)
    fast = Tagger.load(model_dir, device="cpu")
    assert (fast.backend, fast.precision) == ("torch", "bf16")
    np.testing.assert_allclose(fast.predict_proba(articles), exact, atol=0.05)
    assert Tagger.load(model_dir, device="cpu", precision="fp32").precision == "fp32"  # the flag forces exact fp32


def test_amx_probe_agrees_with_the_cpu_flags():
    from pathlib import Path

    from sourcetag.model.backends import cpu_has_amx_bf16

    cpuinfo = Path("/proc/cpuinfo")
    if not cpuinfo.is_file():
        pytest.skip("no /proc/cpuinfo to compare with")
    flags = next((line.split(":", 1)[1].split() for line in cpuinfo.read_text().splitlines()
                  if line.startswith("flags")), [])
    assert cpu_has_amx_bf16() == ("amx_tile" in flags and "avx512_bf16" in flags)


@pytest.mark.parametrize(("amx", "speedup", "fast"), [(True, 0.5, True), (False, 2.2, True), (False, 0.56, False),
                                                       (False, 1.1, False)])
def test_cpu_bf16_is_chosen_by_amx_or_by_a_measured_matmul_speedup(monkeypatch, amx, speedup, fast):
    """AVX512-BF16 machines without AMX differ: bf16 matmuls measured 0.56x fp32 on one and 2.2x on another."""
    from sourcetag.model import backends

    monkeypatch.setattr(backends, "cpu_has_amx_bf16", lambda: amx)
    monkeypatch.setattr(backends, "bf16_matmul_speedup", lambda: speedup)
    assert backends.cpu_has_fast_bf16.__wrapped__() is fast


def test_bf16_matmul_speedup_is_a_positive_ratio():
    from sourcetag.model.backends import bf16_matmul_speedup

    assert 0.05 < bf16_matmul_speedup(rounds=1, reps=1) < 50


def test_training_follows_the_measured_bf16_speedup_like_prediction(monkeypatch):
    """bf16 autocast trained the pair model 1.3x faster on an AMD EPYC without AMX, with scores in the fp32 seed
    spread; on a CPU where the bf16 matmul probe is slow (the Intel machines), training stays fp32."""
    import torch
    from sourcetag.model import backends

    cpu = torch.device("cpu")
    monkeypatch.setattr(backends, "cpu_has_amx_bf16", lambda: False)
    monkeypatch.setattr(backends, "cpu_has_fast_bf16", lambda: True)
    assert backends.resolve_runtime("torch", "auto", cpu) == ("torch", "bf16")
    monkeypatch.setattr(backends, "cpu_has_fast_bf16", lambda: False)
    assert backends.resolve_runtime("torch", "auto", cpu) == ("torch", "fp32")
    assert backends.resolve_runtime("torch", "fp32", cpu) == ("torch", "fp32")


def test_auto_falls_back_to_fp32_when_the_onnx_path_fails(model_dir, monkeypatch):
    from sourcetag.model import backends

    def broken(architecture, model_dir, threads=None):
        raise RuntimeError("exporter cannot trace this model")

    monkeypatch.setattr(backends, "cpu_has_fast_bf16", lambda: False)
    monkeypatch.setattr(backends, "onnx_runtime_installed", lambda: True)
    monkeypatch.setattr(backends, "OnnxBackend", broken)
    with pytest.warns(UserWarning, match="ONNX Runtime path unavailable"):
        tagger = Tagger.load(model_dir, device="cpu")
    assert (tagger.backend, tagger.precision) == ("torch", "fp32")
    assert tagger.predict_proba([["Police said two men were arrested."]]).shape == (1, 4)
    with pytest.raises(RuntimeError, match="cannot trace"):
        Tagger.load(model_dir, device="cpu", backend="onnx")


@pytest.mark.parametrize("missing", [("tokenizer.json", "tokenizer_config.json"), ("tokenizer.json",),
                                     ("config.json",), ("model.safetensors",)])
def test_incomplete_model_folder_fails_naming_what_is_missing(model_dir, missing):
    """Issue 19 item 2: without its tokenizer files transformers built a 5-token vocabulary and every sentence
    came out unverified_assertion; an incomplete folder must not load."""
    for name in missing:
        (model_dir / name).unlink()
    with pytest.raises(ModelLoadError) as err:
        Tagger.load(model_dir, precision="fp32")
    message = str(err.value)
    assert len(message.splitlines()) == 1 and str(model_dir) in message
    assert all(name in message for name in missing)


def _articles_for_threads(n: int) -> list[str]:
    body = ("The ministry said the port reopened on Monday after a week of repairs. “Ships are moving again,” "
            "a spokesman said. Residents were not convinced. Mr. Smith, 54, said the damage was 3.5 times worse.")
    return [f"Headline number {i}\n\nBy Staff\n\n" + " ".join([body] * (1 + i % 4)) + f"\n\nREAD MORE: Story {i}"
            for i in range(n)]


def test_concurrent_predict_equals_sequential(model_dir):
    """Issue 19 item 3: two threads on one Tagger lost sentences (the splitter shared one pysbd segmenter)."""
    from concurrent.futures import ThreadPoolExecutor

    tagger = Tagger.load(model_dir, precision="fp32")
    articles = _articles_for_threads(24)
    expected = [[(s.text, s.start, s.label) for s in tagger.predict(a).sentences] for a in articles]
    with ThreadPoolExecutor(max_workers=6) as pool:
        got = list(pool.map(lambda a: [(s.text, s.start, s.label) for s in tagger.predict(a).sentences],
                            articles * 3))
    assert got == expected * 3


def test_predict_shows_splitting_progress(model_dir, capsys):
    """Issue 19 item 4: a 20 MB text ran for minutes with nothing shown; splitting now has a progress bar."""
    tagger = Tagger.load(model_dir, precision="fp32")
    tagger.predict(ARTICLE, progress=True)
    err = capsys.readouterr().err
    assert "split" in err and "char" in err
    tagger.predict(ARTICLE)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("kwargs", [{"batch_size": -1}, {"batch_size": 0}, {"batch_size": 2.5},
                                    {"review_threshold": 2}, {"review_threshold": float("nan")}])
def test_tagger_refuses_bad_numbers(model_dir, kwargs):
    with pytest.raises(ValueError):
        Tagger.load(model_dir, precision="fp32", **kwargs)


def test_logits_refuse_an_empty_batch_size(model_dir):
    tagger = Tagger.load(model_dir, precision="fp32")
    with pytest.raises(ValueError, match="batch size"):
        tagger.architecture.logits([["One sentence."]], tagger._forward, -1, 4)


def _edit_config(model_dir, edit):
    import json

    path = model_dir / "config.json"
    config = json.loads(path.read_text())
    edit(config)
    path.write_text(json.dumps(config))


def test_reordered_label_map_is_refused(model_dir):
    """Issue 19 item 6: swapping two id2label entries made official sentences come out as filler; the order
    training recorded must match the model's outputs."""
    def swap(config):
        m = config["id2label"]
        m["0"], m["3"] = m["3"], m["0"]
        config["label2id"] = {v: int(k) for k, v in m.items()}

    _edit_config(model_dir, swap)
    with pytest.raises(ModelLoadError, match="order"):
        Tagger.load(model_dir, precision="fp32")


def test_label2id_that_disagrees_with_id2label_is_refused(model_dir):
    def swap(config):
        m = config["label2id"]
        m["official_statement"], m["filler"] = m["filler"], m["official_statement"]

    _edit_config(model_dir, swap)
    with pytest.raises(ModelLoadError, match="label2id"):
        Tagger.load(model_dir, precision="fp32")


def test_onnx_graph_follows_the_weights_actually_loaded(model_dir):
    """Issue 19 item 7: without model.safetensors (here: sharded weights) the cache key was a fixed value, so new
    weights kept the old exported graph under the default precision while fp32 showed the new labels."""
    pytest.importorskip("onnxruntime")
    import torch
    from transformers import AutoModelForSequenceClassification

    def save_sharded(model):
        for f in list(model_dir.glob("model*.safetensors*")):
            f.unlink()
        model.save_pretrained(model_dir, max_shard_size="100KB")
        assert not (model_dir / "model.safetensors").exists() and (model_dir / "model.safetensors.index.json").exists()

    articles = [["The ministry said the port reopened.", "“Ships are moving again.", "READ MORE: Other story"]]
    model = AutoModelForSequenceClassification.from_pretrained(model_dir)
    save_sharded(model)
    before = Tagger.load(model_dir, precision="onnx").predict_proba(articles)
    with torch.no_grad():  # new weights: the classifier's rows reversed, so the labels move
        model.classifier.weight.copy_(model.classifier.weight.flip(0))
        model.classifier.bias.copy_(model.classifier.bias.flip(0))
    save_sharded(model)
    exact = Tagger.load(model_dir, precision="fp32").predict_proba(articles)
    assert not np.allclose(exact, before, atol=1e-3)
    np.testing.assert_allclose(Tagger.load(model_dir, precision="onnx").predict_proba(articles), exact, atol=1e-4)
    assert len(list((model_dir / "onnx").glob("*.onnx"))) == 2  # one graph per set of weights


def test_cuda_without_a_gpu_raises_value_error(model_dir, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="no CUDA GPU"):
        Tagger.load(model_dir, device="cuda")


def test_loading_prints_no_weight_bar_when_stderr_is_not_a_terminal(model_dir, capsys):
    from transformers.utils import logging as hf_logging

    hf_logging.enable_progress_bar()  # as in a fresh process; CLI tests in this session may have turned it off
    Tagger.load(model_dir, precision="fp32")
    assert "Loading weights" not in capsys.readouterr().err
    assert hf_logging.is_progress_bar_enabled()  # the setting is the caller's: left as it was


def test_pickled_only_model_is_refused_in_one_line(model_dir, tmp_path, capsys):
    import torch
    from safetensors.torch import load_file
    from sourcetag.main import main

    torch.save(load_file(model_dir / "model.safetensors"), model_dir / "pytorch_model.bin")
    (model_dir / "model.safetensors").unlink()
    (tmp_path / "a.txt").write_text("The minister said so.", encoding="utf-8")
    out = tmp_path / "o.jsonl"
    assert main(["predict", "--quiet", "--model", str(model_dir), str(tmp_path / "a.txt"), "-o", str(out)]) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"sourcetag predict: {model_dir}: holds only pickled weights (pytorch_model.bin); "
                           "sourcetag loads safetensors only, because loading a pickle can run code")
    assert not out.exists() and not list(tmp_path.glob(".o.jsonl*"))


def test_tagger_refuses_an_over_long_article_and_a_string_as_pre_split_input(model_dir):
    from sourcetag import InputError, Tagger

    tagger = Tagger.load(model_dir, precision="fp32", max_article_chars=50)
    with pytest.raises(InputError, match="article 1: 60 characters, over the limit of 50"):
        tagger.predict(["Short.", "y" * 60])
    for bad in ("a string", ["two", "strings"]):
        with pytest.raises(TypeError, match="list of articles, each a list of sentence strings"):
            tagger.predict_proba(bad)
    with pytest.raises(TypeError, match="sentences must be strings"):
        tagger.predict_proba([["fine", 3]])
    assert tagger.predict_proba([["One.", "Two."]]).shape == (2, 4)


def test_loading_asks_for_safetensors_and_never_trusts_remote_code(model_dir, monkeypatch):
    import json
    from pathlib import Path

    from sourcetag import ModelError
    from transformers import AutoModelForSequenceClassification

    seen = {}
    real = AutoModelForSequenceClassification.from_pretrained

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(AutoModelForSequenceClassification, "from_pretrained", spy)
    Tagger.load(model_dir, precision="fp32")
    assert seen.get("use_safetensors") is True and "trust_remote_code" not in seen
    repo = Path(__file__).resolve().parents[1]
    assert not any("trust_remote_code" in p.read_text(encoding="utf-8")
                   for d in ("model", "cli", "training", "eval") for p in (repo / d).rglob("*.py"))
    config = json.loads((model_dir / "config.json").read_text())
    (model_dir / "config.json").write_text(json.dumps({**config, "transformers_weights": "adapter_model.bin"}))
    with pytest.raises(ModelError, match="names the weights file 'adapter_model.bin', which is not safetensors"):
        Tagger.load(model_dir)
