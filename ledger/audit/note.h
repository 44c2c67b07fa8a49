// C2SP signed notes (c2sp.org/signed-note), Ed25519 keys through OpenSSL, tlog-checkpoint
// bodies (c2sp.org/tlog-checkpoint) and tlog-cosignature/v1 witness cosignatures
// (c2sp.org/tlog-cosignature). RocksDB-free: the offline verifier links it.
//
// Thread-safety: free functions, no shared state; safe from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gpuledger/status.h"
#include "ledger/audit/sha256.h"

namespace gpuledger::audit {

// Signature types of signed-note keys (the byte before the public key in a key's encoding).
inline constexpr uint8_t kKeyTypeEd25519 = 0x01;      // signed-note Ed25519
inline constexpr uint8_t kKeyTypeCosignature = 0x04;  // tlog-cosignature/v1 (Ed25519)
inline constexpr size_t kEd25519KeyBytes = 32;
inline constexpr size_t kEd25519SignatureBytes = 64;
inline constexpr size_t kNoteBytesMax = 1 << 20;   // a note larger than this is refused
inline constexpr size_t kNoteSignaturesMax = 100;  // signature lines per note

using Ed25519Key = std::array<uint8_t, kEd25519KeyBytes>;

struct VerifierKey {
  std::string name;  // non-empty valid UTF-8, no Unicode space, '+' or control character
  uint8_t type = kKeyTypeEd25519;
  Ed25519Key public_key{};
  uint32_t key_id = 0;  // first 4 bytes (big-endian) of SHA-256(name || "\n" || type || key)
};

struct SignerKey {
  VerifierKey verifier;  // the public half, with its name and key id
  Ed25519Key seed{};     // the Ed25519 private key (RFC 8032 seed)
};

uint32_t KeyId(std::string_view name, uint8_t type, const Ed25519Key& public_key);

// A fresh key from OpenSSL's CSPRNG.
[[nodiscard]] Result<SignerKey> GenerateSignerKey(std::string_view name,
                                                  uint8_t type = kKeyTypeEd25519);
// "PRIVATE+KEY+<name>+<8 hex key id>+<base64(type || seed)>" (the Go note package's form).
std::string EncodeSignerKey(const SignerKey& key);
// Both parses are strict: the key id is 8 lowercase hex digits and must match the key (a
// signer key's is checked against the public key derived from its seed), the type 0x01 or
// 0x04, the base64 canonical.
[[nodiscard]] Result<SignerKey> ParseSignerKey(std::string_view text);
// "<name>+<8 hex key id>+<base64(type || public key)>" (a vkey).
std::string EncodeVerifierKey(const VerifierKey& key);
[[nodiscard]] Result<VerifierKey> ParseVerifierKey(std::string_view text);  // checks the id

// One signature line: "— <name> <base64(4-byte key id || signature bytes)>".
struct NoteSignature {
  std::string name;
  uint32_t key_id = 0;
  std::string signature;  // the bytes after the key id (64 for Ed25519; 72 for cosignatures)
};

struct Note {
  std::string text;  // the signed text: non-empty, ends with '\n', no blank last line
  std::vector<NoteSignature> signatures;
};

// Strict parse per signed-note: text, one blank line, one or more signature lines, each
// ending in '\n'; the text ends at the last blank line. Rejects malformed notes: not UTF-8,
// a control character other than '\n', no signatures, a bad key name or base64, a signature
// of under 5 bytes, more than kNoteSignaturesMax lines, over kNoteBytesMax. Keeps every
// signature, by whatever key, in order; FormatNote gives back the same bytes.
[[nodiscard]] Result<Note> ParseNote(std::string_view note);
std::string FormatNote(const Note& note);  // text + "\n" + signature lines

// Signs `text` (must be a valid Note::text) with an Ed25519 (type 0x01) key whose seed,
// public key and key id agree.
[[nodiscard]] Result<NoteSignature> SignNoteText(const SignerKey& key, std::string_view text);

// Which trusted keys verified the note. Signatures whose (name, key id) match no trusted
// key are ignored (counted in `unknown_signatures`), as signed-note requires. A trusted key
// of type 0x01 checks an Ed25519 signature of the text; one of type 0x04 a tlog-cosignature/v1
// of the text as a checkpoint body. Fails with Corruption if a signature from a trusted key
// does not verify, NotFound if no trusted key signed the note, InvalidArgument if the text is
// malformed or two different trusted keys share a (name, key id).
struct NoteVerification {
  std::vector<std::string> verified_by;  // "<name>+<8 hex key id>" of each trusted signer
  size_t unknown_signatures = 0;
};
[[nodiscard]] Result<NoteVerification> VerifyNote(const Note& note,
                                                  const std::vector<VerifierKey>& trusted);

// tlog-checkpoint body: "<origin>\n<tree size>\n<base64 root>\n" then extension lines.
struct Checkpoint {
  std::string origin;
  uint64_t tree_size = 0;
  Hash256 root{};
  std::vector<std::string> extensions;  // extra lines, without their '\n'
};
// Meant for a checkpoint ValidateCheckpoint accepts; otherwise the body will not parse back.
std::string FormatCheckpoint(const Checkpoint& checkpoint);
// OK if FormatCheckpoint(checkpoint) parses back to it: a non-empty origin and non-empty
// extension lines, none with a newline or another control character, valid UTF-8.
[[nodiscard]] Status ValidateCheckpoint(const Checkpoint& checkpoint);
// Strict: at least three lines, tree size in decimal without leading zeros (and < 2^64), the
// root the base64 of exactly 32 bytes, no empty extension line, ending with a newline.
[[nodiscard]] Result<Checkpoint> ParseCheckpoint(std::string_view note_text);

// A signed note whose text is a tlog-checkpoint body, both parsed; signatures are not
// verified (VerifyNote). Errors say which of the two the bytes are not.
struct SignedCheckpoint {
  Note note;
  Checkpoint body;
};
[[nodiscard]] Result<SignedCheckpoint> ParseSignedCheckpoint(std::string_view note);

// tlog-cosignature/v1: a witness (key type 0x04) signs
//   "cosignature/v1\ntime <timestamp>\n" || checkpoint body
// and the signature line carries the 8-byte big-endian timestamp then the 64-byte Ed25519
// signature.
[[nodiscard]] Result<NoteSignature> Cosign(const SignerKey& witness,
                                           std::string_view checkpoint_body,
                                           uint64_t timestamp_seconds);
// Cosign refuses a body ParseCheckpoint refuses and a timestamp above 2^63 - 1 (the spec's
// bound). Verifies a cosignature line by `witness` (type 0x04) on `checkpoint_body`; on
// success returns the timestamp it carries.
[[nodiscard]] Result<uint64_t> VerifyCosignature(const VerifierKey& witness,
                                                 std::string_view checkpoint_body,
                                                 const NoteSignature& signature);

// RFC 4648 standard base64 with padding. Encoding is OpenSSL's EVP_EncodeBlock; decoding is
// done here because EVP_DecodeBlock skips whitespace and keeps the padding's zero bytes:
// it is strict (no whitespace, padding required and only at the end, and the bits a padded
// group drops must be zero), so every byte string has exactly one accepted encoding.
std::string Base64Encode(std::string_view bytes);
[[nodiscard]] Result<std::string> Base64Decode(std::string_view text);

}  // namespace gpuledger::audit
