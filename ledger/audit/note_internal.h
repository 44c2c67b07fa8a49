// What note.cc (notes and keys) shares with tlog_checkpoint.cc (checkpoint bodies and
// cosignatures). Private to ledger/audit; defined in note.cc.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "gpuledger/status.h"
#include "ledger/audit/note.h"

namespace gpuledger::audit::note_internal {

// OK if `text` may be a Note::text: at most kNoteBytesMax, ends in '\n' but not in a blank
// line, valid UTF-8, no control character other than '\n'.
[[nodiscard]] Status CheckNoteText(std::string_view text);
// OK if `key` is of `type` with a valid name, and its public key and key id derive from
// its seed.
[[nodiscard]] Status CheckSigner(const SignerKey& key, uint8_t type);

std::string KeyLabel(std::string_view name, uint32_t key_id);  // "<name>+<8 hex key id>"
void PutBigEndian(uint64_t value, size_t size_bytes, std::string* out);
uint64_t GetBigEndian(std::string_view bytes, size_t size_bytes);  // bytes.size() >= size_bytes
std::string_view AsChars(const std::array<uint8_t, 32>& bytes);

}  // namespace gpuledger::audit::note_internal
