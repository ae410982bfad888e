#!/usr/bin/env bash
# Distributed training on one machine: epoch times of `gat train` (one process, 1 and 2
# threads) and of `mpirun -np P gat train --partitions` (P = 1, 2 processes of one thread) on
# METIS partitions, with the halo exchanged per epoch. Prints a Markdown table.
#   usage: tools/figures/dist/measure.sh [BUILD_DIR] [EPOCHS] [ROUNDS]   (default: build 200 3),
#          from the repository root
# Each configuration runs EPOCHS epochs (no early stopping) once per round, the rounds
# interleaved so that a noisy minute hits every configuration alike; the table gives the median
# over the rounds of each run's median epoch.
# The halo volume per epoch counts what the trainer sends: per layer and exchange, each halo row
# carries its projected features and source scores (H·F + H floats); a training epoch exchanges
# twice per layer (forward, and the gradients back), the evaluation pass once.
set -euo pipefail
gat=${1:-build}/apps/gat/gat
[[ -x $gat ]] || { echo "measure.sh: no gat binary at $gat (build first)" >&2; exit 1; }
epochs=${2:-200}
rounds=${3:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fixed=(--epochs "$epochs" --patience 100000 -q)

epoch_ms() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["median_epoch_ms"])' "$1"; }

for name in cora pubmed; do
  for p in 1 2; do
    "$gat" partition --dataset "datasets/$name" --parts "$p" --out "$work/$name-$p" >/dev/null
  done
done
for r in $(seq "$rounds"); do
  for name in cora pubmed; do
    for t in 1 2; do
      OMP_NUM_THREADS=$t "$gat" train --dataset "datasets/$name" --threads "$t" "${fixed[@]}" \
        --json "$work/j.json" >/dev/null
      echo "$name one-$t $(epoch_ms "$work/j.json")" >>"$work/times"
    done
    for p in 1 2; do
      OMP_NUM_THREADS=1 mpirun --oversubscribe -np "$p" "$gat" train --partitions "$work/$name-$p" \
        --threads 1 "${fixed[@]}" --json "$work/j.json" >/dev/null
      echo "$name mpi-$p $(epoch_ms "$work/j.json")" >>"$work/times"
      cp "$work/j.json" "$work/$name-$p.json"
    done
  done
  echo "measure.sh: round $r of $rounds done" >&2
done

python3 - "$work" <<'PY'
import json, statistics, sys
work = sys.argv[1]
times = {}
for line in open(f"{work}/times"):
    name, run, ms = line.split()
    times.setdefault((name, run), []).append(float(ms))
print("| dataset | run | processes × threads | training epoch (median of rounds) | halo rows per exchange | halo MB per epoch |")
print("| --- | --- | --- | --- | --- | --- |")
for name in ("cora", "pubmed"):
    for t in (1, 2):
        ms = statistics.median(times[(name, f"one-{t}")])
        print(f"| {name} | gat train | 1 × {t} | {ms:.2f} ms | – | – |")
    for p in (1, 2):
        m = json.load(open(f"{work}/{name}-{p}/manifest.json"))
        o = json.load(open(f"{work}/{name}-{p}.json"))["options"]
        halo = sum(q["halo"] for q in m["part_files"])
        widths = [o["heads"] * o["hidden"] + o["heads"]] * (o["layers"] - 1)
        widths.append(o["out_heads"] * m["classes"] + o["out_heads"])
        mb = sum(3 * halo * w for w in widths) * 4 / 1e6
        ms = statistics.median(times[(name, f"mpi-{p}")])
        print(f"| {name} | mpirun --partitions (METIS) | {p} × 1 | {ms:.2f} ms | {halo} | {mb:.2f} |")
PY
