#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite: the README's test command, and what CI runs.
#   tools/run-tests.sh              Release build with warnings as errors, then ctest, then
#                                   tests/package built against the installed library
#   GAT_SANITIZE=1 tools/run-tests.sh   also an ASan + UBSan build of the whole suite
# Tests that need real data read $GAT_DATA_DIR (default: ../shared/datasets beside the
# checkout, when it exists).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

"$here/tools/install-deps.sh"

if [ -z "${GAT_DATA_DIR:-}" ] && [ -d "$here/../shared/datasets" ]; then
  GAT_DATA_DIR=$(cd "$here/../shared/datasets" && pwd)
fi
export GAT_DATA_DIR="${GAT_DATA_DIR:-}"
echo "run-tests: GAT_DATA_DIR=${GAT_DATA_DIR:-(unset: tests needing real data will skip)}"

jobs=$(nproc)

run_suite() {  # run_suite BUILD_DIR [cmake args...]
  local dir=$1
  shift
  cmake -S "$here" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DGAT_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
  # One OpenMP thread per test process while ctest runs processes side by side; the
  # determinism tests set their own thread counts (1 and 2), and passive waiting keeps
  # those from spinning against the other test processes.
  OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive ctest --test-dir "$dir" -j "$jobs" --output-on-failure
}

run_suite "$here/build"

# The installed package, as a user's project sees it: install the Release build into a temporary
# prefix, then configure, build and run tests/package (find_package(gat CONFIG REQUIRED)) against
# it. The consumer exits non-zero unless its model classifies well above chance.
echo "run-tests: installed package (tests/package)"
package_tmp=$(mktemp -d)
trap 'rm -rf "$package_tmp"' EXIT
cmake --install "$here/build" --prefix "$package_tmp/prefix" >/dev/null
cmake -S "$here/tests/package" -B "$package_tmp/build" -DCMAKE_PREFIX_PATH="$package_tmp/prefix" \
  >/dev/null
cmake --build "$package_tmp/build" -j "$jobs"
OMP_WAIT_POLICY=passive "$package_tmp/build/gat_consumer"

if [ "${GAT_SANITIZE:-0}" = 1 ]; then
  echo "run-tests: sanitizer build (ASan + UBSan)"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_suite "$here/build-sanitize" -DGAT_SANITIZE=ON -DGAT_NATIVE=OFF
fi
