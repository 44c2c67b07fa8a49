// gpuledger-verify's checks of an audit bundle (docs/bundle.md): every leaf, the chain and
// the tree recomputed from the entries; every checkpoint's signatures against the trusted
// keys and its root against the tree; each closed month's statement recomputed from the
// ledger prefix it claims; growth since the auditor's last checkpoint; proofs.
//
// Thread-safety: VerifyBundle uses only its arguments.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ledger/audit/note.h"
#include "ledger/audit/sha256.h"

namespace gpuledger::verify {

// One thing that did not hold. `index` is set when a ledger entry is at fault (or, for a
// statement, the index of its month's close); `tree_size` names the checkpoint, statement
// prefix or proof concerned.
struct BundleFailure {
  std::string check;  // e.g. entry_leaf, checkpoint_signature, statement_figure (docs/bundle.md)
  std::optional<uint64_t> index;
  std::optional<uint64_t> tree_size;
  std::string file;  // the bundle file concerned, relative to the bundle
  std::string expected, found, detail;
  std::set<std::string> contracts, months;
};

struct CheckpointResult {
  std::string file, origin;
  uint64_t tree_size = 0;
  Hash256 root{};
  std::vector<std::string> verified_by;
  size_t unknown_signatures = 0;
  bool ok = false;
};

struct StatementResult {
  std::string file, month;
  uint64_t closed_at_tree_size = 0;
  size_t rows = 0;
  bool ok = false;
};

struct ProofResult {
  std::string file, type;
  uint64_t tree_size = 0;
  bool ok = false;
};

struct GrowthResult {
  uint64_t old_size = 0, new_size = 0;
  Hash256 old_root{};
  bool ok = false;
};

struct BundleOptions {
  std::string dir;
  std::vector<audit::VerifierKey> trusted;  // from the command line only
  std::string last_checkpoint;              // the auditor's last checkpoint note ("" if none)
  std::vector<std::string> proof_files;     // proofs to check against the bundle's tree
  std::string month;   // only this month's statement is due ("": every closed month's)
  std::string origin;  // the log's origin every checkpoint must name ("": not checked)
  std::function<void(uint64_t done, uint64_t total)> progress;  // may be empty
};

struct BundleReport {
  bool ok = false;
  std::string origin;
  uint64_t tree_size = 0;  // as the manifest says
  Hash256 root{};          // recomputed from the entries
  uint64_t entries_checked = 0;
  uint64_t entry_bytes = 0;
  std::vector<CheckpointResult> checkpoints;
  std::vector<StatementResult> statements;
  std::optional<GrowthResult> growth;
  std::vector<ProofResult> proofs;
  std::vector<BundleFailure> failures;
  std::vector<std::string> warnings;
  std::optional<uint64_t> first_bad_index;            // the first entry at fault
  std::optional<uint64_t> first_bad_checkpoint_size;  // the smallest bad checkpoint
  std::set<std::string> affected_contracts, affected_months;
};

BundleReport VerifyBundle(const BundleOptions& options);
std::string BundleReportJson(const BundleReport& report);  // one JSON object, with "\n"

}  // namespace gpuledger::verify
