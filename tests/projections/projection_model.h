// The reference model of projection_property_test.cc: a brute-force, in-memory model of the
// projections (shared/spec/events.md sections 5-7) over a scenario's events, written from the
// spec alone. Over the first n events of a ledger it computes the settlement figures of a
// month (and, through the live close, the frozen figures and the adjustment), the usage rows
// and the anomaly rows that `gpuledger report settlement|usage|anomalies` must print.
//
// It works second by second: for each contract, second and GPU it asks "listed by a live
// capacity event of this contract, inside its period, and by no other contract inside that
// one's period?". That is slow but close to the wording of the spec, and it shares no code
// with consumers/projections (it uses only the test helpers of
// tests/support/projection_scenario_util.h, which know the external contract only): the
// property test compares the real projections against it, so a model that reused the
// engine's code would repeat the engine's mistakes instead of catching them.
//
// One reading is left out of the comparison: the late_for_closed_period row of a void whose
// target went dead later with its contract or allocation (the spec does not say whether
// such a void still "refers to" the voided contract); see Reference::Footprint.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/projection_scenario_util.h"

namespace gpuledger::testing::projection_model {

// 2026-03-31T15:00:00Z: KST 2026-04-01 00:00, the start of settlement month 2026-04.
inline constexpr int64_t kBoundary = 1774969200;
inline const std::vector<std::string> kMonths = {"2026-03", "2026-04"};
// The reference's second-by-second window; every contract period lies inside it.
inline constexpr int64_t kT0 = kBoundary - 8 * 3600;
inline constexpr int64_t kT1 = kBoundary + 8 * 3600;

enum class Kind { kContract, kCapacity, kGrant, kRelease, kUsage, kClose, kVoid };

struct Ev {
  Kind kind = Kind::kContract;
  std::string id, source;
  std::string contract_id, csp_id, allocation_id, user_id, month, target;
  int64_t committed = 0, price = 0, penalty = 0, max_per = 0, gpus = 0;
  int64_t start = 0, end = 0, at = 0, gpu_seconds = 0;
  std::vector<std::string> uuids;
};

// ---------------------------------------------------------------------------------------
// Reference (spec sections 5-7), over the first n events of the ledger.

struct Figures {
  int64_t v[7] = {0, 0, 0, 0, 0, 0, 0};  // the seven figures in spec order
};

Json FiguresJson(const Figures& f);

class Reference {
 public:
  Reference(const std::vector<Ev>& events, size_t n);

  bool Listed(const std::string& cid, const std::string& gpu, int64_t t) const;

  // contract_id -> (csp_id, figures) for the contracts active in `month`.
  std::map<std::string, std::pair<std::string, Figures>> Settlement(const std::string& month);

  // The active window [start, end) of a live allocation.
  std::pair<int64_t, int64_t> Window(const std::string& aid) const;

  Json Usage(const std::string& month) const;

  // The live close of `month` (its ledger index), if any.
  std::optional<size_t> LiveClose(const std::string& month) const;

  // A time footprint (section 6); nullopt for none. `ambiguous` set for a void whose target
  // refers to a contract or allocation that is no longer live (left out of the comparison).
  std::optional<std::pair<int64_t, int64_t>> Footprint(size_t i, bool* ambiguous) const;

  // Every anomaly row (section 6, no --month). Rows the spec leaves open go to *skip (as
  // "event_id|month" keys of late rows).
  std::vector<Json> Anomalies(std::set<std::string>* skip) const;

 private:
  const std::vector<Ev>& ev_;
  size_t n_;
  std::vector<bool> live_;
  std::map<std::string, size_t> contract_, grant_;  // live id -> index of its event
  std::map<std::string, std::map<std::string, std::vector<uint8_t>>> listed_;
};

// The expected `report settlement` rows of `month` (closed_at_root as "<hex64>").
Json ExpectedSettlement(const std::vector<Ev>& events, const std::string& month);

}  // namespace gpuledger::testing::projection_model
