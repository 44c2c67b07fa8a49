// Ledger::SignCheckpoint and friends: C2SP signed checkpoints of the ledger's tree, stored
// beside it, and RFC 9162 proofs read from the stored tree nodes (docs/audit.md).
#include "ledger/store/checkpoint.h"

#include <rocksdb/write_batch.h>

#include <memory>

#include "ledger/audit/note.h"
#include "ledger/audit/proof.h"
#include "ledger/store/ledger_format.h"
#include "ledger/store/rocks_status.h"

namespace gpuledger {
namespace {

// Every value under one one-byte tag, in key order, while fn returns true.
Status ScanTag(const Ledger::Impl& impl, char tag, std::string_view first_key,
               const std::function<bool(std::string_view key, std::string_view value)>& fn) {
  std::unique_ptr<rocksdb::Iterator> it(impl.db->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(rocksdb::Slice(first_key.data(), first_key.size()));
       it->Valid() && !it->key().empty() && it->key()[0] == tag; it->Next()) {
    if (!fn(it->key().ToStringView(), it->value().ToStringView())) break;
  }
  if (!it->status().ok()) return FromRocks(it->status(), "checkpoint scan");
  return Status::Ok();
}

Result<std::vector<audit::SignerKey>> ParseSigners(const std::vector<std::string>& texts) {
  if (texts.empty()) return Status::InvalidArgument("no signing key given");
  std::vector<audit::SignerKey> keys;
  for (const std::string& text : texts) {
    auto key = audit::ParseSignerKey(text);
    if (!key.ok()) return Status::InvalidArgument("signing key: " + key.status().message());
    if (key->verifier.type != audit::kKeyTypeEd25519) {
      return Status::InvalidArgument("signing key " + key->verifier.name +
                                     " is not an Ed25519 signed-note key");
    }
    keys.push_back(std::move(key.value()));
  }
  return keys;
}

// The new tree (size, root) must extend the latest stored checkpoint. Returns true when
// that checkpoint is already of this size (nothing to sign).
Result<bool> CheckExtendsLatest(const Ledger& ledger, uint64_t size, const Hash256& root) {
  auto latest = ledger.LatestCheckpoint();
  if (!latest.ok()) return latest.status();
  if (!latest->has_value()) return false;
  auto latest_parsed = audit::ParseSignedCheckpoint(latest.value()->note);
  if (!latest_parsed.ok()) {
    return Status::Corruption("latest checkpoint: " + latest_parsed.status().message());
  }
  const audit::Checkpoint& old = latest_parsed->body;
  if (old.tree_size > size) {
    return Status::Corruption("the latest checkpoint (size " + std::to_string(old.tree_size) +
                              ") is larger than the ledger (" + std::to_string(size) + ")");
  }
  if (old.tree_size == size) {
    if (old.root != root) {
      return Status::Corruption("refusing to sign: the latest checkpoint of size " +
                                std::to_string(size) + " has a different root");
    }
    return true;
  }
  if (old.tree_size == 0) return false;
  auto proof = ledger.ConsistencyProof(old.tree_size, size);
  if (!proof.ok()) return proof.status();
  Status consistent = audit::VerifyConsistency(old.tree_size, size, proof.value(), old.root, root);
  if (!consistent.ok()) {
    return Status::Corruption(
        "refusing to sign: the tree is not consistent with the checkpoint "
        "of size " +
        std::to_string(old.tree_size) + ": " + consistent.message());
  }
  return false;
}

}  // namespace

audit::SubtreeReader SubtreeReaderOf(const Ledger::Impl& impl) {
  return [&impl](uint8_t level, uint64_t index) { return impl.ReadNode(level, index); };
}

Result<Hash256> Ledger::LeafHashAt(uint64_t index) const {
  if (index >= impl_->committed.size) return Status::NotFound("no entry " + std::to_string(index));
  return impl_->ReadLeaf(index);
}

Result<std::vector<Hash256>> Ledger::InclusionProof(uint64_t index, uint64_t tree_size) const {
  if (tree_size > impl_->committed.size || index >= tree_size) {
    return Status::InvalidArgument(
        "inclusion proof: need index < size <= " + std::to_string(impl_->committed.size) +
        ", got index " + std::to_string(index) + ", size " + std::to_string(tree_size));
  }
  return audit::MakeInclusionProof(index, tree_size, SubtreeReaderOf(*impl_));
}

Result<std::vector<Hash256>> Ledger::ConsistencyProof(uint64_t old_size, uint64_t new_size) const {
  if (old_size == 0 || old_size > new_size || new_size > impl_->committed.size) {
    return Status::InvalidArgument(
        "consistency proof: need 0 < from <= to <= " + std::to_string(impl_->committed.size) +
        ", got " + std::to_string(old_size) + " to " + std::to_string(new_size));
  }
  return audit::MakeConsistencyProof(old_size, new_size, SubtreeReaderOf(*impl_));
}

Result<CheckpointRecord> Ledger::SignCheckpoint(const std::vector<std::string>& signer_keys,
                                                std::string_view origin) {
  Impl& m = *impl_;
  if (m.options.read_only) return Status::InvalidArgument("the ledger is open read-only");
  if (m.staged_anything) return Status::InvalidArgument("a batch is staged: commit it first");
  if (Status s = WaitCommitted(); !s.ok()) return s;
  auto keys = ParseSigners(signer_keys);
  if (!keys.ok()) return keys.status();
  const std::string name = origin.empty() ? keys->front().verifier.name : std::string(origin);
  auto stored_origin = StoredCheckpointOrigin(m);
  if (!stored_origin.ok()) return stored_origin.status();
  if (!stored_origin->empty() && stored_origin.value() != name) {
    return Status::InvalidArgument("this ledger's checkpoints have the origin \"" +
                                   stored_origin.value() + "\", not \"" + name + "\"");
  }
  const uint64_t size = m.committed.size;
  auto root = RootAt(size);
  if (!root.ok()) return root.status();
  auto done = CheckExtendsLatest(*this, size, root.value());
  if (!done.ok()) return done.status();
  if (done.value()) {
    auto latest = LatestCheckpoint();
    if (!latest.ok()) return latest.status();
    return std::move(latest->value());
  }

  const audit::Checkpoint body{name, size, root.value(), {}};
  if (Status s = audit::ValidateCheckpoint(body); !s.ok()) {
    return Status::InvalidArgument("origin \"" + name + "\": " + s.message());
  }
  audit::Note note;
  note.text = audit::FormatCheckpoint(body);
  rocksdb::WriteBatch batch;
  for (const audit::SignerKey& key : keys.value()) {
    auto signature = audit::SignNoteText(key, note.text);
    if (!signature.ok()) return signature.status();
    note.signatures.push_back(std::move(signature.value()));
    batch.Put(std::string(1, format::kTagCheckpointKey) + audit::EncodeVerifierKey(key.verifier),
              rocksdb::Slice());
  }
  CheckpointRecord record{size, audit::FormatNote(note)};
  batch.Put(format::IndexKey(format::kTagCheckpoint, size), record.note);
  if (stored_origin->empty()) batch.Put(format::MetaKey(format::kMetaCheckpointOrigin), name);
  rocksdb::WriteOptions write;
  write.sync = m.options.sync_writes;
  rocksdb::Status s = m.db->Write(write, &batch);
  if (!s.ok()) return Status::IOError("storing the checkpoint: " + s.ToString());
  return record;
}

Result<std::vector<CheckpointRecord>> StoredCheckpoints(const Ledger::Impl& impl,
                                                        uint64_t first_size, uint64_t end_size,
                                                        size_t limit) {
  std::vector<CheckpointRecord> out;
  Status bad = Status::Ok();
  Status s =
      ScanTag(impl, format::kTagCheckpoint, format::IndexKey(format::kTagCheckpoint, first_size),
              [&](std::string_view key, std::string_view value) {
                if (key.size() != format::kIndexKeyBytes) {
                  bad = Status::Corruption("a checkpoint key is not 9 bytes");
                  return false;
                }
                const uint64_t size = format::GetU64(key.data() + 1);
                if (size >= end_size || out.size() >= limit) return false;
                out.push_back({size, std::string(value)});
                return true;
              });
  if (!s.ok()) return s;
  if (!bad.ok()) return bad;
  return out;
}

Result<std::vector<std::string>> StoredCheckpointKeys(const Ledger::Impl& impl) {
  std::vector<std::string> keys;
  Status s = ScanTag(impl, format::kTagCheckpointKey, std::string(1, format::kTagCheckpointKey),
                     [&](std::string_view key, std::string_view) {
                       keys.emplace_back(key.substr(1));
                       return keys.size() < audit::kNoteSignaturesMax;
                     });
  if (!s.ok()) return s;
  return keys;
}

Result<std::string> StoredCheckpointOrigin(const Ledger::Impl& impl) {
  std::string v;
  rocksdb::Status s =
      impl.db->Get(rocksdb::ReadOptions(), format::MetaKey(format::kMetaCheckpointOrigin), &v);
  if (s.IsNotFound()) return std::string();
  if (!s.ok()) return Status::IOError("checkpoint origin: " + s.ToString());
  return v;
}

Result<std::vector<CheckpointRecord>> Ledger::Checkpoints(uint64_t first_size, uint64_t end_size,
                                                          size_t limit) const {
  return StoredCheckpoints(*impl_, first_size, end_size, limit);
}

Result<std::optional<CheckpointRecord>> Ledger::LatestCheckpoint() const {
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(rocksdb::ReadOptions()));
  const std::string end(1, static_cast<char>(format::kTagCheckpoint + 1));
  it->SeekForPrev(end);
  if (!it->status().ok()) return Status::IOError("checkpoint scan: " + it->status().ToString());
  if (!it->Valid() || it->key().empty() || it->key()[0] != format::kTagCheckpoint) {
    return std::optional<CheckpointRecord>();
  }
  if (it->key().size() != format::kIndexKeyBytes) {
    return Status::Corruption("a checkpoint key is not 9 bytes");
  }
  return std::optional<CheckpointRecord>(
      CheckpointRecord{format::GetU64(it->key().data() + 1), it->value().ToString()});
}

Result<std::vector<std::string>> Ledger::CheckpointKeys() const {
  return StoredCheckpointKeys(*impl_);
}

}  // namespace gpuledger
