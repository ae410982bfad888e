#!/usr/bin/env python3
"""Convert the original Planetoid files (ind.<name>.*) into LINQS-style text files.

Planetoid (Yang et al., 2016; github.com/kimiyoung/planetoid) ships Cora, CiteSeer and
PubMed as eight Python-2 pickles per set. This script turns one set into the three files
the gat library reads (see datasets/README.md):

  <name>.content   node id, feature values..., class label   (tab-separated)
  <name>.cites     two node ids per line, one line per undirected edge
  <name>.split     node id, then train / val / test

The result has the same nodes, features, labels, edges and public split that the GCN and
GAT papers used and that PyTorch Geometric's Planetoid loader builds:

  * Node ids are 0..N-1 in Planetoid order: the rows of allx first, then the test block.
  * Row k of tx (and ty) belongs to node test.index[k]. The test block runs from
    allx.shape[0] to max(test.index); CiteSeer's test.index skips 15 ids in that range, so
    those nodes get an all-zero feature row, label class0 (the argmax of an all-zero
    one-hot row, as PyG computes it) and no split. Their edges in ind.<name>.graph are kept.
  * train = the rows of x (the first 20 nodes of each class, nodes 0..len(x)-1),
    val     = the 500 nodes after them,
    test    = the nodes listed in test.index.
  * Edges: every pair in ind.<name>.graph, treated as undirected; duplicates merged and
    self loops dropped (as PyG does; GAT layers add their own self loops). Each edge is
    written once as "u<TAB>v" with u < v, sorted.
  * Labels are written as class0..class{C-1}; features as "0"/"1" when they are integers
    and otherwise as the shortest text that reads back to the same float32/float64 value.

Needs python3 with numpy and scipy (Debian: apt-get install python3-numpy python3-scipy).

Example:
  tools/planetoid_to_linqs.py ~/planetoid/data datasets/cora --name cora
"""

import argparse
import os
import pickle
import sys
import tempfile
import warnings

PROG = "planetoid_to_linqs"
SUFFIXES = ("x", "y", "tx", "ty", "allx", "ally", "graph", "test.index")
NUM_VAL = 500  # size of the public validation split, fixed by the Planetoid/GCN setup

try:
    import numpy as np
    import scipy.sparse as sp
except ImportError as exc:  # explain how to get them instead of a bare traceback
    sys.stderr.write(
        f"{PROG}: error: this script needs numpy and scipy ({exc}).\n"
        "  Debian/Ubuntu: apt-get install python3-numpy python3-scipy\n"
        "  (and run it with that system python3, e.g. /usr/bin/python3)\n")
    sys.exit(1)


class ConversionError(Exception):
    """A problem with the input files that the user has to fix; printed without traceback."""


# ---------------------------------------------------------------------------------------
# Reading the pickles
# ---------------------------------------------------------------------------------------

class _PlanetoidUnpickler(pickle.Unpickler):
    """Unpickler that only builds the few types Planetoid files contain.

    A pickle can run arbitrary code when loaded, and these files come from the internet,
    so every global the pickle asks for is checked against an allow-list. Old scipy module
    paths (scipy.sparse.csr, written by scipy 0.x) are mapped to the public scipy.sparse
    names, which keeps working after scipy removes the old modules.
    """

    _SPARSE_MODULES = {"scipy.sparse.csr", "scipy.sparse._csr", "scipy.sparse.csc",
                       "scipy.sparse._csc", "scipy.sparse.coo", "scipy.sparse._coo",
                       "scipy.sparse.lil", "scipy.sparse._lil", "scipy.sparse.base",
                       "scipy.sparse._base"}
    _SPARSE_CLASSES = {"csr_matrix", "csc_matrix", "coo_matrix", "lil_matrix"}
    _ALLOWED = {
        ("collections", "defaultdict"), ("collections", "OrderedDict"),
        ("__builtin__", "list"), ("builtins", "list"),
        ("__builtin__", "dict"), ("builtins", "dict"),
        ("__builtin__", "set"), ("builtins", "set"),
        ("__builtin__", "int"), ("builtins", "int"),
        ("numpy", "ndarray"), ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
        # Written by Python 3 (re-pickled copies): bytes, object rebuilding, protocol 5.
        ("_codecs", "encode"), ("copyreg", "_reconstructor"), ("copy_reg", "_reconstructor"),
        ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
    }

    def find_class(self, module, name):
        if module in self._SPARSE_MODULES and name in self._SPARSE_CLASSES:
            return getattr(sp, name)
        if (module, name) in self._ALLOWED:
            # numpy >= 2 warns when old pickles name numpy.core; the mapping is harmless.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"refusing to load '{module}.{name}': not a type found in Planetoid files")


def load_pickle(path):
    """Loads one ind.<name>.<suffix> pickle (written by Python 2, hence latin1)."""
    try:
        with open(path, "rb") as f:
            return _PlanetoidUnpickler(f, encoding="latin1").load()
    except OSError as exc:
        raise ConversionError(f"{path}: cannot open file ({exc.strerror})") from exc
    except Exception as exc:  # truncated/corrupt pickles raise many different types
        raise ConversionError(
            f"{path}: not a readable Planetoid pickle ({type(exc).__name__}: {exc})") from exc


def load_test_index(path):
    """Reads test.index: one integer node id per line, in the row order of tx/ty."""
    try:
        with open(path, "r", encoding="ascii") as f:
            lines = f.read().splitlines()
    except OSError as exc:
        raise ConversionError(f"{path}: cannot open file ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise ConversionError(f"{path}: not a text file of node ids ({exc})") from exc
    ids, seen = [], {}
    for lineno, line in enumerate(lines, 1):
        text = line.strip()
        if not text:
            continue
        try:
            node = int(text)
        except ValueError:
            raise ConversionError(f"{path}:{lineno}: expected a node id, found '{text}'") from None
        if node < 0:
            raise ConversionError(f"{path}:{lineno}: negative node id {node}")
        if node in seen:
            raise ConversionError(
                f"{path}:{lineno}: node id {node} listed twice (first on line {seen[node]})")
        seen[node] = lineno
        ids.append(node)
    if not ids:
        raise ConversionError(f"{path}: no node ids")
    return np.asarray(ids, dtype=np.int64)


def as_features(obj, path):
    """Feature matrices are scipy sparse in the originals; dense arrays are accepted too."""
    if sp.issparse(obj):
        m = sp.csr_matrix(obj)
    elif isinstance(obj, np.ndarray) and obj.ndim == 2:
        m = sp.csr_matrix(obj)
    else:
        raise ConversionError(f"{path}: expected a 2-D feature matrix, found {type(obj).__name__}")
    if m.dtype.kind not in "biuf":
        raise ConversionError(f"{path}: feature matrix has non-numeric type {m.dtype}")
    m.sum_duplicates()
    m.eliminate_zeros()
    if m.nnz and not np.all(np.isfinite(m.data)):
        raise ConversionError(f"{path}: feature matrix holds NaN or infinite values")
    return m


def as_labels(obj, path):
    """Label matrices are one-hot (rows = nodes, columns = classes)."""
    if sp.issparse(obj):
        obj = obj.toarray()
    if not isinstance(obj, np.ndarray) or obj.ndim != 2 or obj.dtype.kind not in "biuf":
        raise ConversionError(f"{path}: expected a 2-D one-hot label matrix, found "
                              f"{type(obj).__name__} {getattr(obj, 'shape', '')}")
    return obj


def load_planetoid(raw_dir, name):
    """Loads and cross-checks the eight files of one Planetoid set."""
    paths = {s: os.path.join(raw_dir, f"ind.{name}.{s}") for s in SUFFIXES}
    missing = [p for p in paths.values() if not os.path.isfile(p)]
    if missing:
        raise ConversionError("missing input file(s):\n  " + "\n  ".join(missing))

    x = as_features(load_pickle(paths["x"]), paths["x"])
    tx = as_features(load_pickle(paths["tx"]), paths["tx"])
    allx = as_features(load_pickle(paths["allx"]), paths["allx"])
    y = as_labels(load_pickle(paths["y"]), paths["y"])
    ty = as_labels(load_pickle(paths["ty"]), paths["ty"])
    ally = as_labels(load_pickle(paths["ally"]), paths["ally"])
    graph = load_pickle(paths["graph"])
    test_index = load_test_index(paths["test.index"])

    # Shapes must agree, or the node numbering below would be meaningless.
    def check(cond, msg):
        if not cond:
            raise ConversionError(f"{raw_dir}: inconsistent Planetoid files for '{name}': {msg}")

    num_features, num_classes = allx.shape[1], ally.shape[1]
    check(x.shape[1] == num_features and tx.shape[1] == num_features,
          f"feature counts differ (x {x.shape[1]}, tx {tx.shape[1]}, allx {num_features})")
    check(y.shape[1] == num_classes and ty.shape[1] == num_classes,
          f"class counts differ (y {y.shape[1]}, ty {ty.shape[1]}, ally {num_classes})")
    check(x.shape[0] == y.shape[0], f"x has {x.shape[0]} rows but y has {y.shape[0]}")
    check(allx.shape[0] == ally.shape[0],
          f"allx has {allx.shape[0]} rows but ally has {ally.shape[0]}")
    check(tx.shape[0] == ty.shape[0] == len(test_index),
          f"tx has {tx.shape[0]} rows, ty {ty.shape[0]}, test.index {len(test_index)} ids")
    check(x.shape[0] + NUM_VAL <= allx.shape[0],
          f"allx has {allx.shape[0]} rows, fewer than train ({x.shape[0]}) + val ({NUM_VAL})")
    # The test nodes follow the allx nodes; an id inside the allx range would collide.
    check(int(test_index.min()) >= allx.shape[0],
          f"test.index names node {int(test_index.min())}, inside the allx range "
          f"0..{allx.shape[0] - 1}")
    # x/y are the labelled training rows and must be the first rows of allx/ally; the
    # split below relies on that. A tolerance allows copies whose floats were rounded.
    diff = abs(allx[: x.shape[0]] - x)
    largest_diff = diff.max() if diff.nnz else 0.0
    largest_x = abs(x).max() if x.nnz else 0.0
    check(largest_diff <= 1e-6 + 1e-5 * largest_x,
          f"x is not equal to the first rows of allx (largest difference {largest_diff:g})")
    check(np.array_equal(y, ally[: y.shape[0]]), "y is not equal to the first rows of ally")

    if not isinstance(graph, dict):
        raise ConversionError(f"{paths['graph']}: expected a dict of adjacency lists, "
                              f"found {type(graph).__name__}")
    return dict(x=x, y=y, tx=tx, ty=ty, allx=allx, ally=ally, graph=graph,
                test_index=test_index, graph_path=paths["graph"])


# ---------------------------------------------------------------------------------------
# Building the dataset in node order
# ---------------------------------------------------------------------------------------

def one_hot_to_class(onehot, what, notes):
    """argmax per row, like PyG; rows that are not exactly one-hot are reported."""
    classes = onehot.argmax(axis=1)
    sums = onehot.sum(axis=1)
    if np.any(sums == 0):
        notes.append(f"{int((sums == 0).sum())} row(s) of {what} have no label; "
                     "written as class0 (as PyG does)")
    if np.any(sums > 1):
        notes.append(f"{int((sums > 1).sum())} row(s) of {what} have several labels; "
                     "the first is used")
    return classes


def build(d):
    """Returns features (CSR, N x F), labels (N), undirected edges, split and notes."""
    notes = []
    allx, tx, test_index = d["allx"], d["tx"], d["test_index"]
    num_all, num_test = allx.shape[0], tx.shape[0]
    num_nodes = int(test_index.max()) + 1
    if num_nodes < num_all + num_test:
        raise ConversionError("test.index names fewer distinct nodes than rows of tx")

    # src[i] = the row of [allx; tx; zero row] that holds node i. Nodes inside the test
    # block that test.index does not name (CiteSeer's gaps) point at the extra zero row.
    src = np.full(num_nodes, num_all + num_test, dtype=np.int64)
    src[:num_all] = np.arange(num_all)
    src[test_index] = num_all + np.arange(num_test)
    gaps = np.flatnonzero(src == num_all + num_test)
    if len(gaps):
        notes.append(f"{len(gaps)} node id(s) in the test range are missing from test.index "
                     "(all-zero features, class0, in no split)")

    zero_row = sp.csr_matrix((1, allx.shape[1]), dtype=allx.dtype)
    features = sp.vstack([allx, tx.astype(allx.dtype), zero_row], format="csr")[src]
    features.sort_indices()
    labels = np.concatenate([one_hot_to_class(d["ally"], "ally", notes),
                             one_hot_to_class(d["ty"], "ty", notes), [0]])[src]

    # Undirected edge set: pairs (min, max), duplicates merged, self loops dropped.
    edges, self_loops, entries = set(), 0, 0
    for key, neighbours in d["graph"].items():
        try:
            u = int(key)
            vs = [int(v) for v in neighbours]
        except (TypeError, ValueError):
            raise ConversionError(f"{d['graph_path']}: adjacency list of node {key!r} is not "
                                  "a list of integer node ids") from None
        for v in vs:
            entries += 1
            if not (0 <= u < num_nodes and 0 <= v < num_nodes):
                raise ConversionError(f"{d['graph_path']}: edge {u}-{v} names a node outside "
                                      f"0..{num_nodes - 1}")
            if u == v:
                self_loops += 1
            else:
                edges.add((u, v) if u < v else (v, u))
    edges = sorted(edges)
    notes.append(f"graph: {entries} adjacency entries -> {len(edges)} undirected edges "
                 f"({self_loops} self-loop entries dropped, the rest are the two directions "
                 "of each edge and duplicates)")

    num_train = d["x"].shape[0]
    split = ([(i, "train") for i in range(num_train)] +
             [(i, "val") for i in range(num_train, num_train + NUM_VAL)] +
             [(int(i), "test") for i in np.sort(test_index)])
    return features, labels, edges, split, notes


# ---------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------

def value_formatter(dtype):
    """Text for one non-zero feature value, cached because values repeat a lot.

    Integral values become "1", "2", ... (bag-of-words sets are binary). Other values use
    numpy's shortest round-trip text for the matrix's own float type, so a float32 0.1 is
    written "0.1" and not "0.10000000149011612".
    """
    cache = {}
    scalar = np.dtype(dtype).type

    def fmt(v):
        text = cache.get(v)
        if text is None:
            if float(v).is_integer():
                text = str(int(v))
            else:
                text = str(scalar(v))
            cache[v] = text
        return text
    return fmt


def content_lines(features, labels):
    """Yields one .content line per node; rows are filled from the sparse entries."""
    fmt = value_formatter(features.dtype)
    indptr, indices, data = features.indptr, features.indices, features.data
    zeros = ["0"] * features.shape[1]
    for i in range(features.shape[0]):
        row = zeros.copy()
        for k in range(indptr[i], indptr[i + 1]):
            row[indices[k]] = fmt(data[k])
        yield f"{i}\t" + "\t".join(row) + f"\tclass{labels[i]}\n"


def write_atomically(files, out_dir):
    """Writes {filename: line iterable}: all to temporary files first, then renames them.

    A crash or error therefore never leaves a half-written file under the final name, and
    the three files are replaced together as far as the file system allows.
    """
    umask = os.umask(0)
    os.umask(umask)
    temps = []
    try:
        for filename, lines in files.items():
            fd, tmp = tempfile.mkstemp(prefix=f".{filename}.", suffix=".tmp", dir=out_dir)
            temps.append((tmp, os.path.join(out_dir, filename)))
            with os.fdopen(fd, "w", encoding="ascii", newline="\n") as f:
                f.writelines(lines)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give normal permissions
        for tmp, final in temps:
            os.replace(tmp, final)
    except BaseException:
        for tmp, _ in temps:
            if os.path.exists(tmp):
                os.unlink(tmp)
        raise


def guess_name(raw_dir):
    """The set name from the only ind.<name>.x file in raw_dir."""
    try:
        entries = os.listdir(raw_dir)
    except OSError as exc:
        raise ConversionError(f"{raw_dir}: cannot read folder ({exc.strerror})") from exc
    names = sorted(e[len("ind."):-len(".x")] for e in entries
                   if e.startswith("ind.") and e.endswith(".x") and e.count(".") == 2)
    if not names:
        raise ConversionError(f"{raw_dir}: no ind.<name>.x file found (is this a Planetoid "
                              "raw folder?)")
    if len(names) > 1:
        raise ConversionError(f"{raw_dir}: several sets found ({', '.join(names)}); "
                              "choose one with --name")
    return names[0]


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="planetoid_to_linqs.py",
        description="Convert Planetoid raw files (ind.<name>.x, y, tx, ty, allx, ally, graph, "
                    "test.index) into <name>.content, <name>.cites and <name>.split with the "
                    "standard public split (train = rows of x, val = the next 500 nodes, "
                    "test = test.index).",
        epilog="Example: planetoid_to_linqs.py planetoid/Cora/raw datasets/cora")
    parser.add_argument("raw_dir", help="folder holding the ind.<name>.* files")
    parser.add_argument("out_dir", help="output folder (created if missing)")
    parser.add_argument("--name", help="set name in the file names, e.g. cora, citeseer, "
                        "pubmed (default: guessed from the only ind.<name>.x in RAW_DIR)")
    parser.add_argument("--force", action="store_true",
                        help="replace existing output files")
    parser.add_argument("--quiet", action="store_true", help="print nothing on success")
    args = parser.parse_args(argv)

    try:
        name = args.name or guess_name(args.raw_dir)
        outputs = [f"{name}.{ext}" for ext in ("content", "cites", "split")]
        existing = [o for o in outputs if os.path.exists(os.path.join(args.out_dir, o))]
        if existing and not args.force:
            raise ConversionError(f"{args.out_dir}: {', '.join(existing)} already exist; "
                                  "pass --force to replace them")

        data = load_planetoid(args.raw_dir, name)
        features, labels, edges, split, notes = build(data)

        try:
            os.makedirs(args.out_dir, exist_ok=True)
        except OSError as exc:
            raise ConversionError(f"{args.out_dir}: cannot create folder ({exc.strerror})") \
                from exc
        try:
            write_atomically({
                outputs[0]: content_lines(features, labels),
                outputs[1]: (f"{u}\t{v}\n" for u, v in edges),
                outputs[2]: (f"{i}\t{part}\n" for i, part in split),
            }, args.out_dir)
        except OSError as exc:
            raise ConversionError(f"{args.out_dir}: cannot write output "
                                  f"({exc.strerror or exc})") from exc
    except ConversionError as exc:
        sys.stderr.write(f"{PROG}: error: {exc}\n")
        return 1

    if not args.quiet:
        counts = {p: sum(1 for _, s in split if s == p) for p in ("train", "val", "test")}
        print(f"{name}: {features.shape[0]} nodes, {features.shape[1]} features "
              f"({features.nnz} non-zero), {data['ally'].shape[1]} classes, {len(edges)} "
              f"undirected edges, split {counts['train']}/{counts['val']}/{counts['test']}")
        for note in notes:
            print(f"  note: {note}")
        print(f"  wrote {', '.join(os.path.join(args.out_dir, o) for o in outputs)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
