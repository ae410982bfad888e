#!/usr/bin/env python3
"""Draw the training curves written by `gat train --history FILE.csv` into one PNG.

Two panels, side by side: loss and accuracy per epoch, training and validation. With
several runs (--runs N) each run is one faint line and the mean over the runs that
reached that epoch is the bold one; runs stop at different epochs (early stopping), so
the mean at a late epoch covers fewer runs. The best validation accuracy of each run is
marked. A CSV of `gat train --task graph` (fold,epoch,train_loss,train_acc,train_ms) has
no validation columns: its folds are drawn as runs, training curves only.

Needs matplotlib. On Debian: `apt-get install -y python3-matplotlib`, then run the
script with the system interpreter:

  build/apps/gat/gat train --history /tmp/cora.csv
  /usr/bin/python3 tools/plot_train.py /tmp/cora.csv --out /tmp/cora.png
"""

import argparse
import csv
import os
import sys

# The one way the figure tools write a PNG (temporary in the target folder, then rename).
from plot_bench import save_png

PROG = "plot_train"


class CsvError(Exception):
    pass


def read_history(path):
    """Returns (unit, {run: [row, ...]}) where each row is a dict of floats by column."""
    try:
        f = open(path, newline="")
    except OSError as e:
        raise CsvError(f"{path}: cannot open: {e.strerror}") from None
    with f:
        reader = csv.DictReader(f)
        fields = reader.fieldnames or []
        unit = "run" if "run" in fields else "fold" if "fold" in fields else None
        needed = [unit or "run", "epoch", "train_loss", "train_acc"]
        missing = [c for c in needed if c not in fields]
        if missing:
            raise CsvError(f"{path}: not a gat train --history CSV: no column "
                           f"{', '.join(missing)} (header: {','.join(fields) or 'empty'})")
        runs = {}
        for line, raw in enumerate(reader, start=2):
            try:
                row = {k: float(v) for k, v in raw.items() if k is not None and v not in (None, "")}
            except ValueError as e:
                raise CsvError(f"{path}:{line}: {e}") from None
            runs.setdefault(int(row[unit]), []).append(row)
    if not runs:
        raise CsvError(f"{path}: no epochs in the file")
    return unit, runs


def mean_curve(runs, column):
    """Epochs and the mean of `column` over the runs that reached each epoch."""
    by_epoch = {}
    for rows in runs.values():
        for r in rows:
            if column in r:
                by_epoch.setdefault(int(r["epoch"]), []).append(r[column])
    epochs = sorted(by_epoch)
    return epochs, [sum(by_epoch[e]) / len(by_epoch[e]) for e in epochs]


def plot(unit, runs, title, out):
    import matplotlib

    matplotlib.use("Agg")  # no display needed
    import matplotlib.pyplot as plt

    has_val = any("val_loss" in r for rows in runs.values() for r in rows)
    colours = {"train": "tab:blue", "val": "tab:orange"}
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    several = len(runs) > 1
    for ax, metric, name in ((axes[0], "loss", "loss (cross-entropy)"),
                             (axes[1], "acc", "accuracy")):
        for split in ("train", "val") if has_val else ("train",):
            column = f"{split}_{metric}"
            label = {"train": "training (with dropout)", "val": "validation"}[split]
            for rows in runs.values():
                ax.plot([r["epoch"] for r in rows], [r[column] for r in rows],
                        color=colours[split], lw=0.8 if several else 1.4,
                        alpha=0.3 if several else 1.0, label=None if several else label)
            if several:
                epochs, mean = mean_curve(runs, column)
                ax.plot(epochs, mean, color=colours[split], lw=1.6,
                        label=f"{label}, mean of {len(runs)} {unit}s")
        if metric == "acc" and has_val:
            # Each run's best validation accuracy: where its early stopping looked.
            for rows in runs.values():
                best = max(rows, key=lambda r: (r["val_acc"], -r["epoch"]))
                ax.plot([best["epoch"]], [best["val_acc"]], marker="o", ms=4, ls="none",
                        color=colours["val"])
            ax.plot([], [], marker="o", ms=4, ls="none", color=colours["val"],
                    label="best validation accuracy")
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8, loc="upper right" if metric == "loss" else "lower right")
    axes[1].set_ylim(0, 1.02)
    fig.suptitle(title)
    save_png(fig, out)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog=PROG, description="Loss and accuracy curves from gat train --history FILE.csv.")
    parser.add_argument("csv", help="CSV written by gat train --history")
    parser.add_argument("--out", help="PNG to write (default: the CSV's name with .png)")
    parser.add_argument("--title", help="Figure title (default: the CSV's file name)")
    args = parser.parse_args(argv)
    out = args.out or os.path.splitext(args.csv)[0] + ".png"
    try:
        unit, runs = read_history(args.csv)
    except CsvError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print(f"{PROG}: error: matplotlib is not installed (Debian: apt-get install -y "
              "python3-matplotlib; then run this with /usr/bin/python3)", file=sys.stderr)
        return 1
    if not os.path.isdir(os.path.dirname(os.path.abspath(out))):
        print(f"{PROG}: error: cannot write {out}: its folder does not exist", file=sys.stderr)
        return 1
    epochs = sum(len(rows) for rows in runs.values())
    plot(unit, runs, args.title or os.path.basename(args.csv), out)
    print(f"wrote {out} ({len(runs)} {unit}{'s' if len(runs) > 1 else ''}, {epochs} epochs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
