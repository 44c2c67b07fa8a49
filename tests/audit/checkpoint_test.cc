// Signed checkpoints stored by the ledger and RFC 9162 proofs read from its stored tree:
// what Ledger::SignCheckpoint promises (one origin, never two inconsistent checkpoints, key
// rotation), what verify checks, and serve's automatic checkpoints on the mock cluster.
#include <gtest/gtest.h>

#include "gpuledger/file_intake.h"
#include "gpuledger/kafka_ingest.h"
#include "gpuledger/ledger.h"
#include "ledger/audit/note.h"
#include "ledger/audit/proof.h"
#include "tests/support/event_gen.h"
#include "tests/support/kafka_test_util.h"
#include "tests/support/test_util.h"

namespace gpuledger::testing {
namespace {

std::string NewKey(const std::string& name, uint8_t type = audit::kKeyTypeEd25519) {
  auto key = audit::GenerateSignerKey(name, type);
  EXPECT_TRUE(key.ok()) << key.status().ToString();
  return key.ok() ? audit::EncodeSignerKey(key.value()) : std::string();
}

audit::VerifierKey PublicOf(const std::string& signer) {
  auto key = audit::ParseSignerKey(signer);
  EXPECT_TRUE(key.ok());
  return key->verifier;
}

// A ledger of the first `first_lines` of a generated stream; `rest` gets the others.
std::unique_ptr<Ledger> LedgerWith(const TempDir& dir, uint64_t lines, uint64_t seed,
                                   uint64_t first_lines = UINT64_MAX, std::string* rest = nullptr) {
  LedgerOptions options;
  options.sync_writes = false;
  auto ledger = Ledger::Open(dir.Sub("ledger"), options);
  EXPECT_TRUE(ledger.ok()) << ledger.status().ToString();
  std::string first;
  uint64_t n = 0;
  for (const std::string& line : SplitLines(GenerateJsonl(lines, seed, nullptr))) {
    (n++ < first_lines ? first : *rest) += line + "\n";
  }
  auto report = IngestBuffer(*ledger.value(), first, "gen.jsonl", FileIngestOptions{});
  EXPECT_TRUE(report.ok()) << report.status().ToString();
  return std::move(ledger.value());
}

audit::Checkpoint BodyOf(const CheckpointRecord& record) {
  auto parsed = audit::ParseSignedCheckpoint(record.note);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  return parsed->body;
}

TEST(LedgerCheckpoint, SignsTheRootOnceAndKeepsOneOrigin) {
  TempDir dir;
  auto ledger = LedgerWith(dir, 300, 1);
  const std::string key = NewKey("gpuledger.test/a");
  auto first = ledger->SignCheckpoint({key});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  const audit::Checkpoint body = BodyOf(first.value());
  EXPECT_EQ(body.origin, "gpuledger.test/a");
  EXPECT_EQ(body.tree_size, ledger->size());
  EXPECT_EQ(body.root, ledger->RootAt(ledger->size()).value());
  auto note = audit::ParseNote(first->note);
  EXPECT_TRUE(audit::VerifyNote(note.value(), {PublicOf(key)}).ok());
  // Same size: the stored checkpoint comes back, nothing new is stored.
  auto again = ledger->SignCheckpoint({key});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->note, first->note);
  EXPECT_EQ(ledger->Checkpoints().value().size(), 1u);
  // Another origin is refused; so is a witness key as the log's signer.
  EXPECT_FALSE(ledger->SignCheckpoint({NewKey("gpuledger.test/b")}).ok());
  EXPECT_FALSE(ledger->SignCheckpoint({key}, "other.origin").ok());
  EXPECT_FALSE(
      ledger->SignCheckpoint({NewKey("gpuledger.test/a", audit::kKeyTypeCosignature)}).ok());
  EXPECT_FALSE(ledger->SignCheckpoint({"PRIVATE+KEY+not+a+key"}).ok());
}

TEST(LedgerCheckpoint, KeyRotationAndVerify) {
  TempDir dir;
  std::string rest;
  auto ledger = LedgerWith(dir, 400, 2, 200, &rest);
  const std::string old_key = NewKey("gpuledger.test/log"), new_key = NewKey("gpuledger.test/log");
  ASSERT_TRUE(ledger->SignCheckpoint({old_key}).ok());
  const uint64_t old_size = ledger->size();
  auto more = IngestBuffer(*ledger, rest, "more.jsonl", {});
  ASSERT_TRUE(more.ok());
  ASSERT_GT(ledger->size(), old_size);
  auto rotated = ledger->SignCheckpoint({old_key, new_key});
  ASSERT_TRUE(rotated.ok()) << rotated.status().ToString();
  auto note = audit::ParseNote(rotated->note);
  ASSERT_EQ(note->signatures.size(), 2u);
  // Either key alone verifies it; the other signature is then an unknown one.
  auto by_new = audit::VerifyNote(note.value(), {PublicOf(new_key)});
  ASSERT_TRUE(by_new.ok());
  EXPECT_EQ(by_new->unknown_signatures, 1u);
  EXPECT_EQ(ledger->CheckpointKeys().value().size(), 2u);
  EXPECT_EQ(ledger->Checkpoints().value().size(), 2u);
  EXPECT_EQ(ledger->LatestCheckpoint().value()->tree_size, ledger->size());
  VerifyReport report;
  ASSERT_TRUE(ledger->Verify(&report, nullptr).ok());
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.checkpoints_checked, 2u);
}

TEST(LedgerCheckpoint, ProofsFromTheStoredTreeVerify) {
  TempDir dir;
  auto ledger = LedgerWith(dir, 150, 4);
  const uint64_t n = ledger->size();
  ASSERT_GT(n, 100u);
  for (uint64_t size : {uint64_t{1}, uint64_t{2}, uint64_t{7}, uint64_t{64}, n - 1, n}) {
    const Hash256 root = ledger->RootAt(size).value();
    for (uint64_t index = 0; index < size; index += 1 + size / 17) {
      auto proof = ledger->InclusionProof(index, size);
      ASSERT_TRUE(proof.ok()) << proof.status().ToString();
      EXPECT_TRUE(audit::VerifyInclusion(ledger->LeafHashAt(index).value(), index, size,
                                         proof.value(), root)
                      .ok())
          << index << " in " << size;
    }
    for (uint64_t old_size = 1; old_size <= size; old_size += 1 + size / 13) {
      auto proof = ledger->ConsistencyProof(old_size, size);
      ASSERT_TRUE(proof.ok());
      EXPECT_TRUE(audit::VerifyConsistency(old_size, size, proof.value(),
                                           ledger->RootAt(old_size).value(), root)
                      .ok())
          << old_size << " to " << size;
    }
  }
  EXPECT_FALSE(ledger->InclusionProof(n, n).ok());
  EXPECT_FALSE(ledger->InclusionProof(0, n + 1).ok());
  EXPECT_FALSE(ledger->ConsistencyProof(0, n).ok());
  EXPECT_FALSE(ledger->ConsistencyProof(5, 4).ok());
}

TEST(KafkaMockCheckpoints, ServeSignsEveryNEntriesAndAtTheEnd) {
  MockCluster mock;
  mock.CreateTopic("events", 1);
  std::vector<std::string> lines = SplitLines(GenerateJsonl(600, 9, nullptr));
  ProduceLines(mock.bootstrap(), "events", lines);
  TempDir dir;
  auto ledger = Ledger::Open(dir.Sub("ledger"), LedgerOptions{});
  ASSERT_TRUE(ledger.ok());
  const std::string key = NewKey("gpuledger.test/serve");
  ServeOptions options;
  options.drain = true;
  options.checkpoints.signer_keys = {key};
  options.checkpoints.every_entries = 100;
  options.checkpoints.every_seconds = 3600;
  KafkaIngestConfig config =
      TestConfig(mock.bootstrap(), {{"events", {"ministry", "csp/kt-cloud"}}});
  config.batch_messages_max = 40;  // several durable batches, so several checkpoints
  auto stats = Serve(*ledger.value(), config, options);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  const uint64_t size = ledger.value()->size();
  // One when 100 entries have passed since the last (batches of at most 40 records), and a
  // last one at the end.
  EXPECT_GE(stats->checkpoints_signed, size / 120);
  EXPECT_LE(stats->checkpoints_signed, size / 100 + 1);
  EXPECT_GE(stats->checkpoints_signed, 3u);
  EXPECT_EQ(stats->checkpoint_size, size);
  auto all = ledger.value()->Checkpoints();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), stats->checkpoints_signed);
  for (const CheckpointRecord& record : all.value()) {
    EXPECT_EQ(BodyOf(record).root, ledger.value()->RootAt(record.tree_size).value());
  }
  VerifyReport report;
  ASSERT_TRUE(ledger.value()->Verify(&report, nullptr).ok());
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.checkpoints_checked, all->size());
}

}  // namespace
}  // namespace gpuledger::testing
