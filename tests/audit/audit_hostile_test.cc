// gpuledger-verify against hostile bundles: entries the intake could never write, forged
// statement rows, a statement left out, entries appended unsigned, another log's origin,
// a witness key posing as the log's. Each must fail with a report, never crash or pass.
#include <gtest/gtest.h>

#include <regex>

#include "schemas/ledger_entry_generated.h"
#include "tests/support/audit_bundle_util.h"

namespace gpuledger::testing {
namespace {

using nlohmann::json;

class AuditHostile : public AuditSuite<21> {
 protected:
  // Replaces entry `index` by `bytes`, listing hashes that match them.
  static void Splice(const std::string& bundle, size_t index, const std::string& bytes) {
    BundleRecords r = ReadRecords(bundle);
    Hash256 chain{};
    r.records[index] = RecordOf(bytes, &chain);
    Relink(&r);
    WriteRecords(bundle, r);
  }
};

TEST_F(AuditHostile, EntriesWithoutAnEventOrAPayloadAreNamedNotCrashedOn) {
  flatbuffers::FlatBufferBuilder no_event;
  no_event.Finish(fb::CreateLedgerEntry(no_event, 1, 1700000000));
  const std::string bundle = Copy();
  Splice(
      bundle, 7,
      std::string(reinterpret_cast<const char*>(no_event.GetBufferPointer()), no_event.GetSize()));
  int code = -1;
  json report = Verify(bundle, &code);
  ASSERT_EQ(code, 1) << "a report, not a crash";
  EXPECT_EQ(report["first_bad_index"], 7) << report["failures"].dump(2);
  EXPECT_TRUE(ReportHas(report, "entry_decode"));
}

TEST_F(AuditHostile, ASecondRowForOneContractFails) {
  const std::string bundle = Copy();
  const json manifest = json::parse(ReadFile(bundle + "/manifest.json"));
  const std::string path = bundle + "/" + manifest["statements"][0]["file"].get<std::string>();
  json statement = json::parse(ReadFile(path));
  json forged = statement["rows"][0];
  forged["net_krw"] = 999999999;
  statement["rows"].insert(statement["rows"].begin(), forged);
  WriteFile(path, statement.dump());
  int code = -1;
  json report = Verify(bundle, &code);
  EXPECT_EQ(code, 1);
  EXPECT_TRUE(ReportHas(report, "statement_row_extra")) << report["failures"].dump(2);
}

TEST_F(AuditHostile, AClosedMonthWithoutItsStatementFails) {
  const std::string bundle = Copy();
  json manifest = json::parse(ReadFile(bundle + "/manifest.json"));
  const json statement = manifest["statements"][0];
  std::filesystem::remove(bundle + "/" + statement["file"].get<std::string>());
  int code = -1;
  json report = Verify(bundle, &code);
  EXPECT_EQ(code, 1);
  EXPECT_TRUE(ReportHas(report, "statement_missing")) << report["failures"].dump(2);
  EXPECT_EQ(report["first_bad_index"], statement["closed_at_tree_size"]);
  // The auditor asking for that month gets the same answer.
  report = Verify(bundle, &code, {"--month", statement["month"]});
  EXPECT_EQ(code, 1);
  // A manifest that claims the bundle is for another month does not hide it: that month
  // must be closed and stated, and the missing one is listed.
  manifest["month"] = "1999-01";
  WriteFile(bundle + "/manifest.json", manifest.dump());
  report = Verify(bundle, &code);
  EXPECT_EQ(code, 1);
  EXPECT_TRUE(ReportHas(report, "statement_missing"));
  ASSERT_EQ(report["warnings"].size(), 1u);
  EXPECT_NE(report["warnings"][0].get<std::string>().find(statement["month"].get<std::string>()),
            std::string::npos);
}

TEST_F(AuditHostile, EntriesAppendedWithoutASignatureAreNamed) {
  const std::string bundle = Copy();
  BundleRecords r = ReadRecords(bundle);
  r.records.push_back(r.records.back());  // the last entry again, linked after it
  Relink(&r);
  WriteRecords(bundle, r);
  json manifest = json::parse(ReadFile(bundle + "/manifest.json"));
  manifest["tree_size"] = fixture_->size + 1;
  WriteFile(bundle + "/manifest.json", manifest.dump());
  int code = -1;
  json report = Verify(bundle, &code);
  EXPECT_EQ(code, 1);
  EXPECT_EQ(report["first_bad_index"], fixture_->size) << report["failures"].dump(2);
}

TEST_F(AuditHostile, AnotherOriginOrAWitnessKeyIsNotTheLog) {
  int code = -1;
  json report = Verify(fixture_->bundle, &code, {"--origin", "staging.example/ledger"});
  EXPECT_EQ(code, 1);
  EXPECT_TRUE(ReportHas(report, "checkpoint_origin")) << report["failures"].dump(2);
  auto r = RunCli(
      {"keygen", "--name", "gpuledger.test/ledger", "--cosigner", "--out", scratch_.Sub("w")});
  ASSERT_EQ(r.exit_code, 0);
  r = RunVerifier({"bundle", fixture_->bundle, "--key", scratch_.Sub("w.vkey"), "--quiet"});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  r = RunVerifier({"witness", "init", "--state", scratch_.Sub("state"), "--name", "w", "--log-key",
                   scratch_.Sub("w.vkey")});
  EXPECT_EQ(r.exit_code, 1) << r.out;
}

TEST_F(AuditHostile, AConsistencyProofNeedsBothCheckpoints) {
  auto r = RunCli({"prove", "consistency", "--data", fixture_->data, "--from",
                   std::to_string(fixture_->first_size)});
  ASSERT_EQ(r.exit_code, 0);
  WriteFile(scratch_.Sub("c.json"), r.out);
  r = RunVerifier({"proof", scratch_.Sub("c.json"), "--checkpoint", fixture_->checkpoint, "--key",
                   fixture_->vkey});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("old-checkpoint"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace gpuledger::testing
