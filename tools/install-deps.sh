#!/usr/bin/env bash
# Installs the build and test dependencies from Debian packages (Debian 12).
# Idempotent: does nothing when every package is already there. Uses sudo when not root.
set -euo pipefail

packages=(
  build-essential cmake          # g++ 12 (with libgomp for OpenMP), CMake ≥ 3.22
  libeigen3-dev                  # Eigen 3.4: dense matrices
  libcli11-dev                   # CLI11: the gat command line
  nlohmann-json3-dev             # JSON output of gat (--json)
  libgtest-dev libgmock-dev      # GoogleTest / GoogleMock
  libbenchmark-dev               # Google Benchmark
)
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
