// The verifier's JSON report (docs/bundle.md): stable field names, one object.
#include <nlohmann/json.hpp>

#include "tools/verify/bundle_check.h"

namespace gpuledger::verify {
namespace {

using nlohmann::ordered_json;

template <typename T>
ordered_json OrNull(const std::optional<T>& v) {
  return v ? ordered_json(*v) : ordered_json();
}

ordered_json FailureJson(const BundleFailure& f) {
  return {{"check", f.check},   {"index", OrNull(f.index)}, {"tree_size", OrNull(f.tree_size)},
          {"file", f.file},     {"expected", f.expected},   {"found", f.found},
          {"detail", f.detail}, {"contracts", f.contracts}, {"months", f.months}};
}

}  // namespace

std::string BundleReportJson(const BundleReport& r) {
  ordered_json checkpoints = ordered_json::array();
  for (const CheckpointResult& c : r.checkpoints) {
    checkpoints.push_back({{"file", c.file},
                           {"tree_size", c.tree_size},
                           {"root", ToHex(c.root)},
                           {"verified_by", c.verified_by},
                           {"unknown_signatures", c.unknown_signatures},
                           {"ok", c.ok}});
  }
  ordered_json statements = ordered_json::array();
  for (const StatementResult& s : r.statements) {
    statements.push_back({{"file", s.file},
                          {"month", s.month},
                          {"closed_at_tree_size", s.closed_at_tree_size},
                          {"rows", s.rows},
                          {"ok", s.ok}});
  }
  ordered_json proofs = ordered_json::array();
  for (const ProofResult& p : r.proofs) {
    proofs.push_back(
        {{"file", p.file}, {"type", p.type}, {"tree_size", p.tree_size}, {"ok", p.ok}});
  }
  ordered_json growth;
  if (r.growth) {
    growth = {{"old_size", r.growth->old_size},
              {"old_root", ToHex(r.growth->old_root)},
              {"new_size", r.growth->new_size},
              {"ok", r.growth->ok}};
  }
  ordered_json failures = ordered_json::array();
  for (const BundleFailure& f : r.failures) failures.push_back(FailureJson(f));
  ordered_json out = {{"ok", r.ok},
                      {"origin", r.origin},
                      {"tree_size", r.tree_size},
                      {"root", ToHex(r.root)},
                      {"entries_checked", r.entries_checked},
                      {"entry_bytes", r.entry_bytes},
                      {"first_bad_index", OrNull(r.first_bad_index)},
                      {"first_bad_checkpoint_size", OrNull(r.first_bad_checkpoint_size)},
                      {"affected_contracts", r.affected_contracts},
                      {"affected_months", r.affected_months},
                      {"failures", failures},
                      {"warnings", r.warnings},
                      {"checkpoints", checkpoints},
                      {"statements", statements},
                      {"growth", growth},
                      {"proofs", proofs}};
  return out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace gpuledger::verify
