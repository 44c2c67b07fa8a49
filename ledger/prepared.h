// The result of the intake's stateless checks for one message. Private to ledger/.
#pragma once

#include <optional>
#include <string>

#include "gpuledger/ledger.h"
#include "ledger/event_parse.h"

namespace gpuledger {

struct Prepared {
  std::optional<CheckFailure> envelope_failure;  // check 1
  Envelope envelope;                             // valid when !envelope_failure
  Hash256 content{};                             // RFC 8785 content hash
  std::optional<CheckFailure> failure;           // the first failing of checks 3-6
  EventType type = EventType::kContractRegistered;
  EventData data;
  std::string event_bytes;  // the Event FlatBuffer, when no check failed
};

// Fills *out (reused between messages) from `message`. Pure apart from the parser's buffers.
void PrepareMessage(EventParser& parser, EventEncoder& encoder, std::string_view message,
                    const std::vector<std::string>* bound_sources, Prepared* out);

}  // namespace gpuledger
