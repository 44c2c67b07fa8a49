// tlog-checkpoint bodies (c2sp.org/tlog-checkpoint) and tlog-cosignature/v1 witness
// cosignatures (c2sp.org/tlog-cosignature), declared in note.h.
#include <algorithm>
#include <charconv>

#include "ledger/audit/ed25519.h"
#include "ledger/audit/note.h"
#include "ledger/audit/note_internal.h"

namespace gpuledger::audit {

using note_internal::AsChars;
using note_internal::CheckNoteText;
using note_internal::CheckSigner;
using note_internal::GetBigEndian;
using note_internal::KeyLabel;
using note_internal::PutBigEndian;

namespace {

constexpr size_t kTimestampBytes = 8;
constexpr uint64_t kTimestampSecondsMax = (uint64_t{1} << 63) - 1;  // tlog-cosignature's bound

Status Malformed(std::string what) { return Status::InvalidArgument(std::move(what)); }

// The Ed25519 signed message: two header lines, then the checkpoint body as it is.
std::string CosignedMessage(uint64_t timestamp_seconds, std::string_view checkpoint_body) {
  std::string message = "cosignature/v1\ntime " + std::to_string(timestamp_seconds) + "\n";
  message += checkpoint_body;
  return message;
}

}  // namespace

std::string FormatCheckpoint(const Checkpoint& checkpoint) {
  std::string out = checkpoint.origin + "\n" + std::to_string(checkpoint.tree_size) + "\n" +
                    Base64Encode(AsChars(checkpoint.root)) + "\n";
  for (const std::string& line : checkpoint.extensions) out += line + "\n";
  return out;
}

Status ValidateCheckpoint(const Checkpoint& checkpoint) {
  auto parsed = ParseCheckpoint(FormatCheckpoint(checkpoint));
  if (!parsed.ok()) return parsed.status();
  // A '\n' inside the origin or an extension would parse, but as different lines.
  if (parsed->origin != checkpoint.origin || parsed->extensions != checkpoint.extensions) {
    return Malformed("the origin and extension lines must not contain a newline");
  }
  return Status::Ok();
}

Result<Checkpoint> ParseCheckpoint(std::string_view note_text) {
  if (Status s = CheckNoteText(note_text); !s.ok()) return s;
  std::vector<std::string_view> lines;
  for (std::string_view rest = note_text; !rest.empty();) {
    const size_t end = rest.find('\n');
    lines.push_back(rest.substr(0, end));
    rest.remove_prefix(end + 1);
  }
  if (lines.size() < 3) return Malformed("a checkpoint has an origin, a size and a root line");
  Checkpoint out;
  out.origin = lines[0];
  if (out.origin.empty()) return Malformed("empty checkpoint origin");
  const std::string_view size = lines[1];
  const bool digits = !size.empty() && std::all_of(size.begin(), size.end(),
                                                   [](char c) { return c >= '0' && c <= '9'; });
  if (!digits || (size.size() > 1 && size[0] == '0') ||
      std::from_chars(size.data(), size.data() + size.size(), out.tree_size).ec != std::errc()) {
    return Malformed("the tree size is not a decimal uint64 without leading zeros");
  }
  auto root = Base64Decode(lines[2]);
  if (!root.ok() || root->size() != out.root.size()) {
    return Malformed("the root is not the base64 of 32 bytes");
  }
  std::copy(root->begin(), root->end(), out.root.begin());
  for (size_t i = 3; i < lines.size(); ++i) {
    if (lines[i].empty()) return Malformed("empty checkpoint extension line");
    out.extensions.emplace_back(lines[i]);
  }
  return out;
}

Result<SignedCheckpoint> ParseSignedCheckpoint(std::string_view note) {
  auto parsed = ParseNote(note);
  if (!parsed.ok())
    return Status::InvalidArgument("not a signed note: " + parsed.status().message());
  auto body = ParseCheckpoint(parsed->text);
  if (!body.ok()) return Status::InvalidArgument("not a checkpoint: " + body.status().message());
  return SignedCheckpoint{std::move(parsed.value()), std::move(body.value())};
}

Result<NoteSignature> Cosign(const SignerKey& witness, std::string_view checkpoint_body,
                             uint64_t timestamp_seconds) {
  if (Status s = CheckSigner(witness, kKeyTypeCosignature); !s.ok()) return s;
  if (timestamp_seconds > kTimestampSecondsMax) {
    return Status::InvalidArgument("timestamp over 2^63-1");
  }
  if (auto body = ParseCheckpoint(checkpoint_body); !body.ok()) return body.status();
  auto signature = ed25519::Sign(witness.seed, CosignedMessage(timestamp_seconds, checkpoint_body));
  if (!signature.ok()) return signature.status();
  NoteSignature out{witness.verifier.name, witness.verifier.key_id, {}};
  PutBigEndian(timestamp_seconds, kTimestampBytes, &out.signature);
  out.signature.append(signature->begin(), signature->end());
  return out;
}

Result<uint64_t> VerifyCosignature(const VerifierKey& witness, std::string_view checkpoint_body,
                                   const NoteSignature& signature) {
  if (witness.type != kKeyTypeCosignature) {
    return Status::InvalidArgument("not a tlog-cosignature/v1 key");
  }
  if (signature.name != witness.name || signature.key_id != witness.key_id) {
    return Status::InvalidArgument("the signature is not by " +
                                   KeyLabel(witness.name, witness.key_id));
  }
  if (signature.signature.size() != kTimestampBytes + kEd25519SignatureBytes) {
    return Status::Corruption("a cosignature is 72 bytes");
  }
  const uint64_t timestamp_seconds = GetBigEndian(signature.signature, kTimestampBytes);
  if (timestamp_seconds > kTimestampSecondsMax) {
    return Status::Corruption("cosignature timestamp over 2^63-1");
  }
  if (auto body = ParseCheckpoint(checkpoint_body); !body.ok()) return body.status();
  if (!ed25519::Verify(witness.public_key, CosignedMessage(timestamp_seconds, checkpoint_body),
                       std::string_view(signature.signature).substr(kTimestampBytes))) {
    return Status::Corruption("invalid cosignature by " + KeyLabel(witness.name, witness.key_id));
  }
  return timestamp_seconds;
}

}  // namespace gpuledger::audit
