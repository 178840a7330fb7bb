"""Evidence for a sourced sentence: the attribution cue and the source span it points to.

This is a pattern-based reading of the sentence that tells a reader *why* it is sourced (``said`` /
``the General Staff of Ukraine's Armed Forces``). It does not decide the label: the model does. Pronoun
sources (``He said``) are returned as the pronoun; resolving them is left to the reader.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass

_VERBS = (
    "said|says|say|told|tells|claimed|claims|claim|stated|states|announced|announces|warned|warns|reported|"
    "reports|wrote|writes|added|adds|confirmed|confirms|denied|denies|tweeted|posted|posts|shared|argued|"
    "argues|insisted|insists|explained|explains|noted|notes|revealed|reveals|alleged|alleges|accused|urged|"
    "urges|appealed|declared|declares|estimated|estimates|suggested|suggests|predicted|predicts|acknowledged|"
    "admitted|admits|believes|believed|described|described|told reporters|wrote on|said in a statement"
)
_AUX = {"has", "have", "had", "was", "were", "is", "are", "also", "has also", "had also", "later", "then",
        "previously", "earlier", "repeatedly", "publicly", "on", "been", "would", "will", "did"}
_VERB_RE = re.compile(rf"(?<![\w'’-])({_VERBS})(?![\w'’-])", re.IGNORECASE)
_ACCORDING_RE = re.compile(r"(?<!\w)(according to|citing|cited by|quoted by|in a statement from|per)\s+(?P<src>[^,;:.!?\"“”]+)",
                           re.IGNORECASE)
_STOP_RIGHT = {"on", "in", "at", "that", "during", "after", "before", "when", "while", "to", "as", "last", "this",
               "adding", "told", "of", "for", "with", "from", "earlier", "later", "yesterday", "today", "and"}
# after the cue: "the" or a capitalised word, then words up to punctuation or a function word
_INVERTED = re.compile(r"\s+((?:(?:the|a|an)\s+[\w'’.-]+|[A-Z][\w'’.-]*)(?:\s+(?!(?:"
                       + "|".join(sorted(_STOP_RIGHT)) + r")\b)[\w'’.-]+){0,7})")
_STOP_LEFT = re.compile(r"[\"“”:;]|(?:^|\s)(?:that|and|but|while|as)\s")


@dataclass(frozen=True)
class Evidence:
    """The attribution cue and the source it names, with offsets in the sentence (``None`` if not found)."""

    cue: str
    source: str | None
    cue_start: int
    source_start: int | None

    def to_dict(self) -> dict:
        return asdict(self)


def _left_source(left: str) -> tuple[str, int] | None:
    """The noun phrase that ends just before a cue verb, or None."""
    piece_start = 0
    for m in _STOP_LEFT.finditer(left):
        piece_start = m.end()
    piece = left[piece_start:]
    if "," in piece:
        head, _, tail = piece.rpartition(",")
        if tail.strip():
            piece_start += len(head) + 1
            piece = tail
    words = [(m.start(), m.group()) for m in re.finditer(r"\S+", piece)]
    while words and words[-1][1].lower() in _AUX:
        words.pop()
    if not words:
        return None
    words = words[-15:]
    # The offset of the first kept word itself: searching for its text could land inside a later word
    # (the "A" of "A spokesman for Armed Forces" found in "Armed").
    return " ".join(w for _, w in words), piece_start + words[0][0]


def _clean(span: str) -> str:
    return span.strip().rstrip(",.;:!?")


def _verb_evidence(sentence: str, m: re.Match[str]) -> Evidence:
    found = _left_source(sentence[: m.start()])
    if found:
        return Evidence(cue=m.group(1), source=_clean(found[0]), cue_start=m.start(1), source_start=found[1])
    # inversion, only straight after a quotation: '"...," said Zelensky.' ("and said the party would" is not one)
    if not sentence[: m.start()].rstrip().endswith(('"', "”", "’", "'")):
        return Evidence(cue=m.group(1), source=None, cue_start=m.start(1), source_start=None)
    right = _INVERTED.match(sentence[m.end():])
    if right:
        words = right.group(1).split()
        while words and words[-1].lower() in _STOP_RIGHT:
            words.pop()
        if words:
            return Evidence(cue=m.group(1), source=_clean(" ".join(words)), cue_start=m.start(1),
                            source_start=m.end() + right.start(1))
    return Evidence(cue=m.group(1), source=None, cue_start=m.start(1), source_start=None)


def _inside_quotation(sentence: str, pos: int) -> bool:
    """Whether ``pos`` lies inside quoted speech: the quoted words are the claim, not its attribution."""
    before = sentence[:pos]
    curly = before.count("“") - before.count("”")
    return curly > 0 or before.count('"') % 2 == 1


def find_evidence(sentence: str) -> Evidence | None:
    """The first attribution cue in ``sentence`` and its source, or None when there is no cue.

    The earliest cue wins: in ``A spokesperson claimed ..., according to The Kyiv Post`` the originating
    speaker is the spokesperson; the outlet only relays it (the guideline's "label by the originating speaker").
    """
    verb = next((m for m in _VERB_RE.finditer(sentence) if not _inside_quotation(sentence, m.start())), None)
    acc = next((m for m in _ACCORDING_RE.finditer(sentence) if not _inside_quotation(sentence, m.start())), None)
    if acc and (verb is None or acc.start() < verb.start()):
        src = _clean(acc.group("src"))
        return Evidence(cue=acc.group(1), source=src or None, cue_start=acc.start(1), source_start=acc.start("src"))
    if verb:
        return _verb_evidence(sentence, verb)
    return None


_PRONOUN_SOURCE = re.compile(r"^(he|she|they|it|we|i|you|his|her|their|the\s+\w+)$", re.IGNORECASE)


def named_sources(sources: Iterable[str | None]) -> list[str]:
    """The distinct sources an article names, in order of first mention: evidence sources without the pronouns
    and bare "the X" phrases (``He``, ``the spokesman``) that only point back to a source named earlier."""
    seen: dict[str, None] = {}
    for src in sources:
        if src and src.strip() and not _PRONOUN_SOURCE.match(src.strip()):
            seen.setdefault(src.strip(), None)
    return list(seen)
