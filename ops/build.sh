#!/usr/bin/env bash
# Configures and builds gpuledger into ${BUILD_DIR:-build} with warnings as errors (the
# project's own builds; a plain `cmake` build leaves -Werror off). Build type
# ${BUILD_TYPE:-RelWithDebInfo}: Debug, Release, RelWithDebInfo or MinSizeRel; every one
# keeps the GPULEDGER_ASSERT invariants on.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${BUILD_DIR:-build}"
BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}"
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" -DGPULEDGER_WERROR=ON >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)"
