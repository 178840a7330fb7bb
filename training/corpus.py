"""Build and validate the labelled corpus in ``data/``.

Sources (first-pass annotation, one JSON object per article: paragraphs of ``[text, label, case?]``) are
rendered into raw article text (sentences joined by a space, paragraphs by a blank line), re-split by the
project's splitter, and each splitter sentence takes the label of the source sentence it overlaps most
(a cut sentence gives each fragment the whole sentence's label; a glued pair takes the label of the longer,
main part, as the guideline says). Adjudicated labels from the second labelling override by row id.
"""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from ..formats.files import write_jsonl_atomic
from ..formats.jsonl import iter_jsonl
from ..formats.rows import read_rows
from ..model.errors import DataError
from ..model.labels import LABELS
from ..model.splitter import normalize, split_sentences

SPLITS = ("train", "dev", "test")
SHORT_FURNITURE_WORDS = 12
"""Only filler lines this short (``Share``, ``Related Topics``, ``17:40``) may recur across splits: every page of
a house style carries them, so binding all such articles together would keep whole styles out of dev and test."""


def binds_articles(text: str, label: str) -> bool:
    """Whether an identical ``text`` in two articles must keep them in one split."""
    return label != "filler" or len(text.split()) > SHORT_FURNITURE_WORDS


@dataclass
class SourceArticle:
    article: str
    style: str
    topic: str
    text: str
    spans: list[tuple[int, int, str, str | None]]  # start, end, label, case


def render(obj: dict, where: str) -> SourceArticle:
    """Raw text and labelled character spans of one source article."""
    parts: list[str] = []
    spans = []
    pos = 0
    for p, para in enumerate(obj["paragraphs"]):
        if p:
            parts.append("\n\n")
            pos += 2
        for s, item in enumerate(para):
            text, label = item[0], item[1]
            if label not in LABELS:
                raise DataError(f"{where}: unknown label {label!r}")
            text = normalize(" ".join(str(text).split()))
            if s:
                parts.append(" ")
                pos += 1
            spans.append((pos, pos + len(text), label, item[2] if len(item) > 2 else None))
            parts.append(text)
            pos += len(text)
    return SourceArticle(obj["article"], obj.get("style", ""), obj.get("topic", ""), "".join(parts) + "\n", spans)


def align(src: SourceArticle) -> tuple[list[dict], dict]:
    """Splitter rows of ``src`` with labels; counts of glued and cut sentences."""
    rows, cases, stats = [], [], Counter()
    pieces = Counter()  # source sentence -> number of splitter sentences touching it
    for i, sp in enumerate(split_sentences(src.text)):
        overlaps = []
        for k, (s, e, lab, case) in enumerate(src.spans):
            if min(sp.end, e) > max(sp.start, s):
                overlaps.append((min(sp.end, e) - max(sp.start, s), lab, case))
                pieces[k] += 1
        if not overlaps:
            raise DataError(f"{src.article}: sentence {i} overlaps no source sentence")
        overlaps.sort(key=lambda t: -t[0])
        if len(overlaps) > 1:
            stats["glued"] += 1
            stats["glued_mixed_labels"] += len({o[1] for o in overlaps}) > 1
        rows.append({"id": f"{src.article}-{i:03d}", "article": src.article, "idx": i, "text": sp.text,
                     "label": overlaps[0][1]})
        cases.append(overlaps[0][2])
    stats["cut"] = sum(1 for n in pieces.values() if n > 1)
    return rows, {"stats": stats, "cases": cases}


def assign_splits(articles: list[SourceArticle], texts: dict[str, list[str]], seed: int,
                  fractions=(0.8, 0.1, 0.1), keep: dict[str, str] | None = None) -> dict[str, str]:
    """Article -> split, ~80/10/10 within each house style, keeping articles that share a binding text together.

    ``texts`` holds each article's binding texts (see :func:`binds_articles`): articles sharing one are one unit.
    ``keep`` maps articles of an earlier build to their split: they stay there (so a grown corpus keeps its test
    articles comparable), a new article bound to one of them follows it, and only new units fill the targets.
    """
    keep = keep or {}
    parent = {a.article: a.article for a in articles}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    owner: dict[str, str] = {}
    for a in articles:
        for t in texts[a.article]:
            if t in owner:
                parent[find(a.article)] = find(owner[t])
            else:
                owner[t] = a.article
    groups = defaultdict(list)
    for a in articles:
        groups[find(a.article)].append(a)
    by_style = defaultdict(list)
    for members in groups.values():
        by_style[members[0].style].append(members)
    rng = random.Random(seed)
    out = {}
    for style in sorted(by_style):
        units = sorted(by_style[style], key=lambda m: m[0].article)
        rng.shuffle(units)
        n = sum(len(u) for u in units)
        targets = {"dev": round(fractions[1] * n), "test": round(fractions[2] * n)}
        filled = Counter()
        fresh = []
        for u in units:
            kept = {keep[a.article] for a in u if a.article in keep}
            if len(kept) > 1:
                raise DataError(f"articles {[a.article for a in u]} share a sentence but sit in splits {sorted(kept)}")
            if not kept:
                fresh.append(u)
                continue
            split = kept.pop()
            filled[split] += len(u)
            for a in u:
                out[a.article] = split
        for u in fresh:
            split = "train"
            for cand in ("test", "dev"):
                if filled[cand] + len(u) <= targets[cand]:
                    split = cand
                    break
            filled[split] += len(u)
            for a in u:
                out[a.article] = split
    return out


def build(source_files: list[Path], out_dir: Path, adjudication: Path | None = None, seed: int = 2026,
          keep_splits: bool = True) -> dict:
    """Write ``articles/*.txt``, ``{train,dev,test}.jsonl`` and ``articles.jsonl`` into ``out_dir``.

    With ``keep_splits`` (the default), articles listed in an existing ``articles.jsonl`` keep their split.
    """
    keep = {}
    if keep_splits and (out_dir / "articles.jsonl").is_file():
        keep = {o["article"]: o["split"] for _, o in iter_jsonl(out_dir / "articles.jsonl")}
    sources: list[SourceArticle] = []
    for f in source_files:
        for n, obj in iter_jsonl(f):
            sources.append(render(obj, f"{f}:{n}"))
    ids = Counter(s.article for s in sources)
    dup = [a for a, c in ids.items() if c > 1]
    if dup:
        raise DataError(f"duplicate article ids in sources: {dup[:5]}")
    overrides = {}
    if adjudication and adjudication.is_file():
        for _, obj in iter_jsonl(adjudication):
            if obj.get("final") is not None:
                overrides[obj["id"]] = obj["final"]
    rows_by_article, meta, totals = {}, [], Counter()
    for src in sources:
        rows, info = align(src)
        for r in rows:
            r["label"] = overrides.get(r["id"], r["label"])
        rows_by_article[src.article] = rows
        totals.update(info["stats"])
        meta.append({"article": src.article, "style": src.style, "topic": src.topic, "sentences": len(rows),
                     "cases": dict(Counter(c for c in info["cases"] if c))})
    texts = {a: [r["text"] for r in rows if binds_articles(r["text"], r["label"])] for a, rows in rows_by_article.items()}
    splits = assign_splits(sources, texts, seed, keep=keep)
    art_dir = out_dir / "articles"
    art_dir.mkdir(parents=True, exist_ok=True)
    for src in sources:
        (art_dir / f"{src.article}.txt").write_text(src.text, encoding="utf-8")
    for split in SPLITS:
        write_jsonl_atomic(out_dir / f"{split}.jsonl",
                           [r for src in sources if splits[src.article] == split for r in rows_by_article[src.article]])
    for m in meta:
        m["split"] = splits[m["article"]]
    write_jsonl_atomic(out_dir / "articles.jsonl", meta)
    return {"articles": len(sources), "alignment": dict(totals)}


def validate(data_dir: Path) -> dict:
    """Check the corpus; raise :class:`DataError` on the first problem, else return a summary."""
    seen_ids: set[str] = set()
    article_split: dict[str, str] = {}
    text_split: dict[str, set[str]] = defaultdict(set)
    text_binds: dict[str, bool] = defaultdict(bool)
    summary: dict = {}
    meta = {m["article"]: m for _, m in iter_jsonl(data_dir / "articles.jsonl")}
    for split in SPLITS:
        path = data_dir / f"{split}.jsonl"
        rows = read_rows(path)  # labels valid, fields present, article order
        counts = Counter(r.label for r in rows)
        by_article = defaultdict(list)
        for r in rows:
            if r.id in seen_ids:
                raise DataError(f"{path}: id {r.id!r} repeated across splits")
            seen_ids.add(r.id)
            if article_split.setdefault(r.article, split) != split:
                raise DataError(f"{path}: article {r.article!r} is also in {article_split[r.article]}")
            by_article[r.article].append(r)
            text_split[r.text].add(split)
            text_binds[r.text] |= binds_articles(r.text, r.label)
        for art, arows in by_article.items():
            if [r.idx for r in arows] != list(range(len(arows))):
                raise DataError(f"{path}: idx of article {art!r} is not 0..{len(arows) - 1}")
            raw = data_dir / "articles" / f"{art}.txt"
            if not raw.is_file():
                raise DataError(f"{path}: article {art!r} has no raw text {raw}")
            resplit = [s.text for s in split_sentences(normalize(raw.read_text(encoding="utf-8")))]
            if resplit != [r.text for r in arows]:
                raise DataError(f"{path}: re-splitting {raw} does not reproduce the rows of {art!r}")
            if meta.get(art, {}).get("split") != split:
                raise DataError(f"{data_dir / 'articles.jsonl'}: article {art!r} not recorded in split {split}")
        summary[split] = {"articles": len(by_article), "sentences": len(rows),
                          "labels": {k: counts.get(k, 0) for k in LABELS}}
    repeated = sorted(t for t, s in text_split.items() if len(s) > 1)
    leaked = [t for t in repeated if text_binds[t]]
    if leaked:
        raise DataError(f"{len(leaked)} sentence text(s) occur in more than one split, e.g. {leaked[0]!r}")
    summary["short_furniture_in_several_splits"] = repeated
    return summary


def first_pass_labels(source_files: list[Path]) -> dict[str, str]:
    """Row id -> label as the writers gave it (before adjudication)."""
    out = {}
    for f in source_files:
        for n, obj in iter_jsonl(f):
            rows, _ = align(render(obj, f"{f}:{n}"))
            out.update({r["id"]: r["label"] for r in rows})
    return out


def agreement(data_dir: Path) -> dict:
    """Cohen's kappa (overall and per label, one-vs-rest) between the first pass and the second labelling."""
    from sklearn.metrics import cohen_kappa_score

    first = first_pass_labels(sorted((data_dir / "source").glob("*.jsonl")))
    second = {o["id"]: o["label"] for _, o in iter_jsonl(data_dir / "annotation" / "second_pass.jsonl")}
    missing = sorted(set(second) - set(first))
    if missing:
        raise DataError(f"second-pass ids not in the corpus: {missing[:5]}")
    ids = sorted(second)
    a, b = [first[i] for i in ids], [second[i] for i in ids]
    return {
        "sentences": len(ids), "share_of_corpus": len(ids) / len(first),
        "articles": len({i.rsplit("-", 1)[0] for i in ids}),
        "observed_agreement": sum(x == y for x, y in zip(a, b, strict=True)) / len(ids),
        "kappa": float(cohen_kappa_score(a, b)),
        "kappa_per_label": {k: float(cohen_kappa_score([x == k for x in a], [y == k for y in b])) for k in LABELS},
        "disagreements": sum(x != y for x, y in zip(a, b, strict=True)),
    }


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="python data/prepare.py", description="Build or check the sourcetag corpus.")
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="render sources into articles and split files")
    b.add_argument("--data-dir", default="data")
    b.add_argument("--seed", type=int, default=2026)
    b.add_argument("--reshuffle", action="store_true",
                   help="assign every article afresh instead of keeping the splits of data/articles.jsonl")
    c = sub.add_parser("check", help="validate the corpus")
    c.add_argument("--data-dir", default="data")
    g = sub.add_parser("agreement", help="Cohen's kappa between the first pass and the second labelling")
    g.add_argument("--data-dir", default="data")
    args = p.parse_args(argv)
    data_dir = Path(args.data_dir)
    try:
        if args.cmd == "agreement":
            print(json.dumps(agreement(data_dir), indent=2))
            return 0
        if args.cmd == "build":
            sources = sorted((data_dir / "source").glob("*.jsonl"))
            info = build(sources, data_dir, data_dir / "annotation" / "adjudicated.jsonl", args.seed,
                         keep_splits=not args.reshuffle)
            print(json.dumps(info))
        summary = validate(data_dir)
    except DataError as e:
        print(f"corpus check failed: {e}")
        return 1
    furniture = summary.pop("short_furniture_in_several_splits")
    total = sum(s["sentences"] for s in summary.values())
    for split, s in summary.items():
        print(f"{split:5} {s['articles']:4} articles {s['sentences']:5} sentences  "
              + "  ".join(f"{k} {v} ({v / max(1, s['sentences']):.0%})" for k, v in s["labels"].items()))
    print(f"no sentence repeated across splits except {len(furniture)} short furniture lines "
          f"(filler, <= {SHORT_FURNITURE_WORDS} words): " + "; ".join(repr(t) for t in furniture[:8])
          + (" ..." if len(furniture) > 8 else ""))
    print(f"total {total} sentences: OK")
    return 0
