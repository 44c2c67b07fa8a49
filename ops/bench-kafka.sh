#!/usr/bin/env bash
# The Kafka ingest benchmark (not a test): starts the real broker (kafka-broker.sh, its own
# state dir and ports), runs build/tools/gpuledger_bench_kafka against it, stops it.
#   ops/bench-kafka.sh [--events N] [--partitions P] [--batch M]
set -euo pipefail
cd "$(dirname "$0")/.."
export KAFKA_STATE_DIR="${KAFKA_STATE_DIR:-$PWD/build/kafka-bench}"
export KAFKA_PORT="${KAFKA_PORT:-39192}" KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-39193}"
ops/kafka-broker.sh start >/dev/null
trap 'ops/kafka-broker.sh stop >/dev/null' EXIT
build/tools/gpuledger_bench_kafka --brokers "$(ops/kafka-broker.sh bootstrap)" "$@"
