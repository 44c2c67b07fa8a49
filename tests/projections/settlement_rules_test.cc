// The projection rules of the external contract (shared/spec/events.md sections 5-8),
// checked from outside: each test writes a small JSON Lines scenario, ingests it with
// `gpuledger ingest` (every line must be accepted, so a typo cannot pass silently) and reads
// `gpuledger report settlement|usage|anomalies`. Expected numbers are worked out by hand in
// the comments, from the spec alone (not from the engine).
//
// Conventions: all times are 2026-04-01 UTC unless written otherwise (so KST month
// "2026-04"); prices are 3600 KRW/GPU-hour where possible, so 1 GPU-second = 1 KRW.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/projection_scenario_util.h"
#include "tests/support/test_util.h"

namespace gpuledger::testing {
namespace {

using ::testing::AssertionFailure;
using ::testing::AssertionResult;
using ::testing::AssertionSuccess;

constexpr const char* kKt = "kt-cloud";
constexpr const char* kNaver = "naver-cloud";
const std::string kKtSource = "csp/kt-cloud";
const std::string kNaverSource = "csp/naver-cloud";

// 2026-04-01T<hh:mm>:00Z.
std::string A(std::string_view hh_mm) { return "2026-04-01T" + std::string(hh_mm) + ":00Z"; }
// 2026-03-31T<hh:mm>:00Z (KST 2026-03-31 up to 14:59:59Z, KST 2026-04-01 from 15:00Z).
std::string M(std::string_view hh_mm) { return "2026-03-31T" + std::string(hh_mm) + ":00Z"; }

// The seven settlement figures of section 5, in spec order.
struct Figures {
  int64_t committed, delivered, payable, shortfall, amount, penalty, net;
};

AssertionResult HasFigures(const Json& obj, const Figures& f) {
  const int64_t want[7] = {f.committed, f.delivered, f.payable, f.shortfall,
                           f.amount,    f.penalty,   f.net};
  if (!obj.is_object()) return AssertionFailure() << "not an object: " << obj.dump();
  AssertionResult result = AssertionSuccess();
  bool ok = true;
  std::string problems;
  for (int i = 0; i < 7; ++i) {
    auto it = obj.find(kFigureNames[i]);
    if (it == obj.end()) {
      ok = false;
      problems += std::string("\n  missing ") + kFigureNames[i];
    } else if (!it->is_number_integer()) {
      ok = false;
      problems += std::string("\n  ") + kFigureNames[i] + " not a JSON integer: " + it->dump();
    } else if (it->get<int64_t>() != want[i]) {
      ok = false;
      problems += std::string("\n  ") + kFigureNames[i] + ": expected " + std::to_string(want[i]) +
                  ", got " + it->dump();
    }
  }
  if (ok) return AssertionSuccess();
  return AssertionFailure() << problems << "\n  in " << obj.dump();
}

std::vector<std::string> Ids(const Json& rows, const char* key) {
  std::vector<std::string> ids;
  for (const auto& r : rows) {
    ids.push_back(r.is_object() && r.contains(key) && r[key].is_string()
                      ? r[key].get<std::string>()
                      : "<no " + std::string(key) + ">");
  }
  return ids;
}

// A row reduced to kind, event_id, source and its kind's fields (a missing one as the
// string "<missing>"); rows of an unknown kind are kept whole.
Json Projected(const Json& row) {
  if (!row.is_object() || !row.contains("kind") || !row["kind"].is_string()) return row;
  auto it = AnomalyFields().find(row["kind"].get<std::string>());
  if (it == AnomalyFields().end()) return row;
  Json out = Json::object();
  std::vector<std::string> keys = {"kind", "event_id", "source"};
  keys.insert(keys.end(), it->second.begin(), it->second.end());
  for (const auto& k : keys) out[k] = row.contains(k) ? row[k] : Json("<missing>");
  return out;
}

// Anomaly rows compared as a set (order is the engine's choice).
AssertionResult AnomaliesAre(const Json& actual, const std::vector<Json>& expected) {
  if (!actual.is_array()) return AssertionFailure() << "not an array: " << actual.dump();
  std::multiset<std::string> got, want;
  for (const auto& r : actual) got.insert(Projected(r).dump());
  for (const auto& r : expected) want.insert(Projected(r).dump());
  if (got == want) return AssertionSuccess();
  AssertionResult f = AssertionFailure();
  f << "anomaly rows differ";
  for (const auto& w : want) {
    if (!got.count(w)) f << "\n  missing:    " << w;
  }
  for (const auto& g : got) {
    if (!want.count(g)) f << "\n  unexpected: " << g;
  }
  return f;
}

Json DoubleClaim(std::string_view event_id, std::string_view source, std::string_view c1,
                 std::string_view c2, std::string_view gpu, std::string_view start,
                 std::string_view end) {
  return {{"kind", "gpu_double_claimed"},
          {"event_id", event_id},
          {"source", source},
          {"contract_ids", Json::array({c1, c2})},
          {"gpu_uuid", gpu},
          {"start", start},
          {"end", end}};
}
Json CapacityOutside(std::string_view event_id, std::string_view source,
                     std::string_view contract_id, std::string_view start, std::string_view end) {
  return {{"kind", "capacity_outside_contract"}, {"event_id", event_id}, {"source", source},
          {"contract_id", contract_id},          {"start", start},       {"end", end}};
}
Json OverReported(std::string_view event_id, std::string_view source,
                  std::string_view allocation_id, std::string_view contract_id,
                  std::string_view start, std::string_view end, int64_t gpu_seconds,
                  int64_t max_gpu_seconds) {
  return {{"kind", "usage_over_reported"},
          {"event_id", event_id},
          {"source", source},
          {"allocation_id", allocation_id},
          {"contract_id", contract_id},
          {"start", start},
          {"end", end},
          {"gpu_seconds", gpu_seconds},
          {"max_gpu_seconds", max_gpu_seconds}};
}
Json OutsideAllocation(std::string_view event_id, std::string_view source,
                       std::string_view allocation_id, std::string_view contract_id,
                       std::string_view start, std::string_view end, std::string_view window_start,
                       std::string_view window_end) {
  return {{"kind", "usage_outside_allocation"},
          {"event_id", event_id},
          {"source", source},
          {"allocation_id", allocation_id},
          {"contract_id", contract_id},
          {"start", start},
          {"end", end},
          {"window_start", window_start},
          {"window_end", window_end}};
}
Json UsageOverlap(std::string_view event_id, std::string_view source,
                  std::string_view other_event_id, std::string_view allocation_id,
                  std::string_view contract_id, std::string_view start, std::string_view end) {
  return {{"kind", "usage_overlap"},
          {"event_id", event_id},
          {"source", source},
          {"other_event_id", other_event_id},
          {"allocation_id", allocation_id},
          {"contract_id", contract_id},
          {"start", start},
          {"end", end}};
}
Json Late(std::string_view event_id, std::string_view source, std::string_view month) {
  return {{"kind", "late_for_closed_period"},
          {"event_id", event_id},
          {"source", source},
          {"month", month}};
}

const std::vector<std::string> kClosedOnlyKeys = {"frozen", "adjustment", "closed_at_tree_size",
                                                  "closed_at_root"};

AssertionResult IsOpenRow(const Json& row) {
  for (const auto& k : kClosedOnlyKeys) {
    if (row.contains(k)) return AssertionFailure() << "open month row has " << k << ": " << row;
  }
  return AssertionSuccess();
}

bool IsHex64(const Json& v) {
  if (!v.is_string()) return false;
  const std::string s = v.get<std::string>();
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
         });
}
std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

class SettlementRulesTest : public ::testing::Test {
 protected:
  std::string Data() const { return dir_.Sub("data"); }
  // Ingests `events` as the next file of this test; every line must be accepted.
  void Ingest(const std::vector<Json>& events, Json* out = nullptr) {
    const std::string file = dir_.Sub("in-" + std::to_string(++files_) + ".jsonl");
    ASSERT_TRUE(IngestAllAccepted(Data(), file, events, out));
  }
  Json Report(std::string_view kind, std::string_view month) {
    Json j = Json::array();
    EXPECT_TRUE(ReportJson(Data(), kind, month, &j));
    return j;
  }
  Json Settlement(std::string_view month) { return Report("settlement", month); }
  Json Usage(std::string_view month) { return Report("usage", month); }
  Json Anomalies(std::string_view month = {}) { return Report("anomalies", month); }

  // The ledger of LateCapacityAfterCloseShowsFrozenAndAdjustment (and the tests that build
  // on it). *root_before_close: the root printed by the ingest of the 3-entry prefix.
  void IngestCloseScenario(std::string* root_before_close) {
    Json out;
    ASSERT_NO_FATAL_FAILURE(Ingest(
        {
            /* 0 */ ContractEvent("reg-1", "C-1", kKt, 1, A("00:00"), A("02:00"), 3600, 1800),
            /* 1 */ GrantEvent("grant-1", "A-1", "C-1", "U-1", 1, A("00:00"), A("02:00")),
            /* 2 */ CapacityEvent("cap-1", kKt, "C-1", A("00:00"), A("01:00"), {"G-1"}),
        },
        &out));
    ASSERT_EQ(out.value("ledger_size", -1), 3) << out;
    *root_before_close = out.value("root", "");
    ASSERT_NO_FATAL_FAILURE(Ingest({
        /* 3 */ CloseEvent("close-1", "2026-04"),
        // Late for 2026-04: a capacity report, a usage report and a new contract.
        /* 4 */ CapacityEvent("cap-2", kKt, "C-1", A("01:00"), A("01:30"), {"G-1"}),
        /* 5 */ UsageEvent("use-1", kKt, "A-1", A("00:00"), A("00:10"), 600),
        /* 6 */ ContractEvent("reg-3", "C-3", kNaver, 1, A("00:00"), A("01:00"), 3600, 1800),
        // Not late for 2026-04: its period is in 2026-05 (KST 2026-05-01 09:00-10:00).
        /* 7 */
        ContractEvent("reg-5", "C-5", kKt, 1, "2026-05-01T00:00:00Z", "2026-05-01T01:00:00Z", 3600,
                      1800),
    }));
  }

  TempDir dir_;
  int files_ = 0;
};

// -----------------------------------------------------------------------------------------
// Section 5: months are KST calendar months; a contract is active where its period
// intersects the month; committed counts only the period's hours in the month.
TEST_F(SettlementRulesTest, KstMonthBoundarySplitsCapacityBetweenMonths) {
  ASSERT_NO_FATAL_FAILURE(Ingest({
      // C-1: 2 GPUs, 2026-03-31 13:00Z-17:00Z = KST 03-31 22:00 .. 04-01 02:00.
      ContractEvent("reg-1", "C-1", kKt, 2, M("13:00"), M("17:00"), 3600, 1800),
      // Straddles 2026-03-31T15:00:00Z (KST midnight).
      CapacityEvent("cap-1", kKt, "C-1", M("13:30"), M("16:00"), {"G-1", "G-2"}),
      // C-2: KST 04-30 23:00 .. 05-01 01:00, half in 2026-04, half in 2026-05.
      ContractEvent("reg-2", "C-2", kNaver, 1, "2026-04-30T14:00:00Z", "2026-04-30T16:00:00Z", 3600,
                    3600),
      CapacityEvent("cap-2", kNaver, "C-2", "2026-04-30T14:00:00Z", "2026-04-30T16:00:00Z",
                    {"G-9"}),
  }));

  // C-1 in 2026-03: hours 13Z and 14Z. committed 2 x 3600 x 2 = 14400.
  //   13Z: 2 GPUs x 1800 (13:30-14:00) = 3600 -> payable 3600, shortfall 3600.
  //   14Z: 2 x 3600 = 7200 -> payable 7200, shortfall 0.
  //   delivered 10800, payable 10800, shortfall 3600; amount 10800 x 3600/3600 = 10800;
  //   penalty 3600 x 1800/3600 = 1800; net 9000.
  Json march = Settlement("2026-03");
  ASSERT_EQ(Ids(march, "contract_id"), std::vector<std::string>({"C-1"})) << march;
  EXPECT_EQ(march[0]["csp_id"], kKt);
  EXPECT_EQ(march[0]["month"], "2026-03");
  EXPECT_TRUE(HasFigures(march[0], {14400, 10800, 10800, 3600, 10800, 1800, 9000}));
  EXPECT_TRUE(IsOpenRow(march[0]));

  // 2026-04: C-1 hours 15Z (delivered 7200) and 16Z (0): committed 14400, delivered 7200,
  //   payable 7200, shortfall 7200; amount 7200, penalty 7200 x 1800/3600 = 3600, net 3600.
  // C-2 hour 2026-04-30T14Z only: committed 3600, delivered 3600 = payable, shortfall 0;
  //   amount 3600, penalty 0, net 3600.
  Json april = Settlement("2026-04");
  ASSERT_EQ(Ids(april, "contract_id"), std::vector<std::string>({"C-1", "C-2"})) << april;
  EXPECT_EQ(april[0]["month"], "2026-04");
  EXPECT_TRUE(HasFigures(april[0], {14400, 7200, 7200, 7200, 7200, 3600, 3600}));
  EXPECT_EQ(april[1]["csp_id"], kNaver);
  EXPECT_TRUE(HasFigures(april[1], {3600, 3600, 3600, 0, 3600, 0, 3600}));

  // 2026-05: C-2 hour 15Z (KST 05-01 00:00): the same figures as in April.
  Json may = Settlement("2026-05");
  ASSERT_EQ(Ids(may, "contract_id"), std::vector<std::string>({"C-2"})) << may;
  EXPECT_EQ(may[0]["month"], "2026-05");
  EXPECT_TRUE(HasFigures(may[0], {3600, 3600, 3600, 0, 3600, 0, 3600}));

  // No contract is active in 2026-02 or 2026-06.
  EXPECT_EQ(Settlement("2026-02"), Json::array());
  EXPECT_EQ(Settlement("2026-06"), Json::array());
}

// Section 5: a GPU listed twice for overlapping times (by one contract) counts once; a
// surplus GPU is delivered but payable is capped at committed.
TEST_F(SettlementRulesTest, OverlappingCapacityReportsOfOneContractCountOnce) {
  ASSERT_NO_FATAL_FAILURE(Ingest({
      ContractEvent("reg-1", "C-1", kKt, 2, A("00:00"), A("02:00"), 3600, 1800),
      CapacityEvent("cap-1", kKt, "C-1", A("00:00"), A("01:30"), {"G-1", "G-2"}),
      CapacityEvent("cap-2", kKt, "C-1", A("01:00"), A("02:00"), {"G-2", "G-3"}),
      CapacityEvent("cap-3", kKt, "C-1", A("00:00"), A("00:30"), {"G-1"}),  // inside cap-1
  }));
  // Hour 00Z: G-1 3600 (cap-1 and cap-3 overlap: once) + G-2 3600 = 7200; payable 7200.
  // Hour 01Z: G-1 1800 (01:00-01:30) + G-2 3600 (union of cap-1 and cap-2) + G-3 3600
  //   = 9000; payable min(9000, 7200) = 7200, shortfall 0.
  // committed 14400, delivered 16200, payable 14400, shortfall 0; amount 14400, penalty 0.
  Json rows = Settlement("2026-04");
  ASSERT_EQ(Ids(rows, "contract_id"), std::vector<std::string>({"C-1"})) << rows;
  EXPECT_TRUE(HasFigures(rows[0], {14400, 16200, 14400, 0, 14400, 0, 14400}));
  EXPECT_TRUE(AnomaliesAre(Anomalies(), {}));
}

// Section 5: payable and shortfall are per hour; a surplus never offsets a shortfall.
TEST_F(SettlementRulesTest, SurplusHourDoesNotOffsetShortfallHour) {
  ASSERT_NO_FATAL_FAILURE(Ingest({
      ContractEvent("reg-1", "C-1", kKt, 2, A("00:00"), A("02:00"), 3600, 1800),
      CapacityEvent("cap-1", kKt, "C-1", A("00:00"), A("01:00"), {"G-1", "G-2", "G-3"}),
      CapacityEvent("cap-2", kKt, "C-1", A("01:00"), A("02:00"), {"G-1"}),
  }));
  // 00Z: delivered 10800, payable 7200, shortfall 0. 01Z: delivered 3600, payable 3600,
  // shortfall 3600. Month: committed 14400, delivered 14400 (= committed!), payable 10800,
  // shortfall 3600; amount 10800; penalty 3600 x 1800/3600 = 1800; net 9000.
  Json rows = Settlement("2026-04");
  ASSERT_EQ(rows.size(), 1u) << rows;
  EXPECT_TRUE(HasFigures(rows[0], {14400, 14400, 10800, 3600, 10800, 1800, 9000}));
}

// Section 5 double claims and the gpu_double_claimed rows of section 6: one row per
// (GPU, contract pair, maximal contiguous range); event_id the last accepted live capacity
// event of either contract listing the GPU and overlapping the range.
TEST_F(SettlementRulesTest, DoubleClaimedGpuSecondsCountForNeitherContract) {
  ASSERT_NO_FATAL_FAILURE(Ingest({
      /* 0 */ ContractEvent("reg-a", "C-A", kNaver, 1, A("00:00"), A("02:00"), 3600, 3600),
      /* 1 */ ContractEvent("reg-b", "C-B", kKt, 1, A("00:00"), A("02:00"), 3600, 3600),
      /* 2 */ CapacityEvent("cap-k1", kKt, "C-B", A("00:00"), A("01:00"), {"G-X"}),
      /* 3 */ CapacityEvent("cap-n1", kNaver, "C-A", A("00:30"), A("02:00"), {"G-X"}),
      /* 4 */ CapacityEvent("cap-k2", kKt, "C-B", A("01:00"), A("01:30"), {"G-X"}),
      // Lists G-X after cap-k2 but does not overlap the doubly-claimed range.
      /* 5 */ CapacityEvent("cap-n2", kNaver, "C-A", A("01:45"), A("02:00"), {"G-X"}),
      // Overlaps the range, but is voided: as if never sent.
      /* 6 */ CapacityEvent("cap-k4", kKt, "C-B", A("00:40"), A("00:50"), {"G-X"}),
      /* 7 */ VoidEvent("void-k4", kKtSource, "cap-k4"),
      // G-Y: two separate doubly-claimed ranges.
      /* 8 */ CapacityEvent("cap-n3", kNaver, "C-A", A("00:00"), A("00:10"), {"G-Y"}),
      /* 9 */ CapacityEvent("cap-k5", kKt, "C-B", A("00:00"), A("00:30"), {"G-Y"}),
      /* 10 */ CapacityEvent("cap-n4", kNaver, "C-A", A("00:20"), A("00:30"), {"G-Y"}),
  }));
  // G-X: C-B lists [00:00, 01:30) (cap-k1 + cap-k2, contiguous), C-A [00:30, 02:00).
  //   Doubly claimed [00:30, 01:30): one range, not split at cap-k1/cap-k2 nor at 01:00.
  //   C-B keeps [00:00, 00:30) = 1800 (hour 00Z); C-A keeps [01:30, 02:00) = 1800 (01Z).
  // G-Y: C-B lists [00:00, 00:30), C-A [00:00, 00:10) and [00:20, 00:30): doubly claimed
  //   [00:00, 00:10) and [00:20, 00:30). C-B keeps [00:10, 00:20) = 600 (00Z); C-A none.
  // C-A: 00Z 0 (shortfall 3600), 01Z 1800 (shortfall 1800): committed 7200, delivered 1800,
  //   payable 1800, shortfall 5400; amount 1800, penalty 5400, net -3600.
  // C-B: 00Z 1800 + 600 = 2400 (shortfall 1200), 01Z 0 (shortfall 3600): committed 7200,
  //   delivered 2400, payable 2400, shortfall 4800; amount 2400, penalty 4800, net -2400.
  Json rows = Settlement("2026-04");
  ASSERT_EQ(Ids(rows, "contract_id"), std::vector<std::string>({"C-A", "C-B"})) << rows;
  EXPECT_TRUE(HasFigures(rows[0], {7200, 1800, 1800, 5400, 1800, 5400, -3600}));
  EXPECT_TRUE(HasFigures(rows[1], {7200, 2400, 2400, 4800, 2400, 4800, -2400}));

  // Rows: G-X [00:30, 01:30): candidates cap-k1 (2), cap-n1 (3), cap-k2 (4) -> cap-k2.
  //   G-Y [00:00, 00:10): cap-n3 (8), cap-k5 (9) -> cap-k5.
  //   G-Y [00:20, 00:30): cap-k5 (9), cap-n4 (10) -> cap-n4.
  const std::vector<Json> want = {
      DoubleClaim("cap-k2", kKtSource, "C-A", "C-B", "G-X", A("00:30"), A("01:30")),
      DoubleClaim("cap-k5", kKtSource, "C-A", "C-B", "G-Y", A("00:00"), A("00:10")),
      DoubleClaim("cap-n4", kNaverSource, "C-A", "C-B", "G-Y", A("00:20"), A("00:30")),
  };
  EXPECT_TRUE(AnomaliesAre(Anomalies(), want));
  EXPECT_TRUE(AnomaliesAre(Anomalies("2026-04"), want));
  EXPECT_TRUE(AnomaliesAre(Anomalies("2026-03"), {}));
}

// Section 5 (clipped to the period; double claims only inside both periods) and the
// capacity_outside_contract rows of section 6 (start/end: the report's own interval).
TEST_F(SettlementRulesTest, CapacityOutsideContractPeriodIsClippedAndRaised) {
  ASSERT_NO_FATAL_FAILURE(Ingest({
      ContractEvent("reg-1", "C-1", kKt, 1, A("01:00"), A("03:00"), 3600, 1800),
      ContractEvent("reg-2", "C-2", kNaver, 1, A("00:00"), A("01:00"), 3600, 1800),
      CapacityEvent("cap-k1", kKt, "C-1", A("00:30"), A("01:30"), {"G-1"}),  // half outside
      CapacityEvent("cap-k2", kKt, "C-1", A("02:00"), A("03:00"), {"G-1"}),  // inside
      CapacityEvent("cap-k3", kKt, "C-1", A("03:00"), A("04:00"), {"G-2"}),  // all outside
      // G-1 for C-2 at 00:00-01:00: C-1 listed it at 00:30-01:00 only outside C-1's period,
      // so this is no double claim.
      CapacityEvent("cap-n1", kNaver, "C-2", A("00:00"), A("01:00"), {"G-1"}),
  }));
  // C-1: 01Z: G-1 [01:00, 01:30) = 1800; 02Z: 3600. committed 7200, delivered 5400,
  //   payable 5400, shortfall 1800; amount 5400, penalty 1800 x 1800/3600 = 900, net 4500.
  // C-2: 00Z: 3600 = committed; amount 3600, penalty 0, net 3600.
  Json rows = Settlement("2026-04");
  ASSERT_EQ(Ids(rows, "contract_id"), std::vector<std::string>({"C-1", "C-2"})) << rows;
  EXPECT_TRUE(HasFigures(rows[0], {7200, 5400, 5400, 1800, 5400, 900, 4500}));
  EXPECT_TRUE(HasFigures(rows[1], {3600, 3600, 3600, 0, 3600, 0, 3600}));
  EXPECT_TRUE(AnomaliesAre(Anomalies(),
                           {
                               CapacityOutside("cap-k1", kKtSource, "C-1", A("00:30"), A("01:30")),
                               CapacityOutside("cap-k3", kKtSource, "C-1", A("03:00"), A("04:00")),
                           }));
}

// Section 5: amounts are floor(month sum x price / 3600), not sums of per-hour floors.
TEST_F(SettlementRulesTest, AmountsAreFlooredOnTheMonthSums) {
  ASSERT_NO_FATAL_FAILURE(Ingest({
      ContractEvent("reg-1", "C-1", kKt, 1, A("00:00"), A("03:00"), 3333, 1001),
      CapacityEvent("cap-1", kKt, "C-1", A("00:00"), A("00:30"), {"G-1"}),
      CapacityEvent("cap-2", kKt, "C-1", A("01:00"), A("01:30"), {"G-1"}),
      CapacityEvent("cap-3", kKt, "C-1", A("02:00"), A("02:30"), {"G-1"}),
  }));
  // Each hour: delivered = payable 1800, shortfall 1800. Month: committed 10800, delivered
  // 5400, payable 5400, shortfall 5400.
  // amount  = floor(5400 x 3333 / 3600) = floor(17998200 / 3600) = floor(4999.5) = 4999
  //           (per-hour floors would give 3 x floor(1666.5) = 4998);
  // penalty = floor(5400 x 1001 / 3600) = floor(5405400 / 3600) = floor(1501.5) = 1501;
  // net     = 4999 - 1501 = 3498.
  Json rows = Settlement("2026-04");
  ASSERT_EQ(rows.size(), 1u) << rows;
  EXPECT_TRUE(HasFigures(rows[0], {10800, 5400, 5400, 5400, 4999, 1501, 3498}));
}

// The brief's example: payable 1800 GPU-s at 3333 KRW/h -> floor(1800 x 3333 / 3600) = 1666.
TEST_F(SettlementRulesTest, AmountOfHalfAnHourIsFloored) {
  ASSERT_NO_FATAL_FAILURE(Ingest({
      ContractEvent("reg-1", "C-1", kKt, 1, A("00:00"), A("01:00"), 3333, 3333),
      CapacityEvent("cap-1", kKt, "C-1", A("00:00"), A("00:30"), {"G-1"}),
  }));
  // payable 1800, shortfall 1800: amount = penalty = floor(5999400 / 3600) = 1666; net 0.
  Json rows = Settlement("2026-04");
  ASSERT_EQ(rows.size(), 1u) << rows;
  EXPECT_TRUE(HasFigures(rows[0], {3600, 1800, 1800, 1800, 1666, 1666, 0}));
}

// Section 5: net_krw may be negative.
TEST_F(SettlementRulesTest, NetIsNegativeWhenPenaltyExceedsAmount) {
  ASSERT_NO_FATAL_FAILURE(Ingest({
      ContractEvent("reg-1", "C-1", kKt, 4, A("00:00"), A("01:00"), 3600, 7200),
      CapacityEvent("cap-1", kKt, "C-1", A("00:00"), A("01:00"), {"G-1"}),
  }));
  // committed 4 x 3600 = 14400, delivered = payable 3600, shortfall 10800;
  // amount 3600, penalty 10800 x 7200 / 3600 = 21600, net 3600 - 21600 = -18000.
  Json rows = Settlement("2026-04");
  ASSERT_EQ(rows.size(), 1u) << rows;
  EXPECT_TRUE(HasFigures(rows[0], {14400, 3600, 3600, 10800, 3600, 21600, -18000}));
}

// Section 2/5: money is exact integer arithmetic, printed as JSON integers even beyond 64
// bits (the intake allows 10,000,000 GPUs and 10^12 KRW per GPU-hour).
TEST_F(SettlementRulesTest, HugeAmountsAreExactJsonIntegers) {
  ASSERT_NO_FATAL_FAILURE(Ingest({
      ContractEvent("reg-1", "C-1", kKt, 10000000, A("00:00"), A("02:00"), 1000000000000,
                    1000000000000),
      CapacityEvent("cap-1", kKt, "C-1", A("00:00"), A("01:00"), {"G-1"}),
  }));
  // committed 10^7 x 7200 = 72000000000; delivered = payable 3600;
  // shortfall 72000000000 - 3600 = 71999996400;
  // amount  = 3600 x 10^12 / 3600 = 1000000000000;
  // penalty = 71999996400 x 10^12 / 3600 = 19999999 x 10^12 = 19999999000000000000 (> 2^64);
  // net     = 10^12 - 19999999000000000000 = -19999998000000000000 (< -2^63).
  CommandResult r =
      RunCli({"report", "settlement", "--data", Data(), "--month", "2026-04", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string compact;
  for (char c : r.out) {
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') compact += c;
  }
  for (const char* field :
       {"\"committed_gpu_seconds\":72000000000,", "\"delivered_gpu_seconds\":3600,",
        "\"payable_gpu_seconds\":3600,", "\"shortfall_gpu_seconds\":71999996400,",
        "\"capacity_amount_krw\":1000000000000,", "\"penalty_krw\":19999999000000000000",
        "\"net_krw\":-19999998000000000000"}) {
    EXPECT_NE(compact.find(field), std::string::npos) << field << " not in " << r.out;
  }
  r = RunCli({"report", "settlement", "--data", Data(), "--month", "2026-04", "--format", "csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("-19999998000000000000"), std::string::npos) << r.out;
}

// Section 5: a voided capacity event is as if never sent (also for double claims).
TEST_F(SettlementRulesTest, VoidedCapacityEventIsAsIfNeverSent) {
  ASSERT_NO_FATAL_FAILURE(Ingest({
      /* 0 */ ContractEvent("reg-k", "C-1", kKt, 2, A("00:00"), A("01:00"), 3600, 1800),
      /* 1 */ ContractEvent("reg-n", "C-2", kNaver, 1, A("00:00"), A("01:00"), 3600, 1800),
      /* 2 */ CapacityEvent("cap-k1", kKt, "C-1", A("00:00"), A("01:00"), {"G-1"}),
      /* 3 */ CapacityEvent("cap-k2", kKt, "C-1", A("00:00"), A("00:30"), {"G-2"}),
      /* 4 */ CapacityEvent("cap-k3", kKt, "C-1", A("00:30"), A("01:00"), {"G-2"}),
      /* 5 */ CapacityEvent("cap-n1", kNaver, "C-2", A("00:00"), A("01:00"), {"G-1"}),
  }));
  // Before the voids: G-1 is doubly claimed for the whole hour.
  // C-1: G-2 3600 -> delivered = payable 3600, shortfall 3600; amount 3600, penalty 1800,
  //   net 1800. C-2: nothing: shortfall 3600, penalty 1800, net -1800.
  Json before = Settlement("2026-04");
  ASSERT_EQ(Ids(before, "contract_id"), std::vector<std::string>({"C-1", "C-2"})) << before;
  EXPECT_TRUE(HasFigures(before[0], {7200, 3600, 3600, 3600, 3600, 1800, 1800}));
  EXPECT_TRUE(HasFigures(before[1], {3600, 0, 0, 3600, 0, 1800, -1800}));
  EXPECT_TRUE(AnomaliesAre(Anomalies(), {DoubleClaim("cap-n1", kNaverSource, "C-1", "C-2", "G-1",
                                                     A("00:00"), A("01:00"))}));

  ASSERT_NO_FATAL_FAILURE(Ingest({
      VoidEvent("void-k3", kKtSource, "cap-k3"),
      VoidEvent("void-n1", kNaverSource, "cap-n1"),
  }));
  // After: C-1: G-1 3600 + G-2 1800 = 5400 = payable, shortfall 1800; amount 5400,
  //   penalty 900, net 4500. C-2 unchanged (its only report is voided). No anomaly.
  Json after = Settlement("2026-04");
  ASSERT_EQ(Ids(after, "contract_id"), std::vector<std::string>({"C-1", "C-2"})) << after;
  EXPECT_TRUE(HasFigures(after[0], {7200, 5400, 5400, 1800, 5400, 900, 4500}));
  EXPECT_TRUE(HasFigures(after[1], {3600, 0, 0, 3600, 0, 1800, -1800}));
  EXPECT_TRUE(AnomaliesAre(Anomalies(), {}));
}

// Section 5: events that refer to a voided contract are as if never sent: its row, its
// allocations, their usage and the anomalies they raised disappear.
TEST_F(SettlementRulesTest, VoidedContractTakesItsAllocationsAndUsageWithIt) {
  ASSERT_NO_FATAL_FAILURE(Ingest({
      ContractEvent("reg-1", "C-1", kKt, 1, A("00:00"), A("01:00"), 3600, 1800),
      ContractEvent("reg-2", "C-2", kNaver, 1, A("00:00"), A("01:00"), 3600, 1800),
      CapacityEvent("cap-k1", kKt, "C-1", A("00:00"), A("01:00"), {"G-1"}),
      CapacityEvent("cap-n1", kNaver, "C-2", A("00:00"), A("01:00"), {"G-1"}),
      GrantEvent("grant-1", "A-1", "C-1", "U-1", 1, A("00:00"), A("01:00")),
      GrantEvent("grant-2", "A-2", "C-2", "U-2", 1, A("00:00"), A("01:00")),
      UsageEvent("use-k1", kKt, "A-1", A("00:00"), A("00:10"), 9999),  // max 1 x 600
      UsageEvent("use-n1", kNaver, "A-2", A("00:00"), A("00:10"), 600),
  }));
  // Before: G-1 doubly claimed, so both contracts deliver 0; A-1 used min(9999, 600) = 600.
  EXPECT_EQ(Ids(Settlement("2026-04"), "contract_id"), std::vector<std::string>({"C-1", "C-2"}));
  EXPECT_EQ(Ids(Usage("2026-04"), "allocation_id"), std::vector<std::string>({"A-1", "A-2"}));
  EXPECT_TRUE(AnomaliesAre(
      Anomalies(),
      {DoubleClaim("cap-n1", kNaverSource, "C-1", "C-2", "G-1", A("00:00"), A("01:00")),
       OverReported("use-k1", kKtSource, "A-1", "C-1", A("00:00"), A("00:10"), 9999, 600)}));

  ASSERT_NO_FATAL_FAILURE(Ingest({VoidEvent("void-reg-1", kMinistrySource, "reg-1")}));
  // After: only C-2, which now has G-1 alone: delivered = payable = committed 3600;
  // amount 3600, penalty 0, net 3600. Only A-2: granted 3600, used 600. No anomaly.
  Json rows = Settlement("2026-04");
  ASSERT_EQ(Ids(rows, "contract_id"), std::vector<std::string>({"C-2"})) << rows;
  EXPECT_TRUE(HasFigures(rows[0], {3600, 3600, 3600, 0, 3600, 0, 3600}));
  Json usage = Usage("2026-04");
  ASSERT_EQ(Ids(usage, "allocation_id"), std::vector<std::string>({"A-2"})) << usage;
  EXPECT_EQ(usage[0]["granted_gpu_seconds"], 3600);
  EXPECT_EQ(usage[0]["used_gpu_seconds"], 600);
  EXPECT_TRUE(AnomaliesAre(Anomalies(), {}));
}

// Section 3/5: a release shortens the active window to [start, max(start, min(end, at)));
// the earliest `at` wins; voiding a release restores the window.
TEST_F(SettlementRulesTest, ReleaseShortensWindowEarliestWinsAndVoidRestores) {
  ASSERT_NO_FATAL_FAILURE(Ingest({
      ContractEvent("reg-1", "C-1", kKt, 1, A("00:00"), A("06:00"), 3600, 1800, 4),
      GrantEvent("grant-1", "A-1", "C-1", "U-1", 2, A("00:00"), A("04:00")),
      GrantEvent("grant-2", "A-2", "C-1", "U-2", 1, A("01:00"), A("02:00")),
      GrantEvent("grant-3", "A-3", "C-1", "U-3", 1, A("00:00"), A("01:00")),
      ReleaseEvent("rel-1", kMinistrySource, "A-1", A("02:00")),
      ReleaseEvent("rel-2", kKtSource, "A-1", A("03:00")),        // later at: loses
      ReleaseEvent("rel-3", kMinistrySource, "A-2", A("00:00")),  // before start: empty window
      ReleaseEvent("rel-4", kKtSource, "A-3", A("05:00")),        // after end: no change
      UsageEvent("use-1", kKt, "A-1", A("00:00"), A("01:00"), 7200),
      UsageEvent("use-2", kKt, "A-1", A("02:00"), A("02:30"), 3600),
      UsageEvent("use-3", kKt, "A-1", A("01:30"), A("02:00"), 3600),
  }));
  // A-1 window [00:00, 02:00): granted 2 x 7200 = 14400.
  //   use-1: L = 3600, min(7200, 2 x 3600) = 7200, I = 3600 -> 7200.
  //   use-2: I = 0 -> 0 (usage_outside_allocation).
  //   use-3: L = 1800, min(3600, 3600) = 3600, I = 1800 -> 3600.  used 10800.
  // A-2 window [01:00, 01:00) is empty: active in no month, no row.
  // A-3 window [00:00, 01:00): granted 3600, used 0.
  Json usage = Usage("2026-04");
  ASSERT_EQ(Ids(usage, "allocation_id"), std::vector<std::string>({"A-1", "A-3"})) << usage;
  EXPECT_EQ(usage[0]["contract_id"], "C-1");
  EXPECT_EQ(usage[0]["user_id"], "U-1");
  EXPECT_EQ(usage[0]["month"], "2026-04");
  EXPECT_EQ(usage[0]["granted_gpu_seconds"], 14400);
  EXPECT_EQ(usage[0]["used_gpu_seconds"], 10800);
  EXPECT_EQ(usage[1]["granted_gpu_seconds"], 3600);
  EXPECT_EQ(usage[1]["used_gpu_seconds"], 0);
  EXPECT_TRUE(
      AnomaliesAre(Anomalies(), {OutsideAllocation("use-2", kKtSource, "A-1", "C-1", A("02:00"),
                                                   A("02:30"), A("00:00"), A("02:00"))}));

  ASSERT_NO_FATAL_FAILURE(Ingest({VoidEvent("void-rel-1", kMinistrySource, "rel-1")}));
  // rel-2 now wins: window [00:00, 03:00), granted 2 x 10800 = 21600; use-2 I = 1800 ->
  // 3600; used 7200 + 3600 + 3600 = 14400. No anomaly.
  usage = Usage("2026-04");
  ASSERT_EQ(Ids(usage, "allocation_id"), std::vector<std::string>({"A-1", "A-3"})) << usage;
  EXPECT_EQ(usage[0]["granted_gpu_seconds"], 21600);
  EXPECT_EQ(usage[0]["used_gpu_seconds"], 14400);
  EXPECT_TRUE(AnomaliesAre(Anomalies(), {}));
}

// Section 5/6: usage above gpus x L is clipped to gpus x L and raises usage_over_reported.
TEST_F(SettlementRulesTest, OverReportedUsageIsClippedToGpusTimesLength) {
  ASSERT_NO_FATAL_FAILURE(Ingest({
      ContractEvent("reg-1", "C-1", kKt, 2, A("00:00"), A("01:00"), 3600, 1800),
      GrantEvent("grant-1", "A-1", "C-1", "U-1", 2, A("00:00"), A("01:00")),
      UsageEvent("use-1", kKt, "A-1", A("00:00"), A("00:10"), 4800),  // max 2 x 600 = 1200
      UsageEvent("use-2", kKt, "A-1", A("00:10"), A("00:20"), 1200),  // exactly the max
      UsageEvent("use-3", kKt, "A-1", A("00:20"), A("00:30"), 0),
  }));
  // granted 2 x 3600 = 7200; used min(4800, 1200) + 1200 + 0 = 2400.
  Json usage = Usage("2026-04");
  ASSERT_EQ(Ids(usage, "allocation_id"), std::vector<std::string>({"A-1"})) << usage;
  EXPECT_EQ(usage[0]["granted_gpu_seconds"], 7200);
  EXPECT_EQ(usage[0]["used_gpu_seconds"], 2400);
  EXPECT_TRUE(AnomaliesAre(Anomalies(), {OverReported("use-1", kKtSource, "A-1", "C-1", A("00:00"),
                                                      A("00:10"), 4800, 1200)}));
}

// Section 5/6: used = floor(min(gs, gpus x L) x I / L); usage_outside_allocation rows.
TEST_F(SettlementRulesTest, UsagePartlyOutsideTheWindowCountsTheInsidePart) {
  ASSERT_NO_FATAL_FAILURE(Ingest({
      ContractEvent("reg-1", "C-1", kKt, 1, A("00:00"), A("03:00"), 3600, 1800, 4),
      GrantEvent("grant-1", "A-1", "C-1", "U-1", 3, A("00:20"), A("01:20")),
      // L = 1440, gs 5000 > 3 x 1440 = 4320 (also over-reported), I = [01:16, 01:20) = 240:
      // floor(4320 x 240 / 1440) = 720.
      UsageEvent("use-1", kKt, "A-1", A("01:16"), A("01:40"), 5000),
      // Wholly after the window: I = 0 -> 0.
      UsageEvent("use-3", kKt, "A-1", A("01:40"), A("02:00"), 100),
      // L = 1200, min(1200, 3600) = 1200, I = [00:20, 00:30) = 600: floor(1200 x 600/1200).
      UsageEvent("use-5", kKt, "A-1", A("00:10"), A("00:30"), 1200),
      // Inside (adjacent to use-5, no overlap): 1800.
      UsageEvent("use-6", kKt, "A-1", A("00:30"), A("00:40"), 1800),
  }));
  // granted 3 x 3600 = 10800; used 720 + 0 + 600 + 1800 = 3120.
  Json usage = Usage("2026-04");
  ASSERT_EQ(Ids(usage, "allocation_id"), std::vector<std::string>({"A-1"})) << usage;
  EXPECT_EQ(usage[0]["granted_gpu_seconds"], 10800);
  EXPECT_EQ(usage[0]["used_gpu_seconds"], 3120);
  const std::string ws = A("00:20"), we = A("01:20");
  EXPECT_TRUE(AnomaliesAre(
      Anomalies(),
      {
          OutsideAllocation("use-1", kKtSource, "A-1", "C-1", A("01:16"), A("01:40"), ws, we),
          OverReported("use-1", kKtSource, "A-1", "C-1", A("01:16"), A("01:40"), 5000, 4320),
          OutsideAllocation("use-3", kKtSource, "A-1", "C-1", A("01:40"), A("02:00"), ws, we),
          OutsideAllocation("use-5", kKtSource, "A-1", "C-1", A("00:10"), A("00:30"), ws, we),
      }));
}

// Section 5/6: overlapping usage events each count; one usage_overlap row per pair, with
// event_id the later accepted and start/end the overlap.
TEST_F(SettlementRulesTest, OverlappingUsageEventsEachCountAndRaiseOneRowPerPair) {
  ASSERT_NO_FATAL_FAILURE(Ingest({
      ContractEvent("reg-1", "C-1", kKt, 1, A("00:00"), A("02:00"), 3600, 1800),
      GrantEvent("grant-1", "A-1", "C-1", "U-1", 1, A("00:00"), A("02:00")),
      UsageEvent("use-b", kKt, "A-1", A("00:20"), A("00:50"), 1800),  // accepted first
      UsageEvent("use-a", kKt, "A-1", A("00:00"), A("00:30"), 1800),
      UsageEvent("use-c", kKt, "A-1", A("00:25"), A("00:40"), 900),
      UsageEvent("use-d", kKt, "A-1", A("00:50"), A("01:00"), 600),  // touches use-b only
  }));
  // used 1800 + 1800 + 900 + 600 = 5100; granted 7200.
  Json usage = Usage("2026-04");
  ASSERT_EQ(usage.size(), 1u) << usage;
  EXPECT_EQ(usage[0]["granted_gpu_seconds"], 7200);
  EXPECT_EQ(usage[0]["used_gpu_seconds"], 5100);
  // Pairs: (use-b, use-a) overlap [00:20, 00:30), later accepted use-a;
  //        (use-b, use-c) [00:25, 00:40), later use-c; (use-a, use-c) [00:25, 00:30).
  EXPECT_TRUE(AnomaliesAre(
      Anomalies(),
      {
          UsageOverlap("use-a", kKtSource, "use-b", "A-1", "C-1", A("00:20"), A("00:30")),
          UsageOverlap("use-c", kKtSource, "use-b", "A-1", "C-1", A("00:25"), A("00:40")),
          UsageOverlap("use-c", kKtSource, "use-a", "A-1", "C-1", A("00:25"), A("00:30")),
      }));
}

// Section 7: after a close, a late event changes the current figures, not the frozen
// ones; adjustment = current - frozen; late_for_closed_period rows (section 6).
TEST_F(SettlementRulesTest, LateCapacityAfterCloseShowsFrozenAndAdjustment) {
  std::string root3;
  ASSERT_NO_FATAL_FAILURE(IngestCloseScenario(&root3));
  // C-1 frozen (entries 0-2): 00Z delivered 3600; 01Z 0. committed 7200, delivered 3600,
  //   payable 3600, shortfall 3600; amount 3600, penalty 1800, net 1800.
  // C-1 current (+ cap-2: 01Z 1800): delivered 5400, payable 5400, shortfall 1800;
  //   amount 5400, penalty 900, net 4500.
  // adjustment: 0, 1800, 1800, -1800, 1800, -900, 2700.
  // C-3 (registered after the close): current committed 3600, shortfall 3600, penalty
  //   1800, net -1800; frozen all 0; adjustment = current.
  // C-5 is not active in 2026-04.
  Json rows = Settlement("2026-04");
  ASSERT_EQ(Ids(rows, "contract_id"), std::vector<std::string>({"C-1", "C-3"})) << rows;
  for (const auto& row : rows) {
    SCOPED_TRACE(row.dump());
    EXPECT_EQ(row["month"], "2026-04");
    ASSERT_TRUE(row.contains("closed_at_tree_size"));
    EXPECT_TRUE(row["closed_at_tree_size"].is_number_integer());
    EXPECT_EQ(row["closed_at_tree_size"], 3);  // the close's 0-based index
    ASSERT_TRUE(row.contains("closed_at_root"));
    EXPECT_TRUE(IsHex64(row["closed_at_root"]));
    // The Merkle root of the 3-entry prefix, as `ingest` printed it for that prefix.
    if (row["closed_at_root"].is_string()) {
      EXPECT_EQ(Lower(row["closed_at_root"].get<std::string>()), Lower(root3));
    }
  }
  EXPECT_EQ(rows[0]["csp_id"], kKt);
  EXPECT_TRUE(HasFigures(rows[0], {7200, 5400, 5400, 1800, 5400, 900, 4500}));
  EXPECT_TRUE(HasFigures(rows[0]["frozen"], {7200, 3600, 3600, 3600, 3600, 1800, 1800}));
  EXPECT_TRUE(HasFigures(rows[0]["adjustment"], {0, 1800, 1800, -1800, 1800, -900, 2700}));
  EXPECT_EQ(rows[1]["csp_id"], kNaver);
  EXPECT_TRUE(HasFigures(rows[1], {3600, 0, 0, 3600, 0, 1800, -1800}));
  EXPECT_TRUE(HasFigures(rows[1]["frozen"], {0, 0, 0, 0, 0, 0, 0}));
  EXPECT_TRUE(HasFigures(rows[1]["adjustment"], {3600, 0, 0, 3600, 0, 1800, -1800}));

  // 2026-05 is open.
  Json may = Settlement("2026-05");
  ASSERT_EQ(Ids(may, "contract_id"), std::vector<std::string>({"C-5"})) << may;
  EXPECT_TRUE(IsOpenRow(may[0]));

  // Usage is never frozen: use-1 counts. A-1: granted 7200, used 600.
  Json usage = Usage("2026-04");
  ASSERT_EQ(Ids(usage, "allocation_id"), std::vector<std::string>({"A-1"})) << usage;
  EXPECT_EQ(usage[0]["granted_gpu_seconds"], 7200);
  EXPECT_EQ(usage[0]["used_gpu_seconds"], 600);

  // Late rows: cap-2 (footprint [01:00, 01:30)), use-1, reg-3 (its period); not reg-5.
  const std::vector<Json> late = {
      Late("cap-2", kKtSource, "2026-04"),
      Late("use-1", kKtSource, "2026-04"),
      Late("reg-3", kMinistrySource, "2026-04"),
  };
  EXPECT_TRUE(AnomaliesAre(Anomalies(), late));
  EXPECT_TRUE(AnomaliesAre(Anomalies("2026-04"), late));
  EXPECT_TRUE(AnomaliesAre(Anomalies("2026-05"), {}));
}

// Section 5/7: voiding a period.closed re-opens the month (no frozen keys, no late rows);
// the month can then be closed again.
TEST_F(SettlementRulesTest, VoidingTheCloseReopensTheMonth) {
  std::string root3;
  ASSERT_NO_FATAL_FAILURE(IngestCloseScenario(&root3));
  Json out;
  ASSERT_NO_FATAL_FAILURE(
      Ingest({/* 8 */ VoidEvent("void-close-1", kMinistrySource, "close-1")}, &out));
  const std::string root9 = out.value("root", "");
  Json rows = Settlement("2026-04");
  ASSERT_EQ(Ids(rows, "contract_id"), std::vector<std::string>({"C-1", "C-3"})) << rows;
  EXPECT_TRUE(IsOpenRow(rows[0]));
  EXPECT_TRUE(IsOpenRow(rows[1]));
  EXPECT_TRUE(HasFigures(rows[0], {7200, 5400, 5400, 1800, 5400, 900, 4500}));
  EXPECT_TRUE(HasFigures(rows[1], {3600, 0, 0, 3600, 0, 1800, -1800}));
  EXPECT_TRUE(AnomaliesAre(Anomalies(), {}));

  // Closed again at index 9: frozen = current, adjustment all zero.
  ASSERT_NO_FATAL_FAILURE(Ingest({/* 9 */ CloseEvent("close-2", "2026-04")}));
  rows = Settlement("2026-04");
  ASSERT_EQ(Ids(rows, "contract_id"), std::vector<std::string>({"C-1", "C-3"})) << rows;
  EXPECT_EQ(rows[0]["closed_at_tree_size"], 9);
  EXPECT_EQ(rows[1]["closed_at_tree_size"], 9);
  if (rows[0]["closed_at_root"].is_string()) {
    EXPECT_EQ(Lower(rows[0]["closed_at_root"].get<std::string>()), Lower(root9));
  } else {
    ADD_FAILURE() << "no closed_at_root: " << rows[0];
  }
  EXPECT_TRUE(HasFigures(rows[0]["frozen"], {7200, 5400, 5400, 1800, 5400, 900, 4500}));
  EXPECT_TRUE(HasFigures(rows[0]["adjustment"], {0, 0, 0, 0, 0, 0, 0}));
  EXPECT_TRUE(HasFigures(rows[1]["frozen"], {3600, 0, 0, 3600, 0, 1800, -1800}));
  EXPECT_TRUE(HasFigures(rows[1]["adjustment"], {0, 0, 0, 0, 0, 0, 0}));
  EXPECT_TRUE(AnomaliesAre(Anomalies(), {}));
}

// Section 7: a contract voided after the close keeps its row in the closed month: zeros now,
// its frozen figures, adjustment = -frozen. Events on it raise no late rows any more; the
// void itself is late (its footprint is the voided registration's period).
TEST_F(SettlementRulesTest, ContractVoidedAfterCloseShowsZerosAgainstItsFrozenFigures) {
  std::string root3;
  ASSERT_NO_FATAL_FAILURE(IngestCloseScenario(&root3));
  ASSERT_NO_FATAL_FAILURE(Ingest({/* 8 */ VoidEvent("void-reg-1", kMinistrySource, "reg-1")}));
  Json rows = Settlement("2026-04");
  ASSERT_EQ(Ids(rows, "contract_id"), std::vector<std::string>({"C-1", "C-3"})) << rows;
  EXPECT_EQ(rows[0]["csp_id"], kKt);
  EXPECT_EQ(rows[0]["closed_at_tree_size"], 3);
  EXPECT_TRUE(HasFigures(rows[0], {0, 0, 0, 0, 0, 0, 0}));
  EXPECT_TRUE(HasFigures(rows[0]["frozen"], {7200, 3600, 3600, 3600, 3600, 1800, 1800}));
  EXPECT_TRUE(HasFigures(rows[0]["adjustment"], {-7200, -3600, -3600, -3600, -3600, -1800, -1800}));
  EXPECT_EQ(Usage("2026-04"), Json::array());  // A-1 went with C-1
  EXPECT_TRUE(AnomaliesAre(Anomalies(), {
                                            Late("reg-3", kMinistrySource, "2026-04"),
                                            Late("void-reg-1", kMinistrySource, "2026-04"),
                                        }));
}

// Section 6: a doubly-claimed range is maximal, so one crossing the KST month boundary is
// one row, listed (whole) under both months by `report anomalies --month`.
TEST_F(SettlementRulesTest, DoubleClaimAcrossMonthBoundaryIsOneRow) {
  ASSERT_NO_FATAL_FAILURE(Ingest({
      ContractEvent("reg-1", "C-1", kKt, 1, M("14:00"), M("16:00"), 3600, 0),
      ContractEvent("reg-2", "C-2", kNaver, 1, M("14:00"), M("16:00"), 3600, 0),
      CapacityEvent("cap-k1", kKt, "C-1", M("14:00"), M("16:00"), {"G-1"}),
      CapacityEvent("cap-n1", kNaver, "C-2", M("14:30"), M("15:30"), {"G-1"}),
  }));
  // C-1 keeps [14:00, 14:30) in 2026-03 (1800) and [15:30, 16:00) in 2026-04 (1800);
  // C-2 keeps nothing. Amounts at 3600 KRW/h: 1800 in each month for C-1; penalty 0.
  Json march = Settlement("2026-03");
  ASSERT_EQ(Ids(march, "contract_id"), std::vector<std::string>({"C-1", "C-2"})) << march;
  EXPECT_TRUE(HasFigures(march[0], {3600, 1800, 1800, 1800, 1800, 0, 1800}));
  EXPECT_TRUE(HasFigures(march[1], {3600, 0, 0, 3600, 0, 0, 0}));
  Json april = Settlement("2026-04");
  ASSERT_EQ(Ids(april, "contract_id"), std::vector<std::string>({"C-1", "C-2"})) << april;
  EXPECT_TRUE(HasFigures(april[0], {3600, 1800, 1800, 1800, 1800, 0, 1800}));
  const std::vector<Json> want = {
      DoubleClaim("cap-n1", kNaverSource, "C-1", "C-2", "G-1", M("14:30"), M("15:30"))};
  EXPECT_TRUE(AnomaliesAre(Anomalies(), want));
  EXPECT_TRUE(AnomaliesAre(Anomalies("2026-03"), want));
  EXPECT_TRUE(AnomaliesAre(Anomalies("2026-04"), want));
  EXPECT_TRUE(AnomaliesAre(Anomalies("2026-05"), {}));
}

// Section 5: an allocation's usage goes to the KST month of each event's interval_start;
// granted is split by the window's seconds in each month.
TEST_F(SettlementRulesTest, AllocationSpanningTwoMonthsSplitsGrantAndUsage) {
  ASSERT_NO_FATAL_FAILURE(Ingest({
      ContractEvent("reg-1", "C-1", kKt, 1, M("14:00"), M("16:00"), 3600, 1800, 4),
      GrantEvent("grant-1", "A-1", "C-1", "U-1", 2, M("14:00"), M("16:00")),
      UsageEvent("use-1", kKt, "A-1", M("14:30"), M("15:00"), 3600),  // 2026-03
      UsageEvent("use-2", kKt, "A-1", M("15:00"), M("15:45"), 1000),  // 2026-04 (KST 00:00)
  }));
  // 2026-03: window [14:00, 15:00): granted 2 x 3600 = 7200; use-1: L = 1800,
  //   min(3600, 3600) x 1800 / 1800 = 3600.
  // 2026-04: window [15:00, 16:00): granted 7200; use-2: 1000.
  Json march = Usage("2026-03");
  ASSERT_EQ(Ids(march, "allocation_id"), std::vector<std::string>({"A-1"})) << march;
  EXPECT_EQ(march[0]["month"], "2026-03");
  EXPECT_EQ(march[0]["contract_id"], "C-1");
  EXPECT_EQ(march[0]["user_id"], "U-1");
  EXPECT_EQ(march[0]["granted_gpu_seconds"], 7200);
  EXPECT_EQ(march[0]["used_gpu_seconds"], 3600);
  Json april = Usage("2026-04");
  ASSERT_EQ(Ids(april, "allocation_id"), std::vector<std::string>({"A-1"})) << april;
  EXPECT_EQ(april[0]["month"], "2026-04");
  EXPECT_EQ(april[0]["granted_gpu_seconds"], 7200);
  EXPECT_EQ(april[0]["used_gpu_seconds"], 1000);
  EXPECT_EQ(Usage("2026-05"), Json::array());
}

// Section 8: --format csv has a header row of the JSON field names, nested objects
// flattened as frozen_<field> / adjustment_<field>.
TEST_F(SettlementRulesTest, CsvHasHeaderOfFieldNamesAndFlattenedObjects) {
  std::string root3;
  ASSERT_NO_FATAL_FAILURE(IngestCloseScenario(&root3));
  CommandResult r =
      RunCli({"report", "settlement", "--data", Data(), "--month", "2026-04", "--format", "csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto rows = ParseCsv(r.out);
  ASSERT_EQ(rows.size(), 3u) << r.out;  // header, C-1, C-3
  const std::vector<std::string>& header = rows[0];
  std::vector<std::string> want = {"contract_id", "csp_id", "month"};
  for (const char* f : kFigureNames) want.emplace_back(f);
  for (const char* f : kFigureNames) want.push_back(std::string("frozen_") + f);
  for (const char* f : kFigureNames) want.push_back(std::string("adjustment_") + f);
  want.emplace_back("closed_at_tree_size");
  want.emplace_back("closed_at_root");
  for (const auto& name : want) {
    EXPECT_EQ(std::count(header.begin(), header.end(), name), 1) << name << " in " << r.out;
  }
  EXPECT_EQ(std::set<std::string>(header.begin(), header.end()),
            std::set<std::string>(want.begin(), want.end()));
  auto cell = [&](size_t row, const std::string& name) -> std::string {
    auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end() || row >= rows.size()) return "<none>";
    const size_t col = static_cast<size_t>(it - header.begin());
    return col < rows[row].size() ? rows[row][col] : "<short row>";
  };
  EXPECT_EQ(cell(1, "contract_id"), "C-1");
  EXPECT_EQ(cell(1, "net_krw"), "4500");
  EXPECT_EQ(cell(1, "frozen_net_krw"), "1800");
  EXPECT_EQ(cell(1, "adjustment_penalty_krw"), "-900");
  EXPECT_EQ(cell(1, "closed_at_tree_size"), "3");
  EXPECT_EQ(Lower(cell(1, "closed_at_root")), Lower(root3));
  EXPECT_EQ(cell(2, "contract_id"), "C-3");
  EXPECT_EQ(cell(2, "frozen_committed_gpu_seconds"), "0");

  r = RunCli({"report", "usage", "--data", Data(), "--month", "2026-04", "--format", "csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  rows = ParseCsv(r.out);
  ASSERT_EQ(rows.size(), 2u) << r.out;
  EXPECT_EQ(std::set<std::string>(rows[0].begin(), rows[0].end()),
            std::set<std::string>({"allocation_id", "contract_id", "user_id", "month",
                                   "granted_gpu_seconds", "used_gpu_seconds"}))
      << r.out;
  auto col = std::find(rows[0].begin(), rows[0].end(), "used_gpu_seconds") - rows[0].begin();
  ASSERT_LT(static_cast<size_t>(col), rows[1].size()) << r.out;
  EXPECT_EQ(rows[1][static_cast<size_t>(col)], "600");

  r = RunCli({"report", "anomalies", "--data", Data(), "--format", "csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  rows = ParseCsv(r.out);
  ASSERT_EQ(rows.size(), 4u) << r.out;  // header + 3 late rows
  for (const char* name : {"kind", "event_id", "source", "month"}) {
    EXPECT_EQ(std::count(rows[0].begin(), rows[0].end(), name), 1) << name << " in " << r.out;
  }
}

// Section 8: exit 0 on success, 2 for usage errors, 1 for bad input.
TEST_F(SettlementRulesTest, ReportExitCodes) {
  ASSERT_NO_FATAL_FAILURE(Ingest({
      ContractEvent("reg-1", "C-1", kKt, 1, A("00:00"), A("01:00"), 3600, 1800),
  }));
  EXPECT_EQ(
      RunCli({"report", "settlement", "--data", Data(), "--month", "2026-04", "--format", "json"})
          .exit_code,
      0);
  EXPECT_EQ(
      RunCli({"report", "settlement", "--data", Data(), "--month", "2026-04", "--format", "xml"})
          .exit_code,
      2);
  EXPECT_EQ(RunCli({"report", "usage", "--data", Data(), "--month", "2026-04", "--format", "yaml"})
                .exit_code,
            2);
  EXPECT_EQ(RunCli({"report", "no-such-report", "--data", Data(), "--month", "2026-04", "--format",
                    "json"})
                .exit_code,
            2);
  EXPECT_EQ(
      RunCli({"report", "settlement", "--data", Data(), "--month", "2026-13", "--format", "json"})
          .exit_code,
      1);
  EXPECT_EQ(RunCli({"report", "usage", "--data", Data(), "--month", "2026-00", "--format", "json"})
                .exit_code,
            1);
  EXPECT_EQ(
      RunCli({"report", "anomalies", "--data", Data(), "--month", "2026-13", "--format", "json"})
          .exit_code,
      1);
}

}  // namespace
}  // namespace gpuledger::testing
