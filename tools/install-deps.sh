#!/usr/bin/env bash
# Installs the build and test dependencies from Debian packages (Debian 12).
# Idempotent: does nothing when every package is already there. Uses sudo when not root.
#   tools/install-deps.sh          what tools/run-tests.sh needs
#   tools/install-deps.sh --fuzz   also clang 14 and libFuzzer, for tools/fuzz.sh
# Not the CUDA toolkit: -DGAT_WITH_CUDA=ON (and GAT_CUDA=1 tools/run-tests.sh) expect NVIDIA's
# own installation, nvcc at /usr/local/cuda/bin/nvcc (the backend is built and tested with
# CUDA 13.0 from there), not a Debian package.
set -euo pipefail

packages=(
  build-essential cmake          # g++ 12 (with libgomp for OpenMP), CMake ≥ 3.22
  libeigen3-dev                  # Eigen 3.4: dense matrices
  libcli11-dev                   # CLI11: the gat command line
  nlohmann-json3-dev             # JSON output of gat (--json)
  zlib1g-dev                     # zlib: gzip-compressed datasets (datasets/*.gz)
  libzip-dev                     # libzip: .npz archives (numpy.savez) of node arrays
  libmetis-dev                   # METIS 5: graph partitions for distributed training
  libopenmpi-dev openmpi-bin     # OpenMPI: distributed training across processes (mpirun)
  libgtest-dev libgmock-dev      # GoogleTest / GoogleMock
  pkg-config                     # the test command builds a consumer through gat.pc
  python3-numpy                  # the CLI test loads `gat embed` .npy output with numpy
  python3-scipy                  # datasets/fetch_planetoid.sh reads Planetoid's sparse pickles
  python3-matplotlib             # tools/plot_train.py and tools/plot_bench.py draw the figures
  clang-tidy                     # clang-tidy 14: the static analysis stage of tools/run-tests.sh
  libomp-14-dev                  # omp.h for clang 14 (clang-tidy parses the OpenMP sources)
)
if [ "${1:-}" = "--fuzz" ]; then
  packages+=(
    clang-14                       # clang (its OpenMP runtime, libomp-14-dev, is above)
    libclang-rt-14-dev             # ASan, UBSan and libFuzzer (-fsanitize=fuzzer) runtimes
  )
elif [ $# -gt 0 ]; then
  echo "usage: tools/install-deps.sh [--fuzz]" >&2
  exit 2
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all dependencies present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
