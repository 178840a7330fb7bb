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
