#!/usr/bin/env bash
# The projections benchmark (not a test): catch-up events/s over a ledger of --events
# simulated events (default 5,000,000), µs per event of a new batch at 1x (a tenth) and 10x
# that size, peak memory of the catch-up, against bare RocksDB read and synced-write rates
# measured in the same run. Runs build/tools/gpuledger_bench_projections (ops/build.sh).
# The fixture ledgers (about 3 KB per event: ~15 GB at 5M) stay in --dir, by default
# ${TMPDIR:-/tmp}/gpuledger-bench-projections, for --reuse; remove it when done.
#   ops/bench-projections.sh [--events N] [--reuse] [--dir D] [--batch B] [--rounds R]
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${BUILD_DIR:-build}/tools/gpuledger_bench_projections"
if [[ ! -x "$bin" ]]; then
  echo "bench-projections.sh: $bin is missing: run ops/build.sh first" >&2
  exit 1
fi
exec "$bin" "$@"
