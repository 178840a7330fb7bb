from sourcetag.model.evidence import find_evidence
from sourcetag.model.features import InputSpec, article_inputs
from sourcetag.model.lexicon import compile_lexicon, official_terms, read_lexicon_text


def test_target_first_with_neighbours_in_second_segment():
    firsts, seconds = article_inputs(["A said x.", "“More.", "Next one."], InputSpec(context_window=1), "[SEP]")
    assert firsts == ["A said x.", "“More.", "Next one."]
    assert seconds == ["[SEP] “More.", "A said x. [SEP] Next one.", "“More. [SEP]"]


def test_sentence_alone_has_no_second_segment():
    assert article_inputs(["One.", "Two."], InputSpec(context_window=0), "[SEP]") == (["One.", "Two."], None)


def test_official_hint_lists_lexicon_terms():
    lex = compile_lexicon(read_lexicon_text())
    assert official_terms("The Defence Ministry and a police spokesman said", lex) == ["ministry", "police", "spokesman"]
    _, seconds = article_inputs(["Police said so.", "A blogger wrote."], InputSpec(context_window=0, official_hint=True),
                                "[SEP]", lex)
    assert seconds == ["official: police", "official: none"]


def test_lexicon_user_file_and_wildcards(tmp_path):
    lex = compile_lexicon("# comment\nsheriff*\nfire chief\n")
    assert official_terms("The sheriff's office and the Fire  Chief said", lex) == ["sheriff", "fire chief"]


def test_evidence_cue_and_source():
    ev = find_evidence("A Ukrainian military spokesperson claimed that 100 troops surrendered, according to The Kyiv Post.")
    assert (ev.cue, ev.source) == ("claimed", "A Ukrainian military spokesperson")
    ev = find_evidence('"A pause would play into their hands," said Zelensky.')
    assert (ev.cue, ev.source) == ("said", "Zelensky")
    ev = find_evidence("According to the General Staff of Ukraine's Armed Forces, 40 drones were shot down.")
    assert (ev.cue, ev.source) == ("According to", "the General Staff of Ukraine's Armed Forces")
    assert find_evidence("The war began in 2022.") is None


def test_evidence_inversion_only_after_a_quotation():
    assert find_evidence("The leader called it reckless and said the Democrats would vote no.").source is None
    assert find_evidence('"It is over," said the Kremlin spokesman.').source == "the Kremlin spokesman"


def test_augmentation_swaps_source_kind_and_flips_label():
    import random

    from sourcetag.training.augment import NON_OFFICIAL_SOURCES, OFFICIAL_SOURCES, swap_source

    lex = compile_lexicon(read_lexicon_text())
    rng = random.Random(0)
    text, label = swap_source("The defence ministry said 40 drones were shot down.", "official_statement", lex, rng)
    assert label == "attributed_claim" and text.endswith(" said 40 drones were shot down.")
    assert any(text.lower().startswith(s.lower()) for s in NON_OFFICIAL_SOURCES)
    text, label = swap_source("A local farmer said his herd had died.", "attributed_claim", lex, rng)
    assert label == "official_statement" and any(text.lower().startswith(s.lower()) for s in OFFICIAL_SOURCES)
    assert swap_source('"Nobody told us anything," she said.', "attributed_claim", lex, rng) is None
    assert swap_source("He said the war was over.", "official_statement", lex, rng) is None  # pronoun
    assert swap_source("It rained.", "unverified_assertion", lex, rng) is None
    # lexicon and label disagree: the source is left alone
    assert swap_source("The defence ministry said so.", "attributed_claim", lex, rng) is None


def test_evidence_inverted_role_phrases():
    assert find_evidence('"Go," said a senior official in Kyiv.').source == "a senior official"
    assert find_evidence('"No," said Ukraine\'s defence minister on Monday.').source == "Ukraine's defence minister"


def test_evidence_skips_cues_inside_quotations():
    ev = find_evidence('"He believes that it is better to go to prison," Syrskyi wrote.')
    assert (ev.cue, ev.source) == ("wrote", "Syrskyi")
    ev = find_evidence("“They said we would be home by May,” one soldier told the paper.")
    assert (ev.cue, ev.source) == ("told", "one soldier")


def test_evidence_source_offset_points_at_the_source_itself():
    # The first word of the source ("A") also occurs inside a later word ("Armed"): the offset must not land there.
    for sentence in ("A spokesman for the Armed Forces said the bridge was hit.",
                     "Late on Monday, a team at Aalto University said the sample was clean."):
        ev = find_evidence(sentence)
        assert ev is not None and ev.source
        assert sentence[ev.source_start:].startswith(ev.source), (sentence, ev)
