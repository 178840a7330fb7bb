"""The HTML view: prediction rows in, one offline page out, checked in the source and in headless Chromium.

The browser tests need Chromium (scripts/setup.sh installs it): without it they fail, they never skip.
"""

import json
import struct

import pytest
from sourcetag.formats.predictions import PredictedRow, read_predictions
from sourcetag.main import main
from sourcetag.model.errors import DataError
from sourcetag.model.labels import LABELS
from sourcetag.view.browser import Browser, BrowserError, check_page
from sourcetag.view.render import render_html, script_json

HOSTILE = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2"> & </p></span>'


def probs(label: str, top: float = 0.91) -> dict:
    rest = (1 - top) / 3
    return {k: round(top if k == label else rest, 6) for k in LABELS}


def row(article, idx, text, label, start=None, review=False, evidence=None, **extra):
    return {"article": article, "idx": idx, "id": f"{article}-{idx}", "text": text,
            "start": start, "end": None if start is None else start + len(text), **extra, "label": label,
            "probs": probs(label, 0.52 if review else 0.91), "needs_review": review, "evidence": evidence}


def sample_rows() -> list[dict]:
    """Three articles: a port story with paragraphs and evidence, a hostile one, and one of filler."""
    head = "Port reopens after storm"
    s1 = "The ministry said on Monday that the port had reopened."
    s2 = "One fisherman told the local paper that his boat was damaged."
    s3 = "Prices will probably rise."
    p1, p2 = len(head) + 2, len(head) + 2 + len(s1) + 2
    return [
        row("port", 0, head, "unverified_assertion", start=0),
        row("port", 1, s1, "official_statement", start=p1, evidence={"cue": "said", "source": "The ministry"}),
        row("port", 2, s2, "attributed_claim", start=p2,
            evidence={"cue": "told", "source": "One fisherman"}),
        row("port", 3, s3, "unverified_assertion", start=p2 + len(s2) + 1, review=True),
        row(f"evil{HOSTILE}", 0, f"He said {HOSTILE}", "attributed_claim",
            evidence={"cue": "said", "source": HOSTILE}, gold_label=HOSTILE),
        row("furniture", 0, f"Cookie settings {HOSTILE} Share", "filler"),
    ]


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def predictions(tmp_path):
    return write_jsonl(tmp_path / "predictions.jsonl", sample_rows())


# -- rows ----------------------------------------------------------------------------------------------------


def test_prediction_rows_round_trip_through_the_reader(predictions):
    rows = read_predictions(predictions)
    assert [r.to_dict() for r in rows] == sample_rows()
    assert rows[1].evidence == {"cue": "said", "source": "The ministry"} and rows[4].extra == {"gold_label": HOSTILE}


@pytest.mark.parametrize("change, message", [
    (lambda r: r.pop("probs"), ":2: missing field 'probs' (not a prediction row"),
    (lambda r: r["probs"].pop("filler"), ":2: 'probs' must map each of"),
    (lambda r: r.update(needs_review="yes"), ":2: 'needs_review' must be true or false"),
    (lambda r: r.update(evidence="said"), ":2: 'evidence' must be null or"),
    (lambda r: r.update(label="rumour"), ":2: unknown label 'rumour'"),
])
def test_bad_prediction_rows_name_file_and_line(tmp_path, change, message):
    rows = sample_rows()
    change(rows[1])
    path = write_jsonl(tmp_path / "bad.jsonl", rows)
    with pytest.raises(DataError) as e:
        read_predictions(path)
    assert str(e.value).startswith(str(path)) and message in str(e.value)


# -- the page source -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("expand_up_to", [12, 0], ids=["expanded", "collapsed"])
def test_every_string_is_escaped_in_the_source(predictions, expand_up_to):
    page = render_html(read_predictions(predictions), title=HOSTILE, source=HOSTILE, expand_up_to=expand_up_to)
    assert "pwned" in page  # the text is there ...
    assert "<script>window" not in page and "<img" not in page and 'onerror="' not in page  # ... but never as markup
    assert page.count("<script") == 3  # the two JSON blocks and the page's own script, nothing from the rows
    if expand_up_to:
        assert "&lt;script&gt;window.pwned = 1&lt;/script&gt;&lt;img src=x onerror=&quot;window.pwned" in page
    body = page.split('id="st-bodies">', 1)[1].split("</script>", 1)[0]
    assert "<" not in body and ">" not in body and "&" not in body.replace("\\u0026", "")
    texts = json.loads(body)  # collapsed articles' text: HTML that the page inserts when one is opened
    assert len(texts) == (0 if expand_up_to else 3)
    assert not any("<script>window" in t or "<img" in t for t in texts)
    assert expand_up_to or "Cookie settings &lt;script&gt;window.pwned = 1&lt;/script&gt;&lt;img" in texts[2]


def test_script_json_cannot_close_its_script():
    text = script_json({"a": "</script><script>alert(1)</script>&amp;"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"a": "</script><script>alert(1)</script>&amp;"}


def test_page_is_self_contained_and_structured(predictions):
    page = render_html(read_predictions(predictions), title="Seeds")
    for fetch in ("http://", "https://", "//cdn", "@import", "@font-face", "<link", "src="):
        assert fetch not in page.replace("src=x", "")
    assert page.count('<details class="art"') == 3 and page.count(" open>") == 3
    assert page.count('class="s ') == 6 + 4  # six sentences and the legend's four samples
    assert '<p class="headline"><span class="s u"' in page  # the port story's first line
    assert '<b class="src">The ministry</b> <b class="cue">said</b>' in page
    assert '<span class="s u rv"' in page  # needs_review
    port = page.split('id="a1"', 1)[1].split("</details>", 1)[0]
    assert port.count("<p") == 1 + 3 + 1  # sources; headline and two paragraphs (blank lines between); back link


def test_sources_named_leave_out_pronouns_and_repeats():
    from sourcetag.model.evidence import named_sources

    sources = ["The Ministry of Defence", None, "He", " The Ministry of Defence ", "the spokesman", "", "Igor Sushko"]
    assert named_sources(sources) == ["The Ministry of Defence", "Igor Sushko"]


# -- in Chromium ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    with Browser() as b:  # no Chromium: BrowserError, so the tests fail (scripts/setup.sh installs it)
        yield b


def test_chromium_opens_the_view_cleanly_and_everything_is_in_the_dom(browser, predictions, tmp_path):
    path = tmp_path / "view.html"
    path.write_text(render_html(read_predictions(predictions), title=HOSTILE), encoding="utf-8")
    page = browser.open(path)
    assert page.errors == [] and page.requests == [] and page.dialogs == []
    count = page.evaluate
    assert count("document.querySelectorAll('details.art[open]').length") == 3
    assert count("document.querySelectorAll('table.index tbody tr').length") == 3
    assert count("document.querySelectorAll('.text .s[data-p]').length") == 6
    assert count("document.querySelectorAll('.text .rv').length") == 1
    # the hostile strings are text, in the DOM too: no element, no handler ran
    assert count("typeof window.pwned") == "undefined"
    assert count("document.querySelectorAll('img, #articles script, .index script').length") == 0
    assert count("document.querySelectorAll('script').length") == 3
    assert count("document.querySelectorAll('.text .s')[4].textContent") == f"He said {HOSTILE}"
    assert count("document.querySelector('#a2 h2').textContent") == f"evil{HOSTILE}"
    assert count("document.title") == HOSTILE


def test_filter_tooltip_and_keyboard(browser, predictions, tmp_path):
    path = tmp_path / "view.html"
    path.write_text(render_html(read_predictions(predictions)), encoding="utf-8")
    page = browser.open(path)
    shown = "[...document.querySelectorAll('.text .s')].filter(s => getComputedStyle(s).display !== 'none').length"
    page.evaluate("document.querySelector('input[data-filter=u]').click()")
    assert page.evaluate(shown) == 4
    page.evaluate("document.querySelector('input[data-filter=u]').click(); document.getElementById('only-rv').click()")
    assert page.evaluate(shown) == 1
    page.evaluate("document.getElementById('only-rv').click()")
    # a keyboard user tabs from the top of the page to the first sentence and gets the four probabilities
    for _ in range(40):
        page.press("Tab", 9)
        if page.evaluate("document.activeElement.matches('.text .s')"):
            break
    assert page.evaluate("document.activeElement.textContent") == "Port reopens after storm"
    tip = page.evaluate("(t => [t.hidden, t.textContent, document.activeElement.getAttribute('aria-describedby')])"
                        "(document.getElementById('tip'))")
    assert tip[0] is False and tip[2] == "tip"
    assert "Unverified assertion" in tip[1] and "91.0%" in tip[1] and tip[1].count("3.0%") == 3
    page.press("Escape", 27)
    assert page.evaluate("document.getElementById('tip').hidden") is True
    assert page.errors == []


def test_collapsed_articles_open_from_the_index_with_their_text_still_inert(browser, predictions, tmp_path):
    path = tmp_path / "view.html"
    path.write_text(render_html(read_predictions(predictions), expand_up_to=0), encoding="utf-8")
    page = browser.open(path)
    assert page.evaluate("document.querySelectorAll('details.art[open]').length") == 0
    assert page.evaluate("document.querySelectorAll('.text .s').length") == 0
    page.evaluate("document.querySelector('a[href=\"#a2\"]').click(); "
                  "new Promise(r => setTimeout(r, 50))")
    assert page.evaluate("document.getElementById('a2').open") is True
    assert page.evaluate("document.querySelector('#a2 .text .s').textContent") == f"He said {HOSTILE}"
    assert page.evaluate("[typeof window.pwned, document.querySelectorAll('img').length]") == ["undefined", 0]
    page.evaluate("document.getElementById('expand-all').click(); new Promise(r => setTimeout(r, 50))")
    assert page.evaluate("document.querySelectorAll('.text .s').length") == 6
    assert page.errors == [] and page.requests == []


def test_readable_on_a_phone(browser, predictions, tmp_path):
    path = tmp_path / "view.html"
    path.write_text(render_html(read_predictions(predictions)), encoding="utf-8")
    page = browser.open(path, width=390, height=844, mobile=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    assert page.errors == []


def test_console_errors_and_requests_are_caught(browser, predictions, tmp_path, monkeypatch):
    """A deliberately broken page must go red: the checks above are not vacuous."""
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><title>x</title><script>let x = ;</script><script>console.error('boom')"
                   "</script><img src='http://example.invalid/x.png'>", encoding="utf-8")
    page = browser.open(bad)
    assert any("SyntaxError" in e for e in page.errors) and any("boom" in e for e in page.errors)
    assert page.requests == ["http://example.invalid/x.png"]
    import sourcetag.view.render as view

    monkeypatch.setattr(view, "SCRIPT", view.SCRIPT.replace("'use strict';", "'use strict'; noSuchFunction();"))
    broken = tmp_path / "broken-view.html"
    broken.write_text(view.render_html(read_predictions(predictions)), encoding="utf-8")
    errors = browser.open(broken).errors
    assert len(errors) == 1 and "noSuchFunction is not defined" in errors[0]


# -- commands ------------------------------------------------------------------------------------------------


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_view_command_writes_the_page_and_its_screenshot(predictions, tmp_path, capsys):
    out, png = tmp_path / "out" / "view.html", tmp_path / "out" / "view.png"
    assert main(["view", str(predictions), "-o", str(out), "--screenshot", str(png)]) == 0
    page = out.read_text(encoding="utf-8")
    assert page == render_html(read_predictions(predictions), title="Sourcing view: predictions.jsonl",
                               source="predictions.jsonl")
    width, height = png_size(png)
    assert width == 1200 and height > 900  # the whole page, not just the first screen
    assert "6 sentences in 3 articles" in capsys.readouterr().err
    # never overwritten without --force
    out.write_text("keep", encoding="utf-8")
    assert main(["view", str(predictions), "-o", str(out)]) == 1
    assert out.read_text(encoding="utf-8") == "keep" and "--force" in capsys.readouterr().err
    assert main(["view", str(predictions), "-o", str(out), "--force", "--title", "Mine"]) == 0
    assert "<title>Mine</title>" in out.read_text(encoding="utf-8")


def test_view_command_rejects_rows_that_are_not_predictions(fixture_file, tmp_path, capsys):
    out = tmp_path / "view.html"
    assert main(["view", str(fixture_file), "-o", str(out)]) == 1
    assert f"{fixture_file}:1: missing field 'probs'" in capsys.readouterr().err
    assert not out.exists()


def test_view_reads_standard_input(predictions, tmp_path, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(predictions.read_text(encoding="utf-8")))
    out = tmp_path / "view.html"
    assert main(["view", "-", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8").count('<details class="art"') == 3


def test_check_page_reports_a_missing_browser(monkeypatch, tmp_path):
    monkeypatch.setenv("SOURCETAG_CHROMIUM", str(tmp_path / "no-such-browser"))
    with pytest.raises(BrowserError, match="not an executable"):
        check_page(tmp_path / "x.html")


def test_predict_html_is_the_view_of_its_own_rows(model_dir, tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "a.txt").write_text("Port reopens\n\nThe mayor said the port would reopen. Ships wait.\n", encoding="utf-8")
    (d / "b.txt").write_text("Police said two men were arrested.", encoding="utf-8")
    out, view = tmp_path / "out.jsonl", tmp_path / "out.html"
    argv = ["predict", "--quiet", "--precision", "fp32", "--model", str(model_dir), str(d), "-o", str(out),
            "--html", str(view)]
    assert main(argv) == 0
    assert view.read_text(encoding="utf-8") == render_html(read_predictions(out), title="Sourcing view: in",
                                                           source="in", review_threshold=0.6)
    out.unlink()
    assert main(argv) == 1 and not out.exists()  # the existing HTML is not overwritten either
    assert main([*argv, "--force"]) == 0
    assert PredictedRow.from_dict(json.loads(out.read_text(encoding="utf-8").splitlines()[0])).article == "a"
