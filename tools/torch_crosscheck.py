#!/usr/bin/python3
"""Cross-check gat's inference against an independent PyTorch forward pass.

Usage:
    gat train --dataset cora --data-dir ../shared/datasets --save /tmp/cora.safetensors
    gat predict --model /tmp/cora.safetensors --dataset cora --data-dir ../shared/datasets \\
        --output /tmp/cora_pred.csv --logits /tmp/cora_logits.npy
    /usr/bin/python3 tools/torch_crosscheck.py /tmp/cora.safetensors \\
        ../shared/datasets/cora /tmp/cora_logits.npy [--name cora] [--tol 1e-4] [--float32]

Needs only Debian's python3-torch and python3-numpy (run it with /usr/bin/python3; no
safetensors or torch_geometric package). It

  1. reads the checkpoint with json + numpy (8-byte little-endian header length, JSON header,
     raw little-endian tensors) and checks its "format"/"format_version" metadata;
  2. loads the LINQS dataset DIR/NAME.content and DIR/NAME.cites as gat does (datasets/README.md):
     node index = order of the .content lines; classes numbered in natural order of their names;
     each feature row divided by its sum (pass --no-normalize if gat ran with it); citations naming unknown ids skipped; edges made
     undirected with duplicates dropped; then the model's self-loop policy (metadata
     "self_loops": add = remove existing loops and add one per node, keep, remove);
  3. runs the GAT forward in torch, inference mode, in float64 by default: per layer
     z = x·W viewed (N, H, F); e[j→i] = LeakyReLU(<z_j, att_src> + <z_i, att_dst>) with the
     slope from the metadata; softmax over each destination's in-edges (scatter max, exp,
     index_add); out_i = sum_j alpha * z_j; heads concatenated (hidden layers) or averaged
     (last layer); plus the residual (x·res_weight, or x itself when the checkpoint has no
     res_weight) and the bias; ELU between layers;
  4. compares with gat's logits (an .npy written by `gat predict --logits`).

Prints one line. Exit status 0 when the largest absolute difference is <= --tol (default 1e-4),
1 when it is larger (the line names the worst node), 2 on unusable input.
"""

import argparse
import functools
import json
import os
import struct
import sys
import warnings

try:
    import numpy as np
    import torch
except ImportError as exc:  # pragma: no cover - depends on the machine
    sys.exit(f"torch_crosscheck: error: {exc}; install python3-torch and python3-numpy and "
             f"run with /usr/bin/python3")


class InputError(Exception):
    """A problem with a file given on the command line."""


# ---- safetensors with json + numpy -------------------------------------------------------

NUMPY_DTYPES = {"F32": "<f4", "F64": "<f8", "I32": "<i4", "I64": "<i8"}


def read_safetensors(path):
    """Returns ({name: numpy array}, {metadata key: value})."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise InputError(f"{path}: truncated ({len(data)} bytes)")
    (header_len,) = struct.unpack("<Q", data[:8])
    if header_len > len(data) - 8:
        raise InputError(f"{path}: header length {header_len} runs past the end of the file")
    try:
        header = json.loads(data[8:8 + header_len].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: header is not valid JSON: {exc}") from exc
    buffer = memoryview(data)[8 + header_len:]
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, entry in header.items():
        dtype = NUMPY_DTYPES.get(entry.get("dtype"))
        if dtype is None:
            raise InputError(f"{path}: tensor {name!r} has unsupported dtype {entry.get('dtype')!r}")
        begin, end = entry["data_offsets"]
        shape = tuple(entry["shape"])
        if not 0 <= begin <= end <= len(buffer):
            raise InputError(f"{path}: tensor {name!r} has offsets out of range")
        array = np.frombuffer(buffer[begin:end], dtype=dtype)
        if array.size != int(np.prod(shape, dtype=np.int64)):
            raise InputError(f"{path}: tensor {name!r}: offsets do not match shape {shape}")
        tensors[name] = array.reshape(shape)
    return tensors, metadata


# ---- LINQS files as gat reads them -------------------------------------------------------

def natural_less(a, b):
    """gat's natural order: digit runs compare by value, other bytes by byte; ties that differ
    only in leading zeros fall back to plain byte order (lib/src/io/linqs.cpp)."""
    a_bytes, b_bytes = a.encode(), b.encode()
    i = j = 0
    while i < len(a_bytes) and j < len(b_bytes):
        ca, cb = a_bytes[i], b_bytes[j]
        if 48 <= ca <= 57 and 48 <= cb <= 57:
            while i < len(a_bytes) and a_bytes[i] == 48:
                i += 1
            while j < len(b_bytes) and b_bytes[j] == 48:
                j += 1
            a_start, b_start = i, j
            while i < len(a_bytes) and 48 <= a_bytes[i] <= 57:
                i += 1
            while j < len(b_bytes) and 48 <= b_bytes[j] <= 57:
                j += 1
            if i - a_start != j - b_start:
                return i - a_start < j - b_start
            run_a, run_b = a_bytes[a_start:i], b_bytes[b_start:j]
            if run_a != run_b:
                return run_a < run_b
        else:
            if ca != cb:
                return ca < cb
            i += 1
            j += 1
    if i == len(a_bytes) and j == len(b_bytes):
        return a_bytes < b_bytes
    return i == len(a_bytes)


def lines_of(path):
    with open(path, "rb") as f:
        text = f.read().decode("utf-8")
    if text.startswith("\ufeff"):
        text = text[1:]
    for line in text.split("\n"):
        fields = line.split()
        if fields:
            yield fields


def load_linqs(folder, name, normalize):
    """Returns (features (N, K) float64 numpy, labels (N), class names, node names, edges
    (2, M) int64 numpy of undirected, de-duplicated edges in both directions)."""
    content = os.path.join(folder, name + ".content")
    cites = os.path.join(folder, name + ".cites")
    for path in (content, cites):
        if not os.path.exists(path):
            raise InputError(f"{path} does not exist")
    ids, rows, label_names = [], [], []
    for fields in lines_of(content):
        ids.append(fields[0])
        rows.append([float(v) for v in fields[1:-1]])
        label_names.append(fields[-1])
    features = np.array(rows, dtype=np.float64)
    if normalize:
        # gat sums and divides in float32; do the same so the inputs agree to the last bit.
        f32 = features.astype(np.float32)
        sums = f32.sum(axis=1, dtype=np.float32, keepdims=True)
        f32 = np.where(sums != 0, f32 / np.where(sums != 0, sums, 1), f32).astype(np.float32)
        features = f32.astype(np.float64)
    else:
        features = features.astype(np.float32).astype(np.float64)
    index = {node_id: k for k, node_id in enumerate(ids)}
    classes = sorted(set(label_names), key=functools.cmp_to_key(
        lambda a, b: -1 if natural_less(a, b) else (1 if natural_less(b, a) else 0)))
    class_index = {c: k for k, c in enumerate(classes)}
    labels = np.array([class_index[c] for c in label_names], dtype=np.int64)
    pairs = set()
    for fields in lines_of(cites):
        if len(fields) != 2:
            raise InputError(f"{cites}: expected 2 columns")
        cited, citing = fields
        if cited not in index or citing not in index:
            continue  # gat's default: skip citations of unknown papers
        u, v = index[citing], index[cited]
        pairs.add((u, v))
        pairs.add((v, u))
    edges = np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2).T
    return features, labels, classes, ids, edges


def load_split(folder, name, ids):
    path = os.path.join(folder, name + ".split")
    index = {node_id: k for k, node_id in enumerate(ids)}
    split = {"train": [], "val": [], "test": []}
    if os.path.exists(path):
        for fields in lines_of(path):
            if len(fields) == 2 and fields[1] in split and fields[0] in index:
                split[fields[1]].append(index[fields[0]])
    return split


# ---- The GAT forward in torch ------------------------------------------------------------

def apply_self_loops(edges, n, policy):
    src, dst = edges
    if policy == "keep":
        return src, dst
    keep = src != dst
    src, dst = src[keep], dst[keep]
    if policy == "add":
        loops = torch.arange(n, dtype=torch.int64)
        src, dst = torch.cat([src, loops]), torch.cat([dst, loops])
    return src, dst


def gat_forward(tensors, metadata, x, src, dst, dtype):
    n = x.shape[0]
    layers = int(metadata.get("layers", "2"))
    slope = float(metadata.get("negative_slope", "0.2"))
    residual = metadata.get("residual", "false") == "true"
    h = x
    for l in range(layers):
        last = l + 1 == layers
        t = lambda key: torch.from_numpy(np.array(tensors[f"layers.{l}.{key}"])).to(dtype)
        weight, att_src, att_dst = t("weight"), t("att_src"), t("att_dst")
        heads, f = att_src.shape
        z = (h @ weight).view(n, heads, f)
        s_src = (z * att_src.view(1, heads, f)).sum(-1)  # (N, H)
        s_dst = (z * att_dst.view(1, heads, f)).sum(-1)
        e = torch.nn.functional.leaky_relu(s_src[src] + s_dst[dst], slope)  # (E, H)
        # softmax over each destination's in-edges, with the segment maximum subtracted
        e_max = torch.full((n, heads), float("-inf"), dtype=dtype)
        e_max = e_max.scatter_reduce(0, dst.view(-1, 1).expand(-1, heads), e, reduce="amax",
                                     include_self=True)
        ex = torch.exp(e - e_max[dst])
        denom = torch.zeros((n, heads), dtype=dtype).index_add(0, dst, ex)
        alpha = ex / denom[dst]
        out = torch.zeros((n, heads, f), dtype=dtype).index_add(0, dst, alpha.unsqueeze(-1) * z[src])
        out = out.mean(dim=1) if last else out.reshape(n, heads * f)
        if residual:
            key = f"layers.{l}.res_weight"
            out = out + (h @ t("res_weight") if key in tensors else h)
        if f"layers.{l}.bias" in tensors:
            out = out + t("bias").reshape(-1)
        h = out if last else torch.nn.functional.elu(out)
    return h


def main():
    parser = argparse.ArgumentParser(
        description="Compare gat's logits with a PyTorch forward pass of the same checkpoint.")
    parser.add_argument("model", help="checkpoint written by gat train --save")
    parser.add_argument("dataset", help="folder holding NAME.content and NAME.cites")
    parser.add_argument("logits", help="logits written by gat predict --logits (.npy)")
    parser.add_argument("--name", help="dataset base name (default: the folder's name)")
    parser.add_argument("--tol", type=float, default=1e-4, help="largest allowed |difference|")
    parser.add_argument("--float32", action="store_true", help="run torch in float32")
    parser.add_argument("--no-normalize", action="store_true",
                        help="features were not row-normalized (gat ... --no-normalize)")
    args = parser.parse_args()
    name = args.name or os.path.basename(os.path.normpath(args.dataset))
    dtype = torch.float32 if args.float32 else torch.float64

    try:
        tensors, metadata = read_safetensors(args.model)
        if metadata.get("format") != "gat" or metadata.get("format_version") != "1":
            raise InputError(f"{args.model}: not a gat checkpoint of format version 1")
        features, labels, classes, ids, edges = load_linqs(args.dataset, name,
                                                           not args.no_normalize)
        ours = np.load(args.logits)
    except (InputError, OSError, ValueError, KeyError) as exc:
        print(f"torch_crosscheck: error: {exc}", file=sys.stderr)
        return 2
    if "classes" in metadata and json.loads(metadata["classes"]) != classes:
        print("torch_crosscheck: error: the checkpoint's classes differ from the dataset's",
              file=sys.stderr)
        return 2
    n = features.shape[0]
    if ours.shape != (n, len(classes)):
        print(f"torch_crosscheck: error: {args.logits} has shape {ours.shape}, expected "
              f"({n}, {len(classes)})", file=sys.stderr)
        return 2

    # scatter_reduce is marked beta in torch 1.13; its "amax" is what the softmax needs.
    warnings.filterwarnings("ignore", message="scatter_reduce")
    with torch.inference_mode():
        x = torch.from_numpy(features).to(dtype)
        src, dst = apply_self_loops(torch.from_numpy(edges), n, metadata.get("self_loops", "add"))
        logits = gat_forward(tensors, metadata, x, src, dst, dtype).double().numpy()

    diff = np.abs(logits - ours.astype(np.float64))
    worst = int(np.unravel_index(np.argmax(diff), diff.shape)[0])
    max_diff = float(diff.max())
    split = load_split(args.dataset, name, ids)
    test = np.array(split["test"], dtype=np.int64)
    acc = float((logits[test].argmax(1) == labels[test]).mean()) if len(test) else float("nan")
    agree = float((logits.argmax(1) == ours.argmax(1)).mean())
    verdict = "OK" if max_diff <= args.tol else "MISMATCH"
    print(f"torch_crosscheck {verdict}: {name} {n}x{len(classes)} logits, max |torch - gat| = "
          f"{max_diff:.3g} (tol {args.tol:g}) at node {worst} ({ids[worst]!r}); argmax agreement "
          f"{100 * agree:.2f}%; torch {str(dtype).replace('torch.', '')} test accuracy "
          f"{acc:.4f}; torch {torch.__version__}")
    return 0 if max_diff <= args.tol else 1


if __name__ == "__main__":
    sys.exit(main())
