#!/usr/bin/env python3
"""Turn the CSV written by `gat bench --csv FILE` into PNG figures.

Figures (one PNG each, written into --out, default the CSV's folder):

  <stem>_<metric>_vs_nodes.png    time vs number of nodes, one line per (mode, sweep
                                  group), log-log, error bars from the min/max columns;
  <stem>_<metric>_vs_density.png  time vs density (edges / N^2), one panel per node count,
                                  sparse and dense, with the crossover (the density above
                                  which dense attention is faster) marked;
  <stem>_memory_vs_nodes.png      peak resident memory vs number of nodes, both modes.

A short text summary goes to stdout: for each node count, the crossover density (or
"none in range") and the sparse/dense time ratio at the lowest measured density.

Rows whose status is "error" (e.g. dense attention refused for lack of memory) are not
plotted; they are counted in each figure's footnote and in the summary.

Needs matplotlib. On Debian: `apt-get install -y python3-matplotlib`, then run the
script with the system interpreter:

  /usr/bin/python3 tools/plot_bench.py /tmp/bench.csv
  /usr/bin/python3 tools/plot_bench.py /tmp/bench.csv --metric forward --out /tmp/figs
"""

import argparse
import csv
import math
import os
import statistics
import sys
import tempfile

PROG = "plot_bench"

METRICS = {
    "step": "training step (forward + backward + Adam)",
    "forward": "training forward pass",
    "backward": "backward pass",
    "inference": "inference forward pass",
}

COLUMNS = (
    "graph,nodes,edges,density,avg_degree,mode,heads,features,threads,"
    "forward_ms,forward_min_ms,forward_max_ms,backward_ms,backward_min_ms,backward_max_ms,"
    "step_ms,step_min_ms,step_max_ms,inference_ms,inference_min_ms,inference_max_ms,"
    "peak_mib,status"
).split(",")

INT_FIELDS = ("nodes", "edges", "heads", "features", "threads")
FLOAT_FIELDS = tuple(c for c in COLUMNS if c not in INT_FIELDS + ("graph", "mode", "status"))

MODE_STYLE = {
    "sparse": {"linestyle": "-", "marker": "o"},
    "dense": {"linestyle": "--", "marker": "s"},
}


class CsvError(Exception):
    """A problem with the input file; the message names the file and, if known, the line."""


# --------------------------------------------------------------------------- reading


def read_bench_csv(path):
    """Returns (ok_rows, error_rows). ok rows are dicts with typed values; error rows are
    dicts with at least "mode" and "nodes" (nodes may be None when the file lacks it)."""
    try:
        f = open(path, newline="", encoding="utf-8")
    except FileNotFoundError:
        raise CsvError(f"{path}: no such file") from None
    except OSError as e:
        raise CsvError(f"{path}: cannot open: {e.strerror}") from None
    ok, errors = [], []
    with f:
        reader = csv.reader(f)
        try:
            header = next(reader, None)
            while header is not None and not any(cell.strip() for cell in header):
                header = next(reader, None)  # tolerate blank lines before the header
            if header is None:
                raise CsvError(f"{path}: the file is empty (expected a header line from "
                               f"`gat bench --csv`)")
            header = [h.strip() for h in header]
            missing = [c for c in COLUMNS if c not in header]
            if missing:
                shown = ", ".join(missing[:6]) + (", ..." if len(missing) > 6 else "")
                raise CsvError(f"{path}:{reader.line_num}: the header lacks {len(missing)} of "
                               f"the {len(COLUMNS)} expected columns ({shown}); is this a "
                               f"`gat bench --csv` file?")
            index = {name: i for i, name in enumerate(header)}
            end = reader.line_num
            for cells in reader:
                line, end = end + 1, reader.line_num
                if line != end:
                    raise CsvError(f"{path}:{line}: the record runs on to line {end}; "
                                   f"unbalanced double quote?")
                if not any(cell.strip() for cell in cells):
                    continue
                if len(cells) != len(header):
                    raise CsvError(f"{path}:{line}: {len(cells)} fields, expected "
                                   f"{len(header)} (as in the header)")
                raw = {name: cells[i].strip() for name, i in index.items()}
                status = raw["status"]
                mode = raw["mode"]
                if mode not in MODE_STYLE:
                    raise CsvError(f"{path}:{line}: mode is {mode!r}, expected sparse or dense")
                if status == "error":
                    errors.append(parse_error_row(raw))
                elif status == "ok":
                    ok.append(parse_ok_row(raw, f"{path}:{line}"))
                else:
                    raise CsvError(f"{path}:{line}: status is {status!r}, expected ok or error")
        except csv.Error as e:
            raise CsvError(f"{path}:{reader.line_num}: not valid CSV: {e}") from None
        except UnicodeDecodeError:
            raise CsvError(f"{path}: not a UTF-8 text file") from None
    if not ok and not errors:
        raise CsvError(f"{path}: has a header but no data rows")
    return ok, errors


def parse_ok_row(raw, where):
    row = {"graph": raw["graph"], "mode": raw["mode"]}
    for name in INT_FIELDS:
        try:
            row[name] = int(raw[name])
        except ValueError:
            raise CsvError(f"{where}: column {name} is {raw[name]!r}, expected an integer") from None
    for name in FLOAT_FIELDS:
        try:
            value = float(raw[name])
        except ValueError:
            raise CsvError(f"{where}: column {name} is {raw[name]!r}, expected a number") from None
        if not math.isfinite(value) or value < 0:
            raise CsvError(f"{where}: column {name} is {raw[name]!r}, expected a finite "
                           f"non-negative number")
        row[name] = value
    if row["nodes"] < 1:
        raise CsvError(f"{where}: nodes is {row['nodes']}, expected at least 1")
    return row


def parse_error_row(raw):
    # Error rows carry little more than the mode and the node count. `gat bench` has
    # written the node count one column late (under "edges") in some versions, so fall
    # back to that column when "nodes" is empty.
    nodes = None
    for name in ("nodes", "edges"):
        try:
            nodes = int(raw[name]) or None  # 0: size unknown (dataset not loaded)
            break
        except ValueError:
            pass
    return {"mode": raw["mode"], "nodes": nodes}


# --------------------------------------------------------------------------- grouping


def setting_of(row):
    """Everything but the graph size and the sweep variable that identifies a series."""
    return (row["graph"], row["heads"], row["features"], row["threads"])


def describe_setting(setting, varying):
    """Label parts for the components of a setting that differ between rows."""
    graph, heads, features, threads = setting
    parts = []
    if varying[0]:
        parts.append(graph)
    if varying[1]:
        parts.append(f"H={heads}")
    if varying[2]:
        parts.append(f"F={features}")
    if varying[3]:
        parts.append(f"{threads} thr")
    return ", ".join(parts)


def log_spread(values):
    values = [v for v in values if v > 0]
    if len(values) < 2:
        return 0.0
    return math.log(max(values) / min(values))


def assign_groups(rows):
    """Puts each graph (one per setting, node count and edge count; its sparse and dense
    rows share it) into a sweep group and decides which variable the sweep varied.

    Returns (sweep, groups) where sweep is "density" or "degree" and groups maps
    (setting, group index) -> sorted list of the graphs' (nodes, edges, density, degree).
    Each row gets row["group"] = group index."""
    # graphs[setting][nodes] = sorted distinct (edges, density, degree)
    graphs = {}
    for r in rows:
        per_n = graphs.setdefault(setting_of(r), {}).setdefault(r["nodes"], {})
        per_n[r["edges"]] = (r["density"], r["avg_degree"])

    def match(setting, by):
        """group index for each (nodes, edges) of one setting, matching by `by`."""
        per_n = graphs[setting]
        counts = {n: len(v) for n, v in per_n.items()}
        result = {}
        if len(set(counts.values())) == 1:
            # Same number of graphs at every size: the k-th sparsest belongs to group k.
            for n, v in per_n.items():
                for k, e in enumerate(sorted(v)):
                    result[(n, e)] = k
            return result
        # Otherwise take the size with most graphs as the reference and attach every
        # other graph to the reference graph nearest in log(density) or log(degree).
        col = 0 if by == "density" else 1
        ref_n = max(per_n, key=lambda n: (counts[n], n))
        ref = [v[col] for _, v in sorted(per_n[ref_n].items())]
        for n, v in per_n.items():
            for e, vals in v.items():
                x = max(vals[col], 1e-300)
                result[(n, e)] = min(range(len(ref)),
                                     key=lambda k: abs(math.log(x / max(ref[k], 1e-300))))
        return result

    def score(by):
        """How much the chosen variable spreads inside its groups (lower = fits better)."""
        total = 0.0
        col = 0 if by == "density" else 1
        for setting in graphs:
            members = {}
            for (n, e), k in match(setting, by).items():
                members.setdefault(k, []).append(graphs[setting][n][e][col])
            total += sum(log_spread(v) for v in members.values())
        return total

    d_score, g_score = score("density"), score("degree")
    sweep = "degree" if g_score < d_score else "density"
    matches = {setting: match(setting, sweep) for setting in graphs}
    groups = {}
    for setting, m in matches.items():
        for (n, e), k in m.items():
            dens, deg = graphs[setting][n][e]
            groups.setdefault((setting, k), []).append((n, e, dens, deg))
    for r in rows:
        r["group"] = matches[setting_of(r)][(r["nodes"], r["edges"])]
    for members in groups.values():
        members.sort()
    return sweep, groups


def fmt_num(x, digits=2):
    """Short human number: 2 significant digits, no exponent for ordinary values."""
    if x == 0:
        return "0"
    if 1e-4 <= abs(x) < 1e5:
        decimals = max(0, digits - 1 - int(math.floor(math.log10(abs(x)))))
        return f"{x:.{decimals}f}"
    return f"{x:.{digits - 1}e}"


def group_label(sweep, members, single_size):
    """e.g. "density ~0.0015 (0.0012-0.002)" or "degree ~5"."""
    col = 2 if sweep == "density" else 3
    values = [m[col] for m in members]
    mid = statistics.median(values)
    text = f"{sweep} ~{fmt_num(mid)}"
    if max(values) > 1.15 * min(values):
        text += f" ({fmt_num(min(values))}\u2013{fmt_num(max(values))})"
    if single_size:
        other_col, other = (3, "degree") if sweep == "density" else (2, "density")
        text += f", {other} {fmt_num(statistics.median(m[other_col] for m in members))}"
    return text


# --------------------------------------------------------------------------- analysis


def crossovers(points):
    """points: sorted list of (density, sparse_ms, dense_ms), all positive. Returns a
    list of (density, direction) where direction is "dense" when dense becomes faster
    above that density and "sparse" when sparse becomes faster again. Found by linear
    interpolation of log(dense/sparse) against log(density) between the bracketing
    measured points. Where the two times are equal at measured points between the
    bracketing ones, the crossing is put midway (in log density) between the first and
    last such point; equal times with the same side faster on both sides (a touch) are
    no crossing."""
    found = []
    prev = None  # (log density, log(dense/sparse)) of the last point with a winner
    ties = []    # log densities of equal-time points since then
    for dens, ts, td in points:
        x = math.log(dens)
        diff = math.log(td) - math.log(ts)  # > 0: sparse faster
        if diff == 0:
            ties.append(x)
            continue
        if prev is not None and (prev[1] > 0) != (diff > 0):
            if ties:
                at = (ties[0] + ties[-1]) / 2
            else:
                at = prev[0] + (x - prev[0]) * prev[1] / (prev[1] - diff)
            found.append((math.exp(at), "dense" if prev[1] > 0 else "sparse"))
        prev, ties = (x, diff), []
    return found


def faster_mode(points):
    """"sparse" or "dense" for the first measured point with a winner, None if all tie."""
    for _, ts, td in points:
        if ts != td:
            return "sparse" if ts < td else "dense"
    return None


def paired_points(rows, metric):
    """{(setting, nodes): sorted [(density, sparse_ms, dense_ms)]} over graphs measured
    in both modes."""
    col = f"{metric}_ms"
    by_graph = {}
    for r in rows:
        key = (setting_of(r), r["nodes"], r["edges"])
        by_graph.setdefault(key, {})[r["mode"]] = r
    out = {}
    for (setting, n, _), modes in by_graph.items():
        if "sparse" in modes and "dense" in modes:
            s, d = modes["sparse"], modes["dense"]
            if s[col] > 0 and d[col] > 0 and s["density"] > 0:
                out.setdefault((setting, n), []).append((s["density"], s[col], d[col]))
    for v in out.values():
        v.sort()
    return out


def crossover_text(points, n, failed=None, present=()):
    """One-line verdict for a node count, used in panel titles and the summary. failed is
    {mode: count} of runs at this size that ended with status=error; present the modes
    with successful runs at this size."""
    if not points:
        if failed:
            return (f"no comparison ({' and '.join(sorted(failed))} run"
                    f"{'s' if sum(failed.values()) != 1 else ''} failed)")
        if len(set(present)) == 1:
            return f"no comparison (only {next(iter(present))} measured)"
        return "no comparison (no graph measured in both modes)"
    lo, hi = points[0][0], points[-1][0]
    rng = f"density {fmt_num(lo)}-{fmt_num(hi)}" if len(points) > 1 else f"density {fmt_num(lo)}"
    found = crossovers(points)
    if not found:
        faster = faster_mode(points)
        if faster is None:
            return f"none in range (equal times over the whole range, {rng})"
        if len(points) == 1:
            return f"{faster} faster at the only density measured ({fmt_num(lo)})"
        return f"none in range ({faster} faster over the whole range, {rng})"
    parts = []
    for x, direction in found:
        verb = "dense faster above" if direction == "dense" else "sparse faster again above"
        parts.append(f"{verb} density ~{fmt_num(x)} (degree ~{fmt_num(x * n)})")
    return "; ".join(parts)


# --------------------------------------------------------------------------- plotting


def tick_label(value, _pos=None):
    return f"{value:g}" if value > 0 else ""


def style_log_axis(axis, lo, hi):
    """Plain-number tick labels on a log axis; label 2, 3 and 5 times the powers of ten
    too when the axis spans little more than a decade (else it would have no labels)."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
    axis.set_major_locator(LogLocator(base=10))
    axis.set_major_formatter(FuncFormatter(tick_label))
    if lo > 0 and hi / lo < 30:
        axis.set_minor_locator(LogLocator(base=10, subs=(2, 3, 5)))
        axis.set_minor_formatter(FuncFormatter(tick_label))
    else:
        axis.set_minor_formatter(NullFormatter())


def style_nodes_axis(ax, rows):
    """x ticks exactly at the node counts measured."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator
    ax.xaxis.set_major_locator(FixedLocator(sorted({r["nodes"] for r in rows})))
    ax.xaxis.set_major_formatter(FuncFormatter(tick_label))
    ax.xaxis.set_minor_locator(NullLocator())


def modes_at(rows, setting, n):
    return {r["mode"] for r in rows if setting_of(r) == setting and r["nodes"] == n}


def failed_modes(errors, n):
    """{mode: count} of failed runs at node count n."""
    out = {}
    for e in errors:
        if e["nodes"] == n:
            out[e["mode"]] = out.get(e["mode"], 0) + 1
    return out


def error_list(errors):
    """e.g. "dense at N=2000 (x2), sparse at N unknown"."""
    counts = {}
    for e in errors:
        counts[(e["mode"], e["nodes"])] = counts.get((e["mode"], e["nodes"]), 0) + 1
    parts = []
    for (mode, n), c in sorted(counts.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0)):
        where = f"N={n}" if n else "N unknown"
        parts.append(f"{mode} at {where}" + (f" (x{c})" if c > 1 else ""))
    return ", ".join(parts)


def error_note(errors):
    if not errors:
        return ""
    total = len(errors)
    return (f"{total} run{'s' if total != 1 else ''} failed and not plotted "
            f"(status=error): {error_list(errors)}")


def save_png(fig, path):
    """Writes the figure to a temporary file in the target folder, then renames it."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp",
                               dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            fig.savefig(f, format="png", dpi=120, bbox_inches="tight")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp made it private; use the usual mode
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def add_footnote(fig, lines):
    lines = [ln for ln in lines if ln]
    if lines:
        fig.text(0.01, -0.01, "\n".join(lines), ha="left", va="top", fontsize=8,
                 color="dimgray", wrap=True)


def series(rows, sweep, groups, single_size, varying):
    """{(mode, setting, group): (label, sorted rows)} in a stable order, plus a colour
    index per (setting, group)."""
    out = {}
    for r in rows:
        out.setdefault((r["mode"], setting_of(r), r["group"]), []).append(r)
    colours = {}
    for key in sorted({(s, g) for (_, s, g) in out}):
        colours[key] = len(colours)
    result = []
    for (mode, setting, g) in sorted(out, key=lambda k: (k[1], k[2], k[0] != "sparse")):
        members = groups[(setting, g)]
        label = f"{mode}, {group_label(sweep, members, single_size)}"
        extra = describe_setting(setting, varying)
        if extra:
            label += f", {extra}"
        result.append((mode, label, colours[(setting, g)],
                       sorted(out[(mode, setting, g)], key=lambda r: r["nodes"])))
    return result


def cap(text):
    return text[:1].upper() + text[1:]


def common_title(rows, varying):
    graph, heads, features, threads = setting_of(rows[0])
    parts = []
    if not varying[0]:
        parts.append(f"{graph} graphs")
    if not varying[1]:
        parts.append(f"H={heads} heads")
    if not varying[2]:
        parts.append(f"F={features} features/head")
    if not varying[3]:
        parts.append(f"{threads} thread{'s' if threads != 1 else ''}")
    return ", ".join(parts)


def plot_time_vs_nodes(plt, rows, errors, sweep, groups, metric, varying, path):
    single_size = len({r["nodes"] for r in rows}) == 1
    fig, ax = plt.subplots(figsize=(9, 5.5))
    cmap = plt.get_cmap("tab10")
    col = f"{metric}_ms"
    for mode, label, colour, members in series(rows, sweep, groups, single_size, varying):
        xs = [r["nodes"] for r in members]
        ys = [r[col] for r in members]
        lo = [max(0.0, r[col] - r[f"{metric}_min_ms"]) for r in members]
        hi = [max(0.0, r[f"{metric}_max_ms"] - r[col]) for r in members]
        ax.errorbar(xs, ys, yerr=[lo, hi], label=label, color=cmap(colour % 10),
                    capsize=3, markersize=5, linewidth=1.5, **MODE_STYLE[mode])
    ax.set_xscale("log")
    ax.set_yscale("log")
    style_nodes_axis(ax, rows)
    style_log_axis(ax.yaxis, *ax.get_ylim())
    ax.set_xlabel("nodes N (log scale)")
    ax.set_ylabel(f"{metric} time (ms, median; bars = min\u2013max)")
    ax.set_title(f"{cap(METRICS[metric])} time vs graph size, by {sweep}\n"
                 f"{common_title(rows, varying)}", fontsize=11)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8,
              title="mode, group (solid = sparse, dashed = dense)", title_fontsize=8)
    add_footnote(fig, [error_note(errors)])
    save_png(fig, path)
    plt.close(fig)


def plot_memory_vs_nodes(plt, rows, errors, sweep, groups, varying, path):
    single_size = len({r["nodes"] for r in rows}) == 1
    fig, ax = plt.subplots(figsize=(9, 5.5))
    cmap = plt.get_cmap("tab10")
    for mode, label, colour, members in series(rows, sweep, groups, single_size, varying):
        ax.plot([r["nodes"] for r in members], [r["peak_mib"] for r in members], label=label,
                color=cmap(colour % 10), markersize=5, linewidth=1.5, **MODE_STYLE[mode])
    ax.set_xscale("log")
    ax.set_yscale("log")
    style_nodes_axis(ax, rows)
    style_log_axis(ax.yaxis, *ax.get_ylim())
    ax.set_xlabel("nodes N (log scale)")
    ax.set_ylabel("peak resident memory (MiB, log scale)")
    ax.set_title(f"Peak memory vs graph size, by {sweep}\n{common_title(rows, varying)}",
                 fontsize=11)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8,
              title="mode, group (solid = sparse, dashed = dense)", title_fontsize=8)
    add_footnote(fig, [error_note(errors),
                       "Peak resident set size of the process that ran the configuration."])
    save_png(fig, path)
    plt.close(fig)


def plot_time_vs_density(plt, rows, errors, metric, varying, pairs, path):
    col = f"{metric}_ms"
    panels = sorted({(setting_of(r), r["nodes"]) for r in rows}, key=lambda k: (k[0], k[1]))
    # One row per setting when few sizes were measured, else rows of three.
    sizes = len({n for _, n in panels})
    ncols = min(sizes, 4) if len(panels) > sizes and sizes <= 4 else min(3, len(panels))
    nrows = math.ceil(len(panels) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.2 * ncols, 4.4 * nrows), squeeze=False)
    colours = {"sparse": "tab:blue", "dense": "tab:red"}
    for i, (setting, n) in enumerate(panels):
        ax = axes[i // ncols][i % ncols]
        for mode in ("sparse", "dense"):
            members = sorted((r for r in rows if setting_of(r) == setting and r["nodes"] == n
                              and r["mode"] == mode and r["density"] > 0),
                             key=lambda r: r["density"])
            if not members:
                continue
            ys = [r[col] for r in members]
            lo = [max(0.0, r[col] - r[f"{metric}_min_ms"]) for r in members]
            hi = [max(0.0, r[f"{metric}_max_ms"] - r[col]) for r in members]
            ax.errorbar([r["density"] for r in members], ys, yerr=[lo, hi], label=mode,
                        color=colours[mode], capsize=3, markersize=5, linewidth=1.5,
                        **MODE_STYLE[mode])
        ax.set_xscale("log")
        ax.set_yscale("log")
        measured = {r["density"] for r in rows if setting_of(r) == setting and r["nodes"] == n}
        if len(measured) == 1:  # matplotlib would pick an arbitrary decade around it
            only = next(iter(measured))
            ax.set_xlim(only / 2, only * 2)
        x_lo, x_hi = ax.get_xlim()
        points = pairs.get((setting, n), [])
        found = crossovers(points)
        for i_c, (x, direction) in enumerate(found):
            ax.axvline(x, color="black", linestyle=":", linewidth=1.2)
            if direction == "dense":
                end = found[i_c + 1][0] if i_c + 1 < len(found) else x_hi
                ax.axvspan(x, end, color="tab:red", alpha=0.08, linewidth=0,
                           label="dense faster" if i_c == 0 else None)
            # Put the note on whichever side of the line has more room.
            frac = math.log(x / x_lo) / math.log(x_hi / x_lo)
            left = frac > 0.55
            arrow = "dense faster \u2192" if direction == "dense" else "sparse faster \u2192"
            ax.annotate(f"crossover\n~{fmt_num(x)}\n({arrow})", xy=(x, 0.5),
                        xycoords=("data", "axes fraction"), xytext=(-5 if left else 5, 0),
                        textcoords="offset points", ha="right" if left else "left",
                        va="center", fontsize=8,
                        bbox={"boxstyle": "round", "fc": "white", "ec": "gray", "alpha": 0.9})
        ax.set_xlim(x_lo, x_hi)
        failed = failed_modes(errors, n)
        if failed:
            ax.text(0.02, 0.98, "\n".join(f"{m}: {c} run{'s' if c != 1 else ''} failed "
                                           f"(status=error)" for m, c in sorted(failed.items())),
                    transform=ax.transAxes, ha="left", va="top", fontsize=8, color="darkred")
        style_log_axis(ax.xaxis, x_lo, x_hi)
        style_log_axis(ax.yaxis, *ax.get_ylim())
        ax.set_xlabel("density = edges / N\u00b2 (log scale)")
        ax.set_ylabel(f"{metric} time (ms, median; bars = min\u2013max)")
        if found:
            head = "crossover: " + ", ".join(
                ("dense faster above " if d == "dense" else "sparse faster above ") + fmt_num(x)
                for x, d in found)
        else:
            head = crossover_text(points, n, failed, modes_at(rows, setting, n))
            if head.startswith("none in range ("):
                head = head[len("none in range ("):].split(",")[0]
        extra = describe_setting(setting, varying)
        ax.set_title(f"N = {n}" + (f" ({extra})" if extra else "") + f"\n{head}", fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8, loc="best")
        top = ax.secondary_xaxis("top", functions=(lambda d, n=n: d * n,
                                                   lambda k, n=n: k / n))
        style_log_axis(top.xaxis, x_lo * n, x_hi * n)
        top.set_xlabel("average degree = density \u00d7 N", fontsize=8)
        top.tick_params(which="both", labelsize=7)
    for j in range(len(panels), nrows * ncols):
        axes[j // ncols][j % ncols].set_visible(False)
    fig.suptitle(f"{cap(METRICS[metric])} time vs density, sparse vs dense attention\n"
                 f"{common_title(rows, varying)}", fontsize=12)
    fig.tight_layout()
    add_footnote(fig, [error_note(errors),
                       "Crossover = density where dense becomes faster than sparse, "
                       "interpolated on log-log axes between the bracketing measured points."])
    save_png(fig, path)
    plt.close(fig)


# --------------------------------------------------------------------------- main


def import_pyplot():
    try:
        import matplotlib
    except ImportError:
        sys.exit(f"{PROG}: error: matplotlib is not installed for {sys.executable}.\n"
                 f"  Install it with:  apt-get install -y python3-matplotlib\n"
                 f"  and run the script with the system Python:  /usr/bin/python3 "
                 f"{sys.argv[0]} ...")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def print_summary(csv_path, rows, errors, sweep, metric, pairs, varying):
    print(f"{csv_path}: {len(rows) + len(errors)} rows ({len(rows)} ok, {len(errors)} error); "
          f"sweep by {sweep}; metric: {metric} = {METRICS[metric]}")
    print(f"Crossover (density above which dense is faster than sparse), {metric} time:")
    keys = sorted({(setting_of(r), r["nodes"]) for r in rows})
    for setting, n in keys:
        points = pairs.get((setting, n), [])
        extra = describe_setting(setting, varying)
        name = f"N = {n}" + (f" ({extra})" if extra else "")
        verdict = crossover_text(points, n, failed_modes(errors, n), modes_at(rows, setting, n))
        print(f"  {name}: {verdict}")
        if points:
            dens, ts, td = points[0]
            ratio = ts / td
            which = (f"sparse {td / ts:.3g}x faster" if ts < td
                     else f"dense {ts / td:.3g}x faster" if td < ts else "equal")
            print(f"      sparse/dense at lowest density {fmt_num(dens)}: {ratio:.3g} ({which})")
    if errors:
        print(error_note(errors))


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Plot the CSV written by `gat bench --csv FILE`: time vs nodes, time vs "
                    "density with the sparse/dense crossover, and peak memory vs nodes. "
                    "Needs matplotlib (Debian: apt-get install -y python3-matplotlib; run "
                    "with /usr/bin/python3).",
        epilog="example: /usr/bin/python3 tools/plot_bench.py /tmp/bench.csv --metric step")
    parser.add_argument("csv", help="CSV file written by `gat bench --csv`")
    parser.add_argument("--out", metavar="DIR",
                        help="folder for the PNG files (default: the CSV's folder; created "
                             "if missing)")
    parser.add_argument("--metric", choices=sorted(METRICS), default="step",
                        help="which timing to plot (default: step = forward + backward + "
                             "Adam)")
    args = parser.parse_args(argv)

    try:
        rows, errors = read_bench_csv(args.csv)
    except CsvError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    if not rows:
        print(f"{PROG}: error: {args.csv}: every row has status=error, nothing to plot; "
              f"failed runs: {error_list(errors)}", file=sys.stderr)
        return 1

    # The same configuration twice (e.g. two CSV files joined): keep the later row.
    latest = {}
    for r in rows:
        latest[(setting_of(r), r["nodes"], r["edges"], r["mode"])] = r
    if len(latest) != len(rows):
        print(f"{PROG}: warning: {args.csv}: {len(rows) - len(latest)} row(s) repeat an "
              f"earlier configuration (same graph, size, edges, mode, H, F, threads); "
              f"using the later one", file=sys.stderr)
        rows = list(latest.values())

    out_dir = args.out if args.out else (os.path.dirname(os.path.abspath(args.csv)))
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        print(f"{PROG}: error: --out {out_dir} exists and is not a folder", file=sys.stderr)
        return 1
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as e:
        print(f"{PROG}: error: cannot create output folder {out_dir}: {e.strerror}",
              file=sys.stderr)
        return 1

    plt = import_pyplot()

    sweep, groups = assign_groups(rows)
    settings = [setting_of(r) for r in rows]
    varying = [len({s[i] for s in settings}) > 1 for i in range(4)]
    pairs = paired_points(rows, args.metric)

    stem = os.path.splitext(os.path.basename(args.csv))[0]
    outputs = [
        (os.path.join(out_dir, f"{stem}_{args.metric}_vs_nodes.png"),
         lambda p: plot_time_vs_nodes(plt, rows, errors, sweep, groups, args.metric,
                                      varying, p)),
        (os.path.join(out_dir, f"{stem}_{args.metric}_vs_density.png"),
         lambda p: plot_time_vs_density(plt, rows, errors, args.metric, varying, pairs, p)),
        (os.path.join(out_dir, f"{stem}_memory_vs_nodes.png"),
         lambda p: plot_memory_vs_nodes(plt, rows, errors, sweep, groups, varying, p)),
    ]
    # Draw everything before printing, so that a closed stdout (`| head`) cannot stop
    # the figures half way.
    for path, draw in outputs:
        try:
            draw(path)
        except OSError as e:
            print(f"{PROG}: error: cannot write {path}: {e.strerror or e}", file=sys.stderr)
            return 1
    print_summary(args.csv, rows, errors, sweep, args.metric, pairs, varying)
    for path, _ in outputs:
        print(f"wrote {path}")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:
        # stdout was closed early (e.g. piped into head); the figures are written.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
