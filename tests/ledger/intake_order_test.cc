// The order of the intake checks (the first that fails gives the code), batches, the rejects
// store and the command line (gpuledger ingest / log --rejects) of shared/spec/events.md.
#include <gtest/gtest.h>

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "gpuledger/ledger.h"
#include "gpuledger/types.h"
#include "tests/ledger/intake_rules_fixture.h"
#include "tests/support/test_util.h"

namespace gpuledger::intake_rules_test {

// =========================================================================================
// The order of the checks: the first that fails gives the code.
// =========================================================================================
class IntakeOrderTest : public IntakeRulesTest {};

TEST_F(IntakeOrderTest, MalformedEnvelopeBeforeEverythingElse) {
  Seed();
  // Bad time (check 1) + unknown type (3) + bad source (4) + unknown allocation (7).
  J e = Usage("A-404", "someone");
  e["type"] = "io.gpuledger.foo.v1";
  e["time"] = "2026-04-01 00:10:00Z";
  EXPECT_TRUE(Rejects(reason::kMalformed, e));
  J e2 = Usage("A-404", "someone");
  e2["type"] = "io.gpuledger.foo.v1";
  e2["subject"] = 5;
  EXPECT_TRUE(Rejects(reason::kMalformed, e2));
}

TEST_F(IntakeOrderTest, UnknownTypeBeforeSourceAndData) {
  Seed();
  J e = Usage();
  e["type"] = "io.gpuledger.usage.reported.v2";
  e["data"].erase("gpu_seconds");
  EXPECT_TRUE(Rejects(reason::kUnknownType, e));
  J e2 = Usage("A-1", "someone");
  e2["type"] = "io.gpuledger.foo.v1";
  EXPECT_TRUE(Rejects(reason::kUnknownType, e2));
}

TEST_F(IntakeOrderTest, UnauthorizedSourceBeforeDataChecks) {
  Seed();
  J missing = Usage("A-1", kMinistry);
  missing["data"].erase("gpu_seconds");
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, missing));
  J bad_value = Usage("A-1", "someone");
  bad_value["data"]["gpu_seconds"] = -1;
  bad_value["time"] = "2026-04-01T00:10:00.5Z";  // fractional: check 6
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, bad_value));
  J csp_contract = Contract("C-x");
  csp_contract["source"] = kKt;
  csp_contract["data"] = J::object();
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, csp_contract));
}

TEST_F(IntakeOrderTest, MissingDataFieldBeforeInvalidValue) {
  Seed();
  // The invalid value comes before the missing field in field order.
  J c = Contract("C-x");
  c["data"]["programme"] = "unknown";
  c["data"]["committed_gpus"] = 0;
  c["data"].erase("max_gpus_per_allocation");
  EXPECT_TRUE(Rejects(reason::kMalformed, c));
  J c2 = Contract("C-y");
  c2["data"]["committed_gpus"] = 0;
  c2["data"]["price_krw_per_gpu_hour"] = "3000";
  EXPECT_TRUE(Rejects(reason::kMalformed, c2));
  J u = Usage();
  u["data"]["interval_end"] = u["data"]["interval_start"];
  u["data"].erase("gpu_seconds");
  EXPECT_TRUE(Rejects(reason::kMalformed, u));
  // An integer beyond int64 (check 6) and a wrong JSON type (check 5).
  J big = Usage();
  big["data"]["gpu_seconds"] = "@RAW@";
  big["data"]["allocation_id"] = 17;
  EXPECT_TRUE(RejectsRaw(reason::kMalformed, DumpWithRaw(big, "9223372036854775808")));
  // Fractional envelope time (check 6) and a missing data field (check 5).
  J frac = Usage();
  frac["time"] = "2026-04-01T00:10:00.5Z";
  frac["data"].erase("allocation_id");
  EXPECT_TRUE(Rejects(reason::kMalformed, frac));
  // A bad data time (check 6) and a data field of the wrong type (check 5).
  J g = Grant("A-x");
  g["data"]["start"] = "2026-04-01T00:00:00.5Z";
  g["data"]["gpus"] = "2";
  EXPECT_TRUE(Rejects(reason::kMalformed, g));
  // Duplicate GPU UUIDs (6) and a non-string in the list (5).
  J cap = Capacity();
  cap["data"]["gpu_uuids"] = J::array({"GPU-1", "GPU-1", 3});
  EXPECT_TRUE(Rejects(reason::kMalformed, cap));
}

TEST_F(IntakeOrderTest, InvalidValueBeforeInvalidReference) {
  Seed();
  J u = Usage("A-404");
  u["data"]["interval_end"] = u["data"]["interval_start"];
  EXPECT_TRUE(Rejects(reason::kInvalidValue, u));
  J frac = Usage("A-404");
  frac["time"] = "2026-04-01T00:10:00.5Z";
  EXPECT_TRUE(Rejects(reason::kInvalidValue, frac));
  J cap = Capacity("C-404");
  cap["data"]["gpu_uuids"] = J::array({"GPU-1", "GPU-1"});
  EXPECT_TRUE(Rejects(reason::kInvalidValue, cap));
  J g = Grant("A-x", "C-404", 0);
  EXPECT_TRUE(Rejects(reason::kInvalidValue, g));
  J v = Void("never-sent", kKt);
  v["data"]["event_id"] = "";
  EXPECT_TRUE(Rejects(reason::kInvalidValue, v));
  // Invalid value (6) before another CSP's allocation (8).
  J other = Usage("A-2", kKt);
  other["data"]["gpu_seconds"] = -1;
  EXPECT_TRUE(Rejects(reason::kInvalidValue, other));
}

TEST_F(IntakeOrderTest, InvalidReferenceBeforeOwnershipAndStateRules) {
  Seed();
  // gpus above any max (9) on an unknown contract (7).
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Grant("A-x", "C-404", 100)));
  // Another CSP's contract (8) that is voided (7): invalid_reference.
  J reg = Contract("C-v", "naver-cloud");
  ASSERT_TRUE(Accepts(reg));
  ASSERT_TRUE(Accepts(Grant("A-v", "C-v")));
  ASSERT_TRUE(Accepts(Void(reg["id"].get<std::string>(), kMinistry)));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Capacity("C-v", kKt)));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Usage("A-v", kKt)));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Capacity("C-v", kNaver)));
}

TEST_F(IntakeOrderTest, OwnershipBeforeStateRules) {
  Seed();
  // kt-cloud voiding naver-cloud's void (8 before "voiding an event.voided", 9).
  J cap = Capacity("C-2", kNaver);
  ASSERT_TRUE(Accepts(cap));
  J v = Void(cap["id"].get<std::string>(), kNaver);
  ASSERT_TRUE(Accepts(v));
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, Void(v["id"].get<std::string>(), kKt)));
  // ... and voiding naver-cloud's already voided event (8 before "voiding twice", 9).
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, Void(cap["id"].get<std::string>(), kKt)));
  // naver-cloud itself gets check 9.
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Void(cap["id"].get<std::string>(), kNaver)));
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Void(v["id"].get<std::string>(), kNaver)));
}

// =========================================================================================
// Batches: judged against the committed ledger plus what the batch staged before.
// =========================================================================================
class IntakeBatchTest : public IntakeRulesTest {};

TEST_F(IntakeBatchTest, ContractGrantAndUsageInOneUncommittedBatch) {
  J reg = Contract("C-b", "kt-cloud");
  J grant = Grant("A-b", "C-b");
  J usage = Usage("A-b");
  Judgement j1 = SubmitRaw(reg.dump());
  Judgement j2 = SubmitRaw(grant.dump());
  Judgement j3 = SubmitRaw(usage.dump());
  EXPECT_EQ(j1.outcome, Outcome::kAccepted) << Describe(j1);
  EXPECT_EQ(j2.outcome, Outcome::kAccepted) << Describe(j2);
  EXPECT_EQ(j3.outcome, Outcome::kAccepted) << Describe(j3);
  EXPECT_EQ(j1.index, 0u);
  EXPECT_EQ(j2.index, 1u);
  EXPECT_EQ(j3.index, 2u);
  EXPECT_EQ(ledger_->size(), 0u);  // nothing committed yet
  EXPECT_TRUE(Duplicate(usage));   // a duplicate within the batch
  CommitAndReopen();
  EXPECT_EQ(ledger_->size(), 3u);
  EXPECT_TRUE(Duplicate(reg));
  EXPECT_TRUE(Duplicate(grant));
  EXPECT_TRUE(Duplicate(usage));
  EXPECT_TRUE(Accepts(Usage("A-b")));
}

TEST_F(IntakeBatchTest, AbandonDropsTheBatch) {
  ASSERT_TRUE(Accepts(Contract("C-1", "kt-cloud")));
  ASSERT_NO_FATAL_FAILURE(Commit());
  const LedgerStats before = ledger_->stats();
  J grant = Grant("A-1", "C-1");
  J usage = Usage("A-1");
  ASSERT_TRUE(Accepts(grant));
  ASSERT_TRUE(Accepts(usage));
  ASSERT_TRUE(Rejects(reason::kInvalidReference, Usage("A-404")));
  ASSERT_TRUE(Duplicate(usage));
  ledger_->Abandon();
  EXPECT_EQ(ledger_->staged_messages(), 0u);
  EXPECT_EQ(ledger_->size(), before.entries);
  // Judged against the committed state: A-1 is unknown, and the grant is new (not a
  // duplicate, not "already granted").
  EXPECT_TRUE(Rejects(reason::kInvalidReference, usage));
  Judgement again = SubmitRaw(grant.dump());
  EXPECT_EQ(again.outcome, Outcome::kAccepted) << Describe(again);
  EXPECT_EQ(again.index, before.entries);
  EXPECT_TRUE(Accepts(usage));
  CommitAndReopen();
  const LedgerStats after = ledger_->stats();
  EXPECT_EQ(after.entries, before.entries + 2);
  EXPECT_EQ(after.rejects, before.rejects + 1);    // only the reject after Abandon
  EXPECT_EQ(after.duplicates, before.duplicates);  // the abandoned duplicate is gone
}

TEST_F(IntakeBatchTest, UncommittedBatchIsLostWhenTheLedgerIsClosed) {
  J reg = Contract("C-1", "kt-cloud");
  ASSERT_TRUE(Accepts(reg));
  Reopen();  // no Commit
  EXPECT_EQ(ledger_->size(), 0u);
  EXPECT_TRUE(Accepts(reg));  // not a duplicate: its claim was never durable
  EXPECT_TRUE(Accepts(Grant("A-1", "C-1")));
}

TEST_F(IntakeBatchTest, VoidAndReuseWithinOneBatch) {
  Seed();
  J grant = Grant("A-q", "C-1");
  ASSERT_TRUE(Accepts(grant));
  ASSERT_TRUE(Accepts(Void(grant["id"].get<std::string>(), kMinistry)));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Usage("A-q")));
  EXPECT_TRUE(Accepts(Grant("A-q", "C-1")));
  EXPECT_TRUE(Accepts(Usage("A-q")));
  J close = Close("2026-06");
  ASSERT_TRUE(Accepts(close));
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Close("2026-06")));
  ASSERT_TRUE(Accepts(Void(close["id"].get<std::string>(), kMinistry)));
  EXPECT_TRUE(Accepts(Close("2026-06")));
}

// =========================================================================================
// The rejects store: raw bytes, origin and reason survive commit and reopen.
// =========================================================================================
class IntakeRejectStoreTest : public IntakeRulesTest {};

TEST_F(IntakeRejectStoreTest, RejectKeepsRawBytesOriginAndReason) {
  Seed();
  const uint64_t base = ledger_->stats().rejects;
  J e = Usage();
  e["subject"] = "@RAW@";
  const std::string not_utf8 = DumpWithRaw(e, "\"\xFF\xFE\"");
  Origin kafka;
  kafka.kind = Origin::Kind::kKafka;
  kafka.topic = "gpuledger.csp.kt-cloud";
  kafka.partition = 3;
  kafka.offset = 123456789;
  Judgement j = SubmitRaw(not_utf8, nullptr, &kafka);
  ASSERT_EQ(j.reason, reason::kMalformed) << Describe(j);
  Origin file;
  file.kind = Origin::Kind::kFile;
  file.file = "/data/in/2026-04.jsonl";
  file.line = 42;
  const std::string unknown = Usage("A-404").dump();
  Judgement j2 = SubmitRaw(unknown, nullptr, &file);
  ASSERT_EQ(j2.reason, reason::kInvalidReference) << Describe(j2);
  CommitAndReopen();
  ASSERT_EQ(ledger_->stats().rejects, base + 2);
  auto r0 = ledger_->ReadReject(base);
  ASSERT_TRUE(r0.ok()) << r0.status().ToString();
  EXPECT_EQ(r0->reason, reason::kMalformed);
  EXPECT_EQ(r0->message, not_utf8);  // byte for byte
  EXPECT_EQ(r0->origin.kind, Origin::Kind::kKafka);
  EXPECT_EQ(r0->origin.topic, kafka.topic);
  EXPECT_EQ(r0->origin.partition, 3);
  EXPECT_EQ(r0->origin.offset, 123456789);
  auto r1 = ledger_->ReadReject(base + 1);
  ASSERT_TRUE(r1.ok()) << r1.status().ToString();
  EXPECT_EQ(r1->reason, reason::kInvalidReference);
  EXPECT_EQ(r1->message, unknown);
  EXPECT_EQ(r1->origin.kind, Origin::Kind::kFile);
  EXPECT_EQ(r1->origin.file, file.file);
  EXPECT_EQ(r1->origin.line, 42u);
}

TEST_F(IntakeRejectStoreTest, EveryOutcomeIsCountedExactlyOnce) {
  Seed();
  const LedgerStats before = ledger_->stats();
  IntakeCounts counts;
  J u = Usage();
  for (const std::string& m : {u.dump(), u.dump(), std::string("garbage"), Usage("A-404").dump(),
                               Capacity("C-1", kNaver).dump()}) {
    counts.Add(SubmitRaw(m));
  }
  EXPECT_EQ(counts.accepted, 1u);
  EXPECT_EQ(counts.duplicate, 1u);
  EXPECT_EQ(counts.rejected, 3u);
  EXPECT_EQ(counts.rejected_by_reason[std::string(reason::kMalformed)], 1u);
  EXPECT_EQ(counts.rejected_by_reason[std::string(reason::kInvalidReference)], 1u);
  EXPECT_EQ(counts.rejected_by_reason[std::string(reason::kUnauthorizedSource)], 1u);
  CommitAndReopen();
  const LedgerStats after = ledger_->stats();
  EXPECT_EQ(after.entries - before.entries, 1u);
  EXPECT_EQ(after.duplicates - before.duplicates, 1u);
  EXPECT_EQ(after.rejects - before.rejects, 3u);
}

// =========================================================================================
// The command line: gpuledger ingest / log --rejects.
// =========================================================================================
class IntakeCliTest : public IntakeRulesTest {};

namespace {

std::vector<J> JsonLines(const std::string& text) {
  std::vector<J> rows;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) rows.push_back(J::parse(line));
  }
  return rows;
}

}  // namespace

TEST_F(IntakeCliTest, IngestCountsNonBlankLinesAndLogShowsRejects) {
  ledger_.reset();  // the CLI opens the ledger directory itself
  const std::string data = dir_.Sub("cli-ledger");
  const std::string file = dir_.Sub("events.jsonl");
  const std::string reg = Contract("C-1", "kt-cloud").dump();
  const std::string grant = Grant("A-1", "C-1").dump();
  const std::string bad_json = "{\"specversion\":\"1.0\",";
  const std::string bad_ref = Usage("A-404").dump();
  const std::string usage = Usage("A-1").dump();
  J not_utf8_event = Usage("A-1");
  not_utf8_event["subject"] = "@RAW@";
  const std::string not_utf8 = DumpWithRaw(not_utf8_event, "\"\xFF\"");
  // Lines: 1 reg, 2 blank, 3 spaces/tabs, 4 grant, 5 dup of 1, 6 bad JSON, 7 blank,
  // 8 unknown allocation, 9 usage, 10 spaces, 11 not UTF-8, 12 blank.
  const std::string contents = reg + "\n\n   \t \n" + grant + "\n" + reg + "\n" + bad_json +
                               "\n\n" + bad_ref + "\n" + usage + "\n   \n" + not_utf8 + "\n\n";
  gpuledger::testing::WriteFile(file, contents);

  auto r = gpuledger::testing::RunCli({"ingest", "--data", data, file, "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  J out = J::parse(r.out);
  ASSERT_TRUE(out.is_object()) << r.out;
  EXPECT_EQ(out["accepted"], 3);
  EXPECT_EQ(out["duplicate"], 1);
  EXPECT_EQ(out["rejected"], 3);
  EXPECT_EQ(out["accepted"].get<int>() + out["duplicate"].get<int>() + out["rejected"].get<int>(),
            7);

  auto log = gpuledger::testing::RunCli({"log", "--data", data, "--rejects"});
  ASSERT_EQ(log.exit_code, 0) << log.err;
  std::vector<J> rows = JsonLines(log.out);
  ASSERT_EQ(rows.size(), 3u) << log.out;
  EXPECT_EQ(rows[0]["reason"], "malformed");
  EXPECT_EQ(rows[0]["message"], bad_json);
  EXPECT_EQ(rows[0]["origin"]["file"], file);
  EXPECT_EQ(rows[0]["origin"]["line"], 6);
  EXPECT_EQ(rows[1]["reason"], "invalid_reference");
  EXPECT_EQ(rows[1]["message"], bad_ref);
  EXPECT_EQ(rows[1]["origin"]["file"], file);
  EXPECT_EQ(rows[1]["origin"]["line"], 8);
  EXPECT_EQ(rows[2]["reason"], "malformed");
  EXPECT_EQ(rows[2]["origin"]["line"], 11);
  // Raw bytes that are not UTF-8 cannot be a JSON string: shown as hex.
  std::string hex;
  for (unsigned char c : not_utf8) {
    static constexpr char kHex[] = "0123456789abcdef";
    hex.push_back(kHex[c >> 4]);
    hex.push_back(kHex[c & 15]);
  }
  EXPECT_TRUE(rows[2].contains("message_hex")) << rows[2].dump();
  EXPECT_EQ(rows[2].value("message_hex", std::string()), hex);

  // Ingesting the same file again: the accepted lines are duplicates, the rejected ones are
  // judged afresh (and rejected again).
  auto again = gpuledger::testing::RunCli({"ingest", "--data", data, file, "--quiet"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  J out2 = J::parse(again.out);
  EXPECT_EQ(out2["accepted"], 0);
  EXPECT_EQ(out2["duplicate"], 4);
  EXPECT_EQ(out2["rejected"], 3);
}

TEST_F(IntakeCliTest, IngestOfOnlyBlankLinesCountsNothing) {
  ledger_.reset();
  const std::string data = dir_.Sub("cli-ledger");
  const std::string file = dir_.Sub("blank.jsonl");
  gpuledger::testing::WriteFile(file, "\n  \n\t\n\n");
  auto r = gpuledger::testing::RunCli({"ingest", "--data", data, file, "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  J out = J::parse(r.out);
  EXPECT_EQ(out["accepted"], 0);
  EXPECT_EQ(out["duplicate"], 0);
  EXPECT_EQ(out["rejected"], 0);
}

TEST_F(IntakeCliTest, ExitCodes) {
  ledger_.reset();
  const std::string data = dir_.Sub("cli-ledger");
  const std::string file = dir_.Sub("one.jsonl");
  gpuledger::testing::WriteFile(file, Contract("C-1").dump() + "\n");
  EXPECT_EQ(gpuledger::testing::RunCli({"ingest", file}).exit_code, 2);            // no --data
  EXPECT_EQ(gpuledger::testing::RunCli({"ingest", "--data", data}).exit_code, 2);  // no file
  EXPECT_EQ(
      gpuledger::testing::RunCli({"ingest", "--data", data, dir_.Sub("missing.jsonl"), "--quiet"})
          .exit_code,
      1);
  EXPECT_EQ(gpuledger::testing::RunCli({"ingest", "--data", data, file, "--quiet"}).exit_code, 0);
}

}  // namespace gpuledger::intake_rules_test
