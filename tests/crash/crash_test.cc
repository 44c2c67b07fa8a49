// Crash atomicity of file ingest (spec section 4: every message ends in exactly one outcome
// and none is lost; file_intake.h: an interrupted ingest resumes after its last durable
// batch). The CLI ingesting a large file is killed with SIGKILL at random moments and
// restarted on the same file, again and again, then run to completion. After every kill the
// ledger must verify and hold exactly the outcomes of a prefix of the file; at the end it
// must hold exactly the outcomes of the whole file, each line once, in file order.
//
// Only the kill times depend on the machine's speed (they are drawn around the time one
// full ingest takes here); every assertion holds whatever they are.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "gpuledger/ledger.h"
#include "tests/support/event_gen.h"
#include "tests/support/test_util.h"

namespace gpuledger::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kLines = 200'000;
constexpr uint64_t kSeed = 20260401;
constexpr int kKills = 20;
constexpr uint64_t kPrngSeed = 0xC0FFEE;

// A started `gpuledger ingest`, its output going to files.
class IngestProcess {
 public:
  IngestProcess(const std::string& data, const std::string& file, const std::string& out_path,
                const std::string& err_path)
      : out_path_(out_path),
        err_path_(err_path),
        pid_(SpawnCli({"ingest", "--data", data, file, "--batch", "500", "--quiet"}, out_path,
                      err_path)) {}
  bool started() const { return pid_ > 0; }
  // Waits until the process ends or `deadline`; true if it ended (status in *status).
  bool WaitUntil(Clock::time_point deadline, int* status) {
    while (true) {
      pid_t r = waitpid(pid_, status, WNOHANG);
      if (r == pid_) return true;
      if (Clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  // SIGKILL, then reap. The process may have ended just before: *status says how it ended.
  void Kill(int* status) {
    kill(pid_, SIGKILL);
    waitpid(pid_, status, 0);
  }
  std::string out() const { return ReadFile(out_path_); }
  std::string err() const { return ReadFile(err_path_); }

 private:
  std::string out_path_, err_path_;
  pid_t pid_ = -1;
};

// The generated file split into physical lines (without '\n').
std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    lines.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return lines;
}

std::string_view ReasonOf(GenOutcome o) {
  switch (o) {
    case GenOutcome::kConflictingDuplicate:
      return "conflicting_duplicate";
    case GenOutcome::kMalformed:
      return "malformed";
    case GenOutcome::kInvalidReference:
      return "invalid_reference";
    default:
      return "";
  }
}

struct LedgerCounts {
  uint64_t entries = 0, rejects = 0, duplicates = 0;
  uint64_t messages() const { return entries + rejects + duplicates; }
};

class CrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    text_ = GenerateJsonl(kLines, kSeed, &summary_);
    lines_ = SplitLines(text_);
    ASSERT_EQ(lines_.size(), summary_.physical_lines);
    ASSERT_GT(summary_.duplicate, 100u);
    ASSERT_GT(summary_.conflicting_duplicate, 100u);
    ASSERT_GT(summary_.malformed, 100u);
    ASSERT_GT(summary_.blank, 100u);
    file_ = tmp_.Sub("events.jsonl");
    WriteFile(file_, text_);
    // accepted_line_[k] / rejected_line_[k]: the 1-based physical line of the k-th accepted
    // (rejected) line; nonblank_before_[L]: non-blank lines among the first L.
    nonblank_before_.assign(lines_.size() + 1, 0);
    for (size_t i = 0; i < lines_.size(); ++i) {
      GenOutcome o = summary_.outcomes[i];
      nonblank_before_[i + 1] = nonblank_before_[i] + (o == GenOutcome::kBlank ? 0 : 1);
      if (o == GenOutcome::kAccepted) accepted_line_.push_back(i + 1);
      if (!ReasonOf(o).empty()) rejected_line_.push_back(i + 1);
    }
  }

  LedgerCounts StatsCli(const std::string& dir) {
    CommandResult r = RunCli({"stats", "--data", dir});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    json s = json::parse(r.out, nullptr, false);
    LedgerCounts c;
    if (!s.is_object()) {
      ADD_FAILURE() << "stats output: " << r.out;
      return c;
    }
    c.entries = s.value("entries", uint64_t{0});
    c.rejects = s.value("rejects", uint64_t{0});
    c.duplicates = s.value("duplicates", uint64_t{0});
    EXPECT_EQ(s.value("messages", uint64_t{0}), c.messages());
    return c;
  }

  void ExpectVerifies(const std::string& dir) {
    CommandResult r = RunCli({"verify", "--data", dir, "--quiet"});
    EXPECT_EQ(r.exit_code, 0) << r.out << "\n" << r.err;
    json v = json::parse(r.out, nullptr, false);
    EXPECT_TRUE(v.is_object() && v.value("ok", false)) << r.out;
  }

  // The ledger holds exactly the outcomes of the file's first `*prefix` physical lines, for
  // the smallest such prefix; its last entry and last reject are the right lines.
  void ExpectPrefixOfFile(const std::string& dir, uint64_t* prefix, LedgerCounts* counts) {
    LedgerCounts c = StatsCli(dir);
    *counts = c;
    ASSERT_LE(c.messages(), summary_.non_blank())
        << "more outcomes than lines: some line was judged twice";
    auto at = std::lower_bound(nonblank_before_.begin(), nonblank_before_.end(), c.messages());
    uint64_t L = static_cast<uint64_t>(at - nonblank_before_.begin());
    *prefix = L;
    GenPrefixCounts want = CountPrefix(summary_, L);
    EXPECT_EQ(c.entries, want.accepted) << "first " << L << " lines";
    EXPECT_EQ(c.duplicates, want.duplicate) << "first " << L << " lines";
    EXPECT_EQ(c.rejects, want.rejected) << "first " << L << " lines";
    LedgerOptions options;
    options.read_only = true;
    auto ledger = Ledger::Open(dir, options);
    ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
    if (c.entries > 0 && c.entries <= accepted_line_.size()) {
      auto e = ledger.value()->ReadEntry(c.entries - 1);
      ASSERT_TRUE(e.ok()) << e.status().ToString();
      EXPECT_EQ(e->origin.line, accepted_line_[c.entries - 1]);
      EXPECT_EQ(e->message, lines_[accepted_line_[c.entries - 1] - 1]);
    }
    if (c.rejects > 0 && c.rejects <= rejected_line_.size()) {
      auto r = ledger.value()->ReadReject(c.rejects - 1);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      EXPECT_EQ(r->origin.line, rejected_line_[c.rejects - 1]);
    }
  }

  // Every entry and every reject, against the file: each line once, in file order.
  void ExpectWholeFile(const std::string& dir) {
    LedgerOptions options;
    options.read_only = true;
    auto ledger = Ledger::Open(dir, options);
    ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
    LedgerStats s = ledger.value()->stats();
    ASSERT_EQ(s.entries, accepted_line_.size());
    ASSERT_EQ(s.rejects, rejected_line_.size());
    EXPECT_EQ(s.duplicates, summary_.duplicate);
    uint64_t bad = 0;
    for (uint64_t i = 0; i < s.entries && bad < 5; ++i) {
      auto e = ledger.value()->ReadEntry(i);
      ASSERT_TRUE(e.ok()) << e.status().ToString();
      uint64_t line = accepted_line_[i];
      if (e->index != i || e->origin.line != line || e->origin.file != file_ ||
          e->message != lines_[line - 1]) {
        ADD_FAILURE() << "entry " << i << " is line " << e->origin.line << " of " << e->origin.file
                      << ", expected line " << line;
        ++bad;
      }
    }
    for (uint64_t k = 0; k < s.rejects && bad < 5; ++k) {
      auto r = ledger.value()->ReadReject(k);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      uint64_t line = rejected_line_[k];
      std::string_view want = ReasonOf(summary_.outcomes[line - 1]);
      if (r->origin.line != line || r->reason != want || r->message != lines_[line - 1]) {
        ADD_FAILURE() << "reject " << k << " is line " << r->origin.line << " (" << r->reason
                      << "), expected line " << line << " (" << want << ")";
        ++bad;
      }
    }
  }

  // The ingest's output covers the whole file.
  void ExpectWholeFileReport(const json& out) {
    ASSERT_TRUE(out.is_object()) << out.dump();
    EXPECT_EQ(out.value("accepted", uint64_t{0}), summary_.accepted) << out.dump();
    EXPECT_EQ(out.value("duplicate", uint64_t{0}), summary_.duplicate) << out.dump();
    EXPECT_EQ(out.value("rejected", uint64_t{0}), summary_.rejected()) << out.dump();
    EXPECT_EQ(out.value("accepted", uint64_t{0}) + out.value("duplicate", uint64_t{0}) +
                  out.value("rejected", uint64_t{0}),
              summary_.non_blank())
        << out.dump();
    EXPECT_EQ(out.value("lines_read", uint64_t{0}), summary_.non_blank()) << out.dump();
    EXPECT_EQ(out.value("blank_lines", uint64_t{0}), summary_.blank) << out.dump();
    EXPECT_EQ(out.value("ledger_size", uint64_t{0}), summary_.accepted) << out.dump();
    json by_reason = summary_.rejected_by_reason();
    EXPECT_EQ(out.value("rejected_by_reason", json::object()), by_reason)
        << "rejected_by_reason must cover the whole file like \"rejected\" does";
  }

  TempDir tmp_;
  std::string text_, file_;
  GenSummary summary_;
  std::vector<std::string> lines_;
  std::vector<uint64_t> nonblank_before_, accepted_line_, rejected_line_;
};

// The generator's expectations hold for an uninterrupted ingest (so that the crash test
// below measures crashes, not the generator), and the CLI prints the whole-file report.
TEST_F(CrashTest, UninterruptedIngestMatchesGenerator) {
  std::string dir = tmp_.Sub("straight");
  CommandResult r = RunCli({"ingest", "--data", dir, file_, "--batch", "500", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ExpectWholeFileReport(json::parse(r.out, nullptr, false));
  EXPECT_EQ(json::parse(r.out, nullptr, false).value("resumed_from_line", uint64_t{99}), 0u);
  LedgerCounts c = StatsCli(dir);
  EXPECT_EQ(c.messages(), summary_.non_blank());
  ExpectVerifies(dir);
  ExpectWholeFile(dir);
}

TEST_F(CrashTest, KilledIngestResumesWithEveryLineOnce) {
  // One full ingest on a separate directory, to learn how long ingesting takes here, and
  // one ingest of a file of the same size holding only blank lines, to learn how long the
  // start (hashing the file, opening the store) takes.
  double full_s = 0, start_s = 0;
  {
    auto t0 = Clock::now();
    CommandResult r =
        RunCli({"ingest", "--data", tmp_.Sub("measure"), file_, "--batch", "500", "--quiet"});
    full_s = std::chrono::duration<double>(Clock::now() - t0).count();
    ASSERT_EQ(r.exit_code, 0) << r.err;
    fs::remove_all(tmp_.Sub("measure"));
    std::string blank_file = tmp_.Sub("blank.jsonl");
    std::string blank_text = text_;  // the same lines, every byte but '\n' a space
    for (char& ch : blank_text) ch = ch == '\n' ? '\n' : ' ';
    WriteFile(blank_file, blank_text);
    t0 = Clock::now();
    r = RunCli(
        {"ingest", "--data", tmp_.Sub("measure-start"), blank_file, "--batch", "500", "--quiet"});
    start_s = std::chrono::duration<double>(Clock::now() - t0).count();
    ASSERT_EQ(r.exit_code, 0) << r.err;
    fs::remove_all(tmp_.Sub("measure-start"));
    fs::remove(blank_file);
  }
  start_s = std::min(start_s, full_s / 2);
  // Kill k after start + U(0, 2 * work / 24): on average 20 runs do ~5/6 of the file, so
  // most kills land mid-ingest; one run in eight is killed while starting (recovery).
  const double work_s = full_s - start_s;
  event_gen_detail::Prng prng(kPrngSeed);
  auto uniform = [&](double hi) { return hi * static_cast<double>(prng.Below(1'000'000)) / 1e6; };

  const std::string dir = tmp_.Sub("ledger");
  uint64_t last_prefix = 0, last_messages = 0;
  int kills = 0, kills_with_progress = 0, kills_partial = 0;
  bool completed = false;
  json final_out;
  for (int k = 0; k < kKills && !completed; ++k) {
    SCOPED_TRACE("run " + std::to_string(k + 1));
    double delay_s = prng.Below(8) == 0 ? uniform(start_s) : start_s + uniform(2 * work_s / 24);
    IngestProcess p(dir, file_, tmp_.Sub("out-" + std::to_string(k)),
                    tmp_.Sub("err-" + std::to_string(k)));
    ASSERT_TRUE(p.started());
    int status = 0;
    auto deadline = Clock::now() + std::chrono::microseconds(static_cast<int64_t>(delay_s * 1e6));
    if (!p.WaitUntil(deadline, &status)) p.Kill(&status);
    if (WIFEXITED(status)) {  // it finished before the kill
      ASSERT_EQ(WEXITSTATUS(status), 0) << p.err();
      completed = true;
      final_out = json::parse(p.out(), nullptr, false);
    } else {
      ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
          << "status " << status << ": " << p.err();
      ++kills;
    }
    // The ledger is consistent at every crash point, and holds a prefix of the file.
    ExpectVerifies(dir);
    uint64_t prefix = 0;
    LedgerCounts c;
    ASSERT_NO_FATAL_FAILURE(ExpectPrefixOfFile(dir, &prefix, &c));
    EXPECT_GE(c.messages(), last_messages) << "a crash lost durable outcomes";
    if (c.messages() > last_messages) ++kills_with_progress;
    if (c.messages() > 0 && c.messages() < summary_.non_blank()) ++kills_partial;
    if (!completed && c.messages() == summary_.non_blank()) {
      // Killed between the final commit and the exit: the file is done; ingesting it again
      // would judge every line afresh, so stop here.
      completed = true;
      std::printf("run %d was killed after its final commit; its report is lost\n", k + 1);
      std::fflush(stdout);
    }
    std::printf("run %2d: %s after %.3fs, ledger holds lines 1-%llu\n", k + 1,
                WIFEXITED(status) ? "finished" : "killed", delay_s,
                static_cast<unsigned long long>(prefix));
    std::fflush(stdout);
    last_prefix = prefix;
    last_messages = c.messages();
  }
  std::printf("full ingest %.2fs, start %.2fs; %d kills, %d with durable progress, %d partial\n",
              full_s, start_s, kills, kills_with_progress, kills_partial);
  std::fflush(stdout);
  EXPECT_GT(kills_partial, 0) << "no kill left a partial ledger: the test exercised nothing";

  if (!completed) {
    CommandResult r = RunCli({"ingest", "--data", dir, file_, "--batch", "500", "--quiet"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    final_out = json::parse(r.out, nullptr, false);
    uint64_t resumed = final_out.value("resumed_from_line", uint64_t{0});
    if (last_messages == 0) {
      EXPECT_EQ(resumed, 0u) << r.out;
    } else {
      // Resumes right after the last durable batch (only blank lines may lie between).
      ASSERT_GT(resumed, last_prefix) << r.out;
      ASSERT_LE(resumed, lines_.size() + 1) << r.out;
      for (uint64_t line = last_prefix + 1; line < resumed; ++line) {
        EXPECT_EQ(summary_.outcomes[line - 1], GenOutcome::kBlank)
            << "line " << line << " was skipped";
      }
    }
  }
  if (!final_out.is_null()) ExpectWholeFileReport(final_out);

  LedgerCounts c = StatsCli(dir);
  EXPECT_EQ(c.entries + c.rejects + c.duplicates, summary_.non_blank());
  EXPECT_EQ(c.entries, summary_.accepted);
  EXPECT_EQ(c.rejects, summary_.rejected());
  EXPECT_EQ(c.duplicates, summary_.duplicate);
  ExpectVerifies(dir);
  ExpectWholeFile(dir);
}

}  // namespace
}  // namespace gpuledger::testing
