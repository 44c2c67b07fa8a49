// Deterministic synthetic streams of a month of the programme: the ministry's contracts and
// allocations, and a few CSPs' capacity reports (every N minutes, with outages) and usage.
// Used by `gpuledger simulate`, the demo, tests and benchmarks. Standard library only.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "gpuledger/status.h"

namespace gpuledger {

struct SimulateOptions {
  uint64_t seed = 1;
  uint32_t scale = 1;             // multiplies CSPs' contracts and allocations
  std::string month = "2026-04";  // "YYYY-MM": the KST settlement month simulated
  uint32_t csps = 3;              // CSPs (kt-cloud, naver-cloud, nhn-cloud, then csp-N)
  uint32_t capacity_interval_seconds = 600;
  uint32_t days = 0;        // 0: the whole month; else only the first `days` days
  bool close_month = true;  // the ministry closes the month at its end
  // Also emit a few exact re-sends (duplicates) and bad messages (each rejected with a
  // known reason), so that every outcome appears.
  bool with_faults = false;
};

struct SimulatedEvent {
  std::string_view source;  // "ministry" or "csp/<id>"
  std::string_view topic;   // the topic this source is bound to: "gpu-events.<ministry|id>"
  std::string_view json;    // one structured-mode JSON event (one line, no newline)
};

struct SimulateSummary {
  uint64_t events = 0;
  uint64_t expected_accepted = 0, expected_duplicate = 0, expected_rejected = 0;
};

// With faults, after the close: CSP 0 reports a spare GPU for the last ten minutes of its
// first contract, a late event that changes the closed month (an adjustment).
std::string LateCapacityEvent(const SimulateOptions& options);

// Calls `sink` for every event in time order (views valid during the call only). The same
// options give the same bytes.
[[nodiscard]] Result<SimulateSummary> Simulate(
    const SimulateOptions& options, const std::function<void(const SimulatedEvent&)>& sink);

}  // namespace gpuledger
