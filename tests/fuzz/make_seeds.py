#!/usr/bin/env python3
"""Write the seed corpora of the fuzz targets: tests/fuzz/corpus/<target>/.

Each seed is small and hand-written here, with its name saying what it exercises: valid files
in the shapes real data takes (CRLF, BOM, blank lines, tabs and spaces, real values, unknown
citations) and malformed ones that must be rejected with gat::Error (every check of the
parser at least once). One linqs seed is cut from datasets/sample. Rerunning the script
rewrites the same bytes; it removes no seed that it did not write, so inputs kept from fuzzing
runs stay. Crashes do not belong here but in tests/fuzz/regressions/<target>/.

Standard library only. Usage: tests/fuzz/make_seeds.py
"""

import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SEP = "=====\n"  # the file separator of fuzz_linqs (see fuzz_linqs.cpp)

TINY_CONTENT = "a\t1\t0\tX\nb\t0\t1\tY\nc\t1\t1\tX\n"
TINY_CITES = "a\tb\nb\tc\n"
TINY_SPLIT = "a\ttrain\nb\tval\nc\ttest\n"


def linqs(content, cites=TINY_CITES, split=TINY_SPLIT):
    return content + SEP + cites + SEP + split


def sample_seed():
    """The first 12 nodes of datasets/sample, the citations among them and their split."""
    base = os.path.join(ROOT, "datasets", "sample", "sample")
    with open(base + ".content") as f:
        content = f.readlines()[:12]
    ids = {line.split("\t", 1)[0] for line in content}
    with open(base + ".cites") as f:
        cites = [l for l in f if all(t in ids for t in l.split())]
    with open(base + ".split") as f:
        split = [l for l in f if l.split()[0] in ids]
    return linqs("".join(content), "".join(cites), "".join(split))


LINQS = {
    # Valid inputs.
    "valid_tiny": linqs(TINY_CONTENT),
    "valid_crlf": linqs(TINY_CONTENT.replace("\n", "\r\n"), TINY_CITES.replace("\n", "\r\n"),
                        TINY_SPLIT.replace("\n", "\r\n")),
    "valid_bom_blank_lines": linqs("\ufeffa 1 0 X\n\n  \t\nb  0\t1 Y\nc 1 1 X",
                                   "\n" + TINY_CITES + "\n", TINY_SPLIT),
    "valid_real_values": linqs("a 0.5 -1e-3 +2 .25 X\nb 1e-50 0 -0 1. Y\nc 3e38 1 0 0 X\n"),
    "valid_unknown_citation": linqs(TINY_CONTENT, "a\tzz\nzz\tzz\nb\tc\n"),
    "valid_self_and_duplicate_citations": linqs(TINY_CONTENT, "a\ta\na\tb\nb\ta\na\tb\n"),
    "valid_no_features": linqs("a X\nb Y\nc X\n"),
    "valid_natural_class_order": linqs("a 1 class10\nb 0 class2\nc 1 class2\nd 0 Theory\n",
                                       "a b\nc d\n", "a train\nd test\n"),
    "valid_empty_cites_and_split": linqs(TINY_CONTENT, "", ""),
    "valid_string_ids": linqs("1107041 1 0 T\np31 0 1 T\n42 1 1 U\n", "42 p31\n1107041 42\n",
                              "42 test\n"),
    "valid_sample": sample_seed(),
    # .content errors.
    "bad_empty": "",
    "bad_content_blank_only": linqs("\n \t\r\n\n"),
    "bad_content_one_column": linqs("a\nb 1 X\n"),
    "bad_content_short_row": linqs("a 1 0 X\nb 1 Y\n"),
    "bad_content_long_row": linqs("a 1 0 X\nb 1 0 1 1 Y\n"),
    "bad_content_not_a_number": linqs("a 1 abc X\nb 0 1 Y\n"),
    "bad_content_nan_inf": linqs("a nan 1 X\nb inf -inf Y\n"),
    "bad_content_overflow": linqs("a 1e39 1 X\nb 0 1 Y\n"),
    "bad_content_signs": linqs("a +-1 + X\nb - 1 Y\n"),
    "bad_content_duplicate_id": linqs("a 1 0 X\nb 0 1 Y\na 1 1 X\n"),
    "bad_content_long_token": linqs("a 1 " + "9" * 60 + "x X\n"),
    "bad_content_binary": linqs("a\x00 1 0 X\n\x01\x7f\udcff 0 1 Y\n"),
    # .cites errors.
    "bad_cites_one_column": linqs(TINY_CONTENT, "a\n"),
    "bad_cites_three_columns": linqs(TINY_CONTENT, "a b c\n"),
    # .split errors.
    "bad_split_unknown_word": linqs(TINY_CONTENT, TINY_CITES, "a training\n"),
    "bad_split_unknown_node": linqs(TINY_CONTENT, TINY_CITES, "zz train\n"),
    "bad_split_twice": linqs(TINY_CONTENT, TINY_CITES, "a train\nb val\na test\n"),
    "bad_split_columns": linqs(TINY_CONTENT, TINY_CITES, "a\nb val extra\n"),
    # Separators missing: the later files are empty, which is valid.
    "valid_missing_separators": TINY_CONTENT,
}

SPLIT = {  # for fuzz_split; the fixed nodes are 31336 p1 p10 x train 7 (raw bytes as \udcXX)
    "valid_all": "31336 train\np1 train\np10 val\nx val\ntrain test\n7 test\n",
    "valid_crlf_tabs": "31336\ttrain\r\np10\ttest\r\n",
    "valid_bom_blank_lines": "\ufeff\n7 val\n\n  \t\np1  test  \n",
    "valid_node_named_train": "train train\n",
    "valid_empty": "",
    "valid_no_final_newline": "x test",
    "bad_unknown_word": "p1 Train\n",
    "bad_unknown_node_prefix": "p train\np100 train\n",
    "bad_unknown_node_number": "31337 val\n",
    "bad_twice_same_split": "7 test\n7 test\n",
    "bad_two_splits": "x train\nx test\n",
    "bad_one_column": "p10\n",
    "bad_three_columns": "p10 val p1\n",
    "bad_binary": "p1\x00 train\n\udcff\udcfe val\n",
    "bad_long_id": "p" * 100 + " test\n",
}


def tu(a, indicator, graph_labels, *optional):
    """A fuzz_tu input: _A, _graph_indicator, _graph_labels, then the optional files given."""
    return SEP.join((a, indicator, graph_labels) + optional)


TU_A = "1, 2\n2, 1\n2, 3\n3, 2\n1, 3\n3, 1\n4, 5\n5, 4\n"  # a triangle, then one edge
TU_IND = "1\n1\n1\n2\n2\n"
TU_GL = "1\n-1\n"
TU_NL = "0\n1\n0\n2\n0\n"
TU_NA = "0.5, 1\n-1, 2e1\n0,0\n+1, 3\n4, 5\n"
TU_EL = "0\n0\n1\n1\n0\n0\n2\n2\n"
TU_EA = "1.5\n1.5\n-2\n-2\n0\n0\n3\n3\n"

TU = {
    # Valid inputs.
    "valid_required_only": tu(TU_A, TU_IND, TU_GL),
    "valid_all_files": tu(TU_A, TU_IND, TU_GL, TU_NL, TU_NA, TU_EL, TU_EA),
    "valid_node_labels_only": tu(TU_A, TU_IND, TU_GL, TU_NL),
    "valid_crlf_bom": tu("\ufeff" + TU_A.replace("\n", "\r\n"), TU_IND.replace("\n", "\r\n"),
                         TU_GL, TU_NL.replace("\n", "\r\n")),
    "valid_trailing_blank_lines": tu(TU_A + "\n\n", TU_IND + "\r\n", TU_GL + " \n"),
    "valid_spaces_tabs_no_final_newline": tu("1 ,\t2\n2,1", "1\n1", "+7"),
    "valid_self_loop_and_duplicate": tu("1, 1\n1, 2\n1, 2\n", "1\n1\n", "0\n"),
    "valid_isolated_nodes": tu("1, 2\n", "1\n1\n2\n3\n", "3\n1\n2\n"),
    # Errors.
    "bad_all_empty": "",
    "bad_blank_line_inside": tu("1, 2\n\n2, 1\n", "1\n1\n", "0\n"),
    "bad_node_id_zero": tu("0, 1\n", "1\n1\n", "0\n"),
    "bad_node_id_beyond": tu("1, 6\n", TU_IND, TU_GL),
    "bad_edge_across_graphs": tu("3, 4\n", TU_IND, TU_GL),
    "bad_indicator_decreasing": tu(TU_A, "1\n2\n1\n2\n2\n", TU_GL),
    "bad_indicator_skipping": tu("1, 2\n", "1\n1\n3\n", "0\n1\n1\n"),
    "bad_indicator_not_from_1": tu("1, 2\n", "2\n2\n", "0\n"),
    "bad_graph_label_count": tu(TU_A, TU_IND, "1\n"),
    "bad_node_label_count": tu(TU_A, TU_IND, TU_GL, "0\n1\n"),
    "bad_edge_attribute_count": tu(TU_A, TU_IND, TU_GL, TU_NL, TU_NA, TU_EL, "1\n"),
    "bad_attribute_width": tu(TU_A, TU_IND, TU_GL, TU_NL, "1, 2\n1\n1, 2\n1, 2\n1, 2\n"),
    "bad_attribute_nan": tu(TU_A, TU_IND, TU_GL, TU_NL, "nan, 1\n1, inf\n0,0\n1,3\n4,5\n"),
    "bad_not_a_number": tu("1, x\n", "1\n1\n", "a\n"),
    "bad_three_fields": tu("1, 2, 3\n", "1\n1\n", "0\n"),
    "bad_integer_overflow": tu("1, 99999999999999999999\n", "1\n1\n", "0\n"),
    "bad_label_real": tu("1, 2\n", "1\n1\n", "0.5\n"),
}


def safetensors(tensors, metadata=None, header=None, data=None, pad=True):
    """A safetensors file from [(name, dtype, shape, bytes)], or a raw header and data."""
    if header is None:
        entries, buffer = {}, b""
        for name, dtype, shape, raw in tensors:
            entries[name] = {"dtype": dtype, "shape": shape,
                             "data_offsets": [len(buffer), len(buffer) + len(raw)]}
            buffer += raw
        if metadata is not None:
            entries["__metadata__"] = metadata
        header = json.dumps(entries, separators=(",", ":"))
        data = buffer if data is None else data
    text = header.encode()
    if pad:
        text += b" " * (-(8 + len(text)) % 8)
    return struct.pack("<Q", len(text)) + text + (data or b"")


F32_2x3 = struct.pack("<6f", 1, -2, 0.5, 0, 3e38, -1e-45)
ST = {
    # Valid files.
    "valid_f32_matrix": safetensors([("w", "F32", [2, 3], F32_2x3)]),
    "valid_all_dtypes": safetensors([
        ("a", "F64", [2], struct.pack("<2d", 1.5, -0.0)),
        ("b", "I32", [1, 2], struct.pack("<2i", -1, 2**31 - 1)),
        ("c", "I64", [3], struct.pack("<3q", 0, -2**63, 2**63 - 1)),
        ("d", "F32", [2, 3], F32_2x3)]),
    "valid_scalar": safetensors([("s", "F32", [], struct.pack("<f", 7))]),
    "valid_empty_tensor": safetensors([("e", "F32", [0, 4], b""), ("f", "F64", [1], b"\0" * 8)]),
    "valid_metadata": safetensors([("layer.0.weight", "F32", [1, 1], struct.pack("<f", 2))],
                                  {"format": "pt", "epoch": "12"}),
    "valid_nan_values": safetensors([("n", "F32", [2],
                                      struct.pack("<2I", 0x7FC00000, 0x7F800000))]),
    "valid_rank3": safetensors([("r", "I32", [2, 1, 2], struct.pack("<4i", 1, 2, 3, 4))]),
    "valid_unpadded": safetensors([("u", "F32", [1], struct.pack("<f", 1))], pad=False),
    # Errors.
    "bad_too_short": b"\x05\0\0\0\0",
    "bad_header_beyond_file": struct.pack("<Q", 1000) + b"{}",
    "bad_header_length_huge": struct.pack("<Q", 2**63 + 5) + b"{}      ",
    "bad_json": safetensors(None, header='{"w": {"dtype": "F32", "shape": [1],', data=b"\0" * 4),
    "bad_header_not_object": safetensors(None, header="[1, 2, 3]", data=b""),
    "bad_unknown_dtype": safetensors([("w", "F16", [2], b"\0" * 4)]),
    "bad_negative_dim": safetensors(None, header='{"w":{"dtype":"F32","shape":[-1],'
                                    '"data_offsets":[0,4]}}', data=b"\0" * 4),
    "bad_shape_overflow": safetensors(None, header='{"w":{"dtype":"F64","shape":'
                                      '[4611686018427387904,4],"data_offsets":[0,8]}}',
                                      data=b"\0" * 8),
    "bad_offsets_mismatch": safetensors([("w", "F32", [2, 3], F32_2x3[:20])]),
    "bad_offsets_reversed": safetensors(None, header='{"w":{"dtype":"F32","shape":[1],'
                                        '"data_offsets":[4,0]}}', data=b"\0" * 4),
    "bad_overlap": safetensors(None, header='{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},'
                               '"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}',
                               data=b"\0" * 12),
    "bad_gap": safetensors(None, header='{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
                           '"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}',
                           data=b"\0" * 12),
    "bad_trailing_bytes": safetensors([("w", "F32", [1], b"\0" * 4)], data=b"\0" * 9),
    "bad_duplicate_name": safetensors(None, header='{"w":{"dtype":"F32","shape":[1],'
                                      '"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],'
                                      '"data_offsets":[4,8]}}', data=b"\0" * 8),
    "bad_empty_name": safetensors([("", "F32", [1], b"\0" * 4)]),
    "bad_metadata_not_string": safetensors([("w", "F32", [1], b"\0" * 4)], {"epoch": 12}),
    "bad_dtype_missing": safetensors(None, header='{"w":{"shape":[1],"data_offsets":[0,4]}}',
                                     data=b"\0" * 4),
    "bad_offsets_not_numbers": safetensors(None, header='{"w":{"dtype":"F32","shape":[1],'
                                           '"data_offsets":["0",4.5]}}', data=b"\0" * 4),
}


def checkpoint(weight=1.0, meta=None, drop=None, extra=None):
    """A gat checkpoint of a one-layer model (2 inputs, 2 classes, 1 head): weight (2, 2),
    att_src and att_dst (1, 2), bias (1, 2), every value `weight` (as float32 bits)."""
    value = struct.pack("<f", weight) if isinstance(weight, float) else struct.pack("<I", weight)
    tensors = [("layers.0.att_dst", "F32", [1, 2], value * 2),
               ("layers.0.att_src", "F32", [1, 2], value * 2),
               ("layers.0.bias", "F32", [1, 2], value * 2),
               ("layers.0.weight", "F32", [2, 2], value * 4)]
    tensors = [t for t in tensors if t[0] != drop] + (extra or [])
    metadata = {"format": "gat", "format_version": "1", "in_features": "2", "num_classes": "2",
                "layers": "1"}
    metadata.update(meta or {})
    return safetensors(tensors, metadata)


def nested(depth):
    return safetensors(None, header='{"a":' + "[" * depth + "]" * depth + "}", data=b"")


CKPT = {
    "valid_one_layer": checkpoint(),
    "valid_negative_weights": checkpoint(-0.5),
    "valid_dense_attention": checkpoint(meta={"attention": "dense"}),
    "bad_gatv2_tensors_missing": checkpoint(meta={"score": "gatv2"}),
    "valid_huge_weights": checkpoint(1e30),  # loads; the forward pass must refuse NaN
    "bad_zeros": b"\0" * 64,
    "bad_length_one": struct.pack("<Q", 1) + b"{       ",
    "bad_length_beyond_cap": struct.pack("<Q", 100_000_001) + b"{}      ",
    "bad_length_huge": struct.pack("<Q", 2**64 - 1) + b"{}",
    "bad_nesting_65": nested(65),
    "ok_nesting_64": nested(63),
    "bad_wide_array": safetensors(None, header='{"a":[' + ",".join(["1"] * 70) + "]}", data=b""),
    "bad_format": checkpoint(meta={"format": "pt"}),
    "bad_version": checkpoint(meta={"format_version": "2"}),
    "bad_missing_tensor": checkpoint(drop="layers.0.bias"),
    "bad_extra_tensor": checkpoint(extra=[("layers.9.weight", "F32", [1], b"\0" * 4)]),
    "bad_infinite_weight": checkpoint(0x7F800000),
    "bad_layers_claim": checkpoint(meta={"layers": "1000000"}),
    "bad_in_features_claim": checkpoint(meta={"in_features": "50000000"}),
}

def write(target, seeds):
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    for name, text in seeds.items():
        data = text.encode("utf-8", "surrogateescape") if isinstance(text, str) else text
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
    print(f"make_seeds: {len(seeds)} seeds in {os.path.relpath(folder, ROOT)}")


def main():
    write("fuzz_linqs", LINQS)
    write("fuzz_split", SPLIT)
    write("fuzz_tu", TU)
    write("fuzz_safetensors", ST)
    write("fuzz_checkpoint_header", CKPT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
