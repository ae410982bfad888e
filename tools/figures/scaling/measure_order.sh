#!/usr/bin/env bash
# What --node-order rcm buys: gat bench on four graphs with their nodes as given (file) and in
# reverse Cuthill-McKee order (rcm), alternating file and rcm for ROUNDS rounds on 2 threads,
# so that the machine's drift hits both alike. Run from the repository root with ../shared
# beside it:
#   tools/figures/scaling/measure_order.sh [BUILD_DIR] [ROUNDS]     (defaults: build, 3)
# Writes tools/figures/scaling/order.csv (one row per run: graph, order, round, the step's
# median and minimum, inference median in ms, peak MiB); about 9 minutes for 3 rounds on the
# 2-core VMs.
set -euo pipefail
gat=${1:-build}/apps/gat/gat
rounds=${2:-3}
out=tools/figures/scaling/order.csv
[[ -x $gat ]] || { echo "measure_order.sh: no gat binary at $gat (build first)" >&2; exit 1; }
notredame=../shared/datasets/web-NotreDame/web-NotreDame.txt.gz
[[ -f $notredame ]] || { echo "measure_order.sh: $notredame not found" >&2; exit 1; }

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
echo "graph,order,round,step_ms,step_min_ms,inference_ms,peak_mib" >"$tmp"
# label, then gat bench's arguments
run() {
  local label=$1
  shift
  for r in $(seq "$rounds"); do
    for o in file rcm; do
      "$gat" bench "$@" --node-order "$o" --mode sparse --threads 2 --json - 2>/dev/null |
        /usr/bin/python3 -c 'import json, sys
d = json.load(sys.stdin)["results"][0]
assert d["status"] == "ok", d
print("%s,%s,%s,%.2f,%.2f,%.2f,%.1f" % (sys.argv[1], sys.argv[2], sys.argv[3],
      d["step_ms"]["median"], d["step_ms"]["min"], d["inference_ms"]["median"], d["peak_mib"]))' \
          "$label" "$o" "$r" >>"$tmp"
    done
  done
}
run pubmed --dataset pubmed --reps 20 --warmup 3
run web-NotreDame --edges "$notredame" --undirected --reps 5 --warmup 1
run rmat-1M --nodes 1000000 --degree 10 --graph rmat --reps 3 --warmup 1
run er-1M --nodes 1000000 --degree 10 --reps 3 --warmup 1
mv "$tmp" "$out"
trap - EXIT
cat "$out"
