// The log's public keys as an auditor or a witness trusts them: vkeys, one per line (a
// `gpuledger keygen` .vkey file, or several), Ed25519 signed-note keys only, so that a
// witness's cosignature key can never stand in for the log's own signature.
#pragma once

#include <string_view>
#include <vector>

#include "gpuledger/status.h"
#include "ledger/audit/note.h"

namespace gpuledger::verify {

inline constexpr size_t kKeyFileBytesMax = 64 * 1024;

// Parses every non-empty line of `text` (CR LF or LF) as a log key; `where` names the source
// in errors. At least one key.
[[nodiscard]] Result<std::vector<audit::VerifierKey>> ParseLogKeys(std::string_view text,
                                                                   std::string_view where);

}  // namespace gpuledger::verify
