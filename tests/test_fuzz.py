"""Property tests over every reader and the splitter: any bytes give articles or one clear error.

A modest number of examples runs in the suite; ``SOURCETAG_FUZZ=campaign`` runs a long campaign (tests/README.md).
"""

import json
import string

from hypothesis import example, given
from hypothesis import strategies as st
from sourcetag.formats.articles import FORMATS, read_source  # noqa: E402
from sourcetag.model.errors import InputError  # noqa: E402
from sourcetag.model.splitter import normalize, split_sentences  # noqa: E402

# pieces that news text and broken files are made of: sentence ends, quotes, abbreviations, line breaks of every
# kind (U+2028 and U+0085 are valid inside JSON strings), combining marks, astral characters, markup, JSON syntax
PIECES = [*"ab .!?\"'“”’»«()[]{}<>:;,-—…\n\r\t0123456789AZé😀\u0301\u00a0\u2028\u2029\x85\x0b\x0c\ufeff\\/",
          "Mr.", "U.S.", "...", "e.g.", " said ", "“Yes.” ", "<p>", "</p>", "<html>", "<!DOCTYPE html>",
          "<article>", '{"text": ', '{"article": ', '"a"', ', "idx": 0', ', "label": "filler"', "}", "\\ud800",
          "null", "[", "]"]
text_like = st.lists(st.sampled_from(PIECES), max_size=60).map("".join)
byte_strings = st.one_of(
    st.binary(max_size=300),
    text_like.map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.tuples(text_like, st.binary(max_size=8), text_like).map(
        lambda t: t[0].encode("utf-8", "surrogatepass") + t[1] + t[2].encode("utf-8", "surrogatepass")),
)
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text_like,
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text_like, inner, max_size=3),
                           max_leaves=8)
row = st.fixed_dictionaries({}, optional={"article": st.sampled_from(["a", "b", 1, None]), "text": json_values,
                                          "idx": st.sampled_from([0, 1, 2, -1, "1", True, None]),
                                          "label": st.sampled_from(["filler", "nope", None, ["x"]]),
                                          "id": json_values, "title": json_values, "extra": json_values})
jsonl_files = st.lists(st.one_of(row.map(lambda r: json.dumps(r, ensure_ascii=False)),
                                 row.map(json.dumps), text_like), max_size=6).map(
    lambda lines: "\n".join(lines).encode("utf-8", "surrogatepass"))
names = st.sampled_from(["in.txt", "in.html", "in.jsonl", "in.json", "in", "in.md", "page.htm"])


def check_articles(name, raw, fmt):
    """Articles with text (or sentences) that can be written out, or one InputError naming the file."""
    try:
        used, articles = read_source(name, raw, fmt, "id", max_chars=10_000)
    except InputError as e:
        msg = str(e)
        assert msg.startswith(name) or msg.startswith(f"{name}:"), msg
        assert "\n" not in msg and "\r" not in msg, msg
        return
    assert used in FORMATS[1:]
    assert articles
    for a in articles:
        if a.sentences is None:
            assert isinstance(a.text, str) and a.text.strip()
            a.text.encode("utf-8")  # writable: no lone surrogates
        else:
            assert a.sentences and all(isinstance(r["text"], str) and r["text"].strip() for r in a.sentences)
            json.dumps(a.sentences, ensure_ascii=False).encode("utf-8")
        a.fingerprint()


@given(names, byte_strings, st.sampled_from(FORMATS))
@example("in.jsonl", '{"text": "line\u2028break"}\n'.encode(), "auto")
@example("in.jsonl", b'{"text": "\\ud800"}\n', "jsonl")
@example("in.jsonl", b"[" * 100_000, "jsonl")
@example("in.jsonl", b'{"article": "a", "text": "x", "label": ["x"]}', "sentences")
def test_any_bytes_give_articles_or_one_error(name, raw, fmt):
    check_articles(name, raw, fmt)


@given(names, jsonl_files, st.sampled_from(["auto", "jsonl", "sentences"]))
def test_jsonl_like_files_give_articles_or_one_error(name, raw, fmt):
    check_articles(name, raw, fmt)


@given(text_like)
@example("x" * 3000)
@example("He said: “Go.” “Now.”\r\nThen\u2028left…")
def test_splitter_offsets_point_into_the_text_and_no_character_is_lost(text):
    text = normalize(text)
    spans = split_sentences(text)
    covered = set()
    end = 0
    for s in spans:
        assert text[s.start : s.end] == s.text and s.text.strip()
        assert s.start >= end  # in order, never overlapping
        assert "\n" not in s.text  # a sentence never spans a line break
        end = s.end
        covered.update(range(s.start, s.end))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())


@given(text_like)
def test_text_reader_offsets_after_normalising(text):
    raw = text.encode("utf-8", "surrogatepass")
    try:
        _, (article,) = read_source("in.txt", raw, "text", "id")
    except InputError:
        return
    normed = normalize(article.text)
    for s in split_sentences(normed):
        assert normed[s.start : s.end] == s.text


def test_printable_ascii_never_crashes_the_html_reader():
    page = "<html><body><article>" + " ".join(string.ascii_letters) * 3 + "</article></body></html>"
    check_articles("page.html", page.encode(), "auto")
