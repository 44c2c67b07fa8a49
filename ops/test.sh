#!/usr/bin/env bash
# Runs every test: installs what is missing, builds, runs CTest (GoogleTest inside).
# The Kafka tests' broker (ops/kafka-broker.sh) is started and stopped by CTest's fixture;
# its jars are fetched here first so that a Maven failure shows as such, not as a test's.
set -euo pipefail
cd "$(dirname "$0")/.."
ops/install-deps.sh
ops/kafka-broker.sh fetch
ops/build.sh
cd "${BUILD_DIR:-build}"
ctest --output-on-failure --timeout 1200 -j 2
