// RFC 4648 base64 for signed notes, keys and checkpoints (declared in note.h): encoding by
// OpenSSL, decoding strict so that each byte string has exactly one accepted text.
#include <openssl/evp.h>

#include <algorithm>

#include "ledger/audit/note.h"  // declares them

namespace gpuledger::audit {

std::string Base64Encode(std::string_view bytes) {
  // EVP_EncodeBlock takes an int length: encode in whole 3-byte groups of bounded size.
  constexpr size_t kChunkBytes = 3 * 4096;
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  unsigned char encoded[kChunkBytes / 3 * 4 + 1];
  for (size_t i = 0; i < bytes.size(); i += kChunkBytes) {
    const size_t n = std::min(kChunkBytes, bytes.size() - i);
    const int written = EVP_EncodeBlock(
        encoded, reinterpret_cast<const unsigned char*>(bytes.data() + i), static_cast<int>(n));
    out.append(reinterpret_cast<const char*>(encoded), static_cast<size_t>(written));
  }
  return out;
}

Result<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return Status::InvalidArgument("base64 length is not a multiple of 4");
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
  };
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    int v[4];
    size_t padding = 0;
    for (size_t k = 0; k < 4; ++k) {
      const char c = text[i + k];
      if (c == '=' && last && k >= 2) {
        v[k] = 0, ++padding;
      } else if (padding > 0 || (v[k] = value(c)) < 0) {
        return Status::InvalidArgument("invalid base64");
      }
    }
    // Canonical only: the bits a padded group drops must be zero, or two texts would decode
    // to the same bytes.
    if ((padding == 2 && (v[1] & 0x0F) != 0) || (padding == 1 && (v[2] & 0x03) != 0)) {
      return Status::InvalidArgument("non-canonical base64");
    }
    const uint32_t group = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out.push_back(static_cast<char>(group >> 16));
    if (padding < 2) out.push_back(static_cast<char>((group >> 8) & 0xFF));
    if (padding < 1) out.push_back(static_cast<char>(group & 0xFF));
  }
  return out;
}

}  // namespace gpuledger::audit
