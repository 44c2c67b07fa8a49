// Ed25519 (RFC 8032) through OpenSSL's EVP_PKEY_ED25519, every handle RAII-owned. Private to
// ledger/audit: note.cc builds signed notes and cosignatures on it.
//
// Thread-safety: free functions, no shared state; safe from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "gpuledger/status.h"

namespace gpuledger::audit::ed25519 {

using Seed = std::array<uint8_t, 32>;       // the RFC 8032 private key
using PublicKey = std::array<uint8_t, 32>;  // the RFC 8032 encoded point A
using Signature = std::array<uint8_t, 64>;  // R || S

// 32 bytes from OpenSSL's CSPRNG (RAND_bytes).
[[nodiscard]] Result<Seed> RandomSeed();
[[nodiscard]] Result<PublicKey> PublicKeyOf(const Seed& seed);
// Deterministic (RFC 8032 "PureEdDSA"): the same seed and message give the same signature.
[[nodiscard]] Result<Signature> Sign(const Seed& seed, std::string_view message);
// True only for a valid 64-byte signature of `message` by `public_key`. Any other length,
// a public key that is not a point, or an OpenSSL failure is false.
bool Verify(const PublicKey& public_key, std::string_view message, std::string_view signature);

}  // namespace gpuledger::audit::ed25519
