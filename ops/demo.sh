#!/usr/bin/env bash
# The main job: install, build, then ingest the shipped sample JSON Lines file into a
# fresh ledger, verify it, and print a summary. (The Kafka demo replaces this later.)
set -euo pipefail
cd "$(dirname "$0")/.."
ops/install-deps.sh
ops/build.sh
G=build/tools/gpuledger
DATA="${DATA:-$(mktemp -d /tmp/gpuledger-demo-XXXXXX)}"
echo "== ingest ops/demo/sample-events.jsonl into $DATA"
$G ingest --data "$DATA" ops/demo/sample-events.jsonl
echo "== ingest it again: every accepted line is now a duplicate, nothing is appended"
$G ingest --data "$DATA" ops/demo/sample-events.jsonl --quiet
echo "== verify"
$G verify --data "$DATA"
echo "== rejects (reason, origin)"
$G log --data "$DATA" --rejects | sed -E 's/"message":.*$/.../'
echo "== stats"
$G stats --data "$DATA"
echo "demo done: ledger in $DATA"
