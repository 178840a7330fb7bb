"""Training data: read the splits, split by article when needed, and turn rows into model inputs."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

from ..formats.rows import Row, group_articles, read_rows
from ..model.errors import DataError
from ..model.labels import LABEL2ID, LABELS
from .config import DataArguments


def split_by_article(rows: list[Row], fractions: tuple[float, float, float], seed: int) -> tuple[list[Row], ...]:
    """Split rows into train/dev/test by whole articles (never by sentence), reproducibly for a seed."""
    articles = group_articles(rows)
    order = list(range(len(articles)))
    random.Random(seed).shuffle(order)
    n = len(articles)
    n_dev = round(fractions[1] * n)
    n_test = round(fractions[2] * n)
    dev_ids, test_ids = set(order[:n_dev]), set(order[n_dev : n_dev + n_test])
    out: tuple[list[Row], list[Row], list[Row]] = ([], [], [])
    for i, art in enumerate(articles):
        out[1 if i in dev_ids else 2 if i in test_ids else 0].extend(art)
    return out


def subsample_articles(rows: list[Row], fraction: float, seed: int) -> list[Row]:
    """A seeded share of whole articles, kept in their original order."""
    if fraction >= 1:
        return rows
    articles = group_articles(rows)
    keep = set(random.Random(seed).sample(range(len(articles)), max(1, round(fraction * len(articles)))))
    return [r for i, a in enumerate(articles) if i in keep for r in a]


def load_splits(args: DataArguments, seed: int) -> tuple[dict[str, list[Row]], dict[str, str]]:
    """Rows per split and the file each came from (train/dev/test; test may be empty)."""
    data_dir = Path(args.data_dir)
    train_file = Path(args.train_file) if args.train_file else data_dir / "train.jsonl"
    if not train_file.is_file():
        raise DataError(f"{train_file}: no such training file", option="train_file")
    files = {"train": str(train_file)}
    splits = {"train": read_rows(train_file)}
    fractions = tuple(float(x) for x in args.split_fractions.split(","))
    for name, given in (("dev", args.dev_file), ("test", args.test_file)):
        path = Path(given) if given else data_dir / f"{name}.jsonl"
        if given and not path.is_file():
            raise DataError(f"{path}: no such {name} file")
        if path.is_file() and (given or not args.train_file):
            splits[name] = read_rows(path)
            files[name] = str(path)
    if "dev" not in splits or "test" not in splits:
        train, dev, test = split_by_article(splits["train"], fractions, seed)
        splits["train"] = train
        splits.setdefault("dev", dev)
        splits.setdefault("test", test)
        if "dev" not in files:
            files["dev"] = f"{train_file} (split by article, seed {seed})"
    if not splits["dev"]:
        raise DataError(f"{files['train']}: too few articles to split off a dev set")
    splits["train"] = subsample_articles(splits["train"], args.train_fraction, seed)
    overlap = {r.article for r in splits["train"]} & {r.article for r in splits["dev"]}
    if overlap:
        raise DataError(f"articles in both train and dev: {sorted(overlap)[:5]}")
    return splits, files


def label_counts(rows: list[Row]) -> dict[str, int]:
    c = Counter(r.label for r in rows)
    return {name: c.get(name, 0) for name in LABELS}


def class_weights(rows: list[Row]) -> list[float]:
    """Inverse-frequency weights (mean 1 over labels present); a label absent from training gets 1."""
    counts = label_counts(rows)
    total = sum(counts.values())
    present = [n for n in counts.values() if n]
    w = [total / (len(present) * counts[name]) if counts[name] else 1.0 for name in LABELS]
    return w


def training_articles(rows: list[Row], augment: float = 0.0, lexicon=None,
                      seed: int = 0) -> tuple[list[list[str]], list[list[int]]]:
    """Sentence texts and label ids per article, for rows in article order.

    With ``augment`` > 0, that share of eligible sentences also gets a source-swapped copy with the flipped label
    (:mod:`sourcetag.training.augment`): a copy of its article with that one sentence swapped and only it labelled
    (the others ``IGNORE``), so it is read with its original neighbours.
    """
    from ..model.architectures.base import IGNORE
    from .augment import swap_source

    articles = group_articles(rows)
    texts = [[r.text for r in art] for art in articles]
    labels = [[LABEL2ID[r.label] for r in art] for art in articles]
    if augment > 0 and lexicon is None:
        raise ValueError("augmentation needs the official-role lexicon")
    rng = random.Random(seed)
    for art in articles if augment > 0 else []:
        for i, r in enumerate(art):
            swapped = swap_source(r.text, r.label, lexicon, rng)
            if swapped is None or rng.random() >= augment:
                continue
            texts.append([x.text for x in art[:i]] + [swapped[0]] + [x.text for x in art[i + 1 :]])
            labels.append([IGNORE] * i + [LABEL2ID[swapped[1]]] + [IGNORE] * (len(art) - i - 1))
    return texts, labels


class LengthBucketedBatchOrder:
    """Training order that wastes little compute on padding and keeps batches in random order.

    transformers' ``group_by_length`` sorts each mega-batch of 50 batches from longest to shortest and emits those
    batches in that order, so every epoch ends on a run of the shortest inputs. Here short inputs are mostly
    ``filler`` (bylines, "Share", timestamps), and a one-epoch run measured dev macro-F1 0.087 against 0.820
    for random batches: the model drifts to whatever the last sorted run held. This sampler sorts the same way
    (random mega-batches, sorted by length within) but then shuffles the order of the batches, so padding stays
    low while consecutive steps see unrelated lengths. Only the one short remainder batch is kept last.

    It is a sampler of indices for the Trainer's DataLoader: every run of ``batch_size`` consecutive indices is
    one length-homogeneous batch. Seeded, so two runs with one seed see the same order; each epoch differs. A run
    resumed from a checkpoint continues the same sequence of orders (:meth:`set_epoch`).
    """

    def __init__(self, lengths: list[int], batch_size: int, seed: int, mega_batches: int = 50):
        self.lengths = list(lengths)
        self.batch_size = batch_size
        self.mega = max(1, mega_batches) * batch_size
        self.seed = seed
        self.rng = random.Random(seed)
        self.epoch = 0  # orders drawn so far

    def __len__(self) -> int:
        return len(self.lengths)

    def set_epoch(self, epoch: int) -> None:
        """Called by the Trainer before each epoch. A resumed run starts at a later epoch with a new sampler: the
        orders of the epochs before it are drawn again, so that its order is the one an uninterrupted run sees."""
        if epoch != self.epoch:
            self.rng = random.Random(self.seed)
            for _ in range(epoch):
                self._order()
            self.epoch = epoch

    def __iter__(self):
        order = self._order()
        self.epoch += 1
        return iter(order)

    def _order(self) -> list[int]:
        n = len(self.lengths)
        order = list(range(n))
        self.rng.shuffle(order)
        ranked: list[int] = []
        for i in range(0, n, self.mega):
            ranked.extend(sorted(order[i : i + self.mega], key=lambda j: self.lengths[j]))
        full = n - n % self.batch_size
        batches = [ranked[i : i + self.batch_size] for i in range(0, full, self.batch_size)]
        self.rng.shuffle(batches)
        if full < n:
            batches.append(ranked[full:])
        return [i for b in batches for i in b]
