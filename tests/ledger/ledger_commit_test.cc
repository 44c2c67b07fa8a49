// Commit, CommitAsync and Abandon: what is durable, what later messages are judged against.
#include <gtest/gtest.h>

#include <string>

#include "gpuledger/ledger.h"
#include "tests/support/test_util.h"

namespace gpuledger {
namespace {

std::string Contract(const std::string& id, const std::string& contract_id) {
  return R"({"specversion":"1.0","id":")" + id +
         R"(","source":"ministry","type":"io.gpuledger.contract.registered.v1","time":"2026-03-01T00:00:00Z","data":{"contract_id":")" +
         contract_id +
         R"(","csp_id":"kt-cloud","programme":"gov-gpu","gpu_model":"H100","committed_gpus":4,"period_start":"2026-04-01T00:00:00Z","period_end":"2026-05-01T00:00:00Z","price_krw_per_gpu_hour":1000,"penalty_krw_per_gpu_hour":500,"max_gpus_per_allocation":4}})";
}

std::string Grant(const std::string& id, const std::string& contract_id) {
  return R"({"specversion":"1.0","id":")" + id +
         R"(","source":"ministry","type":"io.gpuledger.allocation.granted.v1","time":"2026-03-01T00:00:00Z","data":{"allocation_id":"A-)" +
         id + R"(","contract_id":")" + contract_id +
         R"(","user_id":"u","gpus":2,"start":"2026-04-01T00:00:00Z","end":"2026-04-02T00:00:00Z"}})";
}

Outcome Submit(Ledger& ledger, const std::string& message) {
  auto j = ledger.Submit(message, Origin{});
  EXPECT_TRUE(j.ok());
  return j.ok() ? j->outcome : Outcome::kRejected;
}

TEST(LedgerCommitTest, BatchStagedOnTopOfAnInFlightBatchSeesItAndBothBecomeDurable) {
  testing::TempDir tmp;
  {
    auto ledger = Ledger::Open(tmp.path(), LedgerOptions{});
    ASSERT_TRUE(ledger.ok());
    EXPECT_EQ(Submit(*ledger.value(), Contract("c1", "K-1")), Outcome::kAccepted);
    ASSERT_TRUE(ledger.value()->CommitAsync().ok());
    // Judged against the in-flight batch: the contract is known, and is a duplicate.
    EXPECT_EQ(Submit(*ledger.value(), Grant("g1", "K-1")), Outcome::kAccepted);
    EXPECT_EQ(Submit(*ledger.value(), Contract("c1", "K-1")), Outcome::kDuplicate);
    ASSERT_TRUE(ledger.value()->Commit().ok());
    EXPECT_EQ(ledger.value()->size(), 2u);
  }
  auto reopened = Ledger::Open(tmp.path(), LedgerOptions{});
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(reopened.value()->size(), 2u);
  EXPECT_EQ(reopened.value()->stats().duplicates, 1u);
  EXPECT_EQ(Submit(*reopened.value(), Grant("g1", "K-1")), Outcome::kDuplicate);
  VerifyReport report;
  ASSERT_TRUE(reopened.value()->Verify(&report, nullptr).ok());
  EXPECT_TRUE(report.ok) << report.problem;
}

TEST(LedgerCommitTest, AbandonAfterCommitAsyncKeepsTheInFlightBatchOnly) {
  testing::TempDir tmp;
  auto ledger = Ledger::Open(tmp.path(), LedgerOptions{});
  ASSERT_TRUE(ledger.ok());
  Ledger& l = *ledger.value();
  EXPECT_EQ(Submit(l, Contract("c1", "K-1")), Outcome::kAccepted);
  ASSERT_TRUE(l.CommitAsync().ok());
  EXPECT_EQ(Submit(l, Contract("c2", "K-2")), Outcome::kAccepted);
  l.Abandon();
  ASSERT_TRUE(l.WaitCommitted().ok());
  EXPECT_EQ(l.size(), 1u);
  // K-2 was abandoned: a grant on it is an invalid reference; K-1 stays known.
  EXPECT_EQ(Submit(l, Grant("g2", "K-2")), Outcome::kRejected);
  EXPECT_EQ(Submit(l, Grant("g1", "K-1")), Outcome::kAccepted);
  ASSERT_TRUE(l.Commit().ok());
  EXPECT_EQ(l.size(), 2u);
  EXPECT_EQ(l.stats().rejects, 1u);
  VerifyReport report;
  ASSERT_TRUE(l.Verify(&report, nullptr).ok());
  EXPECT_TRUE(report.ok) << report.problem;
}

}  // namespace
}  // namespace gpuledger
