#!/usr/bin/env bash
# Installs what gpuledger needs to build and test, from Debian 12's packages.
# Idempotent: when every package is present it does nothing (no network, no root needed).
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git openssl
  librocksdb-dev libflatbuffers-dev flatbuffers-compiler libssl-dev libfmt-dev
  libgtest-dev libgmock-dev nlohmann-json3-dev libsimdjson-dev libcli11-dev
  librdkafka-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
