#!/usr/bin/env bash
# Re-measures the README's "Speed and memory" table and the scaling figure in one run, gat and
# PyTorch Geometric side by side (ratios are only meaningful within one run on one machine).
# Run from the repository root with ../shared beside it, after ../shared/peers/setup.sh:
#   tools/figures/scaling/measure.sh [BUILD_DIR]        (default: build)
# Writes its JSON and CSV files next to this script; takes 8 to 16 minutes on 2 cores and
# needs about 20 GiB free for the 10M-node step. Then
# redraw the figure with tools/plot_scaling.py (the README gives the command).
set -euo pipefail
gat=${1:-build}/apps/gat/gat
out=tools/figures/scaling
[[ -x $gat ]] || { echo "measure.sh: no gat binary at $gat (build first)" >&2; exit 1; }

for t in 1 2; do
  for d in cora citeseer pubmed; do
    "$gat" bench --dataset "$d" --mode sparse --reps 30 --warmup 5 --threads "$t" \
      --json "$out/gat_${d}_t$t.json"
  done
  # PubMed again with its nodes in reverse Cuthill-McKee order (--node-order rcm).
  "$gat" bench --dataset pubmed --node-order rcm --mode sparse --reps 30 --warmup 5 \
    --threads "$t" --json "$out/gat_pubmed_rcm_t$t.json"
  "$gat" bench --nodes 1000,10000,100000,1000000 --degree 10 --mode sparse --reps 3 --warmup 1 \
    --threads "$t" --csv "$out/gat_scaling_t$t.csv"
done
"$gat" bench --nodes 1000000 --degree 10 --node-order rcm --mode sparse --reps 3 --warmup 1 \
  --threads 2 --csv "$out/gat_scaling_1m_rcm_t2.csv"
"$gat" bench --nodes 2000000 --degree 10 --mode sparse --reps 2 --warmup 1 --threads 2 \
  --csv "$out/gat_scaling_2m_t2.csv"
"$gat" bench --nodes 10000000 --degree 10 --mode sparse --reps 1 --warmup 1 --threads 2 \
  --csv "$out/gat_scaling_10m_t2.csv"

# shellcheck disable=SC1091
. ../shared/peers/env.sh
for t in 1 2; do
  for d in Cora CiteSeer; do
    "$PY" ../shared/peers/pyg_gat.py --dataset "$d" --mode fixed --epochs 60 --seeds 1 \
      --threads "$t" --out "$out/pyg_${d}_t$t.json"
  done
done
for n in 1000 10000 100000 1000000; do
  "$PY" ../shared/peers/pyg_scaling.py --n "$n" --deg 10 --threads 2 --reps 3 \
    --out "$out/pyg_scaling_$n.json"
done
