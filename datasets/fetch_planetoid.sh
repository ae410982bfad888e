#!/usr/bin/env bash
# Downloads the Planetoid citation sets (Cora, CiteSeer, PubMed) and converts them into
# the LINQS-style text files the gat library reads: <out>/<name>/<name>.{content,cites,split}.
#
# The raw files are the original Planetoid pickles (ind.<name>.x, y, tx, ty, allx, ally,
# graph, test.index) from github.com/kimiyoung/planetoid, data/ folder -- the same files
# PyTorch Geometric's Planetoid loader downloads. tools/planetoid_to_linqs.py turns them
# into the standard public split (see its --help and datasets/README.md).
#
# Run with --help for options. Needs curl or wget (unless --from is given) and a python3
# with numpy and scipy (Debian: apt-get install python3-numpy python3-scipy).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
project=$(cd "$here/.." && pwd)
converter="$project/tools/planetoid_to_linqs.py"
prog=fetch_planetoid.sh

all_sets=(cora citeseer pubmed)
suffixes=(x y tx ty allx ally graph test.index)
default_url=https://github.com/kimiyoung/planetoid/raw/master/data

usage() {
  cat <<EOF
Usage: datasets/$prog [options] [NAME...]

Downloads the original Planetoid files of NAME (cora, citeseer, pubmed; default: all three)
and writes OUT/NAME/NAME.content, .cites and .split with the standard public split.

Options:
  --out DIR     folder of datasets to write into (default: \$GAT_DATA_DIR if set,
                else $here)
  --cache DIR   where downloaded raw files are kept and reused
                (default: \${XDG_CACHE_HOME:-~/.cache}/gat/planetoid)
  --from DIR    copy the raw ind.NAME.* files from DIR instead of downloading them
                (DIR may also be a PyTorch Geometric root holding Cora/raw, CiteSeer/raw, ...);
                without NAME, converts every set found there
  --url BASE    download from BASE/ind.NAME.SUFFIX (a mirror; default:
                $default_url)
  --force       replace datasets that already exist in OUT
  -h, --help    show this help

Environment: PYTHON picks the python3 to run the converter (it needs numpy and scipy).

Examples:
  datasets/$prog                      # all three into datasets/
  datasets/$prog --out /data cora     # /data/cora/cora.content, ...
  datasets/$prog --from ~/pyg/data/Planetoid --out /tmp/sets
EOF
}

die() {
  echo "$prog: error: $*" >&2
  exit 1
}

# ---- arguments -------------------------------------------------------------------------
out="${GAT_DATA_DIR:-$here}"
cache="${XDG_CACHE_HOME:-${HOME:-.}/.cache}/gat/planetoid"
from=""
base_url="$default_url"
force=0
names=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --out | --cache | --from | --url)
      if [ $# -lt 2 ] || [ -z "$2" ]; then die "$1 needs a value (see --help)"; fi
      case "$1" in
        --out) out="$2" ;;
        --cache) cache="$2" ;;
        --from) from="$2" ;;
        --url) base_url="${2%/}" ;;
      esac
      shift 2 ;;
    --force) force=1; shift ;;
    -*) die "unknown option '$1' (see --help)" ;;
    *) names+=("$1"); shift ;;
  esac
done

# PyG keeps each set under a capitalised folder (Planetoid/Cora/raw); accept that layout
# for --from so a PyG download can be reused directly.
pyg_folder() {
  case "$1" in
    cora) echo Cora ;;
    citeseer) echo CiteSeer ;;
    pubmed) echo PubMed ;;
  esac
}

# raw_source NAME: prints the folder under --from that holds ind.NAME.x, if any.
raw_source() {
  local name=$1 dir
  for dir in "$from" "$from/$(pyg_folder "$name")/raw" "$from/$name/raw"; do
    if [ -f "$dir/ind.$name.x" ]; then
      echo "$dir"
      return 0
    fi
  done
  return 1
}

if [ -n "$from" ]; then
  [ -d "$from" ] || die "--from $from: no such folder"
fi
if [ ${#names[@]} -eq 0 ]; then
  if [ -n "$from" ]; then
    # Without names, --from converts whatever it holds, so that a folder with only Cora works.
    for name in "${all_sets[@]}"; do
      if raw_source "$name" >/dev/null; then names+=("$name"); fi
    done
    [ ${#names[@]} -gt 0 ] || die "--from $from: no ind.<name>.x file for ${all_sets[*]}"
  else
    names=("${all_sets[@]}")
  fi
fi
for name in "${names[@]}"; do
  case " ${all_sets[*]} " in
    *" $name "*) ;;
    *) die "unknown set '$name'; expected one of: ${all_sets[*]}" ;;
  esac
done

# ---- checks before any work --------------------------------------------------------------
# Refuse to overwrite first, so that nothing is downloaded for a run that would fail anyway.
if [ "$force" -eq 0 ]; then
  for name in "${names[@]}"; do
    for ext in content cites split; do
      if [ -e "$out/$name/$name.$ext" ]; then
        die "$out/$name/$name.$ext already exists; pass --force to replace it (or --out DIR)"
      fi
    done
  done
fi

[ -f "$converter" ] || die "converter not found: $converter"

# The converter needs numpy and scipy. A python3 first on PATH (pyenv, conda, venv) may
# lack them while the system one (/usr/bin/python3, Debian packages) has them, so try both.
python=""
for candidate in "${PYTHON:-}" python3 /usr/bin/python3; do
  [ -n "$candidate" ] || continue
  command -v "$candidate" >/dev/null 2>&1 || continue
  if "$candidate" -c 'import numpy, scipy.sparse' >/dev/null 2>&1; then
    python=$candidate
    break
  fi
done
[ -n "$python" ] || die "no python3 with numpy and scipy found (tried \$PYTHON, python3,
  /usr/bin/python3). Install them, e.g. on Debian/Ubuntu:
    apt-get install python3-numpy python3-scipy
  or set PYTHON to an interpreter that has both."

downloader=""
if [ -z "$from" ]; then
  if command -v curl >/dev/null 2>&1; then
    downloader=curl
  elif command -v wget >/dev/null 2>&1; then
    downloader=wget
  else
    die "neither curl nor wget is installed; install one, or pass --from DIR with the raw files"
  fi
fi

# fetch URL DEST: downloads to a temporary name first, so an interrupted download never
# looks like a complete cached file on the next run.
fetch() {
  local url=$1 dest=$2 tmp="$2.part"
  rm -f "$tmp"
  local ok=0
  if [ "$downloader" = curl ]; then
    curl --fail --silent --show-error --location --retry 3 --connect-timeout 30 \
      --output "$tmp" "$url" || ok=$?
  else
    wget --quiet --tries=3 --timeout=30 --output-document="$tmp" "$url" || ok=$?
  fi
  if [ "$ok" -ne 0 ] || [ ! -s "$tmp" ]; then
    rm -f "$tmp"
    die "download failed: $url ($downloader exit status $ok).
  Check your internet connection or proxy; or download the files by hand into
  $(dirname "$dest") (or any folder) and rerun with --from that folder."
  fi
  mv -f "$tmp" "$dest"
}

# ---- per set: raw files into the cache, then convert ------------------------------------
mkdir -p "$out" || die "cannot create output folder $out"
for name in "${names[@]}"; do
  raw="$cache/$name"
  mkdir -p "$raw" || die "cannot create cache folder $raw"
  if [ -n "$from" ]; then
    src=$(raw_source "$name") || die "--from $from: no ind.$name.x (looked in $from, \
$from/$(pyg_folder "$name")/raw and $from/$name/raw)"
    echo "$prog: $name: copying raw files from $src"
    for s in "${suffixes[@]}"; do
      [ -f "$src/ind.$name.$s" ] || die "--from: missing $src/ind.$name.$s"
      # Copy under a temporary name, like a download; u+w because sources are often
      # read-only and a read-only cache file would get in the way of a later refresh.
      cp -f "$src/ind.$name.$s" "$raw/ind.$name.$s.part"
      chmod u+w "$raw/ind.$name.$s.part"
      mv -f "$raw/ind.$name.$s.part" "$raw/ind.$name.$s"
    done
  else
    for s in "${suffixes[@]}"; do
      if [ -s "$raw/ind.$name.$s" ]; then continue; fi  # already cached
      echo "$prog: $name: downloading ind.$name.$s"
      fetch "$base_url/ind.$name.$s" "$raw/ind.$name.$s"
    done
  fi

  echo "$prog: $name: converting into $out/$name"
  convert_args=("$raw" "$out/$name" --name "$name")
  if [ "$force" -eq 1 ]; then convert_args+=(--force); fi
  if ! "$python" "$converter" "${convert_args[@]}"; then
    die "conversion of $name failed (see above). If the raw files are damaged, delete
  $raw and run again to download them afresh."
  fi
done
echo "$prog: done. Use them with: gat train --data-dir $out --dataset ${names[0]}"
