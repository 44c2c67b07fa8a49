// The auditor's way end to end, through the two executables: keygen, checkpoint, export
// bundle, gpuledger-verify; and every kind of tampering of a bundle named at the right place.
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <regex>

#include "tests/support/audit_bundle_util.h"

namespace gpuledger::testing {
namespace {

using nlohmann::json;

using AuditBundle = AuditSuite<11>;

TEST_F(AuditBundle, AnOutsiderVerifiesTheBundleAndItsClosedMonth) {
  ASSERT_GT(fixture_->size, fixture_->first_size);
  int code = -1;
  json report = Verify(fixture_->bundle, &code);
  EXPECT_EQ(code, 0) << report.dump(2);
  EXPECT_TRUE(report["ok"]);
  EXPECT_EQ(report["entries_checked"], fixture_->size);
  EXPECT_EQ(report["checkpoints"].size(), 2u);
  ASSERT_EQ(report["statements"].size(), 1u);
  EXPECT_TRUE(report["statements"][0]["ok"]);
  EXPECT_GT(report["statements"][0]["rows"], 0u);
  EXPECT_TRUE(report["first_bad_index"].is_null());
  // The short form: the bundle directory first, the vkey itself instead of its file.
  std::string vkey = ReadFile(fixture_->vkey);
  vkey.pop_back();
  auto short_form = RunVerifier({fixture_->bundle, "--key", vkey, "--quiet"});
  EXPECT_EQ(short_form.exit_code, 0) << short_form.out << short_form.err;
  // The statement is the settlement report's frozen side.
  const std::string month = report["statements"][0]["month"];
  auto r = RunCli(
      {"report", "settlement", "--data", fixture_->data, "--month", month, "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json rows = json::parse(r.out);
  json statement = json::parse(ReadFile(fixture_->bundle + "/statements/" + month + ".json"));
  ASSERT_EQ(statement["rows"].size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(statement["rows"][i]["net_krw"], rows[i]["frozen"]["net_krw"]);
    EXPECT_EQ(statement["closed_at_tree_size"], rows[i]["closed_at_tree_size"]);
  }
}

TEST_F(AuditBundle, AChangedByteOfAnyEntryIsNamedByIndex) {
  BundleRecords original = ReadRecords(fixture_->bundle);
  ASSERT_EQ(original.records.size(), fixture_->size);
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 6; ++trial) {
    const std::string bundle = Copy();
    BundleRecords r = original;
    const size_t index = rng() % r.records.size();
    std::string& rec = r.records[index];
    const size_t at = 4 + rng() % (rec.size() - 4 - 64);  // inside the entry's bytes
    rec[at] = static_cast<char>(rec[at] ^ (1 + rng() % 255));
    WriteRecords(bundle, r);
    int code = -1;
    json report = Verify(bundle, &code);
    EXPECT_EQ(code, 1);
    EXPECT_FALSE(report["ok"]);
    EXPECT_EQ(report["first_bad_index"], index) << report["failures"].dump(2);
    EXPECT_TRUE(ReportHas(report, "entry_leaf") || ReportHas(report, "entry_decode"));
    if (index < report["statements"][0]["closed_at_tree_size"].get<uint64_t>()) {
      EXPECT_EQ(report["affected_months"].size(), 1u) << "the closed month rests on the entry";
    }
  }
}

TEST_F(AuditBundle, ARemovedEntryIsNamedByIndex) {
  const std::string bundle = Copy();
  BundleRecords r = ReadRecords(bundle);
  const size_t index = r.records.size() / 3;
  r.records.erase(r.records.begin() + static_cast<long>(index));
  WriteRecords(bundle, r);
  int code = -1;
  json report = Verify(bundle, &code);
  EXPECT_EQ(code, 1);
  EXPECT_EQ(report["first_bad_index"], index);
  EXPECT_TRUE(ReportHas(report, "entry_chain"));
  EXPECT_TRUE(ReportHas(report, "entry_count"));
}

TEST_F(AuditBundle, ReorderedEntriesAreNamedByTheFirstIndex) {
  const std::string bundle = Copy();
  BundleRecords r = ReadRecords(bundle);
  const size_t i = r.records.size() / 2, j = i + 7;
  std::swap(r.records[i], r.records[j]);
  WriteRecords(bundle, r);
  int code = -1;
  json report = Verify(bundle, &code);
  EXPECT_EQ(code, 1);
  EXPECT_EQ(report["first_bad_index"], i);
}

TEST_F(AuditBundle, AChangeInAnEntryAfterTheFirstCheckpointIsNamedByIndex) {
  // A change early in an entry (its FlatBuffers header) is found like any other byte.
  const std::string bundle = Copy();
  BundleRecords r = ReadRecords(bundle);
  const size_t index = fixture_->first_size + 3;  // after the first checkpoint
  std::string& rec = r.records[index];
  rec[10] = static_cast<char>(rec[10] ^ 0x20);
  WriteRecords(bundle, r);
  int code = -1;
  json report = Verify(bundle, &code);
  EXPECT_EQ(code, 1);
  EXPECT_EQ(report["first_bad_index"], index);
}

TEST_F(AuditBundle, RewrittenHashesAreCaughtByTheSignedRootsBetweenTwoCheckpoints) {
  // The tamperer changes a byte of the raw message of an entry after the first checkpoint
  // and rewrites its listed leaf and every chain hash after it: only the signed roots tell.
  const std::string bundle = Copy();
  BundleRecords r = ReadRecords(bundle);
  const size_t index = fixture_->first_size + 5;
  std::string& target = r.records[index];
  const size_t at = target.find("\"specversion\"");
  ASSERT_NE(at, std::string::npos);
  target[at + 1] = 'S';  // the message stays a valid FlatBuffer
  Relink(&r);
  WriteRecords(bundle, r);
  int code = -1;
  json report = Verify(bundle, &code);
  EXPECT_EQ(code, 1);
  EXPECT_TRUE(report["first_bad_index"].is_null()) << report["failures"].dump(2);
  EXPECT_EQ(report["first_bad_checkpoint_size"], fixture_->size);
  EXPECT_TRUE(report["checkpoints"][0]["ok"]) << "the first checkpoint still holds";
  const std::string range =
      "[" + std::to_string(fixture_->first_size) + ", " + std::to_string(fixture_->size) + ")";
  bool named = false;
  for (const json& f : report["failures"]) {
    named = named || (f["check"] == "checkpoint_root" &&
                      f["detail"].get<std::string>().find(range) != std::string::npos);
  }
  EXPECT_TRUE(named) << report["failures"].dump(2);
}

TEST_F(AuditBundle, AChangedCheckpointRootIsNamedBySize) {
  const std::string bundle = Copy();
  const std::string file = bundle + "/checkpoints/" +
                           std::string(20 - std::to_string(fixture_->first_size).size(), '0') +
                           std::to_string(fixture_->first_size) + ".txt";
  std::string note = ReadFile(file);
  const size_t line3 = note.find('\n', note.find('\n') + 1) + 1;
  note[line3] = note[line3] == 'A' ? 'B' : 'A';
  WriteFile(file, note);
  int code = -1;
  json report = Verify(bundle, &code);
  EXPECT_EQ(code, 1);
  EXPECT_EQ(report["first_bad_checkpoint_size"], fixture_->first_size);
  EXPECT_TRUE(ReportHas(report, "checkpoint_signature"));
  EXPECT_TRUE(ReportHas(report, "checkpoint_root"));
  EXPECT_TRUE(report["first_bad_index"].is_null()) << "no entry is at fault";
}

TEST_F(AuditBundle, AChangedStatementFigureIsNamedWithContractAndMonth) {
  const std::string bundle = Copy();
  json manifest = json::parse(ReadFile(bundle + "/manifest.json"));
  const std::string path = bundle + "/" + manifest["statements"][0]["file"].get<std::string>();
  std::string text = ReadFile(path);
  std::smatch m;
  const std::string contract_pattern = "\"contract_id\":\"([^\"]+)\"";
  ASSERT_TRUE(std::regex_search(text, m, std::regex(contract_pattern)));
  const std::string contract = m[1];
  ASSERT_TRUE(std::regex_search(text, m, std::regex("\"penalty_krw\":(-?[0-9]+)")));
  text.replace(static_cast<size_t>(m.position(1)), static_cast<size_t>(m.length(1)),
               std::to_string(std::stoll(m[1]) + 1));
  WriteFile(path, text);
  int code = -1;
  json report = Verify(bundle, &code);
  EXPECT_EQ(code, 1);
  ASSERT_TRUE(ReportHas(report, "statement_figure")) << report.dump(2);
  EXPECT_EQ(report["first_bad_index"], manifest["statements"][0]["closed_at_tree_size"]);
  EXPECT_EQ(report["affected_contracts"], json::array({contract}));
  EXPECT_EQ(report["affected_months"], json::array({manifest["statements"][0]["month"]}));
  for (const json& f : report["failures"]) {
    if (f["check"] != "statement_figure") continue;
    EXPECT_EQ(std::stoll(f["found"].get<std::string>()),
              std::stoll(f["expected"].get<std::string>()) + 1);
  }
}

TEST_F(AuditBundle, AnUntrustedKeyFailsAndUnknownSignaturesAreIgnored) {
  auto r = RunCli({"keygen", "--name", "someone.else", "--out", scratch_.Sub("other")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  int code = -1;
  json report = VerifyReportOf(fixture_->bundle, scratch_.Sub("other.vkey"), &code);
  EXPECT_EQ(code, 1);
  EXPECT_TRUE(ReportHas(report, "checkpoint_signature"));
  // A co-signature by a key the auditor does not know changes nothing.
  const std::string bundle = Copy();
  const json manifest = json::parse(ReadFile(bundle + "/manifest.json"));
  ASSERT_EQ(manifest["checkpoints"].size(), 2u);
  for (const json& cp : manifest["checkpoints"]) {
    const std::string file = bundle + "/" + cp["file"].get<std::string>();
    // 4-byte key id + 64-byte signature: 68 bytes, 92 base64 characters.
    WriteFile(file, ReadFile(file) + "— someone.else " + std::string(91, 'A') + "=\n");
  }
  report = Verify(bundle, &code);
  EXPECT_EQ(code, 0) << report.dump(2);
  EXPECT_EQ(report["checkpoints"][0]["unknown_signatures"], 1);
}

TEST_F(AuditBundle, GrowthSinceTheLastCheckpointAndProofs) {
  int code = -1;
  json report = Verify(fixture_->bundle, &code, {"--last-checkpoint", fixture_->first_checkpoint});
  EXPECT_EQ(code, 0) << report.dump(2);
  EXPECT_TRUE(report["growth"]["ok"]);
  EXPECT_EQ(report["growth"]["old_size"], fixture_->first_size);
  // Proofs from the operator, checked against the bundle and against the signed notes.
  const std::string index = std::to_string(fixture_->first_size - 1);
  for (const char* format : {"json", "text"}) {
    auto inclusion = RunCli(
        {"prove", "inclusion", "--data", fixture_->data, "--index", index, "--format", format});
    ASSERT_EQ(inclusion.exit_code, 0) << inclusion.err;
    const std::string file = scratch_.Sub(std::string("inclusion.") + format);
    WriteFile(file, inclusion.out);
    auto checked =
        RunVerifier({"proof", file, "--checkpoint", fixture_->checkpoint, "--key", fixture_->vkey});
    EXPECT_EQ(checked.exit_code, 0) << checked.out << checked.err;
    report = Verify(fixture_->bundle, &code, {"--proof", file});
    EXPECT_EQ(code, 0) << report.dump(2);
  }
  auto consistency = RunCli({"prove", "consistency", "--data", fixture_->data, "--from",
                             std::to_string(fixture_->first_size)});
  ASSERT_EQ(consistency.exit_code, 0) << consistency.err;
  WriteFile(scratch_.Sub("consistency.json"), consistency.out);
  auto checked =
      RunVerifier({"proof", scratch_.Sub("consistency.json"), "--checkpoint", fixture_->checkpoint,
                   "--old-checkpoint", fixture_->first_checkpoint, "--key", fixture_->vkey});
  EXPECT_EQ(checked.exit_code, 0) << checked.out << checked.err;
  // A proof with one hash changed fails.
  json bad = json::parse(consistency.out);
  std::string h = bad["proof"][0];
  h[0] = h[0] == '0' ? '1' : '0';
  bad["proof"][0] = h;
  WriteFile(scratch_.Sub("bad.json"), bad.dump());
  checked = RunVerifier({"proof", scratch_.Sub("bad.json"), "--checkpoint", fixture_->checkpoint,
                         "--key", fixture_->vkey});
  EXPECT_EQ(checked.exit_code, 1) << checked.out;
}

}  // namespace
}  // namespace gpuledger::testing

namespace gpuledger::testing {
namespace {

TEST(AuditBundleEdges, AClosedMonthWithoutContractsHasAnEmptyStatement) {
  TempDir dir;
  WriteFile(dir.Sub("close.jsonl"),
            R"({"specversion":"1.0","id":"close-2025-01","source":"ministry",)"
            R"("type":"io.gpuledger.period.closed.v1","time":"2025-02-01T00:00:00Z",)"
            R"("data":{"month":"2025-01"}})"
            "\n");
  ASSERT_EQ(RunCli({"ingest", "--data", dir.Sub("d"), dir.Sub("close.jsonl"), "--quiet"}).exit_code,
            0);
  ASSERT_EQ(RunCli({"keygen", "--name", "gpuledger.test/edges", "--out", dir.Sub("k")}).exit_code,
            0);
  auto r = RunCli({"export", "bundle", "--data", dir.Sub("d"), "--out", dir.Sub("b") + "/", "--key",
                   dir.Sub("k.key"), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  int code = -1;
  nlohmann::json report = VerifyReportOf(dir.Sub("b"), dir.Sub("k.vkey"), &code);
  EXPECT_EQ(code, 0) << report.dump(2);
  ASSERT_EQ(report["statements"].size(), 1u);
  EXPECT_EQ(report["statements"][0]["month"], "2025-01");
  EXPECT_EQ(report["statements"][0]["rows"], 0);

  // The close is voided after that checkpoint: the bundle of the old checkpoint would need
  // figures the projections no longer hold, so export says so; at the current size the
  // month is open and has no statement.
  WriteFile(dir.Sub("void.jsonl"),
            R"({"specversion":"1.0","id":"void-close","source":"ministry",)"
            R"("type":"io.gpuledger.event.voided.v1","time":"2025-02-02T00:00:00Z",)"
            R"("data":{"event_id":"close-2025-01","reason":"closed too early"}})"
            "\n");
  ASSERT_EQ(RunCli({"ingest", "--data", dir.Sub("d"), dir.Sub("void.jsonl"), "--quiet"}).exit_code,
            0);
  r = RunCli({"export", "bundle", "--data", dir.Sub("d"), "--out", dir.Sub("b2"), "--quiet"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("voided after the bundle's checkpoint"), std::string::npos) << r.err;
  r = RunCli({"export", "bundle", "--data", dir.Sub("d"), "--out", dir.Sub("b3"), "--key",
              dir.Sub("k.key"), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  report = VerifyReportOf(dir.Sub("b3"), dir.Sub("k.vkey"), &code);
  EXPECT_EQ(code, 0) << report.dump(2);
  EXPECT_EQ(report["statements"].size(), 0u);
}

}  // namespace
}  // namespace gpuledger::testing

namespace gpuledger::testing {
namespace {

TEST(AuditBundleEdges, ABundleForOneMonthVerifiesAndListsTheOthers) {
  TempDir dir;
  std::string lines;
  for (const char* month : {"2025-01", "2025-02"}) {
    lines += std::string(R"({"specversion":"1.0","id":"close-)") + month +
             R"(","source":"ministry","type":"io.gpuledger.period.closed.v1",)" +
             R"("time":"2025-03-01T00:00:00Z","data":{"month":")" + month + "\"}}\n";
  }
  WriteFile(dir.Sub("closes.jsonl"), lines);
  ASSERT_EQ(
      RunCli({"ingest", "--data", dir.Sub("d"), dir.Sub("closes.jsonl"), "--quiet"}).exit_code, 0);
  ASSERT_EQ(RunCli({"keygen", "--name", "gpuledger.test/m", "--out", dir.Sub("k")}).exit_code, 0);
  auto r = RunCli({"export", "bundle", "--data", dir.Sub("d"), "--out", dir.Sub("b"), "--month",
                   "2025-02", "--key", dir.Sub("k.key"), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  int code = -1;
  nlohmann::json report = VerifyReportOf(dir.Sub("b"), dir.Sub("k.vkey"), &code);
  EXPECT_EQ(code, 0) << report.dump(2);
  ASSERT_EQ(report["statements"].size(), 1u);
  EXPECT_EQ(report["statements"][0]["month"], "2025-02");
  ASSERT_EQ(report["warnings"].size(), 1u);
  EXPECT_NE(report["warnings"][0].get<std::string>().find("2025-01"), std::string::npos);
  r = RunCli({"export", "bundle", "--data", dir.Sub("d"), "--out", dir.Sub("b2"), "--month",
              "2025-03", "--quiet"});
  EXPECT_EQ(r.exit_code, 1) << "not closed";
}

}  // namespace
}  // namespace gpuledger::testing
