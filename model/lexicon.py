"""Official-role lexicon: which words mark a speaker as official (see ``official_roles.txt``)."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from pathlib import Path

DEFAULT_LEXICON = "official_roles.txt"


def read_lexicon_text(path: str | Path | None = None) -> str:
    """The lexicon file's text: ``path``, or the packaged default."""
    if path is None:
        return resources.files("sourcetag.model").joinpath(DEFAULT_LEXICON).read_text(encoding="utf-8")
    return Path(path).read_text(encoding="utf-8")


@lru_cache(maxsize=8)
def compile_lexicon(text: str) -> re.Pattern[str]:
    """One case-insensitive pattern matching any entry of the lexicon ``text`` on word boundaries."""
    entries = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        star = line.endswith("*")
        body = re.escape(line.rstrip("*")).replace(r"\ ", r"\s+")
        entries.append(body + (r"\w*" if star else r"(?:s|es)?"))
    if not entries:
        raise ValueError("the official-role lexicon has no entries")
    entries.sort(key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(entries) + r")(?!\w)", re.IGNORECASE)


def official_terms(sentence: str, pattern: re.Pattern[str]) -> list[str]:
    """Distinct lexicon matches in ``sentence``, lower-cased, in order of appearance."""
    seen: dict[str, None] = {}
    for m in pattern.finditer(sentence):
        seen.setdefault(" ".join(m.group(0).lower().split()), None)
    return list(seen)
