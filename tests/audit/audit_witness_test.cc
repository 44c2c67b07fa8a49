// The witness (gpuledger-verify witness): it cosigns a checkpoint only if it extends the
// last one it cosigned, and refuses forks (same size, other root; an inconsistent pair) and
// rollbacks. Also: growth since the auditor's last checkpoint fails on a fork.
#include <gtest/gtest.h>

#include "ledger/audit/note.h"
#include "tests/support/audit_bundle_util.h"

namespace gpuledger::testing {
namespace {

using nlohmann::json;

class AuditWitness : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    main_ = new AuditFixture();
    BuildAuditFixture(main_);
    fork_ = new AuditFixture();
    fork_->key = main_->key;  // the same log key: a fork of the same log
    fork_->vkey = main_->vkey;
    BuildAuditFixture(fork_);
  }
  static void TearDownTestSuite() {
    delete fork_;
    delete main_;
  }
  CommandResult Init(const std::string& state) {
    return RunVerifier({"witness", "init", "--state", state, "--name", "witness.test/w1",
                        "--log-key", main_->vkey});
  }
  CommandResult Cosign(const std::string& state, const std::string& note,
                       const std::string& proof = {}) {
    std::vector<std::string> args = {"witness", "cosign", "--state", state, "--checkpoint", note};
    if (!proof.empty()) args.insert(args.end(), {"--proof", proof});
    return RunVerifier(args);
  }
  std::string ConsistencyProof(const AuditFixture& f) {
    auto r = RunCli({"prove", "consistency", "--data", f.data, "--from",
                     std::to_string(f.first_size), "--to", std::to_string(f.size)});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const std::string path = scratch_.Sub("proof" + std::to_string(proofs_++) + ".json");
    WriteFile(path, r.out);
    return path;
  }

  static AuditFixture* main_;
  static AuditFixture* fork_;
  TempDir scratch_;
  int proofs_ = 0;
};
AuditFixture* AuditWitness::main_ = nullptr;
AuditFixture* AuditWitness::fork_ = nullptr;

TEST_F(AuditWitness, TheForkHasTheSameSizesAndOtherRoots) {
  ASSERT_EQ(fork_->first_size, main_->first_size);
  ASSERT_EQ(fork_->size, main_->size);
  EXPECT_NE(ReadFile(fork_->checkpoint), ReadFile(main_->checkpoint));
}

TEST_F(AuditWitness, CosignsAConsistentSuccessorWithAValidCosignature) {
  const std::string state = scratch_.Sub("w");
  auto r = Init(state);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string witness_vkey = json::parse(r.out)["witness_vkey"];
  r = Cosign(state, main_->first_checkpoint);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(json::parse(r.out)["first"]);
  r = Cosign(state, main_->checkpoint, ConsistencyProof(*main_));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  json out = json::parse(r.out);
  EXPECT_EQ(out["old_size"], main_->first_size);
  EXPECT_EQ(out["new_size"], main_->size);
  // The cosignature verifies with the witness's public key, over the checkpoint body.
  auto note = audit::ParseNote(out["note"].get<std::string>());
  ASSERT_TRUE(note.ok()) << note.status().ToString();
  auto key = audit::ParseVerifierKey(witness_vkey);
  ASSERT_TRUE(key.ok());
  int cosignatures = 0;
  for (const audit::NoteSignature& sig : note->signatures) {
    if (sig.key_id != key->key_id) continue;
    ++cosignatures;
    auto time = audit::VerifyCosignature(key.value(), note->text, sig);
    EXPECT_TRUE(time.ok()) << time.status().ToString();
  }
  EXPECT_EQ(cosignatures, 1);
  // The log's own signature is still there and still verifies.
  auto log_key =
      audit::ParseVerifierKey(ReadFile(main_->vkey).substr(0, ReadFile(main_->vkey).size() - 1));
  ASSERT_TRUE(log_key.ok());
  EXPECT_TRUE(audit::VerifyNote(note.value(), {log_key.value()}).ok());
}

TEST_F(AuditWitness, RefusesTwoCheckpointsOfOneSizeWithDifferentRoots) {
  const std::string state = scratch_.Sub("w");
  ASSERT_EQ(Init(state).exit_code, 0);
  ASSERT_EQ(Cosign(state, main_->first_checkpoint).exit_code, 0);
  auto r = Cosign(state, fork_->first_checkpoint);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("fork"), std::string::npos) << r.out;
  // The refusal changed nothing: the consistent successor is still cosigned.
  EXPECT_EQ(Cosign(state, main_->checkpoint, ConsistencyProof(*main_)).exit_code, 0);
}

TEST_F(AuditWitness, RefusesAnInconsistentPairAndARollback) {
  const std::string state = scratch_.Sub("w");
  ASSERT_EQ(Init(state).exit_code, 0);
  ASSERT_EQ(Cosign(state, main_->first_checkpoint).exit_code, 0);
  // The fork's larger checkpoint, with the fork's own (valid) proof: not from our root.
  auto r = Cosign(state, fork_->checkpoint, ConsistencyProof(*fork_));
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("not consistent"), std::string::npos) << r.out;
  r = Cosign(state, fork_->checkpoint);  // no proof at all
  EXPECT_EQ(r.exit_code, 1) << r.out;
  ASSERT_EQ(Cosign(state, main_->checkpoint, ConsistencyProof(*main_)).exit_code, 0);
  r = Cosign(state, main_->first_checkpoint);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("rollback"), std::string::npos) << r.out;
}

TEST_F(AuditWitness, RefusesACheckpointNotSignedByTheLog) {
  const std::string state = scratch_.Sub("w");
  ASSERT_EQ(Init(state).exit_code, 0);
  auto r = RunCli({"keygen", "--name", "gpuledger.test/ledger", "--out", scratch_.Sub("impostor")});
  ASSERT_EQ(r.exit_code, 0);
  TempDir other;
  r = RunCli({"simulate", "--seed", "3", "--scale", "1", "--csps", "1", "--days", "1", "--out",
              other.Sub("s.jsonl")});
  ASSERT_EQ(r.exit_code, 0);
  ASSERT_EQ(RunCli({"ingest", "--data", other.Sub("d"), other.Sub("s.jsonl"), "--quiet"}).exit_code,
            0);
  r = RunCli({"checkpoint", "--data", other.Sub("d"), "--key", scratch_.Sub("impostor.key"),
              "--out", other.Sub("cp")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Cosign(state, other.Sub("cp"));
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("not signed by the log"), std::string::npos) << r.out;
}

TEST_F(AuditWitness, GrowthFromAForkedCheckpointFails) {
  int code = -1;
  json report = VerifyReportOf(main_->bundle, main_->vkey, &code,
                               {"--last-checkpoint", fork_->first_checkpoint});
  EXPECT_EQ(code, 1);
  EXPECT_FALSE(report["growth"]["ok"]);
  report = VerifyReportOf(main_->bundle, main_->vkey, &code,
                          {"--last-checkpoint", main_->first_checkpoint});
  EXPECT_EQ(code, 0) << report.dump(2);
}

}  // namespace
}  // namespace gpuledger::testing
