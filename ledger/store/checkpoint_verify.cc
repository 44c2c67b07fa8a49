// `verify` of the stored checkpoints: each must be a signed tlog-checkpoint of this ledger's
// tree at its size, signed by a key stored with it.
#include "ledger/audit/note.h"
#include "ledger/store/checkpoint.h"

namespace gpuledger {
namespace {

bool Fail(VerifyReport* report, uint64_t tree_size, std::string problem) {
  report->ok = false;
  report->bad_index = tree_size > 0 ? tree_size - 1 : 0;
  report->problem = "checkpoint of size " + std::to_string(tree_size) + ": " + std::move(problem);
  return false;
}

// One stored checkpoint against the tree; an empty string when it holds.
std::string CheckOne(const Ledger::Impl& impl, const CheckpointRecord& record,
                     const std::string& origin, const std::vector<audit::VerifierKey>& keys) {
  auto parsed = audit::ParseSignedCheckpoint(record.note);
  if (!parsed.ok()) return parsed.status().message();
  const audit::Checkpoint& body = parsed->body;
  if (body.tree_size != record.tree_size) {
    return "it says size " + std::to_string(body.tree_size) + " but is stored under " +
           std::to_string(record.tree_size);
  }
  if (body.origin != origin) {
    return "origin \"" + body.origin + "\", the ledger's is \"" + origin + "\"";
  }
  if (record.tree_size > impl.committed.size) {
    return "larger than the ledger (" + std::to_string(impl.committed.size) + " entries)";
  }
  auto root = audit::RootFromSubtrees(record.tree_size, SubtreeReaderOf(impl));
  if (!root.ok()) return "the tree's root: " + root.status().message();
  if (root.value() != body.root) {
    return "root " + ToHex(body.root) + " but the tree's root is " + ToHex(root.value());
  }
  auto verified = audit::VerifyNote(parsed->note, keys);
  if (!verified.ok()) return "signatures: " + verified.status().message();
  return {};
}

}  // namespace

bool VerifyStoredCheckpoints(const Ledger::Impl& impl, VerifyReport* report) {
  auto origin = StoredCheckpointOrigin(impl);
  if (!origin.ok()) return Fail(report, 0, origin.status().message());
  auto key_texts = StoredCheckpointKeys(impl);
  if (!key_texts.ok()) return Fail(report, 0, key_texts.status().message());
  std::vector<audit::VerifierKey> keys;
  for (const std::string& text : key_texts.value()) {
    auto key = audit::ParseVerifierKey(text);
    if (!key.ok()) return Fail(report, 0, "a stored public key: " + key.status().message());
    keys.push_back(std::move(key.value()));
  }
  // Checkpoints are few (one per N entries or T seconds): bounded by the listing limit.
  auto records = StoredCheckpoints(impl, 0, UINT64_MAX, kCheckpointsListedMax);
  if (!records.ok()) return Fail(report, 0, records.status().message());
  for (const CheckpointRecord& record : records.value()) {
    std::string problem = CheckOne(impl, record, origin.value(), keys);
    if (!problem.empty()) return Fail(report, record.tree_size, std::move(problem));
    ++report->checkpoints_checked;
  }
  return true;
}

}  // namespace gpuledger
