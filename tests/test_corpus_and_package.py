import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
from sourcetag.formats.rows import read_rows
from sourcetag.training.corpus import validate

REPO = Path(__file__).resolve().parents[1]
SHARED_SEEDS = REPO.parent / "shared" / "seeds"


def test_corpus_validates():
    summary = validate(REPO / "data")
    repeated = summary.pop("short_furniture_in_several_splits")
    assert all(len(t.split()) <= 12 for t in repeated)
    total = sum(s["sentences"] for s in summary.values())
    assert total >= 5000
    assert sum(s["articles"] for s in summary.values()) >= 250
    for label in ("official_statement", "attributed_claim", "unverified_assertion", "filler"):
        assert sum(s["labels"][label] for s in summary.values()) / total >= 0.15


def test_seed_labels_cover_the_seeds_and_stay_out_of_training():
    seeds = read_rows(REPO / "data" / "seeds.jsonl")
    names = {p.stem for p in (REPO / "seeds").glob("*.txt")}
    assert {r.article for r in seeds} == names and len(names) == 5
    train_articles = {r.article for r in read_rows(REPO / "data" / "train.jsonl")}
    assert not names & train_articles


def test_seeds_are_byte_identical():
    """seeds/ matches the checksums recorded from ../shared/seeds, and ../shared/seeds itself where it is beside us."""
    recorded = dict(reversed(line.split()) for line in (REPO / "tests" / "fixtures" / "seeds.sha256").read_text().splitlines())
    mine = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (REPO / "seeds").iterdir()}
    assert mine == recorded and len(mine) == 5
    if SHARED_SEEDS.is_dir():
        shared = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in SHARED_SEEDS.glob("*.txt")}
        assert shared == mine


def test_no_generic_top_level_modules_are_imported():
    code = ("import sys, sourcetag, sourcetag.model.tagger, sourcetag.training.train, sourcetag.commands.evaluate;"
            "bad = [m for m in ('model', 'training', 'eval', 'cli') if m in sys.modules]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_cli_help_does_not_import_torch():
    code = "import sys; from sourcetag.main import main; main(['--help']); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().endswith("False")


def _tiny_corpus(tmp_path, test_text="The minister said so."):
    import json

    d = tmp_path / "data"
    (d / "articles").mkdir(parents=True)
    arts = {"a1": ("train", ["Police said two men were held.", "Share"]),
            "a2": ("dev", ["It rained all day.", "Share"]),
            "a3": ("test", [test_text])}
    for art, (split, sents) in arts.items():
        (d / "articles" / f"{art}.txt").write_text("\n\n".join(sents) + "\n", encoding="utf-8")
        with (d / f"{split}.jsonl").open("a", encoding="utf-8") as f:
            for i, t in enumerate(sents):
                label = "filler" if t == "Share" else "official_statement"
                f.write(json.dumps({"id": f"{art}-{i}", "article": art, "idx": i, "text": t, "label": label}) + "\n")
    (d / "articles.jsonl").write_text("".join(json.dumps({"article": a, "split": s}) + "\n"
                                              for a, (s, _) in arts.items()), encoding="utf-8")
    return d


def test_validator_accepts_short_shared_furniture_and_rejects_leaks(tmp_path):
    from sourcetag.model.errors import DataError

    ok = validate(_tiny_corpus(tmp_path / "ok"))
    assert ok["short_furniture_in_several_splits"] == ["Share"]
    with pytest.raises(DataError, match="occur in more than one split"):
        validate(_tiny_corpus(tmp_path / "leak", test_text="Police said two men were held."))
    d = _tiny_corpus(tmp_path / "resplit")
    (d / "articles" / "a3.txt").write_text("The minister said so. And more.\n", encoding="utf-8")
    with pytest.raises(DataError, match="does not reproduce"):
        validate(d)
    d = _tiny_corpus(tmp_path / "idx")
    text = (d / "train.jsonl").read_text().replace('"idx": 1', '"idx": 2')
    (d / "train.jsonl").write_text(text)
    with pytest.raises(DataError, match="idx of article 'a1'"):
        validate(d)


def test_growing_the_corpus_keeps_earlier_splits():
    from sourcetag.model.errors import DataError
    from sourcetag.training.corpus import SourceArticle, assign_splits

    def art(name):
        return SourceArticle(article=name, style="wire", topic="war", text="", spans=[])

    old = [art(f"a{i:02}") for i in range(20)]
    texts = {a.article: [f"claim {a.article}"] for a in old}
    first = assign_splits(old, texts, seed=1)
    assert set(first.values()) == {"train", "dev", "test"}
    new = [art(f"b{i:02}") for i in range(20)]
    texts.update({a.article: [f"claim {a.article}"] for a in new})
    texts["b00"].append("claim a00")  # b00 repeats a sentence of a00, so it must follow a00
    grown = assign_splits(old + new, texts, seed=1, keep=first)
    assert all(grown[a] == s for a, s in first.items())
    assert grown["b00"] == first["a00"]
    assert sum(v == "test" for v in grown.values()) == 4  # 10% of 40, topped up by new articles only
    texts["b01"] = ["claim a01", "claim a02"]
    clash = {**first, "a01": "train", "a02": "test"}
    with pytest.raises(DataError, match="share a sentence"):
        assign_splits(old + new, texts, seed=1, keep=clash)


def test_version_has_one_place_the_installed_metadata(capsys):
    """``sourcetag.__version__`` and ``sourcetag --version`` both read pyproject's version (installed metadata)."""
    from importlib.metadata import version

    import sourcetag
    from sourcetag.main import main

    assert sourcetag.__version__ == version("sourcetag")
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"{version('sourcetag')}\n"


def test_every_command_is_one_module_in_one_pattern():
    """Each command is ``sourcetag.commands.NAME`` with ``HELP``, ``parse(argv)`` and ``run(args)``."""
    from importlib import import_module

    from sourcetag.commands import COMMANDS

    assert COMMANDS == ("train", "evaluate", "predict", "view")
    for name in COMMANDS:
        module = import_module(f"sourcetag.commands.{name}")
        assert isinstance(module.HELP, str) and callable(module.parse) and callable(module.run), name
