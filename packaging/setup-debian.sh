#!/usr/bin/env bash
# Installs the Debian 12 packages Florence Medical Workbench builds and tests with.
# Idempotent: installs only what is missing; uses sudo only when not root.
#   packaging/setup-debian.sh            build + test dependencies
#   FMW_SETUP_QUIET=1 ...                less output
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  qt6-base-dev qt6-base-dev-tools libgl-dev libqcustomplot-dev
  libtorch-dev libopenblas0-openmp libgloo-dev
  libopencv-dev libdcmtk-dev dcmtk libyaml-cpp-dev nlohmann-json3-dev
  # tests: offscreen/X screenshots, pydicom's DICOM test corpus, reference values
  xvfb xauth imagemagick python3-pydicom python3-numpy
  # the .deb: man page from --help, and the package test's checkers
  help2man lintian appstream desktop-file-utils
)

missing=()
for p in "${packages[@]}"; do
  # "install ok installed" only: half-configured or removed packages count as missing.
  if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  [ -n "${FMW_SETUP_QUIET:-}" ] || echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q "${missing[@]}"

# LibTorch uses whatever libblas.so.3 points to; make sure it is OpenBLAS' OpenMP build
# (the reference BLAS is ~20x slower, the pthread build ignores set_num_threads).
blas=/usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3
if [ -e "$blas" ]; then
  $sudo update-alternatives --set libblas.so.3-x86_64-linux-gnu "$blas" >/dev/null || true
fi
