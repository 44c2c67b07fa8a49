// C2SP signed notes and their Ed25519 keys in the Go note package's text forms (checkpoint
// bodies and cosignatures: tlog_checkpoint.cc). Parsing is strict: whatever is accepted
// formats back to the same bytes, so a note has exactly one encoding.
#include "ledger/audit/note.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "ledger/audit/ed25519.h"
#include "ledger/audit/note_internal.h"

namespace gpuledger::audit {

using note_internal::AsChars;
using note_internal::CheckNoteText;
using note_internal::CheckSigner;
using note_internal::GetBigEndian;
using note_internal::KeyLabel;
using note_internal::PutBigEndian;

namespace {

constexpr std::string_view kSignaturePrefix = "\xE2\x80\x94 ";  // U+2014 EM DASH, space
constexpr std::string_view kSignerKeyPrefix = "PRIVATE+KEY+";
constexpr size_t kKeyIdBytes = 4;

Status Malformed(std::string what) { return Status::InvalidArgument(std::move(what)); }

// The code point at s[i] and its length in *size_bytes; -1 for anything Go's
// utf8.DecodeRune calls RuneError of size 1 (overlong forms, surrogates, > U+10FFFF,
// truncated or stray bytes), so both implementations accept the same notes.
int32_t DecodeRune(std::string_view s, size_t i, size_t* size_bytes) {
  const uint8_t b0 = static_cast<uint8_t>(s[i]);
  *size_bytes = 1;
  if (b0 < 0x80) return b0;
  size_t n = 0;
  int32_t rune = 0;
  uint8_t low = 0x80, high = 0xBF;  // the second byte's range
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2, rune = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3, rune = b0 & 0x0F;
    if (b0 == 0xE0) low = 0xA0;   // overlong
    if (b0 == 0xED) high = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4, rune = b0 & 0x07;
    if (b0 == 0xF0) low = 0x90;   // overlong
    if (b0 == 0xF4) high = 0x8F;  // above U+10FFFF
  } else {
    return -1;
  }
  if (s.size() - i < n) return -1;
  for (size_t k = 1; k < n; ++k) {
    const uint8_t b = static_cast<uint8_t>(s[i + k]);
    if (b < (k == 1 ? low : 0x80) || b > (k == 1 ? high : 0xBF)) return -1;
    rune = (rune << 6) | (b & 0x3F);
  }
  *size_bytes = n;
  return rune;
}

// Go's unicode.IsSpace: the Unicode White_Space property.
bool IsUnicodeSpace(int32_t r) {
  return (r >= 0x09 && r <= 0x0D) || r == 0x20 || r == 0x85 || r == 0xA0 || r == 0x1680 ||
         (r >= 0x2000 && r <= 0x200A) || r == 0x2028 || r == 0x2029 || r == 0x202F || r == 0x205F ||
         r == 0x3000;
}

// signed-note: valid UTF-8 and no ASCII control character other than newline.
Status CheckNoteBytes(std::string_view bytes) {
  for (size_t i = 0, n = 0; i < bytes.size(); i += n) {
    const int32_t r = DecodeRune(bytes, i, &n);
    if (r < 0) return Malformed("not valid UTF-8 at byte " + std::to_string(i));
    if (r < 0x20 && r != '\n') {
      return Malformed("control character at byte " + std::to_string(i));
    }
  }
  return Status::Ok();
}

// Non-empty, no '+', no Unicode space (so it cannot split a key or a signature line), and
// no control character (which no note could carry).
bool IsValidKeyName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0, n = 0; i < name.size(); i += n) {
    const int32_t r = DecodeRune(name, i, &n);
    if (r < 0x20 || r == '+' || IsUnicodeSpace(r)) return false;
  }
  return true;
}

std::string KeyIdHex(uint32_t key_id) {
  char hex[9];
  std::snprintf(hex, sizeof(hex), "%08x", key_id);
  return hex;
}

bool IsSupportedType(uint8_t type) {
  return type == kKeyTypeEd25519 || type == kKeyTypeCosignature;
}

// "<name>+<8 lowercase hex>+<base64(type || 32 bytes)>", everything checked but the key id
// (which a signer key can only check after deriving its public key).
struct KeyText {
  std::string_view name;
  uint32_t key_id = 0;
  uint8_t type = 0;
  Ed25519Key key{};
};

Result<KeyText> SplitKeyText(std::string_view text) {
  const size_t plus1 = text.find('+');
  const size_t plus2 = plus1 == std::string_view::npos ? plus1 : text.find('+', plus1 + 1);
  if (plus2 == std::string_view::npos) return Malformed("a key is <name>+<key id>+<key>");
  KeyText out;
  out.name = text.substr(0, plus1);
  if (!IsValidKeyName(out.name)) return Malformed("invalid key name");
  const std::string_view hex = text.substr(plus1 + 1, plus2 - plus1 - 1);
  const bool hex_ok = hex.size() == 8 && std::all_of(hex.begin(), hex.end(), [](char c) {
                        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                      });
  if (!hex_ok) return Malformed("the key id is not 8 lowercase hex digits");
  std::from_chars(hex.data(), hex.data() + hex.size(), out.key_id, 16);
  auto material = Base64Decode(text.substr(plus2 + 1));
  if (!material.ok()) return Malformed("key: " + material.status().message());
  if (material->size() != 1 + kEd25519KeyBytes) return Malformed("the key is not 33 bytes");
  out.type = static_cast<uint8_t>(material.value()[0]);
  if (!IsSupportedType(out.type))
    return Malformed("unsupported key type " + std::to_string(out.type));
  std::copy_n(material->begin() + 1, kEd25519KeyBytes, out.key.begin());
  return out;
}

Result<NoteSignature> ParseSignatureLine(std::string_view line) {
  if (!line.starts_with(kSignaturePrefix)) {
    return Malformed("a signature line must start with an em dash and a space");
  }
  line.remove_prefix(kSignaturePrefix.size());
  const size_t space = line.find(' ');
  if (space == std::string_view::npos) return Malformed("no space after the key name");
  NoteSignature out;
  out.name = line.substr(0, space);
  if (!IsValidKeyName(out.name)) return Malformed("invalid key name in a signature line");
  auto bytes = Base64Decode(line.substr(space + 1));
  if (!bytes.ok()) return Malformed("signature of " + out.name + ": " + bytes.status().message());
  if (bytes->size() <= kKeyIdBytes) return Malformed("signature of " + out.name + " too short");
  out.key_id = static_cast<uint32_t>(GetBigEndian(bytes.value(), kKeyIdBytes));
  out.signature = bytes->substr(kKeyIdBytes);
  return out;
}

// The trusted key a signature names, nullptr if none; two different keys with one
// (name, key id) make the trust list unusable rather than letting either one win.
Result<const VerifierKey*> FindTrusted(const std::vector<VerifierKey>& trusted,
                                       const NoteSignature& signature) {
  const VerifierKey* found = nullptr;
  for (const VerifierKey& key : trusted) {
    if (key.name != signature.name || key.key_id != signature.key_id) continue;
    if (found != nullptr && (found->type != key.type || found->public_key != key.public_key)) {
      return Status::InvalidArgument("ambiguous key " + KeyLabel(key.name, key.key_id));
    }
    found = &key;
  }
  return found;
}

}  // namespace

namespace note_internal {

// The text a note signs: it must end in a newline and not in a blank line (the blank line
// before the signatures would then be ambiguous), and must be allowed in a note.
Status CheckNoteText(std::string_view text) {
  if (text.size() > kNoteBytesMax) return Malformed("note text larger than 1 MiB");
  if (text.empty() || text.back() != '\n') return Malformed("note text must end with a newline");
  if (text == "\n" || text.ends_with("\n\n")) {
    return Malformed("note text must not end with a blank line");
  }
  return CheckNoteBytes(text);
}

void PutBigEndian(uint64_t value, size_t size_bytes, std::string* out) {
  for (size_t i = size_bytes; i-- > 0;) out->push_back(static_cast<char>(value >> (8 * i)));
}

uint64_t GetBigEndian(std::string_view bytes, size_t size_bytes) {
  uint64_t value = 0;
  for (size_t i = 0; i < size_bytes; ++i) value = (value << 8) | static_cast<uint8_t>(bytes[i]);
  return value;
}

std::string KeyLabel(std::string_view name, uint32_t key_id) {
  return std::string(name) + "+" + KeyIdHex(key_id);
}

std::string_view AsChars(const std::array<uint8_t, 32>& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// A SignerKey another caller built must be whole: its public key and key id derive from its
// seed, or the signatures it made would name a key that cannot verify them.
Status CheckSigner(const SignerKey& key, uint8_t type) {
  const VerifierKey& v = key.verifier;
  if (v.type != type) return Status::InvalidArgument("wrong key type for this signature");
  if (!IsValidKeyName(v.name)) return Status::InvalidArgument("invalid key name");
  auto public_key = ed25519::PublicKeyOf(key.seed);
  if (!public_key.ok()) return public_key.status();
  if (public_key.value() != v.public_key || KeyId(v.name, v.type, v.public_key) != v.key_id) {
    return Status::InvalidArgument("signer key " + v.name +
                                   ": seed, public key and key id disagree");
  }
  return Status::Ok();
}

}  // namespace note_internal

uint32_t KeyId(std::string_view name, uint8_t type, const Ed25519Key& public_key) {
  Sha256 sha;
  sha.Update(name);
  const uint8_t separator[2] = {'\n', type};
  sha.Update(separator, sizeof(separator));
  sha.Update(public_key.data(), public_key.size());
  const Hash256 digest = sha.Final();
  return static_cast<uint32_t>(GetBigEndian(AsChars(digest), kKeyIdBytes));
}

Result<SignerKey> GenerateSignerKey(std::string_view name, uint8_t type) {
  if (!IsValidKeyName(name)) return Status::InvalidArgument("invalid key name");
  if (!IsSupportedType(type)) return Status::InvalidArgument("unsupported key type");
  auto seed = ed25519::RandomSeed();
  if (!seed.ok()) return seed.status();
  auto public_key = ed25519::PublicKeyOf(seed.value());
  if (!public_key.ok()) return public_key.status();
  SignerKey key;
  key.verifier = {std::string(name), type, public_key.value(), 0};
  key.verifier.key_id = KeyId(name, type, public_key.value());
  key.seed = seed.value();
  return key;
}

std::string EncodeSignerKey(const SignerKey& key) {
  const VerifierKey& v = key.verifier;
  return std::string(kSignerKeyPrefix) + KeyLabel(v.name, v.key_id) + "+" +
         Base64Encode(std::string(1, static_cast<char>(v.type)) + std::string(AsChars(key.seed)));
}

Result<SignerKey> ParseSignerKey(std::string_view text) {
  if (!text.starts_with(kSignerKeyPrefix)) return Malformed("a signer key starts PRIVATE+KEY+");
  auto parts = SplitKeyText(text.substr(kSignerKeyPrefix.size()));
  if (!parts.ok()) return parts.status();
  auto public_key = ed25519::PublicKeyOf(parts->key);
  if (!public_key.ok()) return public_key.status();
  if (KeyId(parts->name, parts->type, public_key.value()) != parts->key_id) {
    return Malformed("the key id does not match the key");
  }
  return SignerKey{{std::string(parts->name), parts->type, public_key.value(), parts->key_id},
                   parts->key};
}

std::string EncodeVerifierKey(const VerifierKey& key) {
  return KeyLabel(key.name, key.key_id) + "+" +
         Base64Encode(std::string(1, static_cast<char>(key.type)) +
                      std::string(AsChars(key.public_key)));
}

Result<VerifierKey> ParseVerifierKey(std::string_view text) {
  auto parts = SplitKeyText(text);
  if (!parts.ok()) return parts.status();
  if (KeyId(parts->name, parts->type, parts->key) != parts->key_id) {
    return Malformed("the key id does not match the key");
  }
  return VerifierKey{std::string(parts->name), parts->type, parts->key, parts->key_id};
}

Result<Note> ParseNote(std::string_view note) {
  if (note.size() > kNoteBytesMax) return Malformed("note larger than 1 MiB");
  if (Status s = CheckNoteBytes(note); !s.ok()) return s;
  const size_t split = note.rfind("\n\n");
  if (split == std::string_view::npos) return Malformed("no blank line before the signatures");
  Note out;
  out.text = note.substr(0, split + 1);
  if (Status s = CheckNoteText(out.text); !s.ok()) return s;
  std::string_view lines = note.substr(split + 2);
  if (lines.empty()) return Malformed("no signature lines");
  if (lines.back() != '\n') return Malformed("the last signature line must end with a newline");
  while (!lines.empty()) {
    if (out.signatures.size() == kNoteSignaturesMax) return Malformed("too many signatures");
    const size_t end = lines.find('\n');
    auto signature = ParseSignatureLine(lines.substr(0, end));
    if (!signature.ok()) return signature.status();
    out.signatures.push_back(std::move(signature.value()));
    lines.remove_prefix(end + 1);
  }
  return out;
}

std::string FormatNote(const Note& note) {
  std::string out = note.text + "\n";
  for (const NoteSignature& signature : note.signatures) {
    std::string bytes;
    PutBigEndian(signature.key_id, kKeyIdBytes, &bytes);
    bytes += signature.signature;
    out += std::string(kSignaturePrefix) + signature.name + " " + Base64Encode(bytes) + "\n";
  }
  return out;
}

Result<NoteSignature> SignNoteText(const SignerKey& key, std::string_view text) {
  if (Status s = CheckSigner(key, kKeyTypeEd25519); !s.ok()) return s;
  if (Status s = CheckNoteText(text); !s.ok()) return s;
  auto signature = ed25519::Sign(key.seed, text);
  if (!signature.ok()) return signature.status();
  return NoteSignature{key.verifier.name, key.verifier.key_id,
                       std::string(signature->begin(), signature->end())};
}

Result<NoteVerification> VerifyNote(const Note& note, const std::vector<VerifierKey>& trusted) {
  if (Status s = CheckNoteText(note.text); !s.ok()) return s;
  if (note.signatures.size() > kNoteSignaturesMax) return Malformed("too many signatures");
  NoteVerification out;
  for (const NoteSignature& signature : note.signatures) {
    auto key = FindTrusted(trusted, signature);
    if (!key.ok()) return key.status();
    if (key.value() == nullptr) {
      ++out.unknown_signatures;
      continue;
    }
    const VerifierKey& k = *key.value();
    bool valid = false;
    if (k.type == kKeyTypeEd25519) {
      valid = ed25519::Verify(k.public_key, note.text, signature.signature);
    } else if (k.type == kKeyTypeCosignature) {
      valid = VerifyCosignature(k, note.text, signature).ok();
    }
    const std::string label = KeyLabel(k.name, k.key_id);
    if (!valid) return Status::Corruption("invalid signature for key " + label);
    if (std::find(out.verified_by.begin(), out.verified_by.end(), label) == out.verified_by.end()) {
      out.verified_by.push_back(label);
    }
  }
  if (out.verified_by.empty()) {
    return Status::NotFound("no trusted key signed the note (" +
                            std::to_string(out.unknown_signatures) + " unknown signatures)");
  }
  return out;
}

}  // namespace gpuledger::audit
