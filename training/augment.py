"""Officialness augmentation: swap a sentence's source between official and non-official roles, flip the label.

Real-page errors are mostly official statements called attributed (``../shared/findings.md``): the model has
to learn *who* is official, not which verbs or topics go with a label. For training sentences whose source
span is unambiguous (found by the evidence pattern, not a pronoun, and on the expected side of the official-role
lexicon), an extra copy is added with the source replaced by one of the other kind and the label flipped:
``The interior ministry said ...`` (official) -> ``A local shop owner said ...`` (attributed). The copy keeps
the original neighbours as context. Original rows are never changed.
"""

from __future__ import annotations

import random
import re

from ..model.evidence import find_evidence
from ..model.lexicon import official_terms

OFFICIAL_SOURCES = (
    "the interior ministry", "a police spokesman", "the regional governor", "the defence ministry",
    "a senior State Department official", "the UN refugee agency", "the health minister", "an army spokeswoman",
    "the foreign ministry", "the prime minister's office", "prosecutors", "the city council",
    "the country's central bank", "a government spokesperson", "the general staff", "the coastguard",
    "the Kremlin", "the presidential administration", "the electoral commission", "a NATO official",
    "the ambassador", "the mayor", "the fire service", "the regulator", "a senior defence official",
    "the environment ministry", "the border guard service", "the court", "the World Health Organization",
    "the European Commission",
)
NON_OFFICIAL_SOURCES = (
    "a local shop owner", "the newspaper's correspondent", "an analyst at a London think tank", "the opposition party",
    "a company spokesperson", "one soldier", "the human rights group Civic Watch", "a blogger", "a resident",
    "the broadcaster's reporter", "a university researcher", "the union's general secretary", "an eyewitness",
    "the family's lawyer", "a pro-war Telegram channel", "the club's manager", "a nurse at the hospital",
    "the charity Doctors Without Borders", "the airline", "a farmer", "an opposition MP", "the monitoring group",
    "a local journalist", "the think tank", "one protester", "the energy company", "a retired colonel",
    "the dead man's brother", "a medical student", "the campaign group",
)
_PRONOUN = re.compile(r"^(he|she|they|it|we|i|you|nobody|no one|everyone|someone)$", re.IGNORECASE)
_SPEECH = {"said", "says", "told", "tells", "claimed", "claims", "stated", "states", "warned", "warns", "wrote",
           "writes", "added", "adds", "announced", "announces", "insisted", "insists", "argued", "argues",
           "explained", "noted", "confirmed", "confirms", "denied", "denies", "according to"}
_QUOTES = "\"“”«»"


def swap_source(sentence: str, label: str, lexicon: re.Pattern[str], rng: random.Random) -> tuple[str, str] | None:
    """The sentence with its source replaced by one of the other kind and the flipped label, or None."""
    if label not in ("official_statement", "attributed_claim"):
        return None
    ev = find_evidence(sentence)
    if ev is None or not ev.source or ev.source_start is None or _PRONOUN.match(ev.source):
        return None
    if ev.cue.lower() not in _SPEECH or len(ev.source.split()) > 12:
        return None
    if sum(sentence[: ev.source_start].count(q) for q in _QUOTES) % 2:
        return None  # the "source" sits inside a quotation
    is_official = bool(official_terms(ev.source, lexicon))
    if is_official != (label == "official_statement"):
        return None  # the lexicon and the label disagree about this source: leave it alone
    pool, new_label = ((NON_OFFICIAL_SOURCES, "attributed_claim") if is_official
                       else (OFFICIAL_SOURCES, "official_statement"))
    new = rng.choice(pool)
    start, end = ev.source_start, ev.source_start + len(ev.source)
    if sentence[start:end] != ev.source:
        return None
    prefix, suffix = sentence[:start], sentence[end:]
    if start > ev.cue_start and suffix.lstrip().startswith(","):
        return None  # '..., said Jane Doe, an analyst at X': the appositive would describe the new source
    if "," in ev.source and suffix.startswith(","):
        suffix = suffix[1:]  # "Jane Doe, an analyst, said" -> "a resident said"
    if not prefix.strip() or prefix.rstrip().endswith((".", ":")) or prefix.strip() in ("“", '"'):
        new = new[0].upper() + new[1:]
    return prefix + new + suffix, new_label
