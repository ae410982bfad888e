#!/usr/bin/env bash
# End-to-end checks of the gat command line on the tiny sample dataset shipped in
# datasets/sample: a training run, its JSON, determinism across thread counts, and that
# every kind of bad input ends in one "gat: error:" line: exit status 2 for a usage error (the
# command line is wrong), 1 for an error while running (data, model, files).
#   usage: cli_test.sh PATH/TO/gat PATH/TO/datasets
set -uo pipefail
gat=$1
datasets=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/checks.sh"

sample="$datasets/sample"

# 1. A short training run succeeds, prints a summary and writes JSON.
if "$gat" train --dataset "$sample" --epochs 30 --quiet --threads 1 --json "$work/r1.json" \
  >"$work/out" 2>"$work/err" && grep -q "^test accuracy:" "$work/out" &&
  grep -q '"test_acc_mean"' "$work/r1.json" && [ ! -s "$work/err" ]; then
  pass "train on the sample dataset"
else
  fail "train on the sample dataset: $(cat "$work/out" "$work/err")"
fi

# 2. Progress goes to stderr: with --log-every 1, one line per epoch.
"$gat" train --dataset "$sample" --epochs 5 --patience 100 --log-every 1 >"$work/out" 2>"$work/err"
if [ "$(grep -c "epoch" "$work/err")" -eq 5 ] && ! grep -q "epoch *1/" "$work/out"; then
  pass "per-epoch progress on stderr"
else
  fail "per-epoch progress on stderr: $(cat "$work/err")"
fi
# 2b. Not on a terminal, by default: the header first (stdout flushed before any progress),
# then one line per 10 epochs, then the summary.
"$gat" train --dataset "$sample" --epochs 30 --patience 100 --threads 1 >"$work/log" 2>&1
if head -1 "$work/log" | grep -q "^dataset sample: 60 nodes" &&
  [ "$(grep -c "^run 1/1  epoch" "$work/log")" -eq 3 ] &&
  [ "$(grep -c "^run 1/1  epoch" "$work/log")" -le $((30 / 10)) ] &&
  grep -q "^run 1/1  epoch 30/30 " "$work/log" && tail -3 "$work/log" | grep -q "^test accuracy:"; then
  pass "log off a terminal: header first, a line per 10 epochs, summary"
else
  fail "log off a terminal: header first, a line per 10 epochs, summary: $(cat "$work/log")"
fi
if "$gat" train --dataset "$sample" --epochs 30 --quiet >/dev/null 2>"$work/err" && [ ! -s "$work/err" ]; then
  pass "-q silences progress"
else
  fail "-q silences progress: $(cat "$work/err")"
fi
# 2c. On a terminal (script(1) gives one): a live line rewritten with \r, with an ETA.
if command -v script >/dev/null 2>&1; then
  script -qec "'$gat' train --dataset '$sample' --epochs 30 --threads 1 >/dev/null" /dev/null \
    >"$work/tty" 2>&1
  if grep -q $'\rrun 1/1  epoch.*ETA' "$work/tty" && ! grep -q "^run 1/1  epoch" "$work/tty"; then
    pass "live progress line on a terminal"
  else
    fail "live progress line on a terminal: $(cat -A "$work/tty" | head -c 600)"
  fi
else
  echo "skip: live progress (no script(1))"
fi
# 2d. --history writes the per-epoch CSV (a header and one row per epoch), --json the same
# history per run.
if "$gat" train --dataset "$sample" --epochs 30 --patience 100 --quiet --threads 1 --runs 2 \
  --history "$work/h.csv" --json "$work/h.json" >/dev/null 2>"$work/err" &&
  [ "$(head -1 "$work/h.csv")" = "run,seed,epoch,train_loss,train_acc,val_loss,val_acc,train_ms,eval_ms" ] &&
  [ "$(wc -l <"$work/h.csv")" -eq 61 ] && [ "$(grep -c '^2,1,' "$work/h.csv")" -eq 30 ] &&
  [ "$(grep -c '"val_acc"' "$work/h.json")" -eq $((2 * 30 + 2)) ] &&
  grep -q '"history": \[' "$work/h.json"; then
  pass "--history CSV and --json history"
else
  fail "--history CSV and --json history: $(head -3 "$work/h.csv") $(cat "$work/err")"
fi
if [ -x /usr/bin/python3 ]; then
  if /usr/bin/python3 - "$work/h.json" <<'PY'; then
import json, sys
d = json.load(open(sys.argv[1]))
h = d["runs"][1]["history"]
assert len(h) == 30 and h[0]["epoch"] == 1 and h[-1]["epoch"] == 30, len(h)
assert set(h[0]) == {"epoch", "train_loss", "train_acc", "val_loss", "val_acc", "train_ms", "eval_ms"}
PY
    pass "--json history parses"
  else
    fail "--json history parses"
  fi
fi

# 2e. Presets: the paper's settings per dataset, only where no flag was given.
if "$gat" train --dataset "$sample" --epochs 2 --quiet >"$work/out" 2>&1 &&
  [ "$(grep -c "no preset for dataset 'sample'" "$work/out")" -eq 1 ]; then
  pass "no preset for an unknown dataset, said once"
else
  fail "no preset for an unknown dataset, said once: $(cat "$work/out")"
fi
mkdir -p "$work/pubmed"  # the sample under PubMed's name: the preset follows the name
for ext in content cites split; do cp "$sample/sample.$ext" "$work/pubmed/pubmed.$ext"; done
if "$gat" train --dataset "$work/pubmed" --epochs 2 --quiet --json "$work/pm.json" >"$work/out" 2>&1 &&
  grep -q "^preset pubmed (GAT paper): --out-heads 8 --lr 0.01 --weight-decay 0.001$" "$work/out" &&
  grep -q '"out_heads": 8' "$work/pm.json" && grep -q '"lr": 0.01' "$work/pm.json"; then
  pass "pubmed preset applies"
else
  fail "pubmed preset applies: $(cat "$work/out")"
fi
if "$gat" train --dataset "$work/pubmed" --epochs 2 --quiet --lr 0.02 --json "$work/pm.json" \
  >"$work/out" 2>&1 &&
  grep -q "^preset pubmed (GAT paper): --out-heads 8 --weight-decay 0.001 (yours kept: --lr)$" "$work/out" &&
  grep -q '"lr": 0.02' "$work/pm.json"; then
  pass "a flag given wins over the preset"
else
  fail "a flag given wins over the preset: $(cat "$work/out")"
fi

# 3. Same seed, 1 and 2 threads: identical results (the JSON differs only in timings).
"$gat" train --dataset "$sample" --epochs 30 --quiet --threads 2 --json "$work/r2.json" >/dev/null 2>&1
acc() { grep -o '"test_acc": [0-9.e-]*' "$1"; grep -o '"val_acc": [0-9.e-]*' "$1"; }
if [ -n "$(acc "$work/r1.json")" ] && [ "$(acc "$work/r1.json")" = "$(acc "$work/r2.json")" ]; then
  pass "same result at 1 and 2 threads"
else
  fail "same result at 1 and 2 threads: $(acc "$work/r1.json") vs $(acc "$work/r2.json")"
fi

# 3b. Every attention variant trains from the command line (a few epochs each).
for variant in "--score gatv2" "--score gatv2 --share-weights" "--score dot" "--score scaled-dot" \
  "--score general" "--score biased-general" "--score activated-general" "--score cosine" "--align sparsemax" \
  "--align hard" "--align local --top-k 2" "--align uniform" "--multi-dim" \
  "--score gatv2 --multi-dim --align sparsemax"; do
  # shellcheck disable=SC2086
  if "$gat" train --dataset "$sample" --epochs 3 --quiet --threads 1 $variant >"$work/out" \
    2>"$work/err" && grep -q "^test accuracy:" "$work/out"; then
    pass "train $variant"
  else
    fail "train $variant: $(cat "$work/out" "$work/err")"
  fi
done
# A bad choice is a usage error that names the choices.
expect_usage "unknown score lists the choices" \
  "unknown score function 'softplus'; choose one of gat, gatv2, dot, scaled-dot" -- \
  "$gat" train --dataset "$sample" --epochs 2 --score softplus
expect_error "dense attention refuses other scores" "dense attention" -- \
  "$gat" train --dataset "$sample" --epochs 2 --attention dense --score dot
expect_usage "node-only variant flags refused for graph classification" "applies to --task node" -- \
  "$gat" train --task graph --dataset MUTAG --multi-dim

# 4. Bad input: each is one clear line and a non-zero exit.
expect_error "unknown dataset" "not found" -- "$gat" train --dataset nosuchset --data-dir "$work"
mkdir -p "$work/broken"
cp "$sample"/sample.* "$work/broken/"
for f in "$work"/broken/sample.*; do mv "$f" "${f/sample./broken.}"; done
sed -i '3s/\t[^\t]*\t/\tnot-a-number\t/' "$work/broken/broken.content"
expect_error "malformed .content names file and line" "broken.content:3:" -- \
  "$gat" train --dataset "$work/broken" --epochs 2
printf 'p999\tsomething\n' >>"$work/broken/broken.split"
cp "$sample/sample.content" "$work/broken/broken.content"
expect_error "unknown split word" "broken.split" -- "$gat" train --dataset "$work/broken" --epochs 2
expect_error "unwritable --json" "--json .*cannot create a file in the folder" -- \
  "$gat" train --dataset "$sample" --epochs 2 --quiet --json "$work/no/such/dir/r.json"
if ls "$work"/no 2>/dev/null | grep -q .; then fail "no partial JSON file"; else pass "no partial JSON file"; fi

# 5. Flag errors come from the parser: one line, exit 2, no training.
for args in "--dropout 1.5" "--heads 0" "--self-loops sometimes" "--epochs x"; do
  # shellcheck disable=SC2086
  expect_usage "rejects $args" "${args%% *}" -- "$gat" train --dataset "$sample" $args
done
expect_usage "no subcommand is an error, with a usage hint" \
  "no command given; usage: gat <command> .*train, bench, eval" -- "$gat"
"$gat" trian >"$work/out" 2>"$work/err"
rc=$?
if [ "$rc" -eq 2 ] && [ ! -s "$work/out" ] &&
  [ "$(cat "$work/err")" = "gat: error: unknown command 'trian' (did you mean 'train'?)" ]; then
  pass "gat trian: did you mean train"
else
  fail "gat trian: did you mean train (exit $rc): $(cat "$work/err")"
fi
"$gat" train --epoch 5 >"$work/out" 2>"$work/err"
rc=$?
if [ "$rc" -eq 2 ] &&
  [ "$(cat "$work/err")" = "gat: error: unknown option '--epoch' (did you mean '--epochs'?)" ]; then
  pass "unknown option: did you mean --epochs"
else
  fail "unknown option: did you mean --epochs (exit $rc): $(cat "$work/err")"
fi
expect_usage "unknown option without a near one" "unknown option '--zzzzzz'\$" -- \
  "$gat" eval --zzzzzz
expect_usage "a stray word" "unexpected argument 'cora'" -- "$gat" train cora
expect_usage "flags that do not go together" "--runs applies to --task node" -- \
  "$gat" train --task graph --runs 3
for args in "--help" "train --help" "--version"; do
  # shellcheck disable=SC2086
  if "$gat" $args >"$work/out" 2>"$work/err" && [ -s "$work/out" ]; then
    pass "gat $args prints and exits 0"
  else
    fail "gat $args prints and exits 0: $(cat "$work/err")"
  fi
done
# A TU (graph-classification) dataset given to the node task: say to use --task graph.
mkdir -p "$work/TUX"
: >"$work/TUX/TUX_A.txt"
expect_error "a TU dataset for the node task suggests --task graph" "TU) dataset.*gat train --task graph" -- \
  "$gat" train --dataset "$work/TUX" --epochs 2
expect_error "a node dataset for the graph task" "without --task graph" -- \
  "$gat" train --task graph --dataset "$sample"

# 6. gat bench: a tiny sweep in both modes writes a CSV with one row per (config, mode),
# and a dense run over a tight memory limit is reported as refused, not crashed.
if "$gat" bench --nodes 50,80 --degree 4 --heads 2 --hidden 4 --in 8 --reps 2 --warmup 0 \
  --csv "$work/b.csv" >"$work/out" 2>"$work/err" && [ "$(grep -c ',ok$' "$work/b.csv")" -eq 4 ] &&
  head -1 "$work/b.csv" | grep -q ',peak_mib,bytes_per_edge,faults_per_step,status$' &&
  grep -q "dense" "$work/out" && grep -q "^\[1/4\] sparse er N=50 degree=4 H=2 F=4$" "$work/err" &&
  grep -q "^\[4/4\] dense er N=80 " "$work/err"; then
  pass "bench sweep writes CSV"
else
  fail "bench sweep writes CSV: $(cat "$work/out" "$work/err")"
fi
"$gat" bench --nodes 3000 --degree 4 --mode dense --reps 1 --warmup 0 --dense-limit-gib 0.01 \
  >"$work/out" 2>"$work/err"
if grep -q "dense attention needs" "$work/out"; then
  pass "bench reports a refused dense run"
else
  fail "bench reports a refused dense run: $(cat "$work/out" "$work/err")"
fi

# ---- Checkpoints and the commands that use them: train --save, eval, predict, embed, info ----
# (issue 6; keep this block together)
ck="$work/ck"
mkdir -p "$ck"
npy_python=""
if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c "import numpy" 2>/dev/null; then
  npy_python=/usr/bin/python3
fi

# C1. train --save writes a safetensors checkpoint of run 1.
if "$gat" train --dataset "$sample" --epochs 30 --quiet --threads 1 --save "$ck/m.safetensors" \
  >"$ck/train.out" 2>"$work/err" && grep -q "^saved run 1" "$ck/train.out" &&
  [ "$(head -c 8 "$ck/m.safetensors" | od -An -tu8 | tr -d ' ')" -gt 0 ] &&
  grep -q '"format":"gat"' "$ck/m.safetensors"; then
  pass "train --save writes a checkpoint"
else
  fail "train --save writes a checkpoint: $(cat "$ck/train.out" "$work/err")"
fi
expect_error "train --save into a missing folder fails before training" "--save .*No such file" -- \
  "$gat" train --dataset "$sample" --epochs 2 --quiet --save "$work/no/such/m.safetensors"

# C2. eval reproduces the test accuracy of the training run, prints a confusion matrix, JSON.
train_acc=$(grep -o "^run 1/1 seed [0-9]*: test accuracy [0-9.]*" "$ck/train.out" | awk '{print $NF}')
if "$gat" eval --model "$ck/m.safetensors" --dataset "$sample" --json "$ck/eval.json" \
  >"$work/out" 2>"$work/err" && [ -n "$train_acc" ] &&
  [ "$(awk '$1 == "test" {print $3}' "$work/out")" = "$train_acc" ] &&
  grep -q "confusion matrix on test" "$work/out" && grep -q "Neural_Networks" "$work/out" &&
  grep -q '"confusion_test"' "$ck/eval.json"; then
  pass "eval matches the training run's test accuracy"
else
  fail "eval matches the training run's test accuracy ($train_acc): $(cat "$work/out" "$work/err")"
fi

# C3. predict: CSV on stdout with a header of class names, one row per node, probabilities
# summing to 1; --output writes the same bytes; --logits writes an .npy.
if "$gat" predict --model "$ck/m.safetensors" --dataset "$sample" >"$ck/stdout.csv" 2>"$work/err" &&
  [ "$(head -1 "$ck/stdout.csv")" = "node_id,predicted,Neural_Networks,Probabilistic_Methods,Theory" ] &&
  [ "$(wc -l <"$ck/stdout.csv")" -eq 61 ] &&
  awk -F, 'NR > 1 { s = $3 + $4 + $5; if (s < 0.999 || s > 1.001) bad = 1 } END { exit bad }' \
    "$ck/stdout.csv"; then
  pass "predict writes CSV to stdout"
else
  fail "predict writes CSV to stdout: $(head -3 "$ck/stdout.csv") $(cat "$work/err")"
fi
if "$gat" predict --model "$ck/m.safetensors" --dataset "$sample" --output "$ck/p.csv" \
  --logits "$ck/logits.npy" >/dev/null 2>&1 && cmp -s "$ck/p.csv" "$ck/stdout.csv" &&
  [ "$(head -c 6 "$ck/logits.npy" | tail -c 5)" = "NUMPY" ]; then
  pass "predict --output and --logits"
else
  fail "predict --output and --logits"
fi
expect_error "predict into a missing folder" "--output .*No such file" -- \
  "$gat" predict --model "$ck/m.safetensors" --dataset "$sample" --output "$work/no/such/p.csv"

# C4. embed: .npy (numpy.load: float32, C order, N x H·F) and CSV; --layer picks the layer.
if "$gat" embed --model "$ck/m.safetensors" --dataset "$sample" --output "$ck/e.npy" >/dev/null \
  2>"$work/err" && "$gat" embed --model "$ck/m.safetensors" --dataset "$sample" \
  --output "$ck/e.csv" >/dev/null 2>>"$work/err" && [ "$(wc -l <"$ck/e.csv")" -eq 61 ] &&
  [ "$(head -1 "$ck/e.csv" | awk -F, '{print NF}')" -eq 65 ]; then
  pass "embed writes .npy and .csv"
else
  fail "embed writes .npy and .csv: $(cat "$work/err")"
fi
if [ -n "$npy_python" ]; then
  "$gat" embed --model "$ck/m.safetensors" --dataset "$sample" --layer 1 --output "$ck/out.npy" \
    >/dev/null 2>&1
  if "$npy_python" - "$ck/e.npy" "$ck/e.csv" "$ck/out.npy" "$ck/logits.npy" <<'PY'; then
import sys
import numpy as np
e = np.load(sys.argv[1])
assert e.dtype == np.dtype("<f4") and e.shape == (60, 64) and e.flags.c_contiguous, e.shape
csv = np.loadtxt(sys.argv[2], delimiter=",", skiprows=1, usecols=range(1, 65), dtype=np.float32)
assert np.array_equal(csv, e), "CSV and .npy embeddings differ"
assert (e >= -1).all(), "ELU output below -1"
out, logits = np.load(sys.argv[3]), np.load(sys.argv[4])
assert out.shape == (60, 3) and np.array_equal(out, logits), "--layer 1 is not the logits"
PY
    pass "embed and logits .npy load with numpy.load"
  else
    fail "embed and logits .npy load with numpy.load"
  fi
else
  echo "skip: numpy.load check (no /usr/bin/python3 with numpy)"
fi
expect_error "embed --layer out of range" "out of range" -- \
  "$gat" embed --model "$ck/m.safetensors" --dataset "$sample" --layer 2 --output "$ck/x.npy"
expect_usage "embed needs .csv or .npy" "must end in .csv or .npy" -- \
  "$gat" embed --model "$ck/m.safetensors" --dataset "$sample" --output "$ck/x.txt"

# C5. info: counts as the sample's README states them, and JSON.
if "$gat" info --dataset "$sample" --json "$ck/info.json" >"$work/out" 2>"$work/err" &&
  grep -q "^nodes *60$" "$work/out" && grep -q "228 directed slots = 114 undirected pairs" "$work/out" &&
  grep -q '"undirected_pairs": 114' "$ck/info.json" && grep -q '"isolated_nodes"' "$ck/info.json"; then
  pass "info describes the sample dataset"
else
  fail "info describes the sample dataset: $(cat "$work/out" "$work/err")"
fi

# C6. Broken or mismatched checkpoints: one line naming the file and the problem.
expect_error "eval of a missing model" "nosuch.safetensors: cannot open" -- \
  "$gat" eval --model "$ck/nosuch.safetensors" --dataset "$sample"
head -c 100 "$ck/m.safetensors" >"$ck/cut.safetensors"
expect_error "eval of a truncated model" "cut.safetensors: truncated" -- \
  "$gat" eval --model "$ck/cut.safetensors" --dataset "$sample"
printf 'not a checkpoint at all' >"$ck/junk.safetensors"
expect_error "predict with a junk model" "junk.safetensors" -- \
  "$gat" predict --model "$ck/junk.safetensors" --dataset "$sample"
mkdir -p "$ck/wide"
# A dataset with one more feature column than the model was trained on.
awk 'BEGIN { FS = OFS = "\t" } { label = $NF; $NF = "0"; print $0, label }' \
  "$sample/sample.content" >"$ck/wide/wide.content"
cp "$sample/sample.cites" "$ck/wide/wide.cites"
cp "$sample/sample.split" "$ck/wide/wide.split"
expect_error "model and dataset disagree on features" "expects 40 input features" -- \
  "$gat" eval --model "$ck/m.safetensors" --dataset "$ck/wide"
# A missing required flag is the parser's error (like the flag errors of section 5).
expect_usage "eval without --model is an error" "--model is required" -- \
  "$gat" eval --dataset "$sample"
# The checkpoint may be the last argument instead of --model; --task graph's flags and
# checkpoints are refused (tests/app/graph_checkpoint_test.sh tests that task on MUTAG).
if "$gat" eval --dataset "$sample" "$ck/m.safetensors" >"$work/out" 2>"$work/err" &&
  [ "$(awk '$1 == "test" {print $3}' "$work/out")" = "$train_acc" ]; then
  pass "eval takes the checkpoint as an argument"
else
  fail "eval takes the checkpoint as an argument: $(cat "$work/out" "$work/err")"
fi
expect_usage "eval --graphs is for --task graph" "--graphs applies to --task graph only" -- \
  "$gat" eval --model "$ck/m.safetensors" --dataset "$sample" --graphs all
expect_error "eval --task graph refuses a node checkpoint" \
  "m.safetensors: a node-classification checkpoint, not a graph classifier; gat eval and gat predict read it without --task graph" -- \
  "$gat" eval --task graph --dataset MUTAG "$ck/m.safetensors"

# C6b. The checkpoint carries its preprocessing: a model trained on raw features evaluates
# without --no-normalize to its own stored test accuracy. A copy whose "normalize" entry is
# changed (same length, so the header stays valid) evaluates on normalised features, and
# differently: the stored entry is what decides.
if "$gat" train --dataset "$sample" --epochs 60 --quiet --threads 1 --no-normalize \
  --save "$ck/raw.safetensors" >"$ck/raw.out" 2>"$work/err" &&
  grep -q '"normalize":"false"' "$ck/raw.safetensors" && grep -q '"nodes":"60"' "$ck/raw.safetensors" &&
  grep -q '"edges":"228"' "$ck/raw.safetensors"; then
  pass "train --save stores normalize and the data's fingerprint"
else
  fail "train --save stores normalize and the data's fingerprint: $(cat "$ck/raw.out" "$work/err")"
fi
raw_acc=$(grep -o "^run 1/1 seed [0-9]*: test accuracy [0-9.]*" "$ck/raw.out" | awk '{print $NF}')
sed 's/"normalize":"false"/"normalize":"true "/' "$ck/raw.safetensors" >"$ck/flipped.safetensors"
if "$gat" eval --model "$ck/raw.safetensors" --dataset "$sample" >"$work/out" 2>"$work/err" &&
  [ -n "$raw_acc" ] && [ "$(awk '$1 == "test" {print $3}' "$work/out")" = "$raw_acc" ] &&
  [ ! -s "$work/err" ] &&
  "$gat" eval --model "$ck/flipped.safetensors" --dataset "$sample" >"$work/out2" 2>/dev/null &&
  [ "$(awk '$1 == "test" {print $3}' "$work/out2")" != "$raw_acc" ]; then
  pass "a --no-normalize checkpoint evaluates to its own test accuracy ($raw_acc)"
else
  fail "a --no-normalize checkpoint evaluates to its own test accuracy ($raw_acc): $(cat "$work/out" "$work/out2" "$work/err")"
fi
if "$gat" eval --model "$ck/m.safetensors" --dataset "$sample" --no-normalize >/dev/null \
  2>"$work/err" && grep -q "^gat: warning: .*trained on row-normalised features" "$work/err"; then
  pass "--no-normalize against the checkpoint: a warning, the user's choice"
else
  fail "--no-normalize against the checkpoint: a warning, the user's choice: $(cat "$work/err")"
fi
# Another graph with the same features and classes: a warning naming both, not an error.
mkdir -p "$ck/fewer"
cp "$sample/sample.content" "$ck/fewer/fewer.content"
cp "$sample/sample.split" "$ck/fewer/fewer.split"
head -n 100 "$sample/sample.cites" >"$ck/fewer/fewer.cites"
if "$gat" eval --model "$ck/m.safetensors" --dataset "$ck/fewer" >/dev/null 2>"$work/err" &&
  [ "$(wc -l <"$work/err")" -eq 1 ] &&
  grep -q "^gat: warning: model was trained on sample (60 nodes, 228 edges, 40 features) but this dataset, fewer, has 60 nodes, [0-9]* edges" "$work/err"; then
  pass "a different graph is a warning"
else
  fail "a different graph is a warning: $(cat "$work/err")"
fi

# C7. The PyTorch cross-check on the sample (needs Debian's python3-torch).
crosscheck="$(dirname "$datasets")/tools/torch_crosscheck.py"
if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c "import torch, numpy" 2>/dev/null; then
  if /usr/bin/python3 "$crosscheck" "$ck/m.safetensors" "$sample" "$ck/logits.npy" \
    >"$work/out" 2>"$work/err" && grep -q "^torch_crosscheck OK" "$work/out"; then
    pass "torch cross-check agrees"
  else
    fail "torch cross-check agrees: $(cat "$work/out" "$work/err")"
  fi
else
  echo "skip: torch cross-check (no /usr/bin/python3 with torch and numpy)"
fi
# ---- end of the checkpoint block ----

# ---- gat attention: weights, statistics, ablation, one node's neighbourhood ----
att="$work/att"
mkdir -p "$att"
png_args=()
if command -v dot >/dev/null 2>&1; then png_args=(--png "$att/n.png"); fi
# A1. Train in the command (few epochs), write every output.
if "$gat" attention --dataset "$sample" --epochs 10 --threads 1 --permutations 3 \
  --edges "$att/edges.csv" --nodes "$att/nodes.csv" --json "$att/a.json" \
  --node p020 --dot "$att/n.dot" "${png_args[@]}" >"$att/out" 2>"$work/err" &&
  [ ! -s "$work/err" ] && grep -q "^ *0 *mean " "$att/out" &&
  grep -q "permuted attention .* ± " "$att/out" && grep -q '"permuted_std"' "$att/a.json"; then
  pass "attention trains and reports"
else
  fail "attention trains and reports: $(cat "$att/out" "$work/err")"
fi
# A2. The edge CSV: its header, and weights summing to one per (layer, head, destination). The
# sample has 228 edge slots + 60 added self loops = 288 per layer, with 8 + 1 heads: 2592 rows,
# 540 (layer, head, destination) groups, 540 self-loop rows.
if [ "$(head -1 "$att/edges.csv")" = "layer,head,source,destination,weight,self_loop" ] &&
  [ "$(awk -F, 'NR > 1 { s[$1 "," $2 "," $4] += $5; n++; loops += $6 }
      END { for (k in s) if (s[k] < 0.9999 || s[k] > 1.0001) bad++
            print n, length(s), loops, bad + 0 }' "$att/edges.csv")" = "2592 540 540 0" ]; then
  pass "attention edge weights sum to one per layer, head and destination"
else
  fail "attention edge weights sum to one per layer, head and destination: $(head -3 "$att/edges.csv")"
fi
if [ "$(head -1 "$att/nodes.csv")" = \
  "layer,head,node,label,degree,entropy,uniform_entropy,same_label_weight,uniform_share" ] &&
  [ "$(wc -l <"$att/nodes.csv")" -eq 541 ]; then
  pass "attention per-node CSV"
else
  fail "attention per-node CSV: $(head -2 "$att/nodes.csv")"
fi
# A3. The DOT file: a digraph with the centre highlighted and one edge per in-edge of p020.
in_edges=$(awk -F, '$1 == 0 && $2 == 0 && $4 == "p020"' "$att/edges.csv" | wc -l)
if grep -q "^digraph attention {" "$att/n.dot" && grep -q 'label="p020\\n.*peripheries=2' "$att/n.dot" &&
  [ "$in_edges" -gt 1 ] && [ "$(grep -c ' -> ' "$att/n.dot")" -eq "$in_edges" ]; then
  pass "attention --dot draws the neighbourhood"
else
  fail "attention --dot draws the neighbourhood ($in_edges in-edges): $(cat "$att/n.dot")"
fi
if [ ${#png_args[@]} -gt 0 ]; then
  if [ "$(head -c 4 "$att/n.png" | tail -c 3)" = "PNG" ]; then
    pass "attention --png renders with Graphviz"
  else
    fail "attention --png renders with Graphviz"
  fi
else
  echo "skip: attention --png (Graphviz's dot is not installed)"
fi
# A4. On the saved model: the learned accuracy is the training run's test accuracy.
if [ -n "$train_acc" ] && "$gat" attention --model "$ck/m.safetensors" --dataset "$sample" \
  --permutations 2 >"$att/out" 2>"$work/err" &&
  [ "$(awk '$1 == "learned" {print $3}' "$att/out")" = "$train_acc" ]; then
  pass "attention --model: learned accuracy matches training"
else
  fail "attention --model: learned accuracy matches training ($train_acc): $(cat "$att/out" "$work/err")"
fi
# A5. Errors: one line, non-zero exit.
expect_error "attention: unknown node" "no node with that id" -- \
  "$gat" attention --model "$ck/m.safetensors" --dataset "$sample" --node nosuch --dot "$att/x.dot"
expect_error "attention: layer out of range" "out of range" -- \
  "$gat" attention --model "$ck/m.safetensors" --dataset "$sample" --layer 2 --node p020 \
  --dot "$att/x.dot"
expect_error "attention: missing model" "nosuch.safetensors" -- \
  "$gat" attention --model "$ck/nosuch.safetensors" --dataset "$sample"
expect_usage "attention: model flags with --model" "with --model" -- \
  "$gat" attention --model "$ck/m.safetensors" --dataset "$sample" --heads 2
expect_error "attention: --png without Graphviz" "not on PATH" -- \
  env PATH=/nonexistent "$gat" attention --model "$ck/m.safetensors" --dataset "$sample" \
  --node p020 --dot "$att/x.dot" --png "$att/x.png"
# A6. One train-and-save path: attention --save with gat train's flags and --seed writes the
# very file gat train --save writes for run 1 (same weights, same metadata).
if "$gat" train --dataset "$sample" --epochs 10 --seed 5 --threads 1 --quiet \
  --save "$att/train.safetensors" >/dev/null 2>"$work/err" &&
  "$gat" attention --dataset "$sample" --epochs 10 --seed 5 --threads 1 --permutations 1 \
  --save "$att/attention.safetensors" >/dev/null 2>>"$work/err" &&
  cmp -s "$att/train.safetensors" "$att/attention.safetensors"; then
  pass "attention --save writes gat train's run-1 checkpoint"
else
  fail "attention --save writes gat train's run-1 checkpoint: $(cat "$work/err")"
fi
# ---- end of the attention block ----

# ---- Outputs that never destroy, inputs that cannot exhaust (issue 12) ----
io="$work/io"
mkdir -p "$io"
# O1. A device given as an output is written, never replaced by a regular file.
if [ "$(id -u)" -eq 0 ] && mknod "$io/null" c 1 3 2>/dev/null; then
  if "$gat" predict --model "$ck/m.safetensors" --dataset "$sample" --output "$io/null" \
    >/dev/null 2>"$work/err" && [ -c "$io/null" ] &&
    "$gat" info --dataset "$sample" --json "$io/null" >/dev/null 2>>"$work/err" && [ -c "$io/null" ]; then
    pass "a char device as --output/--json stays a char device"
  else
    fail "a char device as --output/--json stays a char device: $(ls -l "$io/null") $(cat "$work/err")"
  fi
else
  echo "skip: char device output (needs root and mknod)"
fi
# O2. A symlink as --json: the link stays, its target gets the JSON.
echo "old" >"$io/target.json"
ln -s target.json "$io/link.json"
if "$gat" info --dataset "$sample" --json "$io/link.json" >/dev/null 2>"$work/err" &&
  [ -L "$io/link.json" ] && [ "$(readlink "$io/link.json")" = "target.json" ] &&
  /usr/bin/python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$io/target.json"; then
  pass "--json through a symlink writes its target, the link stays"
else
  fail "--json through a symlink writes its target, the link stays: $(ls -l "$io") $(cat "$work/err")"
fi
# O3. A symlink planted at a guessable temporary name is never followed.
echo "precious" >"$io/victim"
ln -s victim "$io/out.json.tmp"
ln -s victim "$io/.out.json.tmp"
if "$gat" info --dataset "$sample" --json "$io/out.json" >/dev/null 2>"$work/err" &&
  [ "$(cat "$io/victim")" = "precious" ] && [ -L "$io/out.json.tmp" ] && [ ! -L "$io/out.json" ] &&
  /usr/bin/python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$io/out.json"; then
  pass "a planted temporary symlink is not followed"
else
  fail "a planted temporary symlink is not followed: $(cat "$io/victim") $(cat "$work/err")"
fi
# O4. 20 concurrent writers of one --json: every run succeeds, the file is complete JSON and no
# temporary is left behind.
mkdir -p "$io/many"
pids=()
for i in $(seq 20); do
  "$gat" info --dataset "$sample" --json "$io/many/same.json" >/dev/null 2>"$io/many.err.$i" &
  pids+=($!)
done
many_failed=0
for pid in "${pids[@]}"; do wait "$pid" || many_failed=$((many_failed + 1)); done
if [ "$many_failed" -eq 0 ] && [ "$(ls -A "$io/many")" = "same.json" ] &&
  /usr/bin/python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$io/many/same.json"; then
  pass "20 concurrent writers of one --json"
else
  fail "20 concurrent writers of one --json ($many_failed failed): $(ls -A "$io/many") $(cat "$io"/many.err.*)"
fi
# O5. Every write to stdout is checked: a full device is an error, exit 1, never a success.
for args in "info --dataset $sample" "train --dataset $sample --epochs 3 --quiet" \
  "eval --model $ck/m.safetensors --dataset $sample --json -" \
  "predict --model $ck/m.safetensors --dataset $sample"; do
  # shellcheck disable=SC2086
  "$gat" $args >/dev/full 2>"$work/err"
  rc=$?
  if [ "$rc" -eq 1 ] && grep -q "^gat: error: cannot write to standard output: No space left" "$work/err"; then
    pass "gat ${args%% *} > /dev/full fails"
  else
    fail "gat ${args%% *} > /dev/full fails (exit $rc): $(cat "$work/err")"
  fi
done
# O6. Output paths are checked before any work: no data loaded, no epoch trained.
start=$(date +%s%N)
"$gat" train --dataset "$sample" --log-every 1 --json "$io/nonexist/x.json" >"$work/out" 2>"$work/err"
rc=$?
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
if [ "$rc" -eq 1 ] && ! grep -q "epoch" "$work/err" && [ ! -s "$work/out" ] &&
  grep -q "^gat: error: --json .*nonexist" "$work/err" && [ "$elapsed_ms" -lt 2000 ]; then
  pass "train --json into a missing folder fails before training (${elapsed_ms} ms)"
else
  fail "train --json into a missing folder fails before training (exit $rc, ${elapsed_ms} ms): $(cat "$work/out" "$work/err")"
fi
# O7. Strict flags: seeds in [0, 2^64), no empty paths, flags of the other task, one stdout.
expect_usage "--seed -1" "seed '-1' is not an integer" -- "$gat" train --dataset "$sample" --seed -1
expect_usage "--seed 2^64" "not an integer in \[0, 2^64)" -- \
  "$gat" train --dataset "$sample" --seed 18446744073709551616
for flag in --json --save --history --data-dir; do
  expect_usage "train $flag \"\"" "$flag: empty path" -- "$gat" train --dataset "$sample" "$flag" ""
done
expect_usage "predict --output \"\"" "--output: empty path" -- \
  "$gat" predict --model "$ck/m.safetensors" --dataset "$sample" --output ""
expect_usage "eval --model \"\"" "--model: empty path" -- "$gat" eval --model "" --dataset "$sample"
expect_usage "--attention with --task graph" "--attention applies to --task node only" -- \
  "$gat" train --task graph --dataset MUTAG --attention dense
expect_usage "--folds with --task node" "--folds applies to --task graph only" -- \
  "$gat" train --dataset "$sample" --folds 3
expect_usage "two outputs on stdout" "--json - and --history - would both go to standard output" -- \
  "$gat" train --dataset "$sample" --json - --history -
# O8. "-" is stdout everywhere; the human-readable report then moves to stderr.
for args in "train --dataset $sample --epochs 3 --quiet --json -" "info --dataset $sample --json -" \
  "eval --model $ck/m.safetensors --dataset $sample --json -"; do
  # shellcheck disable=SC2086
  if "$gat" $args >"$work/out" 2>"$work/err" &&
    /usr/bin/python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$work/out" &&
    grep -q "sample" "$work/err"; then
    pass "gat ${args%% *} --json -: stdout is JSON, the report on stderr"
  else
    fail "gat ${args%% *} --json -: stdout is JSON, the report on stderr: $(head -c 300 "$work/out")"
  fi
done
# O9. An oversized model is refused before allocation, with the bytes needed and available.
# (An AddressSanitizer build cannot start under a 2 GB address-space limit: its shadow memory
# alone reserves terabytes. The plain build runs this check.)
# ldd's output is read whole: with pipefail, `ldd | grep -q` fails whenever grep exits at the
# match before ldd has written the rest (SIGPIPE), and the check then ran under ASan.
if [[ "$(ldd "$gat" 2>/dev/null)" == *libasan* ]]; then
  echo "skip: the ulimit -v check (an AddressSanitizer build cannot run under ulimit -v)"
else
start=$(date +%s%N)
(ulimit -v 2000000 && exec "$gat" train --data-dir "$datasets" --dataset cora --hidden 4096 \
  --heads 64 --epochs 1 --quiet) >/dev/null 2>"$work/err"
rc=$?
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
if [ "$rc" -eq 1 ] && [ "$(wc -l <"$work/err")" -eq 1 ] &&
  grep -q "^gat: error: training the model .* needs [0-9.]* GiB, but only .* (limit: ulimit -v)" \
    "$work/err" && [ "$elapsed_ms" -lt 3000 ]; then
  pass "an oversized model is refused before allocation (${elapsed_ms} ms)"
else
  fail "an oversized model is refused before allocation (exit $rc, ${elapsed_ms} ms): $(cat "$work/err")"
fi
fi
# O10. Finite but huge weights: inference names the layer that overflowed, writes nothing.
/usr/bin/python3 - "$ck/m.safetensors" "$io/huge.safetensors" <<'PY'
import json, struct, sys
b = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", b[:8])[0]
header = json.loads(b[8:8 + n])
data = bytearray(b[8 + n:])
for name, t in header.items():
    if name != "__metadata__" and t["dtype"] == "F32":
        s, e = t["data_offsets"]
        data[s:e] = struct.pack("<f", 1e30) * ((e - s) // 4)
open(sys.argv[2], "wb").write(b[:8 + n] + bytes(data))
PY
expect_error "huge weights: predict names the layer" "layer [0-9]* of [0-9]* produced non-finite" -- \
  "$gat" predict --model "$io/huge.safetensors" --dataset "$sample" --output "$io/huge.csv"
if [ ! -e "$io/huge.csv" ]; then pass "huge weights: no output file"; else fail "huge weights: no output file"; fi
# ---- end of the issue 12 block ----

# ---- Issue 15: a graph of one's own (--edges, --features, --labels, --split, --ogb) ----
own="$work/own"
mkdir -p "$own"
# The sample written as a user's files: its citations are already an edge list of string ids
# (less those naming papers absent from .content, which LINQS skips and an edge list may not
# have); features and labels become CSV keyed by node id.
awk -F'\t' 'NR == FNR { known[$1] = 1; next } ($1 in known) && ($2 in known)' \
  "$sample/sample.content" "$sample/sample.cites" >"$own/edges.txt"
awk -F'\t' -v OFS=, '{ $NF = ""; NF--; $1 = $1; print }' "$sample/sample.content" >"$own/features.csv"
awk -F'\t' -v OFS=, '{ print $1, $NF }' "$sample/sample.content" >"$own/labels.csv"
if "$gat" info --edges "$own/edges.txt" --undirected --features "$own/features.csv" \
  --labels "$own/labels.csv" --split "$sample/sample.split" --json "$own/info.json" \
  >"$own/out" 2>"$work/err" && grep -q "^edge list .* edges read" "$own/out" &&
  grep -q '"split_made_by": "file ' "$own/info.json" && [ ! -s "$work/err" ]; then
  pass "info --edges with keyed features, labels and a split file"
else
  fail "info --edges: $(cat "$own/out" "$work/err")"
fi
if "$gat" train --edges "$own/edges.txt" --undirected --features "$own/features.csv" --normalize \
  --labels "$own/labels.csv" --split "$sample/sample.split" --epochs 20 --quiet --threads 1 \
  --save "$own/m.safetensors" >"$own/out" 2>"$work/err" && grep -q "^test accuracy:" "$own/out" &&
  "$gat" predict --model "$own/m.safetensors" --edges "$own/edges.txt" --undirected \
    --features "$own/features.csv" --labels "$own/labels.csv" --split "$sample/sample.split" \
    --output "$own/pred.csv" 2>"$work/err" && grep -q "^p0[0-9][0-9]," "$own/pred.csv"; then
  pass "train and predict on --edges; predictions carry the user's node ids"
else
  fail "train/predict on --edges: $(cat "$own/out" "$work/err")"
fi
# Integer ids with unkeyed arrays, a default random split, and bench on the edge list alone.
printf '0 1\n1 2\n2 3\n3 0\n4 5\n5 6\n6 4\n7 8\n' >"$own/int.txt"
/usr/bin/python3 - "$own" <<'PY'
import sys, numpy as np
d = sys.argv[1]
np.save(d + "/x.npy", np.random.default_rng(0).random((10, 4), dtype=np.float32))
np.savetxt(d + "/y.txt", np.arange(10) % 2, fmt="%d")
PY
if "$gat" train --edges "$own/int.txt" --undirected --features "$own/x.npy" --labels "$own/y.txt" \
  --split random:2,2,2 --epochs 3 --quiet >"$own/out" 2>"$work/err" &&
  grep -q "^dataset int: 10 nodes, 16 edges, 4 features, 2 classes; split 4/2/2" "$own/out"; then
  pass "train on integer ids with .npy features and a random split"
else
  fail "train on integer ids: $(cat "$own/out" "$work/err")"
fi
if "$gat" bench --edges "$own/int.txt" --mode sparse --reps 1 --warmup 0 --heads 2 --hidden 4 \
  --json "$own/bench.json" >"$own/out" 2>"$work/err" && grep -q '"status": "ok"' "$own/bench.json"; then
  pass "bench --edges with generated features"
else
  fail "bench --edges: $(cat "$own/out" "$work/err")"
fi
# A saved model remembers its graph and split: eval without --split, --split-seed and
# --undirected scores the same test nodes; predict needs neither labels nor a split.
if "$gat" train --edges "$own/int.txt" --undirected --features "$own/x.npy" --labels "$own/y.txt" \
  --split random:2,2,2 --split-seed 5 --epochs 3 --quiet --save "$own/s.safetensors" \
  --json "$own/s.json" >/dev/null 2>"$work/err" &&
  "$gat" eval --model "$own/s.safetensors" --edges "$own/int.txt" --features "$own/x.npy" \
    --labels "$own/y.txt" --json "$own/e.json" >/dev/null 2>>"$work/err" &&
  /usr/bin/python3 - "$own/s.json" "$own/e.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))["runs"][0]
e = json.load(open(sys.argv[2]))
assert e["splits"]["test"]["nodes"] == 2, e["splits"]
assert abs(t["test_acc"] - e["splits"]["test"]["accuracy"]) < 1e-12, (t["test_acc"], e["splits"])
PY
then
  pass "eval of an own-graph model re-creates its graph and split"
else
  fail "eval of an own-graph model: $(cat "$work/err")"
fi
if "$gat" predict --model "$own/s.safetensors" --edges "$own/int.txt" --features "$own/x.npy" \
  --output "$own/p.csv" 2>"$work/err" && [ "$(wc -l <"$own/p.csv")" -eq 11 ]; then
  pass "predict on an own graph without labels or split"
else
  fail "predict without labels: $(cat "$work/err")"
fi
expect_usage "bench's old --features N is refused, naming --hidden" "width per head is --hidden" -- \
  "$gat" bench --features 8 --nodes 50 --degree 4
printf '0 1\n1 2 3\n' >"$own/bad.txt"
printf '1\n2\n3\n4\n5\n' >"$own/five.txt"
expect_error "a malformed edge list names file and line" "bad.txt:2: expected 2 columns, found 3" -- \
  "$gat" info --edges "$own/bad.txt"
expect_error "an id outside the rows of the features" "node id 8 is outside \[0, 5)" -- \
  "$gat" info --edges "$own/int.txt" --features "$own/five.txt"
expect_usage "--features without --edges" "--features describes a graph of your own" -- \
  "$gat" info --features "$own/x.npy"
expect_usage "--edges with --dataset" "--dataset and --edges name two datasets" -- \
  "$gat" info --dataset "$sample" --edges "$own/int.txt"
expect_usage "--edges with --ogb" "--edges and --ogb" -- \
  "$gat" info --edges "$own/int.txt" --ogb "$own"
expect_error "--ogb on a folder that is not one" "not an OGB dataset folder" -- \
  "$gat" info --ogb "$own"
expect_error "training without features" "has no node features: give --features" -- \
  "$gat" train --edges "$own/int.txt" --labels "$own/y.txt" --split random:1,1,1 --epochs 2
# ---- end of the issue 15 block ----

# ---- Issue 16: --device (gat/core/device.hpp) ----
# Where CUDA cannot run (a build without it, or no GPU), --device cuda is one line naming why,
# exit status 1, before any data is read; gat info says the same. On a machine where it can
# run, tools/gpu-check.sh tests the GPU, and these refusals are skipped.
"$gat" info --dataset "$sample" --json "$work/dev.json" >"$work/out" 2>"$work/err"
if grep -q "^cuda  *built with CUDA: \(yes\|no\); " "$work/out" &&
  /usr/bin/python3 -c 'import json, sys; c = json.load(open(sys.argv[1]))["cuda"]; sys.exit(not (c["usable"] or c["reason"]))' \
    "$work/dev.json"; then
  pass "info reports the CUDA status"
else
  fail "info reports the CUDA status: $(cat "$work/out" "$work/err")"
fi
if grep -q "^cuda .*cannot run" "$work/out"; then
  expect_error "train --device cuda without a usable GPU" "--device cuda: " -- \
    "$gat" train --dataset "$sample" --epochs 2 --device cuda
  expect_error "bench --device cuda without a usable GPU" "--device cuda: " -- \
    "$gat" bench --nodes 50 --degree 4 --reps 1 --warmup 0 --device cuda
  # Dense attention runs on the GPU too: refused here for the device, not for the mode.
  expect_error "train --attention dense --device cuda gets as far as the device" "--device cuda: " -- \
    "$gat" train --dataset "$sample" --epochs 2 --attention dense --device cuda
  expect_error "bench --mode dense --device cuda gets as far as the device" "--device cuda: " -- \
    "$gat" bench --nodes 50 --degree 4 --mode dense --reps 1 --warmup 0 --device cuda
else
  echo "skip: --device cuda refusals (a GPU is usable here; tools/gpu-check.sh tests it)"
fi
expect_usage "an unknown device names the choices" "unknown device 'gpu'; choose one of cpu, cuda" -- \
  "$gat" train --dataset "$sample" --device gpu
expect_error "graph classification stays on the CPU" "--device cuda: graph classification runs on the CPU only" -- \
  "$gat" train --task graph --dataset MUTAG --device cuda
expect_error "bench --aggregation needs --device cuda" "--aggregation .*needs --device cuda" -- \
  "$gat" bench --nodes 50 --degree 4 --reps 1 --warmup 0 --aggregation cusparse
expect_error "train --device cuda refuses a variant first, naming it" "--score dot runs on the CPU only" -- \
  "$gat" train --dataset "$sample" --score dot --device cuda
if "$gat" train --dataset "$sample" --epochs 3 --quiet --device cpu --json "$work/dev_train.json" \
  >/dev/null 2>"$work/err" && grep -q '"device": "cpu"' "$work/dev_train.json"; then
  pass "train --device cpu records the device"
else
  fail "train --device cpu records the device: $(cat "$work/err")"
fi
if "$gat" bench --nodes 50 --degree 4 --mode sparse --reps 1 --warmup 0 --device cpu \
  --csv "$work/dev_bench.csv" >/dev/null 2>"$work/err" &&
  head -1 "$work/dev_bench.csv" | grep -q ',threads,device,forward_ms,' &&
  grep -q ',cpu,[0-9].*,ok$' "$work/dev_bench.csv"; then
  pass "bench --device cpu writes the device column"
else
  fail "bench --device cpu writes the device column: $(cat "$work/err" "$work/dev_bench.csv")"
fi
# ---- end of the issue 16 block ----

# ---- issue 17: gat partition ----
if "$gat" partition --dataset "$sample" --parts 3 --out "$work/parts" --json "$work/parts.json" \
  >"$work/out" 2>"$work/err" && grep -q "^ *2 .*[0-9]" "$work/out" &&
  grep -q "^edge cut [0-9]* of [0-9]* edges" "$work/out" && [ ! -s "$work/err" ] &&
  [ -f "$work/parts/manifest.json" ] && [ -f "$work/parts/part-2.safetensors" ] &&
  /usr/bin/python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); m = json.load(open(sys.argv[2]));
sys.exit(not (j["parts"] == 3 and j["method"] == "metis" and len(j["part"]) == 3 and
  m["format"] == "gat-partition" and sum(p["owned"] for p in m["part_files"]) == 60))' \
    "$work/parts.json" "$work/parts/manifest.json"; then
  pass "partition the sample dataset with METIS"
else
  fail "partition the sample dataset with METIS: $(cat "$work/out" "$work/err")"
fi
if "$gat" partition --dataset "$sample" --parts 4 --method random >"$work/out" 2>"$work/err" &&
  [ "$(grep -c "^ *[0-3]  *15 " "$work/out")" -eq 4 ]; then
  pass "a random partition is balanced exactly"
else
  fail "a random partition is balanced exactly: $(cat "$work/out" "$work/err")"
fi
expect_error "partition --parts 0" "number of parts must be at least 1, got 0" -- \
  "$gat" partition --dataset "$sample" --parts 0
expect_error "partition into more parts than nodes" "cannot split a graph of 60 nodes into 61 parts" -- \
  "$gat" partition --dataset "$sample" --parts 61
mkdir -p "$work/mine" && echo precious >"$work/mine/notes.txt"
expect_error "partition refuses a folder of other files" "not a gat partition" -- \
  "$gat" partition --dataset "$sample" --parts 2 --out "$work/mine"
if [ "$(ls "$work/mine")" = "notes.txt" ] && [ "$(cat "$work/mine/notes.txt")" = precious ]; then
  pass "partition leaves a refused folder intact"
else
  fail "partition leaves a refused folder intact: $(ls "$work/mine")"
fi
# ---- end of the issue 17 block ----

# --node-order (train, bench): nodes renumbered by reverse Cuthill-McKee. The same seed gives
# the same run at any thread count; the JSON and the CSV say which order ran; the commands that
# write a row per node do not take it, nor does graph classification or --partitions.
if "$gat" train --dataset "$sample" --node-order rcm --epochs 20 --quiet --threads 1 \
  --json "$work/o1.json" >"$work/out1" 2>"$work/err" &&
  "$gat" train --dataset "$sample" --node-order rcm --epochs 20 --quiet --threads 2 \
    --json "$work/o2.json" >"$work/out2" 2>>"$work/err" &&
  grep -q "^nodes numbered in rcm order" "$work/out1" &&
  [ "$(grep "^test accuracy" "$work/out1")" = "$(grep "^test accuracy" "$work/out2")" ] &&
  /usr/bin/python3 -c 'import json, sys; a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]));
sys.exit(not (a["node_order"] == "rcm" and a["runs"][0]["test_acc"] == b["runs"][0]["test_acc"]))' \
    "$work/o1.json" "$work/o2.json"; then
  pass "train --node-order rcm: the same run at 1 and 2 threads"
else
  fail "train --node-order rcm: the same run at 1 and 2 threads: $(cat "$work/out1" "$work/err")"
fi
if "$gat" bench --dataset "$sample" --node-order rcm --mode sparse --reps 1 --warmup 0 \
  --csv "$work/o.csv" >"$work/out" 2>"$work/err" &&
  head -1 "$work/o.csv" | grep -q ',features,node_order,threads,device,' &&
  grep -q ',rcm,.*,ok$' "$work/o.csv" &&
  "$gat" bench --nodes 200 --degree 4 --graph rmat --node-order rcm --mode sparse --reps 1 \
    --warmup 0 --json "$work/o.json" >"$work/out" 2>>"$work/err" &&
  grep -q '"node_order": "rcm"' "$work/o.json" && grep -q '"status": "ok"' "$work/o.json"; then
  pass "bench --node-order rcm on a dataset and a generated graph"
else
  fail "bench --node-order rcm on a dataset and a generated graph: $(cat "$work/out" "$work/err")"
fi
expect_usage "an unknown --node-order" "--node-order: bfs not in {file,rcm}" -- \
  "$gat" train --dataset "$sample" --node-order bfs
expect_usage "--node-order with --task graph" "--node-order applies to --task node only" -- \
  "$gat" train --task graph --dataset "$sample" --node-order rcm
expect_usage "predict has no --node-order" "node-order" -- \
  "$gat" predict --dataset "$sample" --node-order rcm --model "$work/none.gat"

finish
