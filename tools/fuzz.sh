#!/usr/bin/env bash
# Runs one libFuzzer target of tests/fuzz for a fixed time.
#   tools/fuzz.sh TARGET SECONDS [JOBS] [BUILD_DIR]
#   tools/fuzz.sh fuzz_linqs 600          # ten minutes, one process
#   tools/fuzz.sh fuzz_split 600 2        # two processes side by side, ten minutes each
# Builds BUILD_DIR (default build-fuzz/) with clang-14 and -DGAT_BUILD_FUZZERS=ON (ASan + UBSan +
# coverage), copies the seed corpus tests/fuzz/corpus/TARGET into BUILD_DIR/corpus/TARGET (the
# working corpus, kept between runs) and fuzzes with -timeout=10 -rss_limit_mb=2048. Crash, leak,
# timeout and out-of-memory inputs go to BUILD_DIR/crashes/TARGET/. Prints the number of inputs
# executed; exits non-zero when a run left a new artifact there (or libFuzzer failed).
# Not part of tools/run-tests.sh: the normal suite only replays the corpus (fuzz.TARGET.replay).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

usage() { echo "usage: tools/fuzz.sh TARGET SECONDS [JOBS] [BUILD_DIR]" >&2; exit 2; }
[ $# -ge 2 ] && [ $# -le 4 ] || usage
target=$1
seconds=$2
jobs=${3:-1}
build=${4:-$here/build-fuzz}
[[ $seconds =~ ^[1-9][0-9]*$ && $jobs =~ ^[1-9][0-9]*$ ]] || usage
if [ ! -f "$here/tests/fuzz/$target.cpp" ]; then
  targets=$(cd "$here/tests/fuzz" && ls fuzz_*.cpp | sed 's/\.cpp$//' | tr '\n' ' ')
  echo "fuzz: no target $target; there are: $targets" >&2
  exit 2
fi
mkdir -p "$build"
build=$(cd "$build" && pwd)

"$here/tools/install-deps.sh" --fuzz

launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
# -O1 -g without NDEBUG: the kernels' asserts stay on (a failed one is a finding), stacks are
# readable, and the ASan-instrumented library builds in far less time than at -O2.
CC=clang-14 CXX=clang++-14 cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" -DGAT_BUILD_FUZZERS=ON -DGAT_BUILD_APPS=OFF \
  -DGAT_NATIVE=OFF "${launcher[@]}" >/dev/null
cmake --build "$build" -j "$(nproc)" --target "$target"

corpus=$build/corpus/$target
crashes=$build/crashes/$target
logs=$build/logs/$target
mkdir -p "$corpus" "$crashes" "$logs"
cp -n "$here/tests/fuzz/corpus/$target"/* "$corpus"/ 2>/dev/null || true
rm -f "$logs"/*.log

# Scratch folders of earlier runs that crashed (fuzz_support.hpp names them by process id).
for d in /dev/shm/gat-fuzz-* "${TMPDIR:-/tmp}"/gat-fuzz-*; do
  [ -d "$d" ] || continue
  kill -0 "${d##*-}" 2>/dev/null || rm -rf "$d"
done

args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
      -artifact_prefix="$crashes/")
if [ -f "$here/tests/fuzz/$target.dict" ]; then args+=(-dict="$here/tests/fuzz/$target.dict"); fi
before=$(ls "$crashes" | wc -l)
echo "fuzz: $target for ${seconds}s in $jobs process(es);" \
  "corpus $corpus ($(ls "$corpus" | wc -l) inputs)"
status=0
# One OpenMP thread: the inputs are tiny, and jobs run side by side on the same cores.
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive
if [ "$jobs" -eq 1 ]; then
  "$build/tests/fuzz/$target" "${args[@]}" "$corpus" >"$logs/fuzz-0.log" 2>&1 || status=$?
else
  # Each job fuzzes for the whole time and writes its log to fuzz-N.log in the working folder.
  (cd "$logs" && "$build/tests/fuzz/$target" "${args[@]}" -jobs="$jobs" -workers="$jobs" \
    "$corpus" >"$logs/main.log" 2>&1) || status=$?
fi

executions=$(cat "$logs"/fuzz-*.log 2>/dev/null |
  sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' |
  awk '{s += $1} END {print s + 0}')
after=$(ls "$crashes" | wc -l)
echo "fuzz: $target: $executions executions (limit ${seconds}s per process);" \
  "corpus now $(ls "$corpus" | wc -l) inputs"
echo "fuzz: logs in $logs"
if [ "$after" -gt "$before" ] || [ "$status" -ne 0 ]; then
  echo "fuzz: $target FAILED (libFuzzer exit $status); new artifacts in $crashes:" >&2
  ls -t "$crashes" | head -n $((after - before > 0 ? after - before : 10)) | sed 's/^/  /' >&2
  grep -h -m1 -E "^==[0-9]+==ERROR|^SUMMARY|runtime error|fuzz finding|uncaught|deadly signal" \
    "$logs"/*.log >&2 || true
  echo "fuzz: reproduce with $build/tests/fuzz/$target ARTIFACT; minimise with" \
       "$build/tests/fuzz/$target -minimize_crash=1 -runs=100000 ARTIFACT;" \
       "keep it in tests/fuzz/regressions/$target/" >&2
  exit 1
fi
echo "fuzz: $target: no crash, leak or timeout"
