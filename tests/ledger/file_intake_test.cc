// JSON Lines framing: line ends, blank lines, a byte order mark, a missing final newline.
#include "gpuledger/file_intake.h"

#include <gtest/gtest.h>

#include <string>

#include "gpuledger/ledger.h"
#include "tests/support/test_util.h"

namespace gpuledger {
namespace {

std::string Close(const std::string& id, const std::string& month) {
  return R"({"specversion":"1.0","id":")" + id +
         R"(","source":"ministry","type":"io.gpuledger.period.closed.v1","time":"2026-03-01T00:00:00Z","data":{"month":")" +
         month + R"("}})";
}

FileIngestReport Ingest(const std::string& contents, testing::TempDir& tmp) {
  testing::WriteFile(tmp.Sub("in.jsonl"), contents);
  auto ledger = Ledger::Open(tmp.Sub("ledger"), LedgerOptions{});
  EXPECT_TRUE(ledger.ok());
  auto report = IngestFile(*ledger.value(), tmp.Sub("in.jsonl"), FileIngestOptions{});
  EXPECT_TRUE(report.ok()) << report.status().ToString();
  return report.ok() ? report.value() : FileIngestReport{};
}

TEST(FileIntakeTest, CrLfBlankLinesAndNoFinalNewline) {
  testing::TempDir tmp;
  FileIngestReport r =
      Ingest(Close("a", "2026-01") + "\r\n \t \r\n\r\n" + Close("b", "2026-02"), tmp);
  EXPECT_EQ(r.counts.accepted, 2u);
  EXPECT_EQ(r.counts.rejected, 0u);
  EXPECT_EQ(r.lines_read, 2u);
  EXPECT_EQ(r.blank_lines, 2u);
}

TEST(FileIntakeTest, ByteOrderMarkOpeningTheFileIsDroppedElsewhereItIsMalformed) {
  testing::TempDir tmp;
  const std::string bom = "\xEF\xBB\xBF";
  FileIngestReport r =
      Ingest(bom + Close("a", "2026-01") + "\n" + bom + Close("b", "2026-02") + "\n", tmp);
  EXPECT_EQ(r.counts.accepted, 1u);
  EXPECT_EQ(r.counts.rejected, 1u);
  EXPECT_EQ(r.counts.rejected_by_reason["malformed"], 1u);
  auto ledger = Ledger::Open(tmp.Sub("ledger"), LedgerOptions{});
  ASSERT_TRUE(ledger.ok());
  auto entry = ledger.value()->ReadEntry(0);
  ASSERT_TRUE(entry.ok());
  EXPECT_EQ(entry->message, Close("a", "2026-01"));  // kept without the file's BOM
  auto reject = ledger.value()->ReadReject(0);
  ASSERT_TRUE(reject.ok());
  EXPECT_EQ(reject->origin.line, 2u);
  EXPECT_EQ(reject->message, bom + Close("b", "2026-02"));  // raw bytes as received
}

TEST(FileIntakeTest, EmptyFileCountsNothing) {
  testing::TempDir tmp;
  FileIngestReport r = Ingest("", tmp);
  EXPECT_EQ(r.lines_read, 0u);
  EXPECT_EQ(r.counts.total(), 0u);
}

}  // namespace
}  // namespace gpuledger
