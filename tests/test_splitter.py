from sourcetag.model.splitter import normalize, split_sentences


def test_offsets_point_into_the_text():
    text = normalize("Headline here\n\nBy A Reporter | 3 May\nMr. Smith said it was 3.5 p.c. higher. He left.\r\n")
    spans = split_sentences(text)
    assert [s.text for s in spans] == ["Headline here", "By A Reporter | 3 May",
                                       "Mr. Smith said it was 3.5 p.c. higher.", "He left."]
    for s in spans:
        assert text[s.start : s.end] == s.text


def test_lines_never_join():
    spans = split_sentences("READ MORE: Another story\nThe minister said so.")
    assert [s.text for s in spans] == ["READ MORE: Another story", "The minister said so."]


def test_stray_closing_quotes_go_back_to_their_sentence():
    text = '“Many of them are still here.” He said so. "We left everything." She cried.'
    assert [s.text for s in split_sentences(text)] == [
        "“Many of them are still here.”", "He said so.", '"We left everything."', "She cried."]
    for s in split_sentences('He went on: "All will be achieved. "Nothing changes."'):
        assert any(ch.isalnum() for ch in s.text)


def test_empty_text_has_no_sentences():
    assert split_sentences("\n \n") == []


def test_split_is_thread_safe():
    """One pysbd segmenter shared by threads mixed up their texts and dropped sentences (issue 19 item 3)."""
    from concurrent.futures import ThreadPoolExecutor

    texts = [f"Headline {i}\n\n" + "The minister said so. Mr. Smith left at 3.5 p.m. today. “We wait,” he said. " * (1 + i % 5)
             + f"\nREAD MORE: Story {i}" for i in range(40)]
    expected = [split_sentences(t) for t in texts]
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(split_sentences, texts * 5)) == expected * 5


def _prose(n_chars: int) -> str:
    import json
    from pathlib import Path

    texts = [json.loads(line)["text"] for line in
             (Path(__file__).parent / "fixtures" / "sentences.jsonl").read_text(encoding="utf-8").splitlines()]
    base = " ".join(texts)
    return (base * (n_chars // len(base) + 1))[:n_chars].rstrip()


def _no_space(s: str) -> str:
    return "".join(s.split())


def _count_pysbd_input(monkeypatch) -> list[int]:
    from sourcetag.model import splitter

    sizes: list[int] = []
    real = splitter._segmenter

    class Counting:
        def segment(self, text):
            sizes.append(len(text))
            return real().segment(text)

    monkeypatch.setattr(splitter, "_segmenter", Counting)
    return sizes


def test_long_line_goes_to_pysbd_in_bounded_windows_linear_in_its_length(monkeypatch):
    """Issue 19 item 4: pysbd is quadratic in its input (a 411 KB line took 111 s); a long line is read in windows
    of at most MAX_PIECE characters, and the characters pysbd reads in all grow linearly with the line."""
    from sourcetag.model import splitter

    sizes = _count_pysbd_input(monkeypatch)
    read = {}
    for n in (30_000, 60_000):
        sizes.clear()
        line = _prose(n)
        spans = split_sentences(line)
        assert max(sizes) <= splitter.MAX_PIECE
        read[n] = sum(sizes)
        assert read[n] <= 1.5 * len(line)  # each window moves on by nearly its whole length
        assert _no_space("".join(s.text for s in spans)) == _no_space(line)  # no character of content lost
        assert all(line[s.start : s.end] == s.text for s in spans)
        assert all(a.end <= b.start for a, b in zip(spans, spans[1:], strict=False))
    assert read[60_000] <= 2.2 * read[30_000]


def test_windows_split_a_long_line_as_pysbd_would_whole():
    from sourcetag.model.splitter import _line_pieces

    line = _prose(12_000)
    assert _line_pieces(line) == _line_pieces(line, limit=10**9)


def test_lines_without_sentence_ends_are_cut_and_nothing_is_lost(monkeypatch):
    from sourcetag.model import splitter

    sizes = _count_pysbd_input(monkeypatch)
    for line in ("x" * 9_000, ("word " * 3_000).strip(), "A" + "b, c and d" * 1_200 + "."):
        sizes.clear()
        spans = split_sentences(line)
        assert max(sizes) <= splitter.MAX_PIECE and sum(sizes) <= 4 * len(line) + splitter.MAX_PIECE
        assert _no_space("".join(s.text for s in spans)) == _no_space(line)
        assert all(line[s.start : s.end] == s.text and s.text.strip() == s.text for s in spans)


def test_split_reports_progress_in_characters():
    text = "Headline\n\n" + _prose(5_000) + "\nREAD MORE: x\n"
    done: list[int] = []
    split_sentences(text, progress=done.append)
    assert sum(done) == len(text) and len(done) > 4  # the long line reports each window
