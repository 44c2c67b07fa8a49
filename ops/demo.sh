#!/usr/bin/env bash
# The main job: install, build, then `gpuledger demo`: a simulated month of the ministry's
# and three CSPs' events streamed through librdkafka's embedded mock Kafka cluster (no
# broker needed) in all three CloudEvents modes, ingested exactly once into a fresh ledger
# while fetch errors are injected and checkpoints are signed, verified, summarised as JSON,
# and exported as an audit bundle; then the auditor's offline verifier, gpuledger-verify,
# checks that bundle (every leaf, the chain, the tree, the signed checkpoints, and the
# closed month's settlement recomputed from the ledger prefix). Exit 0 only if every
# outcome is as the simulation expects and both verifications pass.
set -euo pipefail
cd "$(dirname "$0")/.."
ops/install-deps.sh
ops/build.sh
out=$(mktemp)
trap 'rm -f "$out"' EXIT
status=0
build/tools/gpuledger demo "$@" | tee "$out" || status=$?
if [[ $status -ne 0 ]]; then exit "$status"; fi
read -r bundle key < <(python3 -c 'import json,sys; a=json.load(open(sys.argv[1]))["audit"]; print(a["bundle"]["out"], a["public_key"])' "$out")
echo "demo: gpuledger-verify bundle $bundle --key $key" >&2
build/tools/verify/gpuledger-verify bundle "$bundle" --key "$key" --quiet > "$out.verify" || status=$?
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(json.dumps({"gpuledger_verify": {k: r[k] for k in ("ok","entries_checked","root","first_bad_index")} | {"checkpoints": len(r["checkpoints"]), "statements_ok": [s["month"] for s in r["statements"] if s["ok"]]}}))' "$out.verify"
rm -f "$out.verify"
exit "$status"
