"""An HTML view of predictions: each article as running text, every sentence highlighted by its label.

:func:`render_html` takes prediction rows (:class:`~sourcetag.formats.predictions.PredictedRow`, as
:func:`~sourcetag.formats.predictions.read_predictions` reads them) and returns one self-contained page: inline CSS
and script, no network (no CDN, no web fonts), so it opens offline and travels as an e-mail attachment.

The page has an index of articles, each with its sourcing profile (a stacked bar of the four label shares and the
distinct sources named), then the articles. Colours are Paul Tol's "light" scheme, made for black text on coloured
cells and distinguishable with the common colour-vision deficiencies; each label also has its own underline
(solid, dashed, wavy, dotted), which survives greyscale printing. The evidence cue is set in bold italics and its
source in bold, ``needs_review`` sentences carry a ``?`` mark, and hovering or focusing a sentence (every sentence
is a tab stop) shows all four probabilities. Check boxes filter by label.

Article text is untrusted: every string from the rows goes through :func:`html.escape`, and the only data given
to the script is JSON with ``<``, ``>`` and ``&`` escaped. Beyond ``expand_up_to`` articles, they start collapsed
(``<details>``) and their text, rendered and escaped here like the rest, waits in that JSON until a reader opens
one, so the browser builds only what is read: 2,000 articles load in a few seconds and stay responsive.
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from collections.abc import Iterable
from itertools import groupby
from operator import attrgetter

from .. import __version__
from ..formats.predictions import PredictedRow
from ..model.evidence import find_evidence, named_sources
from ..model.labels import DEFINITIONS, LABELS
from .assets import CSS, SCRIPT

STYLE = {
    # label: (css class, name shown, fill colour (Tol light), highlight tint, underline colour, underline style)
    "official_statement": ("o", "Official statement", "#77AADD", "#c2d9f0", "#1d5a94", "solid"),
    "attributed_claim": ("a", "Attributed claim", "#EEDD88", "#f7efc6", "#7d6400", "dashed"),
    "unverified_assertion": ("u", "Unverified assertion", "#EE8866", "#f8cdbe", "#b03c14", "wavy"),
    "filler": ("f", "Filler", "#DDDDDD", "#eeeeee", "#6e6e6e", "dotted"),
}
"""How each label looks. Tol's light scheme: https://personal.sron.nl/~pault/#sec:qualitative (not fetched)."""

EXPAND_UP_TO = 12
"""With more articles than this, articles start collapsed and open from the index."""

_END_PUNCT = re.compile(r"[.!?…:;\"”’')\]]\s*$")


def esc(value: object) -> str:
    """Text for an HTML text node or a double-quoted attribute."""
    return html.escape(str(value), quote=True)


def script_json(data: object) -> str:
    """JSON that is safe inside ``<script type="application/json">``: no ``<``, ``>`` or ``&`` can end it."""
    return (json.dumps(data, ensure_ascii=False).replace("&", "\\u0026").replace("<", "\\u003c")
            .replace(">", "\\u003e"))


def _evidence_spans(text: str, ev: dict | None) -> list[tuple[int, int, str]]:
    """Where the row's evidence cue and source are in ``text``: ``(start, end, "cue"|"src")``, in order."""
    if not ev or not ev.get("cue"):
        return []
    cue, source = ev["cue"], ev.get("source")
    spans: list[tuple[int, int, str]] = []
    found = find_evidence(text)
    if found is not None and found.cue == cue:  # the same reading: its offsets skip cues inside quotations
        spans.append((found.cue_start, found.cue_start + len(cue), "cue"))
    else:  # the row was edited or made elsewhere: the first plain occurrence
        m = re.search(rf"(?<!\w){re.escape(cue)}(?!\w)", text)
        if m:
            spans.append((m.start(), m.end(), "cue"))
    if source:
        s = found.source_start if found is not None and found.source == source else None
        if s is None or text[s : s + len(source)] != source:  # the row was edited or made elsewhere
            s = text.find(source)
        if s >= 0:
            spans.append((s, s + len(source), "src"))
    spans.sort()
    kept: list[tuple[int, int, str]] = []
    for span in spans:  # never nest or overlap
        if not kept or span[0] >= kept[-1][1]:
            kept.append(span)
    return kept


def _sentence(row: PredictedRow) -> str:
    cls, *_ = STYLE[row.label]
    classes = f"s {cls}" + (" rv" if row.needs_review else "")
    probs = " ".join(str(round(row.probs[k] * 1000)) for k in LABELS)  # per mille, in LABELS order
    gold = row.extra.get("gold_label")
    attrs = f' data-g="{esc(gold)}"' if gold is not None else ""
    text, parts, pos = row.text, [], 0
    for start, end, kind in _evidence_spans(row.text, row.evidence):
        parts.append(esc(text[pos:start]))
        parts.append(f'<b class="{kind}">{esc(text[start:end])}</b>')
        pos = end
    parts.append(esc(text[pos:]))
    return f'<span class="{classes}" tabindex="0" data-p="{probs}"{attrs}>{"".join(parts)}</span>'


def _paragraphs(rows: list[PredictedRow]) -> list[list[PredictedRow]]:
    """Sentences grouped as the article's paragraphs: a gap of two or more characters (a blank line) breaks one."""
    paras: list[list[PredictedRow]] = []
    prev: PredictedRow | None = None
    for r in rows:
        gap = (r.start - prev.end) if prev is not None and r.start is not None and prev.end is not None else 1
        if prev is None or gap >= 2:
            paras.append([r])
        else:
            paras[-1].append(r)
        prev = r
    return paras


def _bar(counts: Counter, n: int) -> str:
    parts, desc = [], []
    for label in LABELS:
        cls, name, *_ = STYLE[label]
        share = counts.get(label, 0) / n if n else 0.0
        desc.append(f"{name} {share:.0%}")
        if share:
            parts.append(f'<i class="{cls}" style="width:{share * 100:.2f}%"></i>')
    label = esc(", ".join(desc))
    return f'<span class="bar" role="img" aria-label="{label}" title="{label}">{"".join(parts)}</span>'


def _sources(sources: list[str], limit: int | None = None) -> str:
    if not sources:
        return '<span class="none">none named</span>'
    shown = sources if limit is None else sources[:limit]
    more = len(sources) - len(shown)
    return "; ".join(f'<span class="srcname">{esc(s)}</span>' for s in shown) + (
        f' <span class="more">+{more} more</span>' if more else "")


def _headline(para: list[PredictedRow]) -> bool:
    """A first paragraph of one short sentence without closing punctuation reads as the headline."""
    return len(para) == 1 and len(para[0].text) < 200 and not _END_PUNCT.search(para[0].text)


def _article_text(art: list[PredictedRow]) -> str:
    out = []
    for k, para in enumerate(_paragraphs(art)):
        cls = ' class="headline"' if k == 0 and _headline(para) else ""
        out.append(f"<p{cls}>" + " ".join(_sentence(r) for r in para) + "</p>\n")
    return "".join(out)


def render_html(rows: Iterable[PredictedRow], title: str = "sourcetag view", source: str | None = None,
                review_threshold: float | None = None, expand_up_to: int = EXPAND_UP_TO) -> str:
    """The HTML page for prediction rows (contiguous per article, in order), as a string.

    ``title`` heads the page, ``source`` names where the rows came from (shown in the footer), and
    ``review_threshold`` (when known) is quoted where the page explains ``needs_review``.
    """
    articles = [list(g) for _, g in groupby(rows, key=attrgetter("article"))]
    total = Counter(r.label for art in articles for r in art)
    n_sent = sum(total.values())
    n_review = sum(r.needs_review for art in articles for r in art)
    expanded = len(articles) <= expand_up_to
    out: list[str] = []
    w = out.append

    w('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
      '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
      f'<meta name="generator" content="sourcetag {esc(__version__)}">\n'
      f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
      '<a class="skip" href="#articles">Skip to the articles</a>\n'
      f'<header class="wrap">\n<h1>{esc(title)}</h1>\n'
      f'<p class="summary">{len(articles):,} article{"s" * (len(articles) != 1)} · {n_sent:,} sentences · '
      f'{n_review:,} marked for review</p>\n{_bar(total, n_sent)}\n</header>\n')

    # legend and filter: one check box per label, each showing how that label looks
    w('<div class="controls"><div class="wrap">\n<fieldset class="legend">'
      "<legend>Labels (untick to hide)</legend>\n")
    for label in LABELS:
        cls, name, *_ = STYLE[label]
        w(f'<label class="chip" title="{esc(DEFINITIONS[label])}"><input type="checkbox" checked '
          f'data-filter="{cls}"> <span class="sw {cls}"></span> <span class="s {cls}">{esc(name)}</span> '
          f'<span class="n">{total.get(label, 0):,}</span></label>\n')
    w('<label class="chip"><input type="checkbox" id="only-rv"> <span>only <span class="rvmark" '
      'aria-hidden="true">?</span> needs review</span></label>\n'
      '<span class="btns"><button type="button" id="expand-all">Expand all</button>'
      '<button type="button" id="collapse-all">Collapse all</button></span>\n</fieldset>\n'
      '<p class="key"><span><b><i>said</i></b> attribution cue · <b>the ministry</b> its source</span>'
      '<span><span class="rvmark" aria-hidden="true">?</span> needs review (the model is unsure)</span>'
      "<span>hover, or Tab to, a sentence for its four probabilities</span>"
      '<span class="nojs">(filters and probabilities need JavaScript)</span></p>\n</div></div>\n')

    # index
    w('<main class="wrap">\n<section id="index" aria-labelledby="index-h"><h2 id="index-h">Articles</h2>\n'
      '<table class="index"><thead><tr><th scope="col">#</th><th scope="col">Article</th>'
      '<th scope="col" class="c">Sentences</th><th scope="col">Sourcing profile</th>'
      '<th scope="col" class="c">Review</th><th scope="col">Sources named</th></tr></thead><tbody>\n')
    profiles = []
    for i, art in enumerate(articles, 1):
        counts = Counter(r.label for r in art)
        sources = named_sources((r.evidence or {}).get("source") for r in art)
        review = sum(r.needs_review for r in art)
        profiles.append((counts, sources, review))
        first = art[0].text if len(art[0].text) <= 110 else art[0].text[:107].rstrip() + "…"
        w(f'<tr><td class="num">{i}</td><td class="art-cell"><a href="#a{i}">{esc(art[0].article)}</a>'
          f'<div class="hl">{esc(first)}</div></td><td class="c">{len(art):,}</td>'
          f'<td class="bar-cell">{_bar(counts, len(art))}</td><td class="c rv-cell">{review or ""}</td>'
          f'<td class="srcs-cell">{_sources(sources, 4)}</td></tr>\n')
    if not articles:
        w('<tr><td colspan="6">No predictions.</td></tr>\n')
    w("</tbody></table>\n</section>\n")

    # articles: collapsed ones keep their text as (escaped) HTML in a JSON list until a reader opens them
    bodies: list[str] = []
    w('<section id="articles" aria-label="Articles">\n')
    for i, (art, (counts, sources, review)) in enumerate(zip(articles, profiles, strict=True), 1):
        w(f'<details class="art" id="a{i}"{" open" if expanded else ""}><summary><span><h2>{esc(art[0].article)}</h2>'
          f'<span class="meta">{len(art):,} sentence{"s" * (len(art) != 1)}'
          f'{f" · {review} marked for review" if review else ""}</span></span>{_bar(counts, len(art))}</summary>\n')
        text = f'<p class="srcs">Sources named: {_sources(sources)}</p>\n' + _article_text(art)
        if expanded:
            w(f'<div class="text">\n{text}</div>\n')
        else:
            w(f'<div class="text" data-body="{len(bodies)}"><p class="nojs">This article\'s text needs JavaScript.</p>'
              "</div>\n")
            bodies.append(text)
        w('<p class="back"><a href="#index">Back to the index</a></p></details>\n')
    w("</section>\n</main>\n")

    threshold = f"{review_threshold:g}" if review_threshold is not None else "the review threshold"
    meta = {"labels": list(LABELS), "classes": [STYLE[k][0] for k in LABELS], "names": [STYLE[k][1] for k in LABELS],
            "threshold_text": threshold}
    w(f'<footer class="wrap">Made by sourcetag {esc(__version__)}'
      f'{f" from {esc(source)}" if source else ""}. Labels and probabilities are a model\'s reading of how each '
      "claim is sourced, not a verdict on whether it is true. Offline page: no scripts, fonts or images are "
      "fetched.</footer>\n"
      '<div id="tip" role="tooltip" hidden></div>\n'
      f'<script type="application/json" id="st-meta">{script_json(meta)}</script>\n'
      f'<script type="application/json" id="st-bodies">{script_json(bodies)}</script>\n'
      f"<script>{SCRIPT}</script>\n</body>\n</html>\n")
    return "".join(out)
