#include "ledger/audit/sha256.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>

#include "gpuledger/types.h"

namespace gpuledger {
namespace {

// OpenSSL only fails here on a broken installation (no default provider) or on misuse;
// neither is recoverable by the caller, and a ledger must never continue with a wrong hash.
void Require(bool ok, const char* what) {
  if (!ok) [[unlikely]] {
    std::fprintf(stderr, "gpuledger: fatal: OpenSSL %s failed\n", what);
    std::abort();
  }
}

// Fetched once per process. Passing the legacy EVP_sha256() to every init would make
// OpenSSL 3 do an implicit fetch (a locked method-store lookup) on each hash. Never freed:
// it must outlive every Sha256, including thread_local and static ones.
const EVP_MD* Sha256Md() {
  static const EVP_MD* const md = [] {
    EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
    Require(fetched != nullptr, "EVP_MD_fetch(SHA2-256)");
    return fetched;
  }();
  return md;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

// The EVP_MD_CTX is allocated once per object and re-initialised after each Final() with
// the same fetched digest. From OpenSSL 3.1 on that reuses the provider's algorithm context,
// so a hash allocates nothing; OpenSSL 3.0's EVP_DigestInit_ex2 always frees and
// reallocates it (openssl/openssl#16947, fixed by #18105), one small malloc per hash that
// no public EVP call avoids there.
struct Sha256::Impl {
  EVP_MD_CTX* ctx = nullptr;
};

Sha256::Sha256() : impl_(new Impl) {
  impl_->ctx = EVP_MD_CTX_new();
  Require(impl_->ctx != nullptr, "EVP_MD_CTX_new");
  Require(EVP_DigestInit_ex2(impl_->ctx, Sha256Md(), nullptr) == 1, "EVP_DigestInit_ex2");
}

Sha256::~Sha256() {
  EVP_MD_CTX_free(impl_->ctx);
  delete impl_;
}

void Sha256::Update(const void* data, size_t size_bytes) {
  Require(EVP_DigestUpdate(impl_->ctx, data, size_bytes) == 1, "EVP_DigestUpdate");
}

Hash256 Sha256::Final() {
  Hash256 out;
  Require(EVP_DigestFinal_ex(impl_->ctx, out.data(), nullptr) == 1, "EVP_DigestFinal_ex");
  // Re-arm now so that Update() stays a single call and the object is reusable.
  Require(EVP_DigestInit_ex2(impl_->ctx, Sha256Md(), nullptr) == 1, "EVP_DigestInit_ex2");
  return out;
}

Hash256 Sha256Of(std::string_view bytes) {
  // One context per thread: a one-shot call then costs an init, not an allocation.
  thread_local Sha256 sha;
  sha.Update(bytes);
  return sha.Final();
}

std::string ToHex(const uint8_t* data, size_t size_bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex(size_bytes * 2, '\0');
  for (size_t i = 0; i < size_bytes; ++i) {
    hex[2 * i] = kDigits[data[i] >> 4];
    hex[2 * i + 1] = kDigits[data[i] & 0x0f];
  }
  return hex;
}

std::string HexOf(std::string_view bytes) {
  return ToHex(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

bool FromHex(std::string_view hex, Hash256* out) {
  Hash256 decoded;
  if (hex.size() != decoded.size() * 2) return false;
  for (size_t i = 0; i < decoded.size(); ++i) {
    const int high = HexValue(hex[2 * i]);
    const int low = HexValue(hex[2 * i + 1]);
    if (high < 0 || low < 0) return false;
    decoded[i] = static_cast<uint8_t>((high << 4) | low);
  }
  *out = decoded;  // only on success, so a rejected input leaves *out untouched
  return true;
}

}  // namespace gpuledger
