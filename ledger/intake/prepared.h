// The result of the intake's stateless checks for one message. Private to ledger/.
#pragma once

#include <optional>
#include <string>

#include "gpuledger/ledger.h"
#include "ledger/audit/sha256.h"
#include "ledger/intake/event_parse.h"
#include "ledger/store/entry_codec.h"

namespace gpuledger {

struct Prepared {
  std::optional<CheckFailure> envelope_failure;  // check 1
  Envelope envelope;                             // valid when !envelope_failure
  Hash256 content{};                             // RFC 8785 content hash
  std::optional<CheckFailure> failure;           // the first failing of checks 3-6
  EventType type = EventType::kContractRegistered;
  EventData data;
  // When no check failed: the entry it would become (LedgerEntry bytes) and its leaf hash.
  std::string entry_bytes;
  Hash256 leaf{};
};

// What a thread needs to prepare messages. Not thread-safe: one per thread.
struct PrepareContext {
  EventParser parser;
  EventEncoder event_encoder;
  EntryEncoder entry_encoder;
  Sha256 sha;
};

// Fills *out (reused between messages) from `message`, received from `origin` at
// `ingest_time`.
void PrepareMessage(PrepareContext& context, std::string_view message, const Origin& origin,
                    int64_t ingest_time, const std::vector<std::string>* bound_sources,
                    std::string_view content_type, Prepared* out);

}  // namespace gpuledger
