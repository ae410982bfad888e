#!/usr/bin/env python3
"""Step time and memory per edge against edges, log-log: gat against PyTorch Geometric.

Inputs are the files the two benchmarks write:

  gat:  CSVs of `gat bench --csv FILE` over generated graphs (one line per thread count,
        from the CSV's `threads` column): the training step of the 2-layer model
        (forward + loss + backward + Adam), `step_ms`, and the peak `bytes_per_edge`;
  PyG:  JSONs of `../shared/peers/pyg_scaling.py --out FILE`: one GATConv layer forward +
        backward, `fwdbwd_ms_median`, and `layer_mem_bytes_per_edge`; a run that died
        (out of memory) has no JSON, or one without a median, and is listed as missing
        (name its would-be path to have it listed).

Edges are counted with self loops on both sides. The figure has two panels (time, bytes
per edge) and goes to --out (PNG). A table of the points goes to stdout.

Needs matplotlib (Debian: apt-get install -y python3-matplotlib; run with /usr/bin/python3):

  /usr/bin/python3 tools/plot_scaling.py --gat a.csv b.csv --pyg p1.json p2.json \\
      --out tools/figures/scaling.png
"""

import argparse
import csv
import json
import sys

PROG = "plot_scaling"


def fail(msg):
    print(f"{PROG}: error: {msg}", file=sys.stderr)
    sys.exit(1)


def read_gat(paths):
    """{threads: [(edges, step_ms, bytes_per_edge)]} from gat bench CSVs."""
    series = {}
    for path in paths:
        try:
            with open(path, newline="") as f:
                rows = list(csv.DictReader(f))
        except OSError as e:
            fail(f"{path}: {e.strerror}")
        for line, r in enumerate(rows, start=2):
            if r.get("status") != "ok":
                continue
            try:
                point = (int(r["edges"]), float(r["step_ms"]), float(r["bytes_per_edge"]))
                threads = int(r["threads"])
            except (KeyError, ValueError) as e:
                fail(f"{path}:{line}: not a gat bench CSV row with bytes_per_edge ({e})")
            series.setdefault(threads, []).append(point)
    for points in series.values():
        points.sort()
    return series


def read_pyg(paths):
    """([(edges, fwdbwd_ms, bytes_per_edge)], threads, [missing paths])."""
    points, missing, threads = [], [], set()
    for path in paths:
        try:
            with open(path) as f:
                d = json.load(f)
        except FileNotFoundError:
            missing.append(path)
            continue
        except (OSError, ValueError) as e:
            fail(f"{path}: not a pyg_scaling JSON ({e})")
        # "ok", or "stopped after N timed reps (budget ...)": both have a median.
        if "fwdbwd_ms_median" not in d:
            missing.append(path)
            continue
        points.append((int(d["e_with_self_loops"]), float(d["fwdbwd_ms_median"]),
                       float(d["layer_mem_bytes_per_edge"])))
        threads.add(int(d["threads"]))
    points.sort()
    return points, sorted(threads), missing


def main():
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0])
    ap.add_argument("--gat", nargs="+", required=True, help="gat bench CSVs")
    ap.add_argument("--pyg", nargs="*", default=[], help="pyg_scaling.py JSONs")
    ap.add_argument("--out", required=True, help="PNG to write")
    a = ap.parse_args()
    gat = read_gat(a.gat)
    if not gat:
        fail("no successful gat bench row in " + ", ".join(a.gat))
    pyg, pyg_threads, missing = read_pyg(a.pyg)

    print("| system | threads | edges | step or layer ms | bytes per edge |")
    print("| --- | --- | --- | --- | --- |")
    for t, pts in sorted(gat.items()):
        for e, ms, b in pts:
            print(f"| gat, 2-layer training step | {t} | {e} | {ms:.1f} | {b:.0f} |")
    for e, ms, b in pyg:
        print(f"| PyG, one GATConv fwd+bwd | {','.join(map(str, pyg_threads))} | {e} | {ms:.1f} "
              f"| {b:.0f} |")
    for path in missing:
        print(f"PyG run without a result (out of memory?): {path}")

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        fail("matplotlib is missing: apt-get install -y python3-matplotlib, and run with "
             "/usr/bin/python3")
    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(11, 4.2))
    for t, pts in sorted(gat.items()):
        e = [p[0] for p in pts]
        ax_t.plot(e, [p[1] / 1000 for p in pts], "o-", label=f"gat, 2-layer step, {t} thr")
        ax_m.plot(e, [p[2] for p in pts], "o-", label=f"gat, {t} thr (process peak)")
    if pyg:
        e = [p[0] for p in pyg]
        label = f"PyG, one layer fwd+bwd, {','.join(map(str, pyg_threads))} thr"
        ax_t.plot(e, [p[1] / 1000 for p in pyg], "s--", color="grey", label=label)
        ax_m.plot(e, [p[2] for p in pyg], "s--", color="grey", label="PyG, one layer")
    for ax in (ax_t, ax_m):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("edges (with self loops)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    ax_t.set_ylabel("seconds")
    ax_t.set_title("time per step (ER graphs, degree 10, 64 inputs, 8x8 heads)", fontsize=9)
    ax_m.set_ylabel("bytes per edge")
    ax_m.set_title("peak memory per edge", fontsize=9)
    if missing:
        fig.text(0.01, 0.01, f"PyG: {len(missing)} larger run(s) without a result "
                 "(out of memory in 24 GiB)", fontsize=8)
    fig.tight_layout()
    fig.savefig(a.out, dpi=110)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
