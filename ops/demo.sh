#!/usr/bin/env bash
# The main job: install, build, then `gpuledger demo`: a simulated month of the ministry's
# and three CSPs' events streamed through librdkafka's embedded mock Kafka cluster (no
# broker needed) in all three CloudEvents modes, ingested exactly once into a fresh ledger
# while fetch errors are injected, verified, and summarised as JSON. Exit 0 only if every
# outcome is as the simulation expects and verify passes.
set -euo pipefail
cd "$(dirname "$0")/.."
ops/install-deps.sh
ops/build.sh
exec build/tools/gpuledger demo "$@"
