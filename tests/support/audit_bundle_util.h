// A small ledger with two signed checkpoints and a closed month, exported as a bundle, and
// byte-level edits of bundles: what the audit tests share.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ledger/audit/sha256.h"
#include "tests/support/test_util.h"

namespace gpuledger::testing {

struct AuditFixture {
  TempDir dir;
  std::string data, key, vkey, bundle;
  uint64_t first_size = 0, size = 0;         // the two checkpoints
  std::string first_checkpoint, checkpoint;  // their notes, as files
};

// Simulates a closed month (with faults) into dir/data in two parts, signing a checkpoint
// after each with f->key (a new key when empty); exports dir/bundle. `seed` varies the
// data; the same seed in another fixture makes the same sizes with other roots (the entries
// carry their ingest time and file), which is a fork when signed by the same key.
void BuildAuditFixture(AuditFixture* f, uint64_t seed = 11);

// entries.bin as records (length, bytes, leaf, chain), and back.
struct BundleRecords {
  std::string magic;
  std::vector<std::string> records;  // each whole: u32 length || bytes || leaf || chain
};
BundleRecords ReadRecords(const std::string& bundle_dir);
void WriteRecords(const std::string& bundle_dir, const BundleRecords& r);
void CopyBundle(const std::string& from, const std::string& to);

// Entry bytes of a record (without its length and listed hashes), and a record of `entry`
// with listed hashes that link it after `*chain` (which it advances): what a tamperer who
// rewrites every listed hash does.
std::string EntryOf(const std::string& record);
std::string RecordOf(const std::string& entry, Hash256* chain);
// Rewrites every record's listed leaf and chain to match its bytes.
void Relink(BundleRecords* r);

// Whether the verifier's report has a failure of `check`.
bool ReportHas(const nlohmann::json& report, const std::string& check);

// gpuledger-verify's JSON report of `bundle` with `vkey` trusted (and extra arguments).
nlohmann::json VerifyReportOf(const std::string& bundle, const std::string& vkey, int* exit_code,
                              const std::vector<std::string>& extra = {});

// A suite's signed ledger and bundle (simulated with `kSeed`), built once, and copies of
// the bundle to tamper with.
template <uint64_t kSeed>
class AuditSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fixture_ = new AuditFixture();
    BuildAuditFixture(fixture_, kSeed);
  }
  static void TearDownTestSuite() {
    delete fixture_;
    fixture_ = nullptr;
  }
  std::string Copy() {
    const std::string to = scratch_.Sub("bundle" + std::to_string(copies_++));
    CopyBundle(fixture_->bundle, to);
    return to;
  }
  nlohmann::json Verify(const std::string& bundle, int* code,
                        const std::vector<std::string>& extra = {}) {
    return VerifyReportOf(bundle, fixture_->vkey, code, extra);
  }

  static inline AuditFixture* fixture_ = nullptr;
  TempDir scratch_;
  int copies_ = 0;
};

}  // namespace gpuledger::testing
