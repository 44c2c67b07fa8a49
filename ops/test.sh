#!/usr/bin/env bash
# Runs every test: installs what is missing, builds, runs CTest (GoogleTest inside).
# The Kafka tests' broker (ops/kafka-broker.sh) is started and stopped by CTest's fixture;
# its jars are fetched here first so that a Maven failure shows as such, not as a test's.
#
# Two configurations, both with warnings as errors:
#   build/        RelWithDebInfo (NDEBUG, as packagers and the benchmarks build): every test;
#   build-debug/  Debug (no NDEBUG, the standard library's own assertions): every test but
#                 the real-broker and crash suites, which exercise no more code in Debug and
#                 are the slowest. GPULEDGER_ASSERT's invariants run in both.
# GPULEDGER_TEST_DEBUG=0 skips the Debug configuration (e.g. while working).
set -euo pipefail
cd "$(dirname "$0")/.."
ops/install-deps.sh
ops/kafka-broker.sh fetch
start=$SECONDS
ops/build.sh
(cd "${BUILD_DIR:-build}" && ctest --output-on-failure --timeout 1200 -j 2)
echo "test.sh: RelWithDebInfo built and tested in $((SECONDS - start)) s" >&2
if [[ "${GPULEDGER_TEST_DEBUG:-1}" != 0 ]]; then
  start=$SECONDS
  BUILD_TYPE=Debug BUILD_DIR="${DEBUG_BUILD_DIR:-build-debug}" \
    CXXFLAGS="${CXXFLAGS:-} -D_GLIBCXX_ASSERTIONS" ops/build.sh
  (cd "${DEBUG_BUILD_DIR:-build-debug}" &&
    ctest --output-on-failure --timeout 1200 -j 2 -LE 'kafka-broker|crash')
  echo "test.sh: Debug built and tested in $((SECONDS - start)) s" >&2
fi
