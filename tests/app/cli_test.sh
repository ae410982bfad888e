#!/usr/bin/env bash
# End-to-end checks of the gat command line on the tiny sample dataset shipped in
# datasets/sample: a training run, its JSON, determinism across thread counts, and that
# every kind of bad input ends in one "gat: error:" line and a non-zero exit.
#   usage: cli_test.sh PATH/TO/gat PATH/TO/datasets
set -uo pipefail
gat=$1
datasets=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
passes=0

pass() { passes=$((passes + 1)); echo "ok: $1"; }
fail() { failures=$((failures + 1)); echo "FAIL: $1"; }

# expect_error NAME PATTERN -- COMMAND...: non-zero exit, exactly one stderr line
# starting with "gat: error:" and matching PATTERN.
expect_error() {
  local name=$1 pattern=$2
  shift 3
  "$@" >"$work/out" 2>"$work/err"
  local rc=$?
  local lines
  lines=$(wc -l <"$work/err")
  if [ "$rc" -ne 0 ] && [ "$lines" -eq 1 ] && grep -q "^gat: error:.*$pattern" "$work/err"; then
    pass "$name"
  else
    fail "$name (exit $rc, stderr: $(cat "$work/err"))"
  fi
}

sample="$datasets/sample"

# 1. A short training run succeeds, prints a summary and writes JSON.
if "$gat" train --dataset "$sample" --epochs 30 --quiet --threads 1 --json "$work/r1.json" \
  >"$work/out" 2>"$work/err" && grep -q "^test accuracy:" "$work/out" &&
  grep -q '"test_acc_mean"' "$work/r1.json" && [ ! -s "$work/err" ]; then
  pass "train on the sample dataset"
else
  fail "train on the sample dataset: $(cat "$work/out" "$work/err")"
fi

# 2. Progress goes to stderr, one line per epoch, when not quiet.
"$gat" train --dataset "$sample" --epochs 5 --patience 100 >"$work/out" 2>"$work/err"
if [ "$(grep -c "epoch" "$work/err")" -eq 5 ] && ! grep -q "epoch    1 " "$work/out"; then
  pass "per-epoch progress on stderr"
else
  fail "per-epoch progress on stderr: $(cat "$work/err")"
fi

# 3. Same seed, 1 and 2 threads: identical results (the JSON differs only in timings).
"$gat" train --dataset "$sample" --epochs 30 --quiet --threads 2 --json "$work/r2.json" >/dev/null 2>&1
acc() { grep -o '"test_acc": [0-9.e-]*' "$1"; grep -o '"val_acc": [0-9.e-]*' "$1"; }
if [ -n "$(acc "$work/r1.json")" ] && [ "$(acc "$work/r1.json")" = "$(acc "$work/r2.json")" ]; then
  pass "same result at 1 and 2 threads"
else
  fail "same result at 1 and 2 threads: $(acc "$work/r1.json") vs $(acc "$work/r2.json")"
fi

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
expect_error "unwritable --json" "cannot write" -- \
  "$gat" train --dataset "$sample" --epochs 2 --quiet --json "$work/no/such/dir/r.json"
if ls "$work"/no 2>/dev/null | grep -q .; then fail "no partial JSON file"; else pass "no partial JSON file"; fi

# 5. Flag errors come from the parser: non-zero exit, no training.
for args in "--dropout 1.5" "--heads 0" "--self-loops sometimes" "--epochs x"; do
  # shellcheck disable=SC2086
  if "$gat" train --dataset "$sample" $args >"$work/out" 2>"$work/err"; then
    fail "rejects $args"
  else
    pass "rejects $args"
  fi
done
if "$gat" >/dev/null 2>&1; then fail "no subcommand is an error"; else pass "no subcommand is an error"; fi

# 6. gat bench: a tiny sweep in both modes writes a CSV with one row per (config, mode),
# and a dense run over a tight memory limit is reported as refused, not crashed.
if "$gat" bench --nodes 50,80 --degree 4 --heads 2 --features 4 --in 8 --reps 2 --warmup 0 \
  --csv "$work/b.csv" >"$work/out" 2>"$work/err" && [ "$(grep -c ',ok$' "$work/b.csv")" -eq 4 ] &&
  grep -q "dense" "$work/out"; then
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

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
