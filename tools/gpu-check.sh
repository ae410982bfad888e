#!/usr/bin/env bash
# The GPU check, in one command, for a machine with an NVIDIA GPU and the CUDA toolkit
# (nvcc at /usr/local/cuda/bin/nvcc or $CUDACXX) and gat's build dependencies installed:
#   tools/gpu-check.sh
# from the repository root. It builds gat with the CUDA backend (build-gpu/, Release, every
# core), runs the GPU tests (tests/cuda), trains the paper's GAT on Cora on the GPU and on the
# CPU, times `gat bench` on Cora (sparse and dense attention) and on a generated graph of 1M
# nodes (sparse; on the GPU with gat's aggregation kernel and with cuSPARSE's) on both, and
# writes a
# short Markdown report, gpu-report.md, with the raw logs and JSON beside it, into $OUT
# (default build-gpu/); the report is printed at the end.
#
# Every step runs under `timeout`, and all of them within one budget (GAT_GPU_CHECK_BUDGET
# seconds, default 420), so that a hang costs its step, not the report: a step that would
# start with less than a minute left is skipped, and the report says so. Exit status: 0 when
# the build, the GPU tests and GPU training succeed; 1 otherwise (the report says which).
# Environment: OUT (where the report goes), GAT_GPU_CHECK_BUDGET, GAT_GPU_BUILD (the build
# folder, default build-gpu), CUDACXX (nvcc), CMAKE_CUDA_ARCHITECTURES (default 90: H100, H200).
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here" || exit 1

out=${OUT:-$here/build-gpu}
build=${GAT_GPU_BUILD:-$here/build-gpu}
logs="$out/logs"
mkdir -p "$out" "$logs"
report="$out/gpu-report.md"
budget=${GAT_GPU_CHECK_BUDGET:-420}
nvcc=${CUDACXX:-/usr/local/cuda/bin/nvcc}
archs=${CMAKE_CUDA_ARCHITECTURES:-90}
jobs=$(nproc)
gat="$build/apps/gat/gat"
python=$(command -v python3 || true)
failed=()   # what makes the exit status 1
tails=()    # the steps whose log ends the report (failures that make the exit status 1)
steps=()    # table rows of the report

# step NAME TIMEOUT COMMAND...: runs COMMAND with its output in $logs/NAME.log, under the
# smaller of TIMEOUT and what is left of the budget; records its exit status and time.
# Returns the command's status (124 when timed out, 125 when skipped for lack of time).
step() {
  local name=$1 limit=$2
  shift 2
  local left=$((budget - SECONDS))
  if [ "$left" -lt 60 ]; then
    steps+=("| $name | skipped: ${left} s of the budget left | - |")
    echo "gpu-check: $name skipped (budget)" >&2
    return 125
  fi
  [ "$limit" -gt $((left - 30)) ] && limit=$((left - 30))
  echo "gpu-check: $name (at most ${limit} s): $*" >&2
  local start=$SECONDS rc=0
  timeout --kill-after=10 "$limit" "$@" >"$logs/$name.log" 2>&1 || rc=$?
  local took=$((SECONDS - start)) what="exit $rc"
  [ "$rc" -eq 124 ] && what="timed out after ${limit} s"
  steps+=("| $name | $what | $took |")
  return "$rc"
}

# A value of a JSON file ("-" when the file or the key is missing), e.g.
#   json_get train_cuda.json 'd["test_acc_mean"]'
json_get() {
  if [ -z "$python" ] || [ ! -s "$out/$1" ]; then
    echo "-"
    return
  fi
  "$python" - "$out/$1" "$2" <<'PY' 2>/dev/null || echo "-"
import json, sys
d = json.load(open(sys.argv[1]))
v = eval(sys.argv[2], {"d": d})
print(f"{v:.4g}" if isinstance(v, float) else v)
PY
}

# ---- The machine ----
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "commit: $(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo unknown)$(
    git -C "$here" status --porcelain 2>/dev/null | grep -q . && echo ' (with local changes)')"
  echo "host: $(hostname), $jobs cores"
  if command -v nvidia-smi >/dev/null 2>&1; then
    nvidia-smi -L
    nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader
  else
    echo "nvidia-smi: not found"
  fi
  if [ -x "$nvcc" ]; then "$nvcc" --version | tail -2; else echo "nvcc: not found at $nvcc"; fi
} >"$logs/machine.log" 2>&1
cat "$logs/machine.log"

# ---- Build ----
built=0
if [ ! -x "$nvcc" ]; then
  failed+=("no nvcc at $nvcc (set CUDACXX)")
elif step configure 120 cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release \
  -DGAT_WITH_CUDA=ON -DCMAKE_CUDA_COMPILER="$nvcc" -DCMAKE_CUDA_ARCHITECTURES="$archs"; then
  targets=(gat_app)
  # Read whole, then searched: `cmake ... | grep -q` fails under pipefail when grep stops
  # reading at its match before cmake has written the rest.
  help=$(cmake --build "$build" --target help 2>/dev/null)
  if grep -Eq '(^|[ .])cuda_tests(:|$)' <<<"$help"; then
    targets+=(cuda_tests)
  fi
  if step build 360 cmake --build "$build" -j "$jobs" --target "${targets[@]}"; then
    built=1
  else
    failed+=("the build (logs/build.log)")
    tails+=(build)
  fi
else
  failed+=("cmake's configure step (logs/configure.log)")
  tails+=(configure)
fi

cuda_line="-"
tests_summary="not run"
if [ "$built" = 1 ]; then
  step info 30 "$gat" info --dataset cora
  cuda_line=$(grep '^cuda ' "$logs/info.log" || echo "-")

  # ---- GPU tests ----
  if [ -x "$build/tests/cuda_tests" ]; then
    if ! step cuda_tests 180 "$build/tests/cuda_tests" --gtest_output="xml:$out/cuda_tests.xml"; then
      failed+=("the GPU tests (logs/cuda_tests.log)")
      tails+=(cuda_tests)
    fi
    # GoogleTest's closing lines: "[  PASSED  ] 2 tests.", "[  SKIPPED ] 4 tests, listed
    # below:", "[  FAILED  ] 1 test, listed below:" (skipped and failed ones named after).
    tests_summary=$(sed -n -E 's/^\[ *(PASSED|FAILED|SKIPPED) *\] ([0-9]+) tests?[.,].*/\2 \1/p' \
      "$logs/cuda_tests.log" | tr '[:upper:]' '[:lower:]' | paste -sd ',' - | sed 's/,/, /g')
    [ -n "$tests_summary" ] || tests_summary="no summary (see logs/cuda_tests.log)"
    # Why the first skipped test skipped: the line after GoogleTest's "file:line: Skipped".
    skipped=$(grep -m 1 -A 1 ': Skipped$' "$logs/cuda_tests.log" | tail -n +2)
    [ -n "$skipped" ] && tests_summary+=" (first skip: $skipped)"
  else
    tests_summary="no tests/cuda in this tree"
  fi

  # ---- Training on Cora: GPU, then CPU, same seed and flags ----
  if ! step train_cuda 120 "$gat" train --dataset cora --device cuda --quiet \
    --json "$out/train_cuda.json"; then
    failed+=("gat train --device cuda (logs/train_cuda.log)")
    tails+=(train_cuda)
  fi
  step train_cpu 120 "$gat" train --dataset cora --device cpu --quiet --json "$out/train_cpu.json"

  # ---- gat bench: Cora and 1M nodes, GPU and CPU (sparse attention) ----
  step bench_cuda_cora 90 "$gat" bench --device cuda --dataset cora --mode sparse --reps 30 \
    --warmup 5 --json "$out/bench_cuda_cora.json"
  step bench_cpu_cora 90 "$gat" bench --dataset cora --mode sparse --reps 30 --warmup 5 \
    --json "$out/bench_cpu_cora.json"
  step bench_cuda_1m 150 "$gat" bench --device cuda --nodes 1000000 --degree 10 --mode sparse \
    --reps 5 --warmup 2 --json "$out/bench_cuda_1m.json"
  # The aggregation by cuSPARSE (one SpMM per head) instead of gat's kernel, same workloads.
  step bench_cuda_cora_cusparse 60 "$gat" bench --device cuda --dataset cora --mode sparse \
    --aggregation cusparse --reps 30 --warmup 5 --json "$out/bench_cuda_cora_cusparse.json"
  step bench_cuda_1m_cusparse 120 "$gat" bench --device cuda --nodes 1000000 --degree 10 \
    --mode sparse --aggregation cusparse --reps 5 --warmup 2 \
    --json "$out/bench_cuda_1m_cusparse.json"
  step bench_cpu_1m 150 "$gat" bench --nodes 1000000 --degree 10 --mode sparse --reps 3 \
    --warmup 1 --json "$out/bench_cpu_1m.json"
  # Dense attention on Cora, GPU and CPU: the (N, N) baseline sparse attention is measured
  # against (a failure here is reported, not fatal: the sparse path is what training uses).
  step bench_cuda_dense 60 "$gat" bench --device cuda --dataset cora --mode dense --reps 10 \
    --warmup 2 --json "$out/bench_cuda_dense.json"
  step bench_cpu_dense 90 "$gat" bench --dataset cora --mode dense --reps 3 --warmup 1 \
    --json "$out/bench_cpu_dense.json"
fi

# ---- Report ----
bench_row() {  # bench_row LABEL FILE: the first result's step and inference medians
  local f=$1
  local status step_ms infer peak
  status=$(json_get "$f" 'd["results"][0]["status"]')
  if [ "$status" != ok ]; then
    local why
    why=$(json_get "$f" 'd["results"][0]["error"]')
    [ "$why" = "-" ] && why=$(tail -1 "$logs/${f%.json}.log" 2>/dev/null)
    echo "| $2 | - | - | - | ${why:-not run} |"
    return
  fi
  step_ms=$(json_get "$f" 'd["results"][0]["step_ms"]["median"]')
  infer=$(json_get "$f" 'd["results"][0]["inference_ms"]["median"]')
  peak=$(json_get "$f" 'd["results"][0]["peak_mib"]')
  echo "| $2 | $step_ms | $infer | $peak | edges $(json_get "$f" 'd["results"][0]["edges"]'), threads $(json_get "$f" 'd["results"][0]["threads"]') |"
}
{
  echo "# gat GPU check"
  echo
  echo '```'
  cat "$logs/machine.log"
  echo "$cuda_line"
  echo '```'
  echo
  if [ ${#failed[@]} -eq 0 ]; then
    echo "**Result: OK** (build, GPU tests, GPU training)"
  else
    echo "**Result: FAILED**: $(printf '%s\n' "${failed[@]}" | paste -sd ';' - | sed 's/;/; /g')"
  fi
  echo
  echo "GPU tests (tests/cuda): $tests_summary"
  echo
  echo "## Training on Cora (gat train, defaults, seed 0)"
  echo
  echo "| device | test accuracy | best epoch | epochs | median epoch ms | median inference ms | peak host MiB |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
  for d in cuda cpu; do
    echo "| $d | $(json_get "train_$d.json" 'd["test_acc_mean"]') | $(json_get "train_$d.json" 'd["runs"][0]["best_epoch"]') | $(json_get "train_$d.json" 'd["runs"][0]["epochs"]') | $(json_get "train_$d.json" 'd["median_epoch_ms"]') | $(json_get "train_$d.json" 'd["median_inference_ms"]') | $(json_get "train_$d.json" 'd["peak_rss_mib"]') |"
  done
  echo
  echo "## gat bench (sparse, then dense; the GPU's step is forward + backward + Adam, timed whole)"
  echo
  echo "| workload | step ms (median) | inference ms (median) | peak host MiB | notes |"
  echo "| --- | --- | --- | --- | --- |"
  bench_row bench_cuda_cora.json "Cora, cuda"
  bench_row bench_cuda_cora_cusparse.json "Cora, cuda, --aggregation cusparse (ran: $(json_get bench_cuda_cora_cusparse.json 'd["results"][0]["aggregation"]'))"
  bench_row bench_cpu_cora.json "Cora, cpu"
  bench_row bench_cuda_1m.json "ER 1M nodes degree 10, cuda"
  bench_row bench_cuda_1m_cusparse.json "ER 1M nodes degree 10, cuda, --aggregation cusparse (ran: $(json_get bench_cuda_1m_cusparse.json 'd["results"][0]["aggregation"]'))"
  bench_row bench_cpu_1m.json "ER 1M nodes degree 10, cpu"
  bench_row bench_cuda_dense.json "Cora dense, cuda"
  bench_row bench_cpu_dense.json "Cora dense, cpu"
  echo
  echo "## Steps"
  echo
  echo "| step | result | seconds |"
  echo "| --- | --- | --- |"
  printf '%s\n' "${steps[@]}"
  echo
  for name in "${tails[@]}"; do
    echo
    echo "### The end of logs/$name.log"
    echo
    echo '```'
    tail -n 25 "$logs/$name.log" 2>/dev/null
    echo '```'
  done
  echo
  echo "Logs: logs/<step>.log beside this file; JSON of each run beside it too. Budget ${budget} s, used $SECONDS s."
} >"$report"
cat "$report"
[ ${#failed[@]} -eq 0 ]
