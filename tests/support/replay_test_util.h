// Helpers of tests/audit/replay_test.cc: a ledger with its projections in a temporary directory,
// the offline verifier's replay (tools/verify/replay.h) fed from that ledger, and the
// comparison of the two settlements (the projections are the reference: they have their
// own hand-computed and brute-force tests).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "gpuledger/ledger.h"
#include "gpuledger/projections.h"
#include "tests/support/projection_scenario_util.h"
#include "tests/support/test_util.h"
#include "tools/verify/replay.h"

namespace gpuledger::testing {

// The nested Event of every entry of `ledger`, as the verifier hands them (the ledger must
// outlive the source).
verify::EventSource SourceOf(const Ledger& ledger);

class ReplayBench {
 public:
  ReplayBench();
  // Submits `events` through the real intake and commits; every one must be accepted
  // unless `all_accepted` is false. Indexes of accepted events go to *indexes if given.
  ::testing::AssertionResult Ingest(const std::vector<Json>& events, bool all_accepted = true,
                                    std::vector<uint64_t>* indexes = nullptr);
  ::testing::AssertionResult IngestLines(const std::vector<std::string>& lines);
  // Catches the projections up, loads a replay and compares every month that has rows
  // (and `extra_months`): "" when they agree, else what differs.
  std::string Compare(const std::set<std::string>& extra_months = {});
  const Ledger& ledger() const { return *ledger_; }
  // Closed months compared whose figures changed after the close (an adjustment), so far.
  int adjusted_months() const { return adjusted_months_; }
  // A fresh replay of the ledger as it is now (fails the test and returns null on error).
  std::unique_ptr<verify::SettlementReplay> Replay() const;

 private:
  std::string CompareMonth(const verify::SettlementReplay& replay, const std::string& month);

  TempDir dir_;
  std::unique_ptr<Ledger> ledger_;
  std::unique_ptr<Projections> projections_;
  uint64_t line_ = 0;
  int adjusted_months_ = 0;
};

}  // namespace gpuledger::testing
