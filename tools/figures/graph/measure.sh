#!/usr/bin/env bash
# Graph classification under Errica et al.'s protocol (ICLR 2020): each row of the README's
# table is one `gat train --task graph --protocol errica` run; its --json goes to
# tools/figures/graph/<dataset>-<row>.json and the Markdown rows are printed at the end.
#   usage: tools/figures/graph/measure.sh [BUILD_DIR] [ROWS_FILE]   (default: build rows.txt),
#          from the repository root, with GAT_DATA_DIR pointing at ../shared/datasets
# ROWS_FILE (default: tools/figures/graph/rows.txt) has one row per line:
#   DATASET ROW-NAME FLAGS...
# A row whose JSON exists is not run again (delete the JSON to re-measure it).
set -euo pipefail
gat=${1:-build}/apps/gat/gat
rows=${2:-tools/figures/graph/rows.txt}
[[ -x $gat ]] || { echo "measure.sh: no gat binary at $gat (build first)" >&2; exit 1; }
[[ -n ${GAT_DATA_DIR:-} ]] || { echo "measure.sh: set GAT_DATA_DIR (../shared/datasets)" >&2; exit 1; }
out=tools/figures/graph
while read -r dataset row flags; do
  [[ -z $dataset || $dataset == \#* ]] && continue
  json=$out/$dataset-$row.json
  [[ -f $json ]] && continue
  # shellcheck disable=SC2086  # FLAGS are words
  "$gat" train --task graph --dataset "$dataset" --protocol errica $flags -q --json "$json" \
    >"$out/$dataset-$row.log"
done <"$rows"
python3 - "$rows" "$out" <<'PY'
import json, os, sys
rows, out = sys.argv[1], sys.argv[2]
print("| dataset | row | flags | test accuracy | runs per fold | time |")
print("| --- | --- | --- | --- | --- | --- |")
for line in open(rows):
    parts = line.split()
    if not parts or parts[0].startswith("#"):
        continue
    dataset, row, flags = parts[0], parts[1], " ".join(parts[2:])
    path = os.path.join(out, f"{dataset}-{row}.json")
    if not os.path.exists(path):
        continue
    r = json.load(open(path))
    print(f"| {dataset} | {row} | `{flags}` | {100 * r['test_acc_mean']:.2f} ± "
          f"{100 * r['test_acc_std']:.2f} % | {r['final_runs']} | {r['seconds'] / 60:.1f} min |")
PY
