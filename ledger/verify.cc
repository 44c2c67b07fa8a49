// Ledger::Verify: recompute every leaf from the stored entry bytes, the hash chain, every
// stored tree node and the root, and check the dedup index and the rejects store. One
// sequential pass per key range; memory O(log n) whatever the ledger size.
#include <rocksdb/db.h>

#include <cstring>

#include "ledger/ledger_format.h"
#include "ledger/ledger_impl.h"
#include "ledger/verify_side.h"

namespace gpuledger {
namespace {

constexpr uint64_t kProgressEveryEntries = 1 << 16;

using IteratorPtr = std::unique_ptr<rocksdb::Iterator>;

// A 256-bit sum of per-record hashes: equal for the entries' view and the dedup index's
// view exactly when both hold the same (source, id, index, content) records (up to
// SHA-256 collisions). Lets verify check the index in one sequential pass; a mismatch is
// then located by point lookups.
struct Digest256 {
  uint64_t limbs[4] = {0, 0, 0, 0};
  void Add(const Hash256& h) {
    uint64_t carry = 0;
    for (int i = 0; i < 4; ++i) {
      uint64_t limb;
      std::memcpy(&limb, h.data() + 8 * i, 8);
      uint64_t sum = limbs[i] + limb;
      uint64_t carry_out = sum < limb ? 1 : 0;
      limbs[i] = sum + carry;
      carry = carry_out + (limbs[i] < sum ? 1 : 0);
    }
  }
  bool operator==(const Digest256& o) const { return std::memcmp(limbs, o.limbs, sizeof(limbs)) == 0; }
};

// Hash of one dedup record, key and whole value, as stored or as entry i implies it.
Hash256 DedupRecordHash(Sha256& sha, std::string_view dedup_key, std::string_view value) {
  uint8_t key_bytes[8];
  uint64_t n = dedup_key.size();
  std::memcpy(key_bytes, &n, sizeof(n));
  sha.Update(key_bytes, sizeof(key_bytes));
  sha.Update(dedup_key);
  sha.Update(value);
  return sha.Final();
}

std::string ExpectedDedupValue(uint64_t index, const EntryKeyFields& f) {
  return DedupValue{index, f.content_sha256, f.type, std::string(f.key)}.Encode();
}

// Sequential scans: read ahead, and keep the block cache for the point lookups of others.
rocksdb::ReadOptions ScanOptions() {
  rocksdb::ReadOptions options;
  options.fill_cache = false;
  options.readahead_size = 4u << 20;
  return options;
}

bool InRange(const IteratorPtr& it, char tag) {
  return it->Valid() && !it->key().empty() && it->key()[0] == tag;
}

class Verifier {
 public:
  Verifier(const Ledger::Impl& impl, VerifyReport* report) : impl_(impl), report_(report), replay_(impl) {}
  Status Run(const ProgressFn& progress);

 private:
  bool Fail(uint64_t index, std::string problem) {
    report_->ok = false;
    report_->bad_index = index;
    report_->problem = std::move(problem);
    return false;
  }
  bool CheckEntry(uint64_t i, const IteratorPtr& entries, const IteratorPtr& hashes, const IteratorPtr& nodes);
  bool CheckTail(const IteratorPtr& entries, const IteratorPtr& hashes, const IteratorPtr& nodes);
  bool CheckDedup();
  bool LocateDedupMismatch();

  const Ledger::Impl& impl_;
  VerifyReport* report_;
  Sha256 sha_;
  MerkleFrontier frontier_;
  Hash256 chain_{};
  Digest256 entry_digest_;
  StateReplay replay_;
  uint64_t size_ = 0;
};

bool Verifier::CheckEntry(uint64_t i, const IteratorPtr& entries, const IteratorPtr& hashes,
                          const IteratorPtr& nodes) {
  const std::string key = format::IndexKey(format::kTagEntry, i);
  if (!InRange(entries, format::kTagEntry) || entries->key().ToStringView() != key) {
    return Fail(i, "entry " + std::to_string(i) + " is missing");
  }
  std::string_view bytes = entries->value().ToStringView();
  Hash256 leaf = LeafHash(sha_, bytes);
  Hash256 chain = ChainHash(sha_, chain_, leaf);
  if (!InRange(hashes, format::kTagHashes) ||
      hashes->key().ToStringView() != format::IndexKey(format::kTagHashes, i) ||
      hashes->value().size() != format::kHashesValueBytes) {
    return Fail(i, "the stored leaf and chain hashes of entry " + std::to_string(i) + " are missing");
  }
  if (std::memcmp(hashes->value().data(), leaf.data(), 32) != 0) {
    return Fail(i, "leaf hash recomputed from the stored bytes of entry " + std::to_string(i) +
                       " is " + ToHex(leaf) + ", stored " + ToHex(reinterpret_cast<const uint8_t*>(hashes->value().data()), 32));
  }
  if (std::memcmp(hashes->value().data() + 32, chain.data(), 32) != 0) {
    return Fail(i, "chain hash of entry " + std::to_string(i) + " disagrees with chain[" +
                       std::to_string(i) + "-1] and the leaf");
  }
  EntryKeyFields fields;
  if (Status s = PeekEntry(bytes, &fields); !s.ok()) return Fail(i, s.message());
  entry_digest_.Add(DedupRecordHash(sha_, format::DedupKey(fields.source, fields.id), ExpectedDedupValue(i, fields)));
  if (std::string problem; !replay_.Apply(i, bytes, &problem)) return Fail(i, problem);
  bool nodes_ok = true;
  frontier_.Append(sha_, leaf, [&](const SubtreeNode& node) {
    if (!nodes_ok) return;
    if (!InRange(nodes, format::kTagNode) || nodes->key().ToStringView() != format::NodeKey(node.level, node.index)) {
      nodes_ok = Fail(i, "tree node (level " + std::to_string(node.level) + ", index " +
                             std::to_string(node.index) + ") completed by entry " + std::to_string(i) + " is missing");
      return;
    }
    if (nodes->value().ToStringView() !=
        std::string_view(reinterpret_cast<const char*>(node.hash.data()), node.hash.size())) {
      nodes_ok = Fail(i, "tree node (level " + std::to_string(node.level) + ", index " +
                             std::to_string(node.index) + ") completed by entry " + std::to_string(i) +
                             " disagrees with the hashes below it");
      return;
    }
    ++report_->nodes_checked;
    nodes->Next();
  });
  chain_ = chain;
  entries->Next();
  hashes->Next();
  return nodes_ok;
}

bool Verifier::CheckTail(const IteratorPtr& entries, const IteratorPtr& hashes, const IteratorPtr& nodes) {
  if (InRange(entries, format::kTagEntry)) {
    uint64_t extra = format::GetU64(entries->key().data() + 1);
    return Fail(extra, "entry " + std::to_string(extra) + " is stored beyond the ledger size " + std::to_string(size_));
  }
  if (InRange(hashes, format::kTagHashes)) {
    uint64_t extra = format::GetU64(hashes->key().data() + 1);
    return Fail(extra, "hashes of entry " + std::to_string(extra) + " are stored beyond the ledger size");
  }
  if (InRange(nodes, format::kTagNode)) {
    uint64_t done = format::GetU64(nodes->key().data() + 1);
    return Fail(done, "a tree node is stored beyond the ledger size");
  }
  return true;
}

bool Verifier::CheckDedup() {
  IteratorPtr it(impl_.db->NewIterator(ScanOptions()));
  Digest256 index_digest;
  uint64_t count = 0;
  for (it->Seek(std::string(1, format::kTagDedup)); InRange(it, format::kTagDedup); it->Next()) {
    DedupValue v;
    if (!DedupValue::Decode(it->value().ToStringView(), &v) || v.index >= size_) {
      return LocateDedupMismatch();
    }
    index_digest.Add(DedupRecordHash(sha_, it->key().ToStringView(), it->value().ToStringView()));
    ++count;
  }
  report_->dedup_checked = count;
  if (count == size_ && index_digest == entry_digest_) return true;
  return LocateDedupMismatch();
}

// Slow path, only after the digests disagree: look every entry up in the index.
bool Verifier::LocateDedupMismatch() {
  for (uint64_t i = 0; i < size_; ++i) {
    std::string bytes, value;
    rocksdb::Status s = impl_.db->Get(rocksdb::ReadOptions(), format::IndexKey(format::kTagEntry, i), &bytes);
    EntryKeyFields f;
    if (!s.ok() || !PeekEntry(bytes, &f).ok()) return Fail(i, "entry " + std::to_string(i) + " cannot be read");
    s = impl_.db->Get(rocksdb::ReadOptions(), format::DedupKey(f.source, f.id), &value);
    if (!s.ok()) return Fail(i, "the dedup index has no record of entry " + std::to_string(i));
    if (value != ExpectedDedupValue(i, f)) {
      return Fail(i, "the dedup index record of entry " + std::to_string(i) +
                         " disagrees with the entry (index, content hash, type or key)");
    }
  }
  return Fail(size_, "the dedup index holds records of no entry");
}

Status Verifier::Run(const ProgressFn& progress) {
  *report_ = VerifyReport{};
  report_->ok = true;
  size_ = impl_.committed.size;
  IteratorPtr entries(impl_.db->NewIterator(ScanOptions()));
  IteratorPtr hashes(impl_.db->NewIterator(ScanOptions()));
  IteratorPtr nodes(impl_.db->NewIterator(ScanOptions()));
  entries->Seek(std::string(1, format::kTagEntry));
  hashes->Seek(std::string(1, format::kTagHashes));
  nodes->Seek(std::string(1, format::kTagNode));
  for (uint64_t i = 0; i < size_; ++i) {
    if (!CheckEntry(i, entries, hashes, nodes)) return Status::Ok();
    ++report_->entries_checked;
    if (progress && (i + 1) % kProgressEveryEntries == 0) progress(i + 1, size_);
  }
  for (const auto* it : {&entries, &hashes, &nodes}) {
    if (!(*it)->status().ok()) return Status::IOError("verify scan: " + (*it)->status().ToString());
  }
  if (!CheckTail(entries, hashes, nodes)) return Status::Ok();
  report_->root = frontier_.Root(sha_);
  if (!impl_.tip_problem.empty()) {
    Fail(size_ > 0 ? size_ - 1 : 0, "the ledger's tip could not be loaded: " + impl_.tip_problem);
    return Status::Ok();
  }
  if (size_ > 0 && chain_ != impl_.committed.chain) {
    Fail(size_ - 1, "the chain head differs from the one the ledger opened with");
    return Status::Ok();
  }
  if (!CheckDedup() || !replay_.Compare(report_) ||
      !VerifySideRecords(impl_, format::kTagReject, impl_.committed.rejects, report_) ||
      !VerifySideRecords(impl_, format::kTagDuplicate, impl_.committed.duplicates, report_)) {
    return Status::Ok();
  }
  if (progress) progress(size_, size_);
  return Status::Ok();
}

}  // namespace

Status Ledger::Verify(VerifyReport* report, const ProgressFn& progress) const {
  return Verifier(*impl_, report).Run(progress);
}

}  // namespace gpuledger
