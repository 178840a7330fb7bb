"""Sourcing profiles: per article, how many of its sentences carry each label and which sources it names."""

from __future__ import annotations

from collections import Counter

from ..model.evidence import named_sources
from .articles import Article


def profile(article: Article, rows: list[dict], labels) -> dict:
    counts = Counter(r["label"] for r in rows)
    n = len(rows)
    sources = named_sources((r["evidence"] or {}).get("source") for r in rows)
    return {"article": article.id, "source": article.source, "sentences": n,
            "counts": {k: counts.get(k, 0) for k in labels},
            "shares": {k: round(counts.get(k, 0) / n, 4) if n else 0.0 for k in labels},
            "sources": sources, **({"meta": article.meta} if article.meta else {})}


def profile_table(profiles: list[dict], labels, limit: int = 20, total: int | None = None) -> str:
    short = {"official_statement": "official", "attributed_claim": "attrib.", "unverified_assertion": "unverif.",
             "filler": "filler"}
    head = f"{'article':<28} {'sent':>5} " + " ".join(f"{short[k]:>9}" for k in labels) + "  sources"
    lines = [head, "-" * len(head)]
    for p in profiles[:limit]:
        srcs = "; ".join(p["sources"][:3]) + (" ..." if len(p["sources"]) > 3 else "")
        lines.append(f"{p['article'][:28]:<28} {p['sentences']:>5} "
                     + " ".join(f"{p['shares'][k]:>9.0%}" for k in labels) + f"  {srcs[:60]}")
    total = len(profiles) if total is None else total
    if total > limit:
        lines.append(f"... and {total - limit} more articles (see --profile)")
    return "\n".join(lines)
