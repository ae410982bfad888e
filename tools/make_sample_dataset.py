#!/usr/bin/env python3
"""Generate the tiny LINQS-style sample dataset in datasets/sample/.

The sample lets anyone try `gat train` without downloading anything, and exercises the
parts of the LINQS format that the Planetoid exports never use:

  * string node ids ("p017"), not contiguous, listed in shuffled order;
  * string class names ("Neural_Networks", ...);
  * citations that name papers absent from .content (a loader must skip them),
    and one citation written twice, in both directions (a loader must merge them).

It is small (a few KB, fine to commit) but learnable: each class has its own group of
"topic words" that its papers use often, and most citations stay inside a class, so
both the features and the graph carry the label. Everything is derived from one seed, so
running the script again rewrites byte-identical files.

Standard library only. Usage:
  tools/make_sample_dataset.py                  # writes datasets/sample/sample.*
  tools/make_sample_dataset.py --out /tmp/s --seed 3
"""

import argparse
import os
import random
import sys
import tempfile

PROG = "make_sample_dataset"
CLASSES = ("Neural_Networks", "Probabilistic_Methods", "Theory")
NODES_PER_CLASS = 20
TOPIC_WORDS = 10        # words typical of one class; features 0..9 class 0, 10..19 class 1, ...
COMMON_WORDS = 10       # words every class uses equally often
P_TOPIC = 0.35          # chance a paper uses a word of its own topic
P_OTHER_TOPIC = 0.05    # ... a word of another class's topic
P_COMMON = 0.2          # ... a common word
P_SAME_CLASS_CITE = 0.85  # share of citations that stay within the class (homophily)
SPLIT = (("train", 5), ("val", 5), ("test", 10))  # nodes per class in each split
UNKNOWN_IDS = ("p901", "p913", "p977")  # cited but absent from .content


class Rng:
    """Deterministic choices built on random.Random.random() only.

    Python guarantees that random() returns the same sequence for the same integer seed in
    every version, but not randrange/choice/shuffle, whose algorithms have changed in the
    past. Deriving everything from random() keeps the committed files reproducible.
    """

    def __init__(self, seed):
        self._r = random.Random(seed)

    def chance(self, p):
        return self._r.random() < p

    def below(self, n):
        return min(int(self._r.random() * n), n - 1)

    def shuffle(self, items):
        # Fisher-Yates, in place.
        for i in range(len(items) - 1, 0, -1):
            j = self.below(i + 1)
            items[i], items[j] = items[j], items[i]
        return items


def generate(seed):
    """Returns (content rows, citation pairs, split rows) as lists of tuples of strings."""
    rng = Rng(seed)
    num_classes = len(CLASSES)
    num_features = num_classes * TOPIC_WORDS + COMMON_WORDS

    # Ids p000..p099 are shuffled and the first N taken: ids are then neither contiguous
    # nor in class order, like real LINQS files.
    num_nodes = num_classes * NODES_PER_CLASS
    ids = rng.shuffle([f"p{i:03d}" for i in range(100)])[:num_nodes]
    label = {ids[i]: i // NODES_PER_CLASS for i in range(num_nodes)}

    features = {}
    for node in ids:
        c = label[node]
        row = []
        for f in range(num_features):
            if f >= num_classes * TOPIC_WORDS:
                p = P_COMMON
            elif f // TOPIC_WORDS == c:
                p = P_TOPIC
            else:
                p = P_OTHER_TOPIC
            row.append(1 if rng.chance(p) else 0)
        if not any(row[c * TOPIC_WORDS:(c + 1) * TOPIC_WORDS]):
            # Make sure every paper has at least one word of its topic.
            row[c * TOPIC_WORDS + rng.below(TOPIC_WORDS)] = 1
        features[node] = row

    # Citations: every paper cites 1-3 others, mostly of its own class. Pairs are kept
    # unique (in either direction) so the only duplicate is the deliberate one below.
    by_class = [[n for n in ids if label[n] == c] for c in range(num_classes)]
    cites, seen = [], set()
    for citing in ids:
        for _ in range(1 + rng.below(3)):
            if rng.chance(P_SAME_CLASS_CITE):
                pool = by_class[label[citing]]
            else:
                pool = [n for n in ids if label[n] != label[citing]]
            cited = pool[rng.below(len(pool))]
            key = frozenset((cited, citing))
            if cited == citing or key in seen:
                continue
            seen.add(key)
            cites.append((cited, citing))  # LINQS order: cited paper, then citing paper
    # The same citation again, reversed: a loader must merge it with the first.
    cites.append((cites[0][1], cites[0][0]))
    # Citations naming papers that are not in .content, on either side.
    for k, unknown in enumerate(UNKNOWN_IDS):
        known = ids[rng.below(num_nodes)]
        cites.append((unknown, known) if k % 2 == 0 else (known, unknown))
    rng.shuffle(cites)

    # Split: per class, the first nodes (in generated order) go to train, then val, then test.
    split = []
    for members in by_class:
        start = 0
        for part, count in SPLIT:
            split += [(node, part) for node in members[start:start + count]]
            start += count
    order = {"train": 0, "val": 1, "test": 2}
    split.sort(key=lambda row: (order[row[1]], row[0]))

    content_order = rng.shuffle(list(ids))
    content = [(node, *map(str, features[node]), CLASSES[label[node]]) for node in content_order]
    return content, cites, split


def write_atomically(path, rows):
    """Writes tab-separated rows to path via a temporary file and a rename."""
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp",
                               dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="ascii", newline="\n") as f:
            f.writelines("\t".join(row) + "\n" for row in rows)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give normal permissions
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def main(argv=None):
    default_out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "datasets",
                               "sample")
    parser = argparse.ArgumentParser(
        prog="make_sample_dataset.py",
        description="Write a tiny, learnable LINQS-style dataset (NAME.content, NAME.cites, "
                    "NAME.split): 3 classes, 60 papers, 40 binary word features.")
    parser.add_argument("--out", default=os.path.normpath(default_out),
                        help="output folder (default: the project's datasets/sample)")
    parser.add_argument("--name", default="sample", help="base name of the files "
                        "(default: sample; gat finds NAME.* in a folder named NAME)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    args = parser.parse_args(argv)

    content, cites, split = generate(args.seed)
    try:
        os.makedirs(args.out, exist_ok=True)
        for ext, rows in (("content", content), ("cites", cites), ("split", split)):
            write_atomically(os.path.join(args.out, f"{args.name}.{ext}"), rows)
    except OSError as exc:
        sys.stderr.write(f"{PROG}: error: cannot write to {args.out} ({exc.strerror or exc})\n")
        return 1
    counts = {p: sum(1 for _, s in split if s == p) for p, _ in SPLIT}
    print(f"{PROG}: wrote {args.out}/{args.name}.{{content,cites,split}}: {len(content)} "
          f"nodes, {len(content[0]) - 2} features, {len(CLASSES)} classes, {len(cites)} "
          f"citation lines ({len(UNKNOWN_IDS)} to unknown ids, 1 repeated), split "
          f"{counts['train']}/{counts['val']}/{counts['test']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
