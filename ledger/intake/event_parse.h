// Spec sections 2-3 checks that need no ledger state: the envelope (check 1), the type
// (check 3), who may send it (check 4), data field types (check 5) and value rules
// (check 6). Checks 2, 7, 8 and 9 need the ledger and live in intake.cc.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "gpuledger/types.h"
#include "ledger/audit/sha256.h"

namespace gpuledger {

enum class EventType : uint8_t {
  kContractRegistered = 1,
  kCapacityReported,
  kAllocationGranted,
  kAllocationReleased,
  kUsageReported,
  kPeriodClosed,
  kEventVoided,
};
inline constexpr int kEventTypeCount = 7;
std::string_view EventTypeName(EventType type);  // "contract.registered", ...

struct ContractRegisteredData {
  std::string contract_id, csp_id, programme, gpu_model;
  int64_t committed_gpus = 0, period_start = 0, period_end = 0;
  int64_t price_krw_per_gpu_hour = 0, penalty_krw_per_gpu_hour = 0, max_gpus_per_allocation = 0;
};
struct CapacityReportedData {
  std::string contract_id;
  int64_t interval_start = 0, interval_end = 0;
  std::vector<std::string> gpu_uuids;
};
struct AllocationGrantedData {
  std::string allocation_id, contract_id, user_id;
  int64_t gpus = 0, start = 0, end = 0;
};
struct AllocationReleasedData {
  std::string allocation_id;
  int64_t at = 0;
};
struct UsageReportedData {
  std::string allocation_id;
  int64_t interval_start = 0, interval_end = 0, gpu_seconds = 0;
};
struct PeriodClosedData {
  std::string month;
};
struct EventVoidedData {
  std::string event_id, reason;
};
using EventData =
    std::variant<ContractRegisteredData, CapacityReportedData, AllocationGrantedData,
                 AllocationReleasedData, UsageReportedData, PeriodClosedData, EventVoidedData>;

struct Envelope {
  std::string specversion, id, source, type;
  std::string time_text;
  int64_t time = 0;
  bool time_fractional = false;
  std::optional<std::string> subject, datacontenttype, dataschema;
};

// A failed check: the reason code and plain words.
// True if `source` may send on a topic bound to `bound` (exact names, "<prefix>/*", "*").
bool SourceIsBound(const std::vector<std::string>& bound, std::string_view source);

struct CheckFailure {
  std::string_view reason;
  std::string detail;
};
// The failure of a check with `reason` (a reason code of spec section 4) and its detail;
// every check of the intake (here and in intake.cc) reports through it.
CheckFailure CheckFailed(std::string_view reason, std::string detail);
// `text` in single quotes, as the details quote names, ids and attributes.
std::string Quote(std::string_view text);

// The parser keeps simdjson's buffers between messages. Not thread-safe: one per thread.
class EventParser {
 public:
  // Check 1. On success fills *envelope and *content (SHA-256 of the RFC 8785 form of the
  // whole event) and keeps the parsed document for the later steps.
  std::optional<CheckFailure> ParseEnvelope(std::string_view message, Envelope* envelope,
                                            Hash256* content);
  // Check 3, then check 4 (`bound_sources` non-null: the sources the Kafka topic admits).
  std::optional<CheckFailure> CheckType(const Envelope& envelope, EventType* type,
                                        const std::vector<std::string>* bound_sources) const;
  // Checks 5 and 6 on the document of the last ParseEnvelope.
  std::optional<CheckFailure> ParseData(const Envelope& envelope, EventType type, EventData* data);

 private:
  simdjson::dom::parser parser_;
  simdjson::dom::element root_;
  Sha256 sha_;
  std::string canonical_;
  std::string rewritten_;      // the message with integers beyond 64 bits made doubles
  bool big_integers_ = false;  // the last message had such integers (see event_parse.cc)
};

// "csp/<id>" -> "<id>"; nullopt for any other source (including "ministry").
std::optional<std::string_view> CspIdOfSource(std::string_view source);
inline constexpr std::string_view kMinistrySource = "ministry";

}  // namespace gpuledger
