"""The Ray engine's actor: loads the Tagger once, then labels and writes one shard per call."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from .shard_io import STATE, rows_to_table, write_atomic
from .shards import PARQUET, read_shard


class ShardLabeler:
    """A Ray Data actor: loads the Tagger once, then labels and writes one shard per call."""

    def __init__(self, out_dir: str, shard_format: str, tagger_kwargs: dict, input_format: str, max_chars: int,
                 threads: int | None = None):
        if threads:
            import torch

            torch.set_num_threads(threads)
        from ..model.tagger import Tagger

        self.out_dir = Path(out_dir)
        self.shard_format = shard_format
        self.input_format = input_format
        self.max_chars = max_chars
        self.tagger = Tagger.load(**tagger_kwargs)

    def label(self, plan: dict) -> dict:
        from ..formats.stream import label_chunk

        articles = read_shard(plan, self.input_format, self.max_chars)
        rows, profiles, ids = [], [], []
        it = iter(articles)
        for size in plan["chunks"]:
            r, p, _n, i = label_chunk(self.tagger, list(itertools.islice(it, size)))
            rows.append(r)
            profiles.append(p)
            ids += [rid for rid, _ in i]
        name = plan["shard"]
        labels = list(self.tagger.labels)
        data = self.out_dir / f"{name}{self.shard_format}"
        text = "".join(rows)
        if self.shard_format == PARQUET:
            import pyarrow.parquet as pq

            table = rows_to_table([json.loads(line) for line in text.splitlines()], labels)
            write_atomic(data, lambda p: pq.write_table(table, p))
        else:
            write_atomic(data, lambda p: p.write_text(text, encoding="utf-8"))
        state = self.out_dir / STATE
        write_atomic(state / f"{name}.profiles.jsonl", lambda p: p.write_text("".join(profiles), encoding="utf-8"))
        marker = {"digest": plan["digest"], "articles": len(articles), "sentences": len(ids), "labels": labels}
        write_atomic(state / f"{name}.json", lambda p: p.write_text(json.dumps(marker) + "\n", encoding="utf-8"))
        return {"shard": name, "articles": len(articles), "sentences": len(ids), "ids": json.dumps(ids)}

    def __call__(self, batch: dict) -> dict:
        out: dict[str, list] = {"shard": [], "articles": [], "sentences": [], "ids": []}
        for plan in batch["plan"]:
            res = self.label(json.loads(plan))
            for k in out:
                out[k].append(res[k])
        return out
