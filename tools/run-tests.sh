#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite: the README's test command, and what CI runs.
#   tools/run-tests.sh              the layer check of the includes, a Release build with
#                                   warnings as errors, ctest, clang-tidy (.clang-tidy), then
#                                   tests/package built against the installed library
#   GAT_SANITIZE=1 tools/run-tests.sh   also an ASan + UBSan build of the whole suite
#   GAT_AVX512=1 tools/run-tests.sh     also compile everything for AVX-512 (-march=x86-64-v4,
#                                       warnings as errors; nothing is run, so any CPU will do)
#   GAT_CUDA=1 tools/run-tests.sh       also a build with the CUDA backend (-DGAT_WITH_CUDA=ON,
#                                       nvcc at /usr/local/cuda/bin/nvcc or $CUDACXX): its core
#                                       and GPU tests (which skip without a GPU, saying why) and
#                                       the one-line error of `gat train --device cuda`
# Cora, CiteSeer and PubMed are bundled in datasets/. Tests that need the larger sets read
# $GAT_DATA_DIR (default: ../shared/datasets beside the checkout, when it exists).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

"$here/tools/install-deps.sh"

if [ -z "${GAT_DATA_DIR:-}" ] && [ -d "$here/../shared/datasets" ]; then
  GAT_DATA_DIR=$(cd "$here/../shared/datasets" && pwd)
fi
export GAT_DATA_DIR="${GAT_DATA_DIR:-}"
echo "run-tests: GAT_DATA_DIR=${GAT_DATA_DIR:-(unset: tests needing the TU sets will skip)}"

jobs=$(nproc)

# The library's layers (core -> graph -> data -> ops -> layers -> optim -> train, io beside):
# one line per include that goes against the flow, and a non-zero exit.
echo "run-tests: layer flow of the includes (tools/check-includes.py)"
python3 "$here/tools/check-includes.py"

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

# Compile commands exported for the clang-tidy stage below.
run_suite "$here/build" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON

# Static analysis: clang-tidy with the checks of .clang-tidy over the sources of lib/src and
# apps/gat, compiled as the Release build above compiles them (its compile_commands.json); the
# project's headers are checked through the sources that include them. Every finding is an
# error (WarningsAsErrors). The output, with clang's count of the warnings it ignored in Eigen
# and the other dependencies for each file, goes to build/clang-tidy.log, printed on failure.
# The compile commands are GCC's, and clang does not know every GCC flag (-Wno-restrict, which
# CMakeLists.txt sets for GCC 12): -Wno-unknown-warning-option keeps that from being a finding.
tidy_sources() {  # NUL-separated, from the compile commands: every source clang-tidy checks
  python3 -c 'import json, os, sys
root = os.path.realpath(sys.argv[1])
with open(root + "/build/compile_commands.json") as f:
    files = sorted({os.path.realpath(e["file"]) for e in json.load(f)})
files = [p for p in files if p.startswith((root + "/lib/src/", root + "/apps/gat/"))]
if not files:
    sys.exit("run-tests: no lib/src or apps/gat source in build/compile_commands.json")
sys.stdout.write("".join(p + "\0" for p in files))' "$here"
}
echo "run-tests: clang-tidy (lib/src, apps/gat; $jobs at a time)"
tidy_start=$SECONDS
if ! tidy_sources | xargs -0 -n 1 -P "$jobs" clang-tidy -p "$here/build" --quiet \
     --extra-arg=-Wno-unknown-warning-option \
     >"$here/build/clang-tidy.log" 2>&1; then
  grep -v -E '^[0-9]+ warnings? generated\.$' "$here/build/clang-tidy.log" >&2 || true
  echo "run-tests: clang-tidy failed; fix the findings above, or silence a single one where" \
    "it is made with // NOLINT(check-name): why" >&2
  exit 1
fi
echo "run-tests: clang-tidy clean, $((SECONDS - tidy_start)) s"

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

# The same consumer built without CMake, through pkg-config, as a Makefile would; and the
# guard in gat/core/types.hpp: a file compiled with another Eigen alignment than the library's
# must not compile (it would corrupt the heap at the first matrix it frees).
echo "run-tests: installed package through pkg-config"
export PKG_CONFIG_PATH="$package_tmp/prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
# shellcheck disable=SC2046  # pkg-config prints several flags on purpose
c++ -std=c++20 -O2 "$here/tests/package/main.cpp" -o "$package_tmp/consumer_pc" \
  $(pkg-config --cflags --libs gat)
OMP_WAIT_POLICY=passive "$package_tmp/consumer_pc" >/dev/null
# shellcheck disable=SC2046
if c++ -std=c++20 -fsyntax-only "$here/tests/package/main.cpp" \
     $(pkg-config --cflags gat | sed 's/-DEIGEN_MAX_ALIGN_BYTES=64/-DEIGEN_MAX_ALIGN_BYTES=32/') \
     2>"$package_tmp/mismatch.log"; then
  echo "run-tests: a consumer with EIGEN_MAX_ALIGN_BYTES=32 compiled; it must not" >&2
  exit 1
fi
grep -q "gat: compile with -DEIGEN_MAX_ALIGN_BYTES=64" "$package_tmp/mismatch.log" || {
  echo "run-tests: the alignment mismatch did not fail with gat's message:" >&2
  cat "$package_tmp/mismatch.log" >&2
  exit 1
}
echo "run-tests: pkg-config consumer OK; mismatched alignment refused at compile time"

if [ "${GAT_CUDA:-0}" = 1 ]; then
  # The CUDA backend compiles and links (nvcc, cuBLAS, cuSPARSE) and its host logic works on a
  # machine without a GPU: the GPU tests skip, naming why, and `gat train --device cuda` fails
  # in one line. Only the targets that show it are built (the library, the app, core_tests and
  # the GPU tests), not the whole suite again. On a GPU, tools/gpu-check.sh runs the rest.
  nvcc=${CUDACXX:-/usr/local/cuda/bin/nvcc}
  if [ ! -x "$nvcc" ]; then
    echo "run-tests: GAT_CUDA=1 needs the CUDA toolkit's nvcc at $nvcc (NVIDIA's installer" \
      "puts it in /usr/local/cuda; tools/install-deps.sh does not install CUDA); set CUDACXX" \
      "to another nvcc, or unset GAT_CUDA" >&2
    exit 1
  fi
  echo "run-tests: CUDA build (-DGAT_WITH_CUDA=ON, $("$nvcc" --version | grep -o 'release [0-9.]*'))"
  cuda_start=$SECONDS
  cuda_dir="$here/build-cuda"
  cmake -S "$here" -B "$cuda_dir" -DCMAKE_BUILD_TYPE=Release -DGAT_WERROR=ON -DGAT_WITH_CUDA=ON \
    -DCMAKE_CUDA_COMPILER="$nvcc" >/dev/null
  cuda_targets=(gat_app core_tests)
  # tests/cuda/ becomes cuda_tests once it holds a test; until then there is nothing to run.
  # Read whole, then searched: `cmake ... | grep -q` fails under pipefail when grep stops
  # reading at its match before cmake has written the rest.
  cuda_help=$(cmake --build "$cuda_dir" --target help)
  if grep -Eq '(^|[ .])cuda_tests(:|$)' <<<"$cuda_help"; then
    cuda_targets+=(cuda_tests)
  fi
  cmake --build "$cuda_dir" -j "$jobs" --target "${cuda_targets[@]}"
  # clang-tidy over the C++ that only this build compiles: the host side of the backend
  # (lib/src/train/cuda/*.cpp) and device.cpp's CUDA branch. The .cu files are nvcc's.
  python3 -c 'import json, os, sys
root = os.path.realpath(sys.argv[1])
with open(sys.argv[2] + "/compile_commands.json") as f:
    files = sorted({os.path.realpath(e["file"]) for e in json.load(f)})
keep = [p for p in files if p.endswith(".cpp") and (p.startswith(root + "/lib/src/train/cuda/")
        or p == root + "/lib/src/core/device.cpp")]
sys.stdout.write("".join(p + "\0" for p in keep))' "$here" "$cuda_dir" |
    xargs -0 -r -n 1 -P "$jobs" clang-tidy -p "$cuda_dir" --quiet \
      --extra-arg=-Wno-unknown-warning-option >"$cuda_dir/clang-tidy.log" 2>&1 || {
    grep -v -E '^[0-9]+ warnings? generated\.$' "$cuda_dir/clang-tidy.log" >&2 || true
    echo "run-tests: clang-tidy failed on the CUDA build's host sources" >&2
    exit 1
  }
  OMP_WAIT_POLICY=passive "$cuda_dir/tests/core_tests" --gtest_brief=1
  if [ -x "$cuda_dir/tests/cuda_tests" ]; then
    # Without a GPU every test skips; each says why ("no usable CUDA device: ...").
    OMP_WAIT_POLICY=passive "$cuda_dir/tests/cuda_tests"
  fi
  # Without a usable GPU, --device cuda is exactly one line on stderr and exit status 1; with
  # one (gat info says which), it trains.
  cuda_gat="$cuda_dir/apps/gat/gat"
  cuda_log=$(mktemp)
  if "$cuda_gat" info --dataset cora | grep -q '^cuda .*cannot run'; then
    rc=0
    "$cuda_gat" train --dataset cora --device cuda >/dev/null 2>"$cuda_log" || rc=$?
    if [ "$rc" -ne 1 ] || [ "$(wc -l <"$cuda_log")" -ne 1 ] ||
       ! grep -q '^gat: error: --device cuda: ' "$cuda_log"; then
      echo "run-tests: without a GPU, 'gat train --device cuda' must fail in one line with exit" \
        "status 1; it exited $rc with:" >&2
      cat "$cuda_log" >&2
      exit 1
    fi
    echo "run-tests: no usable GPU here; --device cuda refused: $(cat "$cuda_log")"
  else
    "$cuda_gat" train --dataset cora --device cuda --quiet | tail -3
  fi
  rm -f "$cuda_log"
  echo "run-tests: CUDA stage done, $((SECONDS - cuda_start)) s"
fi

if [ "${GAT_AVX512:-0}" = 1 ]; then
  # The default build targets AVX2; this one makes GCC see the AVX-512 code paths (Eigen's
  # 512-bit packet math), whose warnings used to break -Werror only on AVX-512 machines.
  echo "run-tests: AVX-512 compile check (-march=x86-64-v4, -Werror; not run)"
  # The test binaries cannot run here (SIGILL without AVX-512), so GoogleTest lists their
  # tests when ctest runs (never, for this build) instead of right after linking.
  cmake -S "$here" -B "$here/build-avx512" -DCMAKE_BUILD_TYPE=Release -DGAT_WERROR=ON \
    -DGAT_ARCH=x86-64-v4 -DCMAKE_GTEST_DISCOVER_TESTS_DISCOVERY_MODE=PRE_TEST >/dev/null
  cmake --build "$here/build-avx512" -j "$jobs"
fi

if [ "${GAT_SANITIZE:-0}" = 1 ]; then
  echo "run-tests: sanitizer build (ASan + UBSan)"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_suite "$here/build-sanitize" -DGAT_SANITIZE=ON -DGAT_NATIVE=OFF
fi
