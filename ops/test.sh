#!/usr/bin/env bash
# Runs every test: installs what is missing, builds, runs CTest (GoogleTest inside).
set -euo pipefail
cd "$(dirname "$0")/.."
ops/install-deps.sh
ops/build.sh
cd "${BUILD_DIR:-build}"
ctest --output-on-failure --timeout 1200 -j 2
