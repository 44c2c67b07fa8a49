// The projections' state is a function of the ledger alone: applied incrementally (in small
// batches, while the ledger grows) or rebuilt in one go, and after any number of kill -9s of
// a catch-up, it is the same byte for byte, and so are the reports.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gpuledger/ledger.h"
#include "gpuledger/projections.h"
#include "tests/support/test_util.h"
#include "tools/csp/simulate.h"

namespace gpuledger::testing {
namespace {

// The demo's kind of data: three CSPs, faults, a closed month; a few days to stay quick.
std::vector<std::string> DemoLines(uint32_t days) {
  SimulateOptions options;
  options.seed = 11;
  options.days = days;
  options.with_faults = true;
  std::vector<std::string> lines;
  auto summary = Simulate(options, [&](const SimulatedEvent& e) { lines.emplace_back(e.json); });
  EXPECT_TRUE(summary.ok()) << summary.status().ToString();
  return lines;
}

void IngestLines(const std::string& data, const std::string& path,
                 const std::vector<std::string>& lines, size_t from, size_t to) {
  std::string text;
  for (size_t i = from; i < to; ++i) text += lines[i] + "\n";
  WriteFile(path, text);
  CommandResult r = RunCli({"ingest", "--data", data, path, "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

std::string DumpOf(const std::string& data) {
  auto projections = Projections::Open(data, ProjectionOptions());
  EXPECT_TRUE(projections.ok()) << projections.status().ToString();
  std::string out;
  Status s = projections.value()->Dump([&](std::string_view key, std::string_view value) {
    out += HexOf(key) + "=" + HexOf(value) + "\n";
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

std::string Reports(const std::string& data) {
  std::string out;
  for (const char* what : {"settlement", "usage", "anomalies"}) {
    for (const char* format : {"json", "csv"}) {
      CommandResult r = RunCli(
          {"report", what, "--data", data, "--month", "2026-04", "--format", format, "--quiet"});
      EXPECT_EQ(r.exit_code, 0) << r.err;
      out += r.out;
    }
  }
  return out;
}

TEST(ProjectionRebuild, IncrementalInSmallBatchesEqualsRebuildByteForByte) {
  TempDir dir;
  const std::string data = dir.Sub("ledger");
  const std::vector<std::string> lines = DemoLines(4);
  ASSERT_GT(lines.size(), 1000u);
  // The ledger grows in three parts; the projections catch up after each, 97 entries a batch.
  const size_t parts[] = {0, lines.size() / 3, lines.size() * 2 / 3, lines.size()};
  for (int p = 0; p < 3; ++p) {
    IngestLines(data, dir.Sub("part.jsonl"), lines, parts[p], parts[p + 1]);
    CommandResult r = RunCli({"project", "--data", data, "--batch", "97", "--quiet"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  const std::string incremental = DumpOf(data);
  const std::string incremental_reports = Reports(data);
  EXPECT_NE(incremental_reports.find("\"frozen\""), std::string::npos);  // a closed month
  CommandResult r = RunCli({"rebuild", "--data", data, "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"rebuilt\":true"), std::string::npos) << r.out;
  const std::string rebuilt = DumpOf(data);
  EXPECT_GT(rebuilt.size(), 10000u);
  EXPECT_TRUE(incremental == rebuilt) << "the stored state differs after rebuild";
  EXPECT_EQ(incremental_reports, Reports(data));
}

// The byte bound ends a batch early (here after every entry): the state is still the same.
TEST(ProjectionRebuild, BatchesEndedByTheByteBoundEqualRebuild) {
  TempDir dir;
  const std::string data = dir.Sub("ledger");
  const std::vector<std::string> lines = DemoLines(1);
  IngestLines(data, dir.Sub("all.jsonl"), lines, 0, std::min<size_t>(lines.size(), 2000));
  {
    LedgerOptions read_only;
    read_only.read_only = true;
    auto ledger = Ledger::Open(data, read_only);
    ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
    ProjectionOptions one_entry;
    one_entry.batch_bytes_max = 1;
    one_entry.sync_writes = false;
    auto projections = Projections::Open(data, one_entry);
    ASSERT_TRUE(projections.ok()) << projections.status().ToString();
    uint64_t batches = 0;
    Status s =
        projections.value()->CatchUp(*ledger.value(), [&](uint64_t, uint64_t) { ++batches; });
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(projections.value()->applied(), ledger.value()->size());
    EXPECT_EQ(batches, ledger.value()->size());  // one entry per batch
  }
  const std::string small_batches = DumpOf(data);
  ASSERT_EQ(RunCli({"rebuild", "--data", data, "--quiet"}).exit_code, 0);
  EXPECT_TRUE(small_batches == DumpOf(data)) << "the state differs after rebuild";
}

TEST(ProjectionRebuild, KillNineDuringCatchUpResumesWithoutApplyingTwice) {
  TempDir dir;
  const std::string data = dir.Sub("ledger");
  const std::vector<std::string> lines = DemoLines(6);
  IngestLines(data, dir.Sub("all.jsonl"), lines, 0, lines.size());
  std::mt19937_64 prng(20261128);
  int kills = 0;
  for (int attempt = 0; attempt < 40; ++attempt) {
    pid_t pid = SpawnCli({"project", "--data", data, "--batch", "50", "--quiet"}, dir.Sub("out"),
                         dir.Sub("err"));
    ASSERT_GT(pid, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(prng() % 120));
    const bool killed = kill(pid, SIGKILL) == 0;
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    if (WIFEXITED(status)) {
      ASSERT_EQ(WEXITSTATUS(status), 0) << ReadFile(dir.Sub("err"));
      if (ReadFile(dir.Sub("out")).find("\"applied\"") != std::string::npos) break;
    }
    kills += killed && WIFSIGNALED(status);
  }
  CommandResult done = RunCli({"project", "--data", data, "--quiet"});
  ASSERT_EQ(done.exit_code, 0) << done.err;
  const std::string resumed = DumpOf(data);
  const std::string resumed_reports = Reports(data);
  ASSERT_EQ(RunCli({"rebuild", "--data", data, "--quiet"}).exit_code, 0);
  EXPECT_TRUE(resumed == DumpOf(data)) << "state after " << kills << " kills differs";
  EXPECT_EQ(resumed_reports, Reports(data));
  RecordProperty("kills", kills);
}

}  // namespace
}  // namespace gpuledger::testing
