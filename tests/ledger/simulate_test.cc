// The simulator: deterministic bytes, a stream the real intake accepts, the promised fault
// outcomes, time order, and the capacity cadence.
#include "tools/csp/simulate.h"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "gpuledger/file_intake.h"
#include "gpuledger/ledger.h"
#include "tests/support/test_util.h"

namespace gpuledger {
namespace {

using nlohmann::json;

struct Line {
  std::string source, topic, json;
};

struct Stream {
  std::vector<Line> lines;
  SimulateSummary summary;
};

Stream Simulated(const SimulateOptions& options) {
  Stream run;
  auto summary = Simulate(options, [&run](const SimulatedEvent& e) {
    run.lines.push_back({std::string(e.source), std::string(e.topic), std::string(e.json)});
  });
  EXPECT_TRUE(summary.ok()) << summary.status().ToString();
  if (summary.ok()) run.summary = summary.value();
  EXPECT_EQ(run.summary.events, run.lines.size());
  return run;
}

std::string Joined(const Stream& run) {
  std::string out;
  for (const Line& line : run.lines) out += line.json + "\n";
  return out;
}

FileIngestReport Ingest(const Stream& run, testing::TempDir& tmp) {
  LedgerOptions ledger_options;
  ledger_options.sync_writes = false;  // durability is not what is tested here
  auto ledger = Ledger::Open(tmp.Sub("ledger"), ledger_options);
  EXPECT_TRUE(ledger.ok()) << ledger.status().ToString();
  if (!ledger.ok()) return {};
  auto report = IngestBuffer(*ledger.value(), Joined(run), "simulated.jsonl", FileIngestOptions{});
  EXPECT_TRUE(report.ok()) << report.status().ToString();
  return report.ok() ? report.value() : FileIngestReport{};
}

SimulateOptions Small() {
  SimulateOptions options;
  options.days = 3;
  return options;
}

TEST(SimulateTest, SameOptionsGiveTheSameBytes) {
  SimulateOptions options = Small();
  options.with_faults = true;
  options.scale = 2;
  EXPECT_EQ(Joined(Simulated(options)), Joined(Simulated(options)));
}

TEST(SimulateTest, DifferentSeedsGiveDifferentStreams) {
  SimulateOptions a = Small();
  SimulateOptions b = Small();
  b.seed = 2;
  EXPECT_NE(Joined(Simulated(a)), Joined(Simulated(b)));
}

TEST(SimulateTest, RejectsBadOptionsWithoutEmitting) {
  auto rejected = [](const SimulateOptions& options) {
    bool called = false;
    auto r = Simulate(options, [&called](const SimulatedEvent&) { called = true; });
    EXPECT_FALSE(called);
    return !r.ok() && r.status().code() == Status::Code::kInvalidArgument;
  };
  for (const char* month :
       {"2026-4", "2026-13", "2026-00", "26-04-01", "abcd-04", "2026/04", "1969-12", " 2026-04"}) {
    SimulateOptions options;
    options.month = month;
    EXPECT_TRUE(rejected(options)) << month;
  }
  for (uint32_t interval : {0u, 30u, 59u, 700u, 7200u}) {
    SimulateOptions options;
    options.capacity_interval_seconds = interval;
    EXPECT_TRUE(rejected(options)) << interval;
  }
  SimulateOptions no_csps;
  no_csps.csps = 0;
  EXPECT_TRUE(rejected(no_csps));
  SimulateOptions no_scale;
  no_scale.scale = 0;
  EXPECT_TRUE(rejected(no_scale));
}

TEST(SimulateTest, WithoutFaultsTheIntakeAcceptsEveryEvent) {
  SimulateOptions options = Small();
  options.csps = 4;
  options.scale = 2;
  Stream run = Simulated(options);
  EXPECT_EQ(run.summary.expected_accepted, run.lines.size());
  EXPECT_EQ(run.summary.expected_duplicate, 0u);
  EXPECT_EQ(run.summary.expected_rejected, 0u);
  testing::TempDir tmp;
  FileIngestReport report = Ingest(run, tmp);
  EXPECT_EQ(report.counts.accepted, run.lines.size());
  EXPECT_EQ(report.counts.duplicate, 0u);
  EXPECT_EQ(report.counts.rejected, 0u)
      << ::testing::PrintToString(report.counts.rejected_by_reason);
  EXPECT_EQ(report.ledger_size_after, run.lines.size());
}

void ExpectFaultOutcomes(const SimulateOptions& options) {
  Stream run = Simulated(options);
  testing::TempDir tmp;
  FileIngestReport report = Ingest(run, tmp);
  EXPECT_EQ(report.counts.accepted, run.summary.expected_accepted);
  EXPECT_EQ(report.counts.duplicate, run.summary.expected_duplicate);
  EXPECT_EQ(report.counts.rejected, run.summary.expected_rejected);
  EXPECT_EQ(run.summary.expected_duplicate, 3u);  // a contract, a capacity report, a usage
  EXPECT_EQ(run.summary.expected_rejected, 5u);
  const std::map<std::string, uint64_t> reasons = {{"conflicting_duplicate", 1},
                                                   {"invalid_value", 1},
                                                   {"malformed", 1},
                                                   {"unauthorized_source", 1},
                                                   {"unknown_type", 1}};
  EXPECT_EQ(report.counts.rejected_by_reason, reasons);
}

TEST(SimulateTest, WithFaultsEveryOutcomeIsTheExpectedOne) {
  SimulateOptions options = Small();
  options.with_faults = true;
  ExpectFaultOutcomes(options);
}

TEST(SimulateTest, WithFaultsAndOneCspTheUnauthorizedMessageIsStillRejected) {
  SimulateOptions options = Small();
  options.with_faults = true;
  options.csps = 1;
  options.seed = 7;
  ExpectFaultOutcomes(options);
}

TEST(SimulateTest, WholeMonthWithFaultsIngestsExactlyAsExpected) {
  SimulateOptions options;
  options.with_faults = true;
  ExpectFaultOutcomes(options);
}

TEST(SimulateTest, EventsAreInTimeOrderAndWellFormed) {
  SimulateOptions options = Small();
  options.with_faults = true;
  options.csps = 5;
  Stream run = Simulated(options);
  std::map<std::string, std::string> last_time_by_source;
  std::string last_time;
  std::set<std::string> sources;
  size_t unparsable = 0;
  for (const Line& line : run.lines) {
    json e = json::parse(line.json, nullptr, /*allow_exceptions=*/false);
    if (e.is_discarded()) {  // the one deliberately malformed line
      ++unparsable;
      continue;
    }
    EXPECT_EQ(e["source"], line.source);
    EXPECT_EQ(e["specversion"], "1.0");
    EXPECT_EQ(e["datacontenttype"], "application/json");
    const std::string time = e["time"];
    ASSERT_EQ(time.size(), 20u) << time;  // YYYY-MM-DDTHH:MM:SSZ: compares as text
    EXPECT_EQ(time.back(), 'Z');
    EXPECT_GE(time, last_time_by_source[line.source]) << line.json;
    EXPECT_GE(time, last_time) << line.json;
    last_time_by_source[line.source] = last_time = time;
    const std::string name = line.source == "ministry" ? "ministry" : line.source.substr(4);
    EXPECT_EQ(line.topic, "gpu-events." + name);
    sources.insert(line.source);
  }
  EXPECT_EQ(unparsable, 1u);
  const std::set<std::string> want = {"ministry",      "csp/kt-cloud", "csp/naver-cloud",
                                      "csp/nhn-cloud", "csp/csp-4",    "csp/csp-5"};
  EXPECT_EQ(sources, want);
  EXPECT_NE(run.lines.front().json.find(R"("type":"io.gpuledger.contract.registered.v1")"),
            std::string::npos);
  // With faults, the close is followed by one late report for the closed month.
  ASSERT_GE(run.lines.size(), 2u);
  EXPECT_NE(run.lines[run.lines.size() - 2].json.find(R"("type":"io.gpuledger.period.closed.v1")"),
            std::string::npos);
  EXPECT_NE(run.lines.back().json.find("late-capacity"), std::string::npos);
}

struct CapacityFacts {
  std::map<std::string, uint64_t> reports_by_contract;
  std::map<std::string, int64_t> committed_by_contract;
  uint64_t short_reports = 0;   // listing fewer GPUs than committed
  uint64_t gutted_reports = 0;  // listing fewer than half the committed GPUs
};

CapacityFacts Capacity(const Stream& run) {
  CapacityFacts facts;
  for (const Line& line : run.lines) {
    json e = json::parse(line.json);
    const json& data = e["data"];
    if (e["type"] == "io.gpuledger.contract.registered.v1") {
      facts.committed_by_contract[data["contract_id"]] = data["committed_gpus"];
      facts.reports_by_contract[data["contract_id"]] += 0;
    } else if (e["type"] == "io.gpuledger.capacity.reported.v1") {
      ++facts.reports_by_contract[data["contract_id"]];
      const std::set<std::string> uuids(data["gpu_uuids"].begin(), data["gpu_uuids"].end());
      EXPECT_EQ(uuids.size(), data["gpu_uuids"].size()) << "distinct UUIDs";
      if (static_cast<int64_t>(uuids.size()) < facts.committed_by_contract[data["contract_id"]]) {
        ++facts.short_reports;
      }
      if (static_cast<int64_t>(uuids.size()) * 2 <
          facts.committed_by_contract[data["contract_id"]]) {
        ++facts.gutted_reports;
      }
    }
  }
  return facts;
}

TEST(SimulateTest, EachContractReportsCapacityOncePerInterval) {
  SimulateOptions options = Small();
  options.days = 2;
  options.scale = 3;
  options.capacity_interval_seconds = 900;
  CapacityFacts facts = Capacity(Simulated(options));
  EXPECT_EQ(facts.reports_by_contract.size(), 9u);
  for (const auto& [contract, reports] : facts.reports_by_contract) {
    EXPECT_EQ(reports, 2u * 86400 / 900) << contract;
  }
}

TEST(SimulateTest, WholeMonthFollowsTheKstCalendarAndShowsShortfall) {
  SimulateOptions options;
  options.month = "2026-02";  // 28 days
  Stream run = Simulated(options);
  CapacityFacts facts = Capacity(run);
  EXPECT_EQ(facts.reports_by_contract.size(), 3u);
  for (const auto& [contract, reports] : facts.reports_by_contract) {
    EXPECT_EQ(reports, 28u * 86400 / 600) << contract;
  }
  EXPECT_GT(facts.short_reports, facts.gutted_reports);
  EXPECT_GT(facts.gutted_reports, 0u);
  EXPECT_NE(run.lines.front().json.find(R"("period_start":"2026-01-31T15:00:00Z")"),
            std::string::npos);
  EXPECT_NE(run.lines.back().json.find(R"("time":"2026-02-28T15:00:00Z")"), std::string::npos);
  EXPECT_NE(run.lines.back().json.find(R"("month":"2026-02")"), std::string::npos);
}

// Seconds since the epoch of "YYYY-MM-DDTHH:MM:SSZ".
int64_t Seconds(const std::string& t) {
  using namespace std::chrono;
  const year_month_day date{year{std::stoi(t.substr(0, 4))},
                            month{static_cast<unsigned>(std::stoi(t.substr(5, 2)))},
                            day{static_cast<unsigned>(std::stoi(t.substr(8, 2)))}};
  return sys_days{date}.time_since_epoch().count() * int64_t{86400} +
         std::stoi(t.substr(11, 2)) * 3600 + std::stoi(t.substr(14, 2)) * 60 +
         std::stoi(t.substr(17, 2));
}

// Counts usage reports over their grant (usage_over_reported); checks the rest of the rules.
uint64_t OverReportedUsage(const SimulateOptions& options) {
  Stream run = Simulated(options);
  std::map<std::string, int64_t> gpus_by_allocation;
  uint64_t usage_reports = 0, over_reported = 0;
  for (const Line& line : run.lines) {
    json e = json::parse(line.json, nullptr, /*allow_exceptions=*/false);
    if (e.is_discarded()) continue;
    const json& data = e["data"];
    if (e["type"] == "io.gpuledger.allocation.granted.v1") {
      gpus_by_allocation[data["allocation_id"]] = data["gpus"];
    } else if (e["type"] == "io.gpuledger.usage.reported.v1") {
      ++usage_reports;
      const int64_t start = Seconds(data["interval_start"]);
      const int64_t end = Seconds(data["interval_end"]);
      EXPECT_EQ(Seconds(e["time"]), end) << line.json;
      const int64_t gpu_seconds = data["gpu_seconds"];
      if (start < end && end <= start / 3600 * 3600 + 3600) {
        over_reported += gpu_seconds > gpus_by_allocation.at(data["allocation_id"]) * (end - start);
      } else {
        EXPECT_TRUE(options.with_faults) << line.json;  // only the deliberate invalid_value
      }
    }
  }
  EXPECT_GT(usage_reports, 0u);
  return over_reported;
}

TEST(SimulateTest, UsageStaysInsideOneClockHourAndTheGrantWithoutFaults) {
  EXPECT_EQ(OverReportedUsage(Small()), 0u);
  SimulateOptions options = Small();
  options.with_faults = true;
  // The re-sent usage report may be the over-reported one.
  EXPECT_GE(OverReportedUsage(options), 1u);
  EXPECT_LE(OverReportedUsage(options), 2u);
}

}  // namespace
}  // namespace gpuledger
