#!/usr/bin/env bash
# Installs what gpuledger needs to build and test, from Debian 12's packages, plus the Python
# venv with confluent-kafka (from PyPI) that the Kafka tests use as an outside client.
# Idempotent: when everything is present it does nothing (no network, no root needed).
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git openssl
  librocksdb-dev libflatbuffers-dev flatbuffers-compiler libssl-dev libfmt-dev
  libgtest-dev libgmock-dev nlohmann-json3-dev libsimdjson-dev libcli11-dev
  librdkafka-dev libjemalloc-dev
  # The Kafka tests: a real broker from Maven Central's jars (ops/kafka-broker.sh), kcat, and
  # python3 -m venv for confluent-kafka.
  kcat maven python3-venv
)
# Kafka 4.x needs Java 17+; any JDK already on PATH will do (Debian 12's default is 17).
command -v java >/dev/null || PACKAGES+=(default-jdk-headless)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
else
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install ${missing[*]}" >&2; exit 1; }
    SUDO=sudo
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# focus-validator (PyPI) in its own venv for the FOCUS export tests; needs Python >= 3.12
# (docs/focus.md).
"$(dirname "${BASH_SOURCE[0]}")/install-focus-validator.sh"

# The Python venv for the outside-client Kafka tests (CTest hands them its python as
# GPULEDGER_PYTHON). Made with the python3 on PATH; a warning, not a failure, if PyPI is
# unreachable (only those tests need it).
CONFLUENT_KAFKA_VERSION=2.16.1
VENV="${GPULEDGER_CACHE:-$HOME/.cache/gpuledger}/pyvenv"
venv_ready() {
  "$VENV/bin/python" -c "import sys, confluent_kafka
sys.exit(confluent_kafka.__version__ != '$CONFLUENT_KAFKA_VERSION')" 2>/dev/null
}
if venv_ready; then
  echo "install-deps: $VENV has confluent-kafka $CONFLUENT_KAFKA_VERSION"
  exit 0
fi
echo "install-deps: making $VENV with confluent-kafka $CONFLUENT_KAFKA_VERSION"
mkdir -p "$(dirname "$VENV")"
# --clear: a venv left by a python that is gone (or half made) is made anew.
if ! python3 -m venv --clear "$VENV"; then
  echo "install-deps: WARNING: python3 -m venv $VENV failed; the Python Kafka tests will fail" >&2
  exit 0
fi
if ! PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/python" -m pip install -q --timeout 30 --retries 2 \
    "confluent-kafka==$CONFLUENT_KAFKA_VERSION"; then
  echo "install-deps: WARNING: pip could not install confluent-kafka==$CONFLUENT_KAFKA_VERSION;" \
       "the Python Kafka tests will fail" >&2
  exit 0
fi
venv_ready || echo "install-deps: WARNING: $VENV does not import confluent_kafka $CONFLUENT_KAFKA_VERSION" >&2
