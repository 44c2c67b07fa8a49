#include "ledger/audit/ed25519.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>
#include <string>

namespace gpuledger::audit::ed25519 {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

// A Status naming the failed call and OpenSSL's first queued reason. The queue is drained so
// that a stale error cannot be blamed on a later, unrelated OpenSSL call on this thread.
Status OpenSslError(const char* what) {
  std::string message = std::string("OpenSSL ") + what + " failed";
  if (const unsigned long code = ERR_get_error(); code != 0) {
    char reason[256];
    ERR_error_string_n(code, reason, sizeof(reason));
    message += ": ";
    message += reason;
  }
  ERR_clear_error();
  return Status::IOError(std::move(message));
}

Result<PkeyPtr> PrivateKey(const Seed& seed) {
  PkeyPtr key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()));
  if (!key) return OpenSslError("EVP_PKEY_new_raw_private_key(ED25519)");
  return key;
}

}  // namespace

Result<Seed> RandomSeed() {
  Seed seed;
  if (RAND_bytes(seed.data(), static_cast<int>(seed.size())) != 1) {
    return OpenSslError("RAND_bytes");
  }
  return seed;
}

Result<PublicKey> PublicKeyOf(const Seed& seed) {
  auto key = PrivateKey(seed);
  if (!key.ok()) return key.status();
  PublicKey public_key;
  size_t size_bytes = public_key.size();
  if (EVP_PKEY_get_raw_public_key(key->get(), public_key.data(), &size_bytes) != 1 ||
      size_bytes != public_key.size()) {
    return OpenSslError("EVP_PKEY_get_raw_public_key");
  }
  return public_key;
}

Result<Signature> Sign(const Seed& seed, std::string_view message) {
  auto key = PrivateKey(seed);
  if (!key.ok()) return key.status();
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) return OpenSslError("EVP_MD_CTX_new");
  // Ed25519 hashes internally (one-shot only): the digest must be NULL.
  if (EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key->get()) != 1) {
    return OpenSslError("EVP_DigestSignInit");
  }
  Signature signature;
  size_t size_bytes = signature.size();
  if (EVP_DigestSign(ctx.get(), signature.data(), &size_bytes,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1 ||
      size_bytes != signature.size()) {
    return OpenSslError("EVP_DigestSign");
  }
  return signature;
}

bool Verify(const PublicKey& public_key, std::string_view message, std::string_view signature) {
  if (signature.size() != Signature().size()) return false;
  PkeyPtr key(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, public_key.data(), public_key.size()));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  const bool valid =
      key && ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) == 1 &&
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                       message.size()) == 1;
  // A rejected signature leaves a reason on the queue; it is an answer here, not an error.
  if (!valid) ERR_clear_error();
  return valid;
}

}  // namespace gpuledger::audit::ed25519
