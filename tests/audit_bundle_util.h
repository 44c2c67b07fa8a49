// A small ledger with two signed checkpoints and a closed month, exported as a bundle, and
// byte-level edits of bundles: what the audit tests share.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/test_util.h"

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

// gpuledger-verify's JSON report of `bundle` with `vkey` trusted (and extra arguments).
nlohmann::json VerifyReportOf(const std::string& bundle, const std::string& vkey, int* exit_code,
                              const std::vector<std::string>& extra = {});

}  // namespace gpuledger::testing
