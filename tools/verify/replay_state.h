// What SettlementReplay keeps between calls (replay.h), shared by replay.cc (loading,
// closes, touches) and replay_settle.cc (the settlement itself). Private to tools/verify.
#pragma once

#include <flatbuffers/flatbuffers.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tools/verify/replay.h"

namespace gpuledger::verify {

// A FlatBuffers string as a view; a missing one (an optional field) is empty. The one
// copy for gpuledger-verify's replay; the projections (consumers/projections/projection_apply.h)
// has its own, as it shares no code with the other side.
inline std::string_view View(const flatbuffers::String* s) {
  return s == nullptr ? std::string_view() : std::string_view(s->data(), s->size());
}

// "Not voided": a void index no prefix reaches, so `voided_at >= prefix` reads as live.
inline constexpr uint64_t kNeverVoided = std::numeric_limits<uint64_t>::max();

// One registration of a contract id: ids can be registered again after a void, and each
// registration is its own contract (capacity reports belong to the one they were sent for).
struct ContractInstance {
  uint64_t index = 0;  // of its contract.registered
  uint64_t voided_at = kNeverVoided;
  std::string contract_id, csp_id;
  int64_t committed_gpus = 0, period_start = 0, period_end = 0;
  int64_t price_krw_per_gpu_hour = 0, penalty_krw_per_gpu_hour = 0;
  bool LiveAt(uint64_t prefix_size) const {
    return index < prefix_size && voided_at >= prefix_size;
  }
};

// One grant of an allocation id: only what Touches needs (its contract and window).
struct AllocationInstance {
  uint64_t index = 0;
  std::string contract_id;
  int64_t start = 0, end = 0;
};

struct CloseRecord {
  uint64_t index = 0;  // its closed_at_tree_size
  uint64_t voided_at = kNeverVoided;
  std::string month;
};

// Unambiguous key of an event's (source, id), whatever bytes either holds.
inline std::string EventKey(std::string_view source, std::string_view id) {
  std::string key = std::to_string(source.size());
  key += ':';
  key += source;
  key += id;
  return key;
}

// Months as a count: year * 12 + (month - 1), KST.
int64_t MonthNumberOf(int64_t unix_seconds);
std::string MonthText(int64_t month_number);
int64_t MonthStart(int64_t month_number);  // Unix seconds
// The "YYYY-MM" months that [start, end) meets (none if empty).
void AddMonths(int64_t start, int64_t end, std::set<std::string>* months);

struct SettlementReplay::State {
  uint64_t size = 0;
  std::vector<ContractInstance> contracts;                                 // in ledger order
  std::unordered_map<std::string, std::vector<uint32_t>> contracts_by_id;  // ascending index
  std::vector<AllocationInstance> allocations;
  std::unordered_map<std::string, std::vector<uint32_t>> allocations_by_id;
  std::vector<CloseRecord> closes;
  // Every void's target (EventKey of the void's own source and its event_id) -> the void's
  // index. Targets that are contracts or closes also have their voided_at set.
  std::unordered_map<std::string, uint64_t> voided;
  // EventKey -> what it is, for the kinds kept (so a void of one can be resolved).
  enum class Kind : uint8_t { kContract, kAllocation, kClose, kVoid };
  std::unordered_map<std::string, std::pair<Kind, uint64_t>> kept;  // -> (kind, position)
  // What voided capacity reports, usage and releases touch (ResolveVoidTargets).
  std::unordered_map<std::string, EntryTouches> void_targets;

  // The latest registration (grant) of `id` below entry `before`, if any.
  std::optional<uint32_t> ContractBefore(std::string_view id, uint64_t before) const;
  std::optional<uint32_t> AllocationBefore(std::string_view id, uint64_t before) const;
  uint64_t VoidIndexOf(const std::string& key) const {
    auto it = voided.find(key);
    return it == voided.end() ? kNeverVoided : it->second;
  }
};

}  // namespace gpuledger::verify
