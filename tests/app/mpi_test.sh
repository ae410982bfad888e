#!/usr/bin/env bash
# Distributed training end to end under mpirun: Cora partitioned by `gat partition` (METIS and
# random), trained by `mpirun -np P gat train --partitions DIR` for P = 1, 2, 3, and compared
# with `gat train` on the whole graph: the loss and accuracy history to 1e-5 relative, the same
# best epoch and test accuracy; a second P = 2 run gives the same bits. Then the failures: a
# partition run with the wrong number of processes, a damaged part file read by one process
# only: one "gat: error:" line naming the cause, a non-zero exit, and no process left waiting
# (each run is under `timeout`).
# Last, the transport's timeout: a stalled process makes its peer's collective give up
# (tests/mpi/timeout_check.cpp).
#   usage: mpi_test.sh PATH/TO/gat PATH/TO/datasets PATH/TO/mpiexec PATH/TO/mpi_timeout_check
set -uo pipefail
gat=$1
datasets=$2
mpiexec=$3
timeout_check=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
passes=0
pass() { passes=$((passes + 1)); echo "ok: $1"; }
fail() { failures=$((failures + 1)); echo "FAIL: $1"; }

# OpenMPI refuses to run as root unless told; several processes share the CI machine's cores.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMP_NUM_THREADS=1
# In the sanitizer build, LeakSanitizer would report what OpenMPI allocates and keeps until the
# process ends (not gat's memory); gat's own leaks are the other tests' to find.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
mpi() { timeout 300 "$mpiexec" --oversubscribe -np "$@"; }
epochs=120  # long enough for early stopping's bookkeeping, short for CI

"$gat" train --dataset "$datasets/cora" --epochs $epochs --threads 1 -q --json "$work/one.json" \
  >/dev/null 2>"$work/err" || fail "single-process run: $(cat "$work/err")"

# compare A.json B.json TOLERANCE: the histories agree to TOLERANCE (0: bit for bit).
compare() {
  python3 - "$1" "$2" "$3" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))["runs"][0]
b = json.load(open(sys.argv[2]))["runs"][0]
tol = float(sys.argv[3])
ha, hb = a["history"], b["history"]
bad = []
if len(ha) != len(hb):
    bad.append(f"{len(ha)} epochs against {len(hb)}")
for x, y in zip(ha, hb):
    for k in ("train_loss", "val_loss", "train_acc", "val_acc"):
        d = abs(x[k] - y[k]) / max(abs(x[k]), abs(y[k]), 1e-30)
        if d > tol:
            bad.append(f"epoch {x['epoch']} {k}: {x[k]!r} against {y[k]!r}")
for k in ("best_epoch", "test_acc"):
    if a[k] != b[k]:
        bad.append(f"{k}: {a[k]} against {b[k]}")
print("; ".join(bad[:3]))
sys.exit(1 if bad else 0)
PY
}

for spec in "1 metis" "2 metis" "3 metis" "2 random"; do
  set -- $spec
  p=$1 method=$2
  dir="$work/cora-$p-$method"
  if ! "$gat" partition --dataset "$datasets/cora" --parts "$p" --method "$method" --out "$dir" \
    >/dev/null 2>"$work/err"; then
    fail "gat partition --parts $p --method $method: $(cat "$work/err")"
    continue
  fi
  if ! mpi "$p" "$gat" train --partitions "$dir" --epochs $epochs -q \
    --json "$work/d-$p-$method.json" >"$work/out" 2>"$work/err"; then
    fail "mpirun -np $p (method $method): $(tail -3 "$work/err")"
    continue
  fi
  if why=$(compare "$work/one.json" "$work/d-$p-$method.json" 1e-5); then
    pass "mpirun -np $p on a $method partition equals gat train to 1e-5"
  else
    fail "mpirun -np $p on a $method partition: $why"
  fi
done

# Twice the same bits.
mpi 2 "$gat" train --partitions "$work/cora-2-metis" --epochs $epochs -q \
  --json "$work/again.json" >/dev/null 2>&1
if why=$(compare "$work/d-2-metis.json" "$work/again.json" 0); then
  pass "mpirun -np 2 twice: the same bits"
else
  fail "mpirun -np 2 twice: $why"
fi

# --save on process 0, and the saved model scores as trained on the whole graph.
if mpi 2 "$gat" train --partitions "$work/cora-2-metis" --epochs 30 -q --save "$work/m.safetensors" \
  >/dev/null 2>"$work/err" && [ -s "$work/m.safetensors" ] &&
  "$gat" eval --model "$work/m.safetensors" --dataset "$datasets/cora" >"$work/eval" 2>&1; then
  pass "--save under mpirun, then gat eval on the whole graph"
else
  fail "--save under mpirun: $(cat "$work/err" "$work/eval" 2>/dev/null | tail -3)"
fi

# More processes than parts: every process refuses, process 0 says so once, naming the count.
mpi 3 "$gat" train --partitions "$work/cora-2-metis" --epochs 2 -q >"$work/out" 2>"$work/err"
rc=$?
if [ $rc -ne 0 ] && [ $rc -ne 124 ] && [ "$(grep -c "^gat: error:" "$work/err")" -eq 1 ] &&
  grep -q "^gat: error: --partitions .* has 2 parts but 3 processes run: use mpirun -np 2" "$work/err"; then
  pass "wrong process count: one-line error, exit $rc"
else
  fail "wrong process count (exit $rc): $(head -3 "$work/err")"
fi

# One process fails alone (its part file is damaged) while the other goes on to the first
# collective: the job still ends, with the failing process's line naming the file.
cp -r "$work/cora-2-metis" "$work/damaged"
printf 'garbage' >"$work/damaged/part-1.safetensors"
mpi 2 "$gat" train --partitions "$work/damaged" --epochs 2 -q >"$work/out" 2>"$work/err"
rc=$?
if [ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q "^gat: error: process 1 of 2:.*part-1.safetensors" "$work/err"; then
  pass "a damaged part file on one process ends the job (exit $rc)"
else
  fail "a damaged part file on one process (exit $rc): $(head -3 "$work/err")"
fi

# A process that stalls without failing: its peer's collective times out (1 s) and ends the
# job well before the stalled process would have answered (5 s) or `timeout` (60 s) kills it.
start=$SECONDS
timeout 60 "$mpiexec" --oversubscribe -np 2 "$timeout_check" >"$work/out" 2>"$work/err"
rc=$?
if [ $rc -ne 0 ] && [ $rc -ne 124 ] && [ $((SECONDS - start)) -lt 30 ] &&
  grep -q "^timeout: MPI_Iallgather: the other processes did not answer within 1 s" "$work/out"; then
  pass "a stalled process: the peer's collective times out (exit $rc)"
else
  fail "a stalled process (exit $rc, $((SECONDS - start)) s): $(head -3 "$work/out" "$work/err")"
fi

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
