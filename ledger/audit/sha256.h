// SHA-256 through OpenSSL's EVP interface, RAII-owned. Private to ledger/.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace gpuledger {

// The one size of every hash in the ledger, its tree, its bundles and its proofs.
inline constexpr size_t kSha256Bytes = 32;
using Hash256 = std::array<uint8_t, kSha256Bytes>;

// Incremental SHA-256. Not thread-safe: one instance per thread. Reusable after Final().
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(const void* data, size_t size_bytes);
  void Update(std::string_view bytes) { Update(bytes.data(), bytes.size()); }
  void Update(const Hash256& h) { Update(h.data(), h.size()); }
  Hash256 Final();  // resets the context for the next message

 private:
  struct Impl;
  Impl* impl_;
};

// One-shot helpers.
Hash256 Sha256Of(std::string_view bytes);
std::string ToHex(const uint8_t* data, size_t size_bytes);
inline std::string ToHex(const Hash256& h) { return ToHex(h.data(), h.size()); }
bool FromHex(std::string_view hex, Hash256* out);

}  // namespace gpuledger
