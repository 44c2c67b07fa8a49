// What the parts of VerifyBundle share (bundle_check.cc, bundle_statements.cc). Private to
// tools/verify/.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "ledger/audit/proof.h"
#include "tools/verify/bundle_check.h"
#include "tools/verify/replay.h"

namespace gpuledger::verify {

struct ParsedCheckpoint {
  std::string file;
  audit::Note note;
  audit::Checkpoint body;
};

struct ParsedStatement {
  std::string file, month;
  uint64_t closed_at_tree_size = 0;
  Hash256 closed_at_root{};
  nlohmann::json rows;  // numbers exact (exact_json.h)
};

struct ParsedProof {
  std::string file;
  audit::ProofDocument doc;
};

struct BadEntry {
  uint64_t index = 0;
  std::string bytes;  // as found, for what it touches
};

struct Context {
  Context(const BundleOptions& o, BundleReport& r) : options(o), report(r) {}
  const BundleOptions& options;
  BundleReport& report;
  std::set<uint64_t> sizes_wanted;     // tree sizes whose roots the checks need
  std::map<uint64_t, Hash256> roots;   // recomputed roots at those sizes
  std::map<uint64_t, Hash256> leaves;  // recomputed leaves the proofs name
  std::vector<ParsedCheckpoint> checkpoints;
  std::vector<ParsedStatement> statements;
  std::vector<ParsedProof> proofs;
  std::vector<BadEntry> bad_entries;  // the first few
  bool entries_ok = true;             // every entry read, hashed and decoded
  uint64_t count = 0;                 // entries found
  std::string manifest_month;         // the month the bundle says it was exported for
};

void AddFailure(Context& ctx, BundleFailure failure);
// The nested Event of a LedgerEntry, after FlatBuffers verification; nullptr if malformed.
const fb::Event* DecodeEvent(std::string_view bytes);
// Re-reads the entries [0, end) (already checked by the entries pass) for the replay.
EventSource SettleSource(const Context& ctx, uint64_t end = UINT64_MAX);
std::string EntriesPath(const Context& ctx);

// checkpoints/ and the auditor's proofs: read before the entries pass, checked after.
void ReadCheckpoints(Context& ctx);
void ReadProofs(Context& ctx);
[[nodiscard]] Result<ParsedCheckpoint> ReadLastCheckpoint(Context& ctx);
void CheckCheckpoints(Context& ctx);
void CheckGrowth(Context& ctx, const ParsedCheckpoint& last);
void CheckProofs(Context& ctx);

// statements/: read before the entries pass (their prefix sizes are wanted), checked after.
void ReadStatements(Context& ctx);
void CheckStatements(Context& ctx, const SettlementReplay* replay);

}  // namespace gpuledger::verify
