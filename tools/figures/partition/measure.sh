#!/usr/bin/env bash
# Measures what a partition costs distributed training (issue 17): the edge cut (in-edges whose
# source lies in another part; self loops are never cut) and the total halo (the rows all parts
# receive per layer), METIS k-way against a random partition at P = 2, 4, 8, 16, on Cora,
# PubMed (bundled), web-NotreDame (../shared/datasets, directed as SNAP writes it) and a
# 1M-node R-MAT power-law graph (2^20 nodes, average degree 10, as `gat bench --graph rmat`
# generates it). Prints a Markdown table on stdout; progress on stderr. Run from the repository
# root:
#   tools/figures/partition/measure.sh [BUILD_DIR]        (default: build)
# Seed 0 throughout. METIS's time is the partitioner alone (no loading), from `gat partition`.
set -euo pipefail
gat=${1:-build}/apps/gat/gat
[[ -x $gat ]] || { echo "measure.sh: no gat binary at $gat (build first)" >&2; exit 1; }
notredame=../shared/datasets/web-NotreDame/web-NotreDame.txt.gz
[[ -f $notredame ]] || { echo "measure.sh: $notredame is missing" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# name|flags of `gat partition` that select the graph
graphs=(
  "Cora|--dataset cora"
  "PubMed|--dataset pubmed"
  "web-NotreDame|--edges $notredame"
  "R-MAT 2^20|--nodes 1000000 --degree 10 --graph rmat"
)

echo "| graph | N | E (slots) | P | METIS cut | random cut | METIS halo | random halo | METIS time |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for g in "${graphs[@]}"; do
  name=${g%%|*}
  read -r -a flags <<<"${g#*|}"
  for p in 2 4 8 16; do
    for m in metis random; do
      echo "measure.sh: $name P=$p $m" >&2
      "$gat" partition "${flags[@]}" --parts "$p" --method "$m" --seed 0 \
        --json "$work/$m.json" >/dev/null
    done
    /usr/bin/python3 - "$name" "$work/metis.json" "$work/random.json" <<'PY'
import json, sys
name, m, r = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
cut = lambda j: f"{j['edge_cut']:,} ({100 * j['cut_fraction']:.1f} %)"
halo = lambda j: f"{j['total_halo']:,} ({100 * j['total_halo'] / j['nodes']:.1f} % of N)"
print(f"| {name} | {m['nodes']:,} | {m['edges']:,} | {m['parts']} | {cut(m)} | {cut(r)} | "
      f"{halo(m)} | {halo(r)} | {m['seconds']:.2f} s |")
PY
  done
done
