#!/usr/bin/env bash
# Graph-classification checkpoints end to end on MUTAG: `gat train --task graph --save` writes
# one, `gat eval --task graph` scores it on the graphs it held out and prints the same accuracy
# as the one stored at training (the same model on the same graphs gives the same bits), and
# `gat predict --task graph` writes one class per graph that agrees with it. Then the refusals,
# each one "gat: error:" line: node and graph checkpoints given to the other task's commands,
# flags of the other task, a dataset that does not fit, damaged test-graph metadata, and an
# output that is never half written.
#   usage: graph_checkpoint_test.sh PATH/TO/gat PATH/TO/datasets   (MUTAG from $GAT_DATA_DIR)
# Exit status 77 (ctest: skipped) without MUTAG, except under CI.
set -uo pipefail
gat=$1
datasets=$2
if [ -z "${GAT_DATA_DIR:-}" ] || [ ! -d "$GAT_DATA_DIR/MUTAG" ]; then
  if [ -n "${CI:-}" ]; then
    echo "FAIL: GAT_DATA_DIR must point at ../shared/datasets (with MUTAG) under CI"
    exit 1
  fi
  echo "skip: set GAT_DATA_DIR to ../shared/datasets to run this test"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/checks.sh"
m="$work/m.safetensors"

# set_metadata IN OUT KEY VALUE: a copy of the checkpoint IN with metadata KEY set to VALUE
# ("-": removed), the tensors untouched.
set_metadata() {
  python3 - "$@" <<'PY'
import json, struct, sys
src, dst, key, value = sys.argv[1:5]
data = open(src, "rb").read()
n = struct.unpack("<Q", data[:8])[0]
header = json.loads(data[8:8 + n])
if value == "-":
    header["__metadata__"].pop(key, None)
else:
    header["__metadata__"][key] = value
text = json.dumps(header, separators=(",", ":")).encode()
text += b" " * (-len(text) % 8)  # the data stays 8-byte aligned
open(dst, "wb").write(struct.pack("<Q", len(text)) + text + data[8 + n:])
PY
}

# G1. Train two folds for two epochs and save.
"$gat" train --task graph --dataset MUTAG --folds 2 --epochs 2 --threads 1 -q --save "$m" \
  >"$work/train.out" 2>"$work/err"
rc=$?
if [ "$rc" -eq 0 ] && [ -s "$m" ] && grep -q '"model":"graph_classifier"' "$m"; then
  pass "train --task graph --save writes a graph checkpoint"
else
  fail "train --task graph --save writes a graph checkpoint (exit $rc): $(cat "$work/train.out" "$work/err")"
  finish
  exit
fi

# G2. eval on the stored test graphs prints the accuracy stored at training, to the digit.
line_re='^test accuracy \([0-9.]*\) (\([0-9]*\) graphs; stored at training: \([0-9.]*\))$'
if "$gat" eval --task graph --dataset MUTAG "$m" --json "$work/eval.json" >"$work/out" 2>"$work/err" &&
  grep -q "$line_re" "$work/out" && [ ! -s "$work/err" ]; then
  acc=$(sed -n "s/$line_re/\1/p" "$work/out")
  graphs=$(sed -n "s/$line_re/\2/p" "$work/out")
  stored=$(sed -n "s/$line_re/\3/p" "$work/out")
  if [ "$acc" = "$stored" ] && [ "$graphs" -ge 93 ] && [ "$graphs" -le 95 ]; then
    pass "eval --task graph reproduces the stored test accuracy ($acc on $graphs graphs)"
  else
    fail "eval --task graph reproduces the stored test accuracy: $(cat "$work/out")"
  fi
else
  fail "eval --task graph prints the test accuracy: $(cat "$work/out" "$work/err")"
fi
# The JSON holds the exact values: equal as numbers, not only to four digits.
if python3 - "$work/eval.json" "$(metadata "$m" test_accuracy)" "$(metadata "$m" test_graphs)" <<'PY'; then
import json, sys
j = json.load(open(sys.argv[1]))
stored, test = float(sys.argv[2]), sys.argv[3].split(",")
assert j["task"] == "graph" and j["graphs"] == "test", j
assert j["accuracy"] == stored == j["stored_test_accuracy"], (j["accuracy"], stored)
assert j["num_graphs"] == len(test) == sum(map(sum, j["confusion"])), j
PY
  pass "eval --json: the accuracy equals the stored one exactly"
else
  fail "eval --json: the accuracy equals the stored one exactly: $(cat "$work/eval.json")"
fi
# Without --dataset, the checkpoint's own dataset; with the model as --model, the same.
if "$gat" eval --task graph --model "$m" >"$work/out2" 2>"$work/err" &&
  cmp -s <(grep "^test accuracy" "$work/out") <(grep "^test accuracy" "$work/out2"); then
  pass "eval --task graph defaults to the checkpoint's dataset"
else
  fail "eval --task graph defaults to the checkpoint's dataset: $(cat "$work/out2" "$work/err")"
fi
if "$gat" eval --task graph --dataset MUTAG --graphs all "$m" >"$work/out" 2>"$work/err" &&
  grep -q "^accuracy on all graphs [0-9.]* (188 graphs)$" "$work/out"; then
  pass "eval --graphs all scores all 188 graphs"
else
  fail "eval --graphs all scores all 188 graphs: $(cat "$work/out" "$work/err")"
fi

# G3. predict: one row per graph, classes by name, agreeing with eval on the test graphs.
if "$gat" predict --task graph --dataset MUTAG "$m" --output "$work/p.csv" >/dev/null \
  2>"$work/err" && [ "$(head -1 "$work/p.csv")" = "graph,predicted_class" ] &&
  [ "$(wc -l <"$work/p.csv")" -eq 189 ] &&
  python3 - "$work/p.csv" "$GAT_DATA_DIR/MUTAG/MUTAG_graph_labels.txt" \
    "$(metadata "$m" test_graphs)" "$(metadata "$m" test_accuracy)" <<'PY'; then
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
labels = [l.strip() for l in open(sys.argv[2]) if l.strip()]
test = [int(g) for g in sys.argv[3].split(",")]
assert [int(r["graph"]) for r in rows] == list(range(len(labels)))
assert {r["predicted_class"] for r in rows} <= set(labels)
right = sum(rows[g]["predicted_class"] == labels[g] for g in test)
assert right / len(test) == float(sys.argv[4]), (right, len(test), sys.argv[4])
PY
  pass "predict --task graph: a class per graph, the stored accuracy on the test graphs"
else
  fail "predict --task graph: $(head -3 "$work/p.csv") $(cat "$work/err")"
fi

# G4. Each kind of checkpoint refused by the other task's commands, naming the way to read it.
"$gat" train --dataset "$datasets/sample" --epochs 2 --quiet --threads 1 \
  --save "$work/node.safetensors" >/dev/null 2>&1
expect_error "node commands refuse a graph checkpoint" \
  "m.safetensors: a graph-classification checkpoint.*gat eval --task graph" -- \
  "$gat" eval --dataset "$datasets/sample" "$m"
expect_error "embed refuses a graph checkpoint" "a graph-classification checkpoint" -- \
  "$gat" embed --model "$m" --dataset "$datasets/sample" --output "$work/e.npy"
expect_error "eval --task graph refuses a node checkpoint" \
  "node.safetensors: a node-classification checkpoint.*without --task graph" -- \
  "$gat" eval --task graph --dataset MUTAG "$work/node.safetensors"
expect_usage "--graphs is for --task graph" "--graphs applies to --task graph only" -- \
  "$gat" eval --graphs all --dataset "$datasets/sample" "$work/node.safetensors"
expect_usage "--logits is for --task node" "--logits applies to --task node only" -- \
  "$gat" predict --task graph --dataset MUTAG "$m" --logits "$work/l.npy"
expect_usage "own-graph flags are for --task node" "--task graph reads TU datasets" -- \
  "$gat" eval --task graph --edges "$work/edges.txt" "$m"
expect_usage "the checkpoint given twice" "given twice" -- \
  "$gat" eval --task graph --model "$m" "$m"

# G5. A dataset that does not fit the model, and damaged test-graph metadata.
expect_error "another dataset's features" "expects 12 node features but dataset 'PTC_MR' has 23" -- \
  "$gat" eval --task graph --dataset PTC_MR "$m"
expect_error "a node dataset for --task graph" "node-classification (LINQS) dataset" -- \
  "$gat" eval --task graph --dataset "$datasets/sample" "$m"
set_metadata "$m" "$work/no_test.safetensors" test_graphs -
expect_error "no stored test graphs: use --graphs all" "records no test graphs.*--graphs all" -- \
  "$gat" eval --task graph --dataset MUTAG "$work/no_test.safetensors"
if "$gat" eval --task graph --dataset MUTAG --graphs all "$work/no_test.safetensors" >/dev/null 2>&1; then
  pass "--graphs all needs no stored test graphs"
else
  fail "--graphs all needs no stored test graphs"
fi
set_metadata "$m" "$work/far.safetensors" test_graphs "3,188"
expect_error "a test graph beyond the dataset" \
  "far.safetensors: metadata 'test_graphs': graph index 188 is out of range: the dataset has 188 graphs" -- \
  "$gat" eval --task graph --dataset MUTAG "$work/far.safetensors"
set_metadata "$m" "$work/junk.safetensors" test_graphs "1;2"
expect_error "garbage test graphs" "junk.safetensors: metadata 'test_graphs': entry 1, '1;2'" -- \
  "$gat" eval --task graph --dataset MUTAG "$work/junk.safetensors"
set_metadata "$m" "$work/other.safetensors" dataset NCI1
expect_error "test graphs of another dataset" "was trained on NCI1.*--graphs all" -- \
  "$gat" eval --task graph --dataset MUTAG "$work/other.safetensors"
set_metadata "$m" "$work/acc.safetensors" test_accuracy "high"
expect_error "a stored accuracy that is not one" "metadata 'test_accuracy' is 'high'" -- \
  "$gat" eval --task graph --dataset MUTAG "$work/acc.safetensors"

# G6. A failed predict leaves the file it would have replaced as it was.
echo precious >"$work/keep.csv"
expect_error "predict with a dataset that does not fit" "expects 12 node features" -- \
  "$gat" predict --task graph --dataset PTC_MR "$m" --output "$work/keep.csv"
if [ "$(cat "$work/keep.csv")" = precious ] && ! compgen -G "$work/.keep.csv*" >/dev/null; then
  pass "a failed predict leaves the previous file intact"
else
  fail "a failed predict leaves the previous file intact: $(ls "$work")"
fi
expect_error "predict into a missing folder" "--output .*No such file" -- \
  "$gat" predict --task graph --dataset MUTAG "$m" --output "$work/no/such/p.csv"

finish
