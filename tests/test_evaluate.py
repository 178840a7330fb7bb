import json

from sourcetag.eval.baselines import MajorityBaseline, RuleBaseline, TfidfBaseline
from sourcetag.formats.rows import read_rows
from sourcetag.main import main
from sourcetag.model.labels import LABEL2ID


def test_report_on_tiny_model(model_dir, fixture_file, tmp_path, capsys):
    report = tmp_path / "report"
    code = main(["evaluate", "--model", str(model_dir), "--data", str(fixture_file), "--train-data", str(fixture_file),
                 "--compare", f"same model again={model_dir}", "--report", str(report), "--precision", "fp32"])
    assert code == 0
    out = capsys.readouterr().out
    assert "majority label" in out and "TF-IDF" in out and "rules" in out and "same model again" in out
    for name in ("metrics.json", "report.md", "confusion_matrix.png", "reliability.png"):
        assert (report / name).stat().st_size > 0
    m = json.loads((report / "metrics.json").read_text())
    main_sys = m["systems"][m["model"]]
    assert sum(map(sum, main_sys["confusion_matrix"])) == m["n_sentences"] == 83
    ci = main_sys["macro_f1_ci95"]
    assert ci["ci_low"] <= main_sys["macro_f1"] <= ci["ci_high"]
    assert m["systems"]["same model again"]["macro_f1"] == main_sys["macro_f1"]
    assert {"before", "after", "temperature"} <= set(m["calibration"])
    md = (report / "report.md").read_text()
    assert "## Confused sentences" in md and "reliability.png" in md
    assert main(["evaluate", "--model", str(model_dir), "--data", str(fixture_file), "--report", str(report)]) == 1
    assert "--force" in capsys.readouterr().err


def test_baselines(fixture_file):
    rows = read_rows(fixture_file)
    assert set(MajorityBaseline().fit(rows).predict(rows)) == {LABEL2ID["official_statement"]}
    rules = RuleBaseline()
    assert rules.label("READ MORE: Other story") == "filler"
    assert rules.label("The defence ministry said 40 drones were shot down.") == "official_statement"
    assert rules.label("A local farmer said his herd had died.") == "attributed_claim"
    assert rules.label("The war began in 2022 after months of tension.") == "unverified_assertion"
    tfidf = TfidfBaseline().fit(rows)
    assert (tfidf.predict(rows) == [LABEL2ID[r.label] for r in rows]).mean() > 0.8


def test_ablation_table_mean_and_spread(tmp_path):
    from sourcetag.eval.ablation import ablation_table
    from sourcetag.model.labels import LABELS

    dirs = []
    for k, f1 in enumerate((0.8, 0.9)):
        d = tmp_path / f"seed{k}"
        for sub in ("report-test", "report-seeds"):
            (d / sub).mkdir(parents=True)
            system = {"macro_f1": f1, "per_label": {name: {"f1": f1} for name in LABELS}}
            (d / sub / "metrics.json").write_text(json.dumps({"model": "m", "systems": {"m": system}}))
        dirs.append(d)
    table = ablation_table([("context", dirs)])
    assert "| context | 2 | corpus test split | 0.850 ± 0.071 |" in table


def test_ablation_table_has_real_dev_rows_only_when_every_model_has_them(tmp_path):
    from sourcetag.eval.ablation import ablation_table
    from sourcetag.model.labels import LABELS

    dirs = []
    for k in range(2):
        d = tmp_path / f"seed{k}"
        for sub in ("report-test", "report-seeds", "report-realdev"):
            (d / sub).mkdir(parents=True)
            f1 = 0.6 if sub == "report-realdev" else 0.9
            system = {"macro_f1": f1, "per_label": {name: {"f1": f1} for name in LABELS}}
            (d / sub / "metrics.json").write_text(json.dumps({"model": "m", "systems": {"m": system}}))
        dirs.append(d)
    assert "| both | 2 | real-dev (16 real pages) | 0.600 ± 0.000 |" in ablation_table([("both", dirs)])
    (dirs[1] / "report-realdev" / "metrics.json").unlink()
    table = ablation_table([("one", dirs)])
    assert "real-dev" not in table and "| one | 2 | seed articles (real pages) | 0.900 ± 0.000 |" in table


def test_ablation_section_goes_into_report_and_replaces_an_earlier_one(tmp_path):
    from sourcetag.eval.ablation import main as ablation_main
    from sourcetag.model.labels import LABELS

    d = tmp_path / "m"
    for sub in ("report-test", "report-seeds"):
        (d / sub).mkdir(parents=True)
        system = {"macro_f1": 0.7, "per_label": {name: {"f1": 0.7} for name in LABELS}}
        (d / sub / "metrics.json").write_text(json.dumps({"model": "m", "systems": {"m": system}}))
    report = d / "report-test"
    (report / "report.md").write_text("# Evaluation report\n\n## Summary\n\ntext\n")
    ablation_main([f"first={d}", "--report", str(report), "--output", str(tmp_path / "ab.md")])
    ablation_main([f"second={d}", "--report", str(report)])
    text = (report / "report.md").read_text()
    assert text.count("## Ablation") == 1
    assert "| second |" in text and "| first |" not in text
    assert text.startswith("# Evaluation report\n\n## Summary\n\ntext\n")
    assert "| first | 1 | corpus test split | 0.700 |" in (tmp_path / "ab.md").read_text()
    ablation_main(["--table", str(tmp_path / "ab.md"), "--report", str(report)])  # a table measured earlier
    text = (report / "report.md").read_text()
    assert text.count("## Ablation") == 1 and "| first |" in text and "| second |" not in text


def test_default_report_folder_is_recorded_as_written_by_sourcetag(model_dir, fixture_file):
    """train --force replaces only what sourcetag wrote into a model folder; its own reports are part of that."""
    from sourcetag.formats.outputs import written_entries

    assert main(["evaluate", "--model", str(model_dir), "--data", str(fixture_file), "--precision", "fp32",
                 "--quiet"]) == 0
    assert (model_dir / "report-sentences" / "report.md").is_file()
    assert "report-sentences" in written_entries(model_dir)
