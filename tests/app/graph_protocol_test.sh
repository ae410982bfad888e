#!/usr/bin/env bash
# gat train --task graph --protocol errica end to end on MUTAG, small: the per-fold choices in
# --json, the baseline, the same result at one and two threads, and the command-line refusals.
#   usage: graph_protocol_test.sh PATH/TO/gat
# Needs the TU sets: skipped (exit 77) without $GAT_DATA_DIR.
set -uo pipefail
gat=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck source=checks.sh
source "$(dirname "$0")/checks.sh"

if [ -z "${GAT_DATA_DIR:-}" ] || [ ! -f "$GAT_DATA_DIR/MUTAG/MUTAG_A.txt" ]; then
  echo "skip: MUTAG not found (set GAT_DATA_DIR to ../shared/datasets)"
  exit 77
fi

small=(--task graph --dataset MUTAG --protocol errica --outer-folds 3 --final-runs 2
  --holdout 0.2 --epochs 6 --patience 3 --layers 1 --hidden 4 --heads 2 -q)

# 1. Two candidates, three outer folds: every fold reports both holdout scores, the choice, and
# two test runs whose mean is the fold's accuracy; the same at one and two threads.
for t in 1 2; do
  "$gat" train "${small[@]}" --grid lr=0.01,0.03 --threads "$t" --json "$work/e$t.json" \
    >"$work/out$t" 2>"$work/err" || fail "errica run at $t threads: $(cat "$work/err")"
done
if python3 - "$work/e1.json" <<'PY'; then
import json, sys
r = json.load(open(sys.argv[1]))
assert r["protocol"] == "errica" and len(r["folds"]) == 3, r.keys()
for f in r["folds"]:
    assert [c["config"] for c in f["candidates"]] == ["lr=0.01", "lr=0.03"], f
    assert f["selected"] in ("lr=0.01", "lr=0.03")
    assert len(f["run_test_acc"]) == 2
    assert abs(f["test_acc"] - sum(f["run_test_acc"]) / 2) < 1e-12
    best = max(c["holdout_acc"] for c in f["candidates"])
    assert [c for c in f["candidates"] if c["config"] == f["selected"]][0]["holdout_acc"] == best
assert abs(r["test_acc_mean"] - sum(r["fold_accuracy"]) / 3) < 1e-12
PY
  pass "errica: per-fold candidates, choice and runs in --json"
else
  fail "errica: per-fold candidates, choice and runs in --json: $(head -c 600 "$work/e1.json")"
fi
if grep -q "^fold  1/3: selected lr=0.0[13] (holdout" "$work/out1" &&
  grep -q "^errica 3-fold test accuracy:" "$work/out1"; then
  pass "errica: one line per fold and the summary"
else
  fail "errica: one line per fold and the summary: $(cat "$work/out1")"
fi
if python3 -c "import json,sys; a,b=(json.load(open(f)) for f in sys.argv[1:]); \
  sys.exit(a['folds'] != b['folds'])" "$work/e1.json" "$work/e2.json"; then
  pass "errica: the same choices and accuracies at 1 and 2 threads"
else
  fail "errica: the same choices and accuracies at 1 and 2 threads"
fi

# 2. The structure-agnostic baseline in the same protocol.
if "$gat" train --task graph --dataset MUTAG --protocol errica --outer-folds 3 --final-runs 1 \
  --epochs 20 --model baseline -q --json "$work/b.json" >"$work/out" 2>"$work/err" &&
  grep -q "model baseline, pool sum, edge features off" "$work/out" &&
  python3 -c "import json,sys; r=json.load(open(sys.argv[1])); \
    sys.exit(not (r['options']['layers'] == 0 and r['test_acc_mean'] > 0.5))" "$work/b.json"; then
  pass "baseline: no GAT layer, sum readout, better than chance"
else
  fail "baseline: $(cat "$work/out" "$work/err")"
fi

# 3. A model trained on transformed inputs (standardised attributes, degree features) is saved
# with the transforms, and gat eval applies them: the stored test accuracy comes back.
if "$gat" train --task graph --dataset ENZYMES --folds 2 --epochs 2 --degree-features 3 \
  --layers 1 --hidden 4 --heads 2 -q --save "$work/e.safetensors" >"$work/out" 2>"$work/err" &&
  grep -q "^node attributes: 18 columns standardised" "$work/out" &&
  grep -q "^degree features: one-hot neighbour count 0 .. 3+ (4 columns)" "$work/out" &&
  "$gat" eval --task graph --dataset ENZYMES "$work/e.safetensors" >"$work/eval" 2>"$work/err"; then
  if grep -Eq "^test accuracy ([0-9.]+) \(300 graphs; stored at training: \1\)" "$work/eval"; then
    pass "eval applies the stored input transforms: the stored accuracy comes back"
  else
    fail "eval applies the stored input transforms: $(cat "$work/eval")"
  fi
else
  fail "train and eval with input transforms: $(cat "$work/out" "$work/err")"
fi

# 4. Other attention in the layers: a grid over the alignment (cardinality: weights that sum to
# the in-degree) with GATv2 scores, named in --json and in the summary line.
if "$gat" train "${small[@]}" --no-edge-features --score gatv2 --grid align=softmax,cardinality \
  --json "$work/a.json" >"$work/out" 2>"$work/err" &&
  grep -q "edge features off, score gatv2)" "$work/out" &&
  python3 -c "import json,sys; r=json.load(open(sys.argv[1])); \
    sys.exit(not (r['options']['score'] == 'gatv2' and \
      [c['config'] for c in r['folds'][0]['candidates']] == \
      ['align=softmax', 'align=cardinality']))" "$work/a.json"; then
  pass "--score and a grid over --align"
else
  fail "--score and a grid over --align: $(cat "$work/out" "$work/err")"
fi

# 5. Weight averaging: --ema in the options of --json, and as a grid key whose candidates
# differ (the average is what the holdout scores).
if "$gat" train "${small[@]}" --ema 0.5 --json "$work/m1.json" >"$work/out" 2>"$work/err" &&
  "$gat" train "${small[@]}" --grid ema=0,0.9 --json "$work/m2.json" >"$work/out" 2>"$work/err" &&
  python3 - "$work/m1.json" "$work/m2.json" <<'PY'; then
import json, sys
one, grid = (json.load(open(p)) for p in sys.argv[1:])
assert one["options"]["ema"] == 0.5, one["options"]
for f in grid["folds"]:
    c = f["candidates"]
    assert [x["config"] for x in c] == ["ema=0", "ema=0.9"], c
assert any(f["candidates"][0]["holdout_loss"] != f["candidates"][1]["holdout_loss"]
           for f in grid["folds"]), "averaging changed nothing"
PY
  pass "--ema and a grid over it"
else
  fail "--ema and a grid over it: $(cat "$work/out" "$work/err")"
fi

# 6. The inputs as a grid key: with and without degree features, each candidate its own
# feature width; the saved model records the choice fold 1 made, and gat eval rebuilds those
# inputs and gives back the stored accuracy.
if "$gat" train "${small[@]}" --grid degree-features=0,3 --json "$work/d.json" \
  --save "$work/d.safetensors" >"$work/out" 2>"$work/err" &&
  grep -q "^degree features: .* chosen by the grid among 0, 3" "$work/out" &&
  "$gat" eval --task graph "$work/d.safetensors" >"$work/eval" 2>>"$work/err" &&
  python3 - "$work/d.json" "$(metadata "$work/d.safetensors" degree_features)" <<'PY'; then
import json, sys
r = json.load(open(sys.argv[1]))
for f in r["folds"]:
    assert [c["config"] for c in f["candidates"]] == ["degree-features=0", "degree-features=3"], f
chosen = r["folds"][0]["selected"].split("=")[1]
assert sys.argv[2] == chosen, (sys.argv[2], chosen)
PY
  if grep -Eq "^test accuracy ([0-9.]+) \(63 graphs; stored at training: \1\)" "$work/eval"; then
    pass "a grid over --degree-features: saved with fold 1's choice, eval reproduces it"
  else
    fail "a grid over --degree-features: eval: $(cat "$work/eval")"
  fi
else
  fail "a grid over --degree-features: $(cat "$work/out" "$work/err")"
fi

# 7. A set without node data (MUTAG's graphs and labels alone, as IMDB-BINARY comes): the
# reader's constant feature is a placeholder, not an attribute to standardise into zeros.
mkdir -p "$work/tu/BARE"
for f in A graph_indicator graph_labels; do
  cp "$GAT_DATA_DIR/MUTAG/MUTAG_$f.txt" "$work/tu/BARE/BARE_$f.txt"
done
if "$gat" train --task graph --data-dir "$work/tu" --dataset BARE --protocol errica \
  --outer-folds 3 --final-runs 1 --epochs 6 --patience 3 --layers 1 --hidden 4 --heads 2 \
  >"$work/out" 2>"$work/err" &&
  grep -q "^dataset BARE: 188 graphs, 3371 nodes, 7442 edges, 6 node features" "$work/out" &&
  ! grep -q "standardised" "$work/out"; then
  pass "a set without node data: the constant feature is not standardised"
else
  fail "a set without node data: $(cat "$work/out" "$work/err")"
fi

# 8. Refusals: one line each, nothing trained.
errica=(--task graph --dataset MUTAG --protocol errica)
expect_usage "--grid under --protocol cv" "--grid apply to --protocol errica" -- \
  "$gat" train --task graph --dataset MUTAG --grid lr=0.1,0.2
expect_usage "--patience under --protocol cv" "apply to --protocol errica" -- \
  "$gat" train --task graph --dataset MUTAG --patience 5
expect_usage "--outer-folds under --protocol cv" "apply to --protocol errica" -- \
  "$gat" train --task graph --dataset MUTAG --outer-folds 5
expect_usage "--folds under errica" "--protocol errica has --outer-folds" -- \
  "$gat" train --task graph --dataset MUTAG --protocol errica --folds 5
expect_usage "an unknown grid key" "--grid speed=1,2: unknown key 'speed' (keys: layers" -- \
  "$gat" train "${small[@]}" --grid speed=1,2
expect_usage "a grid value that is not a number" "--grid lr=0.1,fast: 'fast' is not a number" -- \
  "$gat" train "${small[@]}" --grid lr=0.1,fast
expect_usage "a grid key given twice" "key 'lr' given twice" -- \
  "$gat" train "${small[@]}" --grid lr=0.1 --grid lr=0.2
expect_usage "a grid without values" "expected KEY=V1,V2" -- \
  "$gat" train "${small[@]}" --grid lr=
expect_usage "a grid average of decay 1" "--grid ema=0,1: '1' must be in" -- \
  "$gat" train "${small[@]}" --grid ema=0,1
expect_usage "an average of decay 1" "--ema: Value 1 not in range" -- \
  "$gat" train "${small[@]}" --ema 1
expect_usage "degree features in the baseline's grid" \
  "--grid degree-features: --model baseline sees no structure" -- \
  "$gat" train "${errica[@]}" --model baseline --grid degree-features=0,4
expect_usage "--ema for the node task" "--ema applies to --task graph only" -- \
  "$gat" train --dataset cora --ema 0.9
expect_usage "a holdout that is not 1/k" "must be 1/k" -- \
  "$gat" train "${errica[@]}" --holdout 0.3
expect_usage "more final runs than holdout folds" "exceeds the 5 holdout folds" -- \
  "$gat" train "${errica[@]}" --holdout 0.2 --final-runs 6
expect_usage "baseline with GAT flags" "--model baseline has no GAT layer" -- \
  "$gat" train --task graph --dataset MUTAG --model baseline --layers 2
expect_usage "gatv2 with edge features" "edge features enter the gat score only, and MUTAG has 4" -- \
  "$gat" train --task graph --dataset MUTAG --score gatv2
expect_usage "a grid candidate with uniform weights and edge features" \
  "--align uniform computes no score for MUTAG's 4 edge features to enter" -- \
  "$gat" train "${errica[@]}" --grid align=softmax,uniform
expect_usage "baseline with an alignment" "--model baseline has no GAT layer" -- \
  "$gat" train --task graph --dataset MUTAG --model baseline --align cardinality
expect_usage "--share-weights for the graph task" "--share-weights applies to --task node only" -- \
  "$gat" train --task graph --dataset MUTAG --share-weights
expect_usage "--jk for the node task" "--jk applies to --task graph only" -- \
  "$gat" train --dataset cora --jk

finish
