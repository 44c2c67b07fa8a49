// Hand-written cases of the verifier's settlement replay (tools/verify/replay.h): each is
// compared with the projections (replay_test_util.h), and the numbers that are easy to
// work out by hand are checked too; prefixes, closes and what entries touch.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "schemas/event_generated.h"
#include "tests/support/replay_test_util.h"
#include "tools/csp/simulate.h"

namespace gpuledger::testing {
namespace {

using verify::SettlementReplay;

constexpr const char* kApril = "2026-04";
constexpr const char* kKt = "kt-cloud";
constexpr const char* kNaver = "naver-cloud";

// Times relative to 2026-03-31T15:00:00Z, where KST month 2026-04 begins.
std::string T(int64_t minutes) { return UtcText(1774969200 + minutes * 60); }

std::vector<verify::StatementRow> SettleAt(const ReplayBench& bench, const SettlementReplay& replay,
                                           uint64_t prefix, const std::string& month = kApril) {
  auto settled = replay.Settle(SourceOf(bench.ledger()), {{month, prefix}});
  EXPECT_TRUE(settled.ok()) << settled.status().ToString();
  return settled.ok() ? settled.value().begin()->second : std::vector<verify::StatementRow>{};
}

TEST(ReplayCases, DoubleClaimAcrossContractsCountsForNeither) {
  ReplayBench bench;
  ASSERT_TRUE(bench.Ingest({
      ContractEvent("r1", "C-1", kKt, 2, T(0), T(120), 3600, 1800),
      ContractEvent("r2", "C-2", kNaver, 1, T(0), T(120), 3600, 3600),
      CapacityEvent("k1", kKt, "C-1", T(0), T(120), {"GPU-1", "GPU-2"}),
      CapacityEvent("n1", kNaver, "C-2", T(30), T(90), {"GPU-2"}),
  }));
  EXPECT_EQ(bench.Compare(), "");
  auto replay = bench.Replay();
  ASSERT_NE(replay, nullptr);
  const auto rows = SettleAt(bench, *replay, bench.ledger().size());
  ASSERT_EQ(rows.size(), 2u);
  // C-1: GPU-1 whole, GPU-2 only outside [30, 90) min: 5400 a hour against 7200 committed.
  EXPECT_EQ(rows[0],
            (verify::StatementRow{"C-1", kKt, {14400, 10800, 10800, 3600, 10800, 1800, 9000}}));
  // C-2: its one GPU-second range is all doubly claimed.
  EXPECT_EQ(rows[1], (verify::StatementRow{"C-2", kNaver, {7200, 0, 0, 7200, 0, 7200, -7200}}));
}

TEST(ReplayCases, VoidOfCapacityReportCountsFromItsIndexOn) {
  ReplayBench bench;
  std::vector<uint64_t> at;
  ASSERT_TRUE(bench.Ingest(
      {
          ContractEvent("r1", "C-1", kKt, 1, T(0), T(60), 3600, 3600),
          CapacityEvent("k1", kKt, "C-1", T(0), T(60), {"GPU-1"}),
          CapacityEvent("k2", kKt, "C-1", T(0), T(30), {"GPU-2"}),
          CloseEvent("close-1", kApril),
          VoidEvent("v1", CspSource(kKt), "k1"),
      },
      true, &at));
  EXPECT_EQ(bench.Compare(), "");
  auto replay = bench.Replay();
  ASSERT_NE(replay, nullptr);
  EXPECT_EQ(replay->ClosedMonths(bench.ledger().size()),
            (std::map<std::string, uint64_t>{{kApril, at[3]}}));
  // Frozen: both reports (5400 delivered, 3600 payable); now: k2 alone.
  EXPECT_EQ(SettleAt(bench, *replay, at[3])[0].figures.delivered_gpu_seconds, 5400);
  EXPECT_EQ(SettleAt(bench, *replay, at[4])[0].figures.delivered_gpu_seconds, 5400);
  EXPECT_EQ(SettleAt(bench, *replay, at[4] + 1)[0].figures.delivered_gpu_seconds, 1800);
  EXPECT_TRUE(SettleAt(bench, *replay, at[0]).empty());  // nothing registered yet
}

TEST(ReplayCases, VoidedContractRegisteredAgainIsANewContract) {
  ReplayBench bench;
  std::vector<uint64_t> at;
  ASSERT_TRUE(bench.Ingest(
      {
          ContractEvent("r1", "C-1", kKt, 1, T(0), T(120), 3600, 0),
          CapacityEvent("k1", kKt, "C-1", T(0), T(120), {"GPU-1"}),
          CloseEvent("close-1", kApril),
          VoidEvent("v1", kMinistrySource, "r1"),
          ContractEvent("r2", "C-1", kNaver, 2, T(60), T(180), 3600, 0),
          // GPU-1 in the hour the old registration also reported it: the old one is dead,
          // so this is no double claim.
          CapacityEvent("n1", kNaver, "C-1", T(60), T(120), {"GPU-1", "GPU-2"}),
      },
      true, &at));
  EXPECT_EQ(bench.Compare(), "");
  auto replay = bench.Replay();
  ASSERT_NE(replay, nullptr);
  const auto frozen = SettleAt(bench, *replay, at[2]);
  ASSERT_EQ(frozen.size(), 1u);
  EXPECT_EQ(frozen[0].csp_id, kKt);
  EXPECT_EQ(frozen[0].figures.delivered_gpu_seconds, 7200);
  EXPECT_TRUE(SettleAt(bench, *replay, at[3] + 1).empty());  // voided, not yet again
  const auto now = SettleAt(bench, *replay, bench.ledger().size());
  ASSERT_EQ(now.size(), 1u);
  EXPECT_EQ(now[0],
            (verify::StatementRow{"C-1", kNaver, {14400, 7200, 7200, 7200, 7200, 0, 7200}}));
}

TEST(ReplayCases, CloseVoidedAndClosedAgain) {
  ReplayBench bench;
  std::vector<uint64_t> at;
  ASSERT_TRUE(bench.Ingest(
      {
          ContractEvent("r1", "C-1", kKt, 3, T(-60), T(60), 1001, 3333),
          CapacityEvent("k1", kKt, "C-1", T(-90), T(30), {"GPU-1"}),
          CloseEvent("close-1", kApril),
          CapacityEvent("k2", kKt, "C-1", T(0), T(60), {"GPU-2"}),  // late for close-1
          VoidEvent("v1", kMinistrySource, "close-1"),
          CapacityEvent("k3", kKt, "C-1", T(10), T(20), {"GPU-3"}),
          CloseEvent("close-2", kApril),
          CapacityEvent("k4", kKt, "C-1", T(0), T(60), {"GPU-3"}),  // late for close-2
          CloseEvent("close-3", "2026-03"),
      },
      true, &at));
  EXPECT_EQ(bench.Compare(), "");
  auto replay = bench.Replay();
  ASSERT_NE(replay, nullptr);
  using Closed = std::map<std::string, uint64_t>;
  EXPECT_EQ(replay->ClosedMonths(at[2]), Closed{});
  EXPECT_EQ(replay->ClosedMonths(at[2] + 1), (Closed{{kApril, at[2]}}));
  EXPECT_EQ(replay->ClosedMonths(at[4]), (Closed{{kApril, at[2]}}));
  EXPECT_EQ(replay->ClosedMonths(at[4] + 1), Closed{});
  EXPECT_EQ(replay->ClosedMonths(at[6] + 1), (Closed{{kApril, at[6]}}));
  EXPECT_EQ(replay->ClosedMonths(bench.ledger().size()),
            (Closed{{"2026-03", at[8]}, {kApril, at[6]}}));
  // At the second close: k1's half hour, k2's hour and k3's ten minutes.
  const auto second = SettleAt(bench, *replay, at[6]);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].figures.delivered_gpu_seconds, 1800 + 3600 + 600);
  EXPECT_EQ(second[0].figures.committed_gpu_seconds, 3 * 3600);
}

TEST(ReplayCases, SimulatedMonthWithLateCapacityAgrees) {
  SimulateOptions options;
  options.seed = 7;
  options.days = 2;
  options.with_faults = true;  // duplicates and rejects too, and a late capacity report
  std::vector<std::string> lines;
  ASSERT_TRUE(Simulate(options, [&](const SimulatedEvent& e) { lines.emplace_back(e.json); }).ok());
  lines.push_back(LateCapacityEvent(options));
  ReplayBench bench;
  ASSERT_TRUE(bench.IngestLines(lines));
  ASSERT_GT(bench.ledger().size(), 500u);
  EXPECT_EQ(bench.Compare(), "");
  auto replay = bench.Replay();
  ASSERT_NE(replay, nullptr);
  EXPECT_EQ(replay->ClosedMonths(bench.ledger().size()).count(kApril), 1u);
}

// Touches of every entry of a small ledger, looked up by id.
std::map<std::string, verify::EntryTouches> TouchesById(const ReplayBench& bench,
                                                        const SettlementReplay& replay,
                                                        bool with_index) {
  std::map<std::string, verify::EntryTouches> out;
  Status s = SourceOf(bench.ledger())([&](uint64_t index, const fb::Event& event) {
    out[event.id()->str()] = with_index ? replay.Touches(index, event) : replay.Touches(event);
    return Status::Ok();
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

bool Is(const verify::EntryTouches& t, std::set<std::string> contracts,
        std::set<std::string> months) {
  return t.contract_ids == contracts && t.months == months;
}

TEST(ReplayCases, TouchesResolveAllocationsAndFootprints) {
  ReplayBench bench;
  ASSERT_TRUE(bench.Ingest({
      ContractEvent("r1", "C-1", kKt, 1, T(-120), T(120), 3600, 3600),
      GrantEvent("g1", "A-1", "C-1", "U-1", 1, T(-60), T(90)),
      UsageEvent("u1", kKt, "A-1", T(10), T(20), 600),
      UsageEvent("u2", kKt, "A-1", T(-20), T(-10), 600),
      CapacityEvent("k1", kKt, "C-1", T(-180), T(-60), {"GPU-1"}),  // clipped: March only
      CapacityEvent("k2", kKt, "C-1", T(-60), T(300), {"GPU-1"}),   // both months
      CapacityEvent("k3", kKt, "C-1", T(200), T(300), {"GPU-1"}),   // outside the period
      ReleaseEvent("rel1", kMinistrySource, "A-1", T(60)),          // takes [60, 90) away
      CloseEvent("close-1", kApril),
      VoidEvent("v1", CspSource(kKt), "k1"),
      VoidEvent("v2", kMinistrySource, "g1"),
      VoidEvent("v3", kMinistrySource, "r1"),
  }));
  auto replay = bench.Replay();
  ASSERT_NE(replay, nullptr);
  for (bool with_index : {true, false}) {
    auto t = TouchesById(bench, *replay, with_index);
    SCOPED_TRACE(with_index ? "with index" : "without index");
    EXPECT_TRUE(Is(t["r1"], {"C-1"}, {"2026-03", kApril}));
    EXPECT_TRUE(Is(t["g1"], {"C-1"}, {"2026-03", kApril}));
    EXPECT_TRUE(Is(t["u1"], {"C-1"}, {kApril}));  // through its allocation
    EXPECT_TRUE(Is(t["u2"], {"C-1"}, {"2026-03"}));
    EXPECT_TRUE(Is(t["k1"], {"C-1"}, {"2026-03"}));
    EXPECT_TRUE(Is(t["k2"], {"C-1"}, {"2026-03", kApril}));
    EXPECT_TRUE(Is(t["k3"], {"C-1"}, {}));
    EXPECT_TRUE(Is(t["rel1"], {"C-1"}, {kApril}));
    EXPECT_TRUE(Is(t["close-1"], {}, {kApril}));
    EXPECT_TRUE(Is(t["v1"], {}, {}));  // a capacity report: not resolved yet
    EXPECT_TRUE(Is(t["v2"], {"C-1"}, {"2026-03", kApril}));
    EXPECT_TRUE(Is(t["v3"], {"C-1"}, {"2026-03", kApril}));
  }
  ASSERT_TRUE(replay->ResolveVoidTargets(SourceOf(bench.ledger())).ok());
  EXPECT_TRUE(Is(TouchesById(bench, *replay, true)["v1"], {"C-1"}, {"2026-03"}));
}

TEST(ReplayCases, TouchesFollowTheRegistrationBeforeTheEntry) {
  ReplayBench bench;
  std::vector<uint64_t> at;
  ASSERT_TRUE(bench.Ingest(
      {
          ContractEvent("r1", "C-1", kKt, 1, T(-120), T(-60), 3600, 3600),  // March
          CapacityEvent("k1", kKt, "C-1", T(-120), T(120), {"GPU-1"}),
          VoidEvent("v1", kMinistrySource, "r1"),
          ContractEvent("r2", "C-1", kKt, 1, T(60), T(120), 3600, 3600),  // April
          CapacityEvent("k2", kKt, "C-1", T(-120), T(120), {"GPU-1"}),
      },
      true, &at));
  auto replay = bench.Replay();
  ASSERT_NE(replay, nullptr);
  auto t = TouchesById(bench, *replay, true);
  EXPECT_TRUE(Is(t["k1"], {"C-1"}, {"2026-03"}));
  EXPECT_TRUE(Is(t["k2"], {"C-1"}, {kApril}));
}

TEST(ReplayCases, MonthBoundsAndMoney) {
  int64_t start = 0, end = 0;
  ASSERT_TRUE(verify::MonthBounds(kApril, &start, &end));
  EXPECT_EQ(UtcText(start), "2026-03-31T15:00:00Z");
  EXPECT_EQ(UtcText(end), "2026-04-30T15:00:00Z");
  ASSERT_TRUE(verify::MonthBounds("2024-02", &start, &end));
  EXPECT_EQ(end - start, 29 * 86400);
  for (const char* bad : {"2026-13", "2026-00", "2026-4", "2026/04", "20260-4", ""}) {
    EXPECT_FALSE(verify::MonthBounds(bad, &start, &end)) << bad;
  }
  EXPECT_EQ(verify::KrwDecimal(0), "0");
  EXPECT_EQ(verify::KrwDecimal(-7200), "-7200");
  const verify::Krw big = verify::Krw{1000000000000} * 1000000000000 * 1000000;  // 10^30
  EXPECT_EQ(verify::KrwDecimal(big), "1" + std::string(30, '0'));
  const verify::Krw lowest = -((verify::Krw{1} << 126) - 1) * 2 - 2;  // -2^127
  EXPECT_EQ(verify::KrwDecimal(lowest), "-170141183460469231731687303715884105728");
  EXPECT_EQ(verify::KrwDecimal(-big - 7), KrwText(-big - 7));
}

}  // namespace
}  // namespace gpuledger::testing
