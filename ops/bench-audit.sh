#!/usr/bin/env bash
# The audit benchmark (not a test): at --entries N (default 10,000,000), the time of RFC 9162
# inclusion and consistency proofs (p50/p99/max, target < 1 ms each) and the offline
# verifier's entries/s over an exported bundle against a bare SHA-256 loop over the same
# entry bytes in the same run (target ratio >= 0.5), with its peak memory. Builds gpuledger,
# gpuledger-verify and build/tools/gpuledger_bench_audit (RelWithDebInfo, as ops/build.sh),
# then runs tools/bench/bench_audit.cc's benchmark.
#
# Disk: about 0.7 KB per entry for the ledger (with its projections) and 1.2 KB for the
# bundle: 18.5 GB at 10M (measured: ledger 6.3 GB, bundle 12.1 GB); with headroom for
# RocksDB's compactions, have 25 GB free. Time at 10M on 2 cores: about 5 minutes after the
# build (ledger 2 min, projections and export 2.5 min, the rest under a minute); RAM: the
# figures assume the bundle (12 GB) stays in the page cache between the runs over it.
# The work directory is ${BENCH_DIR:-${TMPDIR:-/tmp}/gpuledger-bench-audit}, or --dir D;
# one this script creates is removed at the end unless --keep (or --reuse) is given.
#   ops/bench-audit.sh [--entries N] [--proofs K] [--seed S] [--dir D] [--keep] [--reuse]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${BUILD_DIR:-build}"
dir="${BENCH_DIR:-${TMPDIR:-/tmp}/gpuledger-bench-audit}"
keep=0
args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --keep) keep=1 ;;
    --reuse) keep=1; args+=("$1") ;;  # the point of --reuse is a next run
    --dir) dir="$2"; shift ;;
    --dir=*) dir="${1#--dir=}" ;;
    *) args+=("$1") ;;
  esac
  shift
done

cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGPULEDGER_WERROR=ON >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)" --target gpuledger gpuledger-verify gpuledger_bench_audit

# Remove only a directory this run made: --dir may name one that holds other things.
if [[ $keep == 0 && ! -e "$dir" ]]; then
  trap 'rm -rf -- "$dir"' EXIT
fi
mkdir -p "$dir"
echo "bench-audit.sh: work directory $dir ($(df -h --output=avail "$dir" | tail -1 | tr -d ' ') free)" >&2
start=$SECONDS
"$BUILD_DIR/tools/gpuledger_bench_audit" --dir "$dir" --cli "$BUILD_DIR/tools/gpuledger" \
  --verify "$BUILD_DIR/tools/verify/gpuledger-verify" "${args[@]}"
echo "bench-audit.sh: $((SECONDS - start)) s; disk: ledger $(du -sh "$dir/ledger" | cut -f1)," \
  "bundle $(du -sh "$dir/bundle" | cut -f1)" >&2
