"""Shared fixtures: offline mode, an isolated sourcetag home, and a tiny random BERT built in-process.

The tiny model (WordPiece vocab trained on the fixture, hidden 32, 2 layers) stands in for MiniLM so that
the tests exercise the real loading/training/prediction code without real weights or a hub.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[1]


def pytest_addoption(parser):
    parser.addoption("--break-loss", action="store_true",
                     help="Sabotage check: every cross-entropy loss returns zero (no gradient); the suite must fail.")


@pytest.fixture(autouse=True, scope="session")
def _broken_loss(request):
    """With --break-loss, training gets a loss of zero, so tests that check learning must go red."""
    if not request.config.getoption("--break-loss"):
        yield
        return
    import torch

    real = torch.nn.functional.cross_entropy
    torch.nn.functional.cross_entropy = lambda *a, **k: real(*a, **k) * 0.0
    yield
    torch.nn.functional.cross_entropy = real


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCETAG_HOME", str(tmp_path / "sourcetag-home"))
    monkeypatch.delenv("SOURCETAG_MODEL", raising=False)


@pytest.fixture(scope="session")
def fixture_file() -> Path:
    return FIXTURES / "sentences.jsonl"


def build_tiny_base(texts: list[str], out: Path) -> Path:
    """Save a tiny random BertModel and a WordPiece tokenizer for ``texts`` into ``out``.

    The vocabulary is every word and character of ``texts`` in sorted order (no trained merges), so the same
    texts always give the same token ids: tests that assert what the model learns do not depend on how a
    tokenizer trainer breaks ties.
    """
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    normalizer = normalizers.BertNormalizer(lowercase=True)
    pre = pre_tokenizers.BertPreTokenizer()
    words = {w for t in texts for w, _ in pre.pre_tokenize_str(normalizer.normalize_str(t))}
    chars = {c for w in words for c in w}
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    pieces = special + sorted(words | chars) + sorted(f"##{c}" for c in chars)
    tok = Tokenizer(models.WordPiece({p: i for i, p in enumerate(pieces)}, unk_token="[UNK]"))
    tok.normalizer = normalizer
    tok.pre_tokenizer = pre
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", cls), ("[SEP]", sep)]
    )
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                   sep_token="[SEP]", mask_token="[MASK]")
    fast.save_pretrained(out)
    config = BertConfig(vocab_size=tok.get_vocab_size(), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=256)
    import torch

    torch.manual_seed(0)
    BertModel(config).save_pretrained(out)
    return out


def fixture_texts(path: Path) -> list[str]:
    return [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory, fixture_file) -> Path:
    """A directory holding a tiny random BertModel and a WordPiece tokenizer trained on the fixture."""
    return build_tiny_base(fixture_texts(fixture_file), tmp_path_factory.mktemp("tiny-base"))


@pytest.fixture(scope="session")
def trained_model(tmp_path_factory, tiny_base, fixture_file) -> Path:
    """A tiny sourcetag model trained for a few steps on the fixture (built once, copied per test)."""
    from sourcetag.training.config import DataArguments, ModelArguments, TrainArguments
    from sourcetag.training.train import train

    out = tmp_path_factory.mktemp("trained") / "model"
    train(ModelArguments(base_model=str(tiny_base), context_window=1, max_length=64),
          DataArguments(train_file=str(fixture_file)),
          TrainArguments(output_dir=str(out), epochs=2, batch_size=8, learning_rate=1e-3, seed=1, precision="fp32"),
          command_line=["test"], log=lambda *a: None)
    return out


@pytest.fixture
def model_dir(trained_model, tmp_path) -> Path:
    dst = tmp_path / "model"
    shutil.copytree(trained_model, dst)
    return dst


def _hypothesis_profiles() -> None:
    """Fuzz tests run a modest number of examples in the suite; SOURCETAG_FUZZ=campaign runs a long campaign
    (see tests/README.md)."""
    try:
        from hypothesis import HealthCheck, settings
    except ImportError:  # the dev extra is not installed: the fuzz tests skip themselves
        return
    quiet = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}
    settings.register_profile("suite", max_examples=40, **quiet)
    settings.register_profile("campaign", max_examples=int(os.environ.get("SOURCETAG_FUZZ_EXAMPLES", "20000")),
                              **quiet)
    settings.load_profile(os.environ.get("SOURCETAG_FUZZ", "suite"))


_hypothesis_profiles()
