// The scanning half of Ledger::Verify: see the comment at the top of ledger/store/verify.cc.
#include "ledger/store/verify_scan.h"

#include <algorithm>
#include <bit>

namespace gpuledger::verify_internal {

// Positions the iterators where a pass from entry 0 would be after entry begin-1, and
// loads the chain hash and frontier it would have: the stored ones. False if one is
// missing, which an earlier chunk then reports.
bool ChunkScanner::Seed() {
  const uint64_t b = chunk_->begin;
  if (b == 0) {
    entries_->Seek(rocksdb::Slice(&format::kTagEntry, 1));
    hashes_->Seek(rocksdb::Slice(&format::kTagHashes, 1));
    nodes_->Seek(rocksdb::Slice(&format::kTagNode, 1));
    frontier_.Reset(0, {});
    return true;
  }
  // b is even: entry b-1 completes the nodes of levels 1..countr_zero(b).
  const int last_level = std::countr_zero(b);
  if (last_level < 1) return false;
  const IndexKeyBuf prev_entry(format::kTagEntry, b - 1), prev_hashes(format::kTagHashes, b - 1);
  const NodeKeyBuf prev_node(static_cast<uint8_t>(last_level), (b >> last_level) - 1);
  entries_->Seek(prev_entry.slice());
  if (!entries_->Valid() || entries_->key().ToStringView() != prev_entry.view()) return false;
  entries_->Next();
  hashes_->Seek(prev_hashes.slice());
  if (!hashes_->Valid() || hashes_->key().ToStringView() != prev_hashes.view() ||
      hashes_->value().size() != format::kHashesValueBytes) {
    return false;
  }
  Hash256 prev_leaf;
  std::memcpy(prev_leaf.data(), hashes_->value().data(), 32);
  std::memcpy(chain_.data(), hashes_->value().data() + 32, 32);
  hashes_->Next();
  nodes_->Seek(prev_node.slice());
  if (!nodes_->Valid() || nodes_->key().ToStringView() != prev_node.view()) return false;
  nodes_->Next();
  // The frontier at size b: one perfect subtree per set bit of b, largest first.
  std::vector<Hash256> roots;
  roots.reserve(65);
  const rocksdb::ReadOptions read = PointOptions(snapshot_);
  std::string value;
  for (int level = 63; level >= 0; --level) {
    if (((b >> level) & 1) == 0) continue;
    if (level == 0) {
      roots.push_back(prev_leaf);
      continue;
    }
    const NodeKeyBuf key(static_cast<uint8_t>(level), (b >> level) - 1);
    if (!db_->Get(read, key.slice(), &value).ok() || value.size() != kSha256Bytes) return false;
    Hash256 h;
    std::memcpy(h.data(), value.data(), h.size());
    roots.push_back(h);
  }
  frontier_.Reset(b, std::move(roots));
  return true;
}

// The checks of entry i after its presence (EntryAt), given its bytes and leaf hash, in
// the order of the sequential pass. Leaves the hashes and nodes scans after entry i.
bool ChunkScanner::CheckEntry(uint64_t i, std::string_view bytes, const Hash256& leaf) {
  const IndexKeyBuf hashes_key(format::kTagHashes, i);
  if (!InRange(hashes_, format::kTagHashes) || hashes_->key().ToStringView() != hashes_key.view() ||
      hashes_->value().size() != format::kHashesValueBytes) {
    return MarkBad(
        i, "the stored leaf and chain hashes of entry " + std::to_string(i) + " are missing");
  }
  const char* stored = hashes_->value().data();
  if (std::memcmp(stored, leaf.data(), 32) != 0) {
    return MarkBad(i, "leaf hash recomputed from the stored bytes of entry " + std::to_string(i) +
                          " is " + ToHex(leaf) + ", stored " +
                          ToHex(reinterpret_cast<const uint8_t*>(stored), 32));
  }
  // The chain hash, and the first tree node the leaf completes (if any), hashed together.
  Hash256 chain, first_node;
  const bool completes_node = frontier_.next_completes_node();
  if (completes_node) {
    sha_.ChainAndNode(chain_, leaf, frontier_.last_root(), &chain, &first_node);
  } else {
    chain = sha_.Chain(chain_, leaf);
  }
  if (std::memcmp(stored + 32, chain.data(), 32) != 0) {
    return MarkBad(i, "chain hash of entry " + std::to_string(i) + " disagrees with chain[" +
                          std::to_string(i) + "-1] and the leaf");
  }
  EntryKeyFields fields;
  if (Status s = PeekEntry(bytes, &fields); !s.ok()) return MarkBad(i, s.message());
  AddDedupRecord(fields, i);
  NoteStateEntry(fields, i, bytes);
  auto check_node = [&](uint8_t level, uint64_t index, const Hash256& hash) {
    const NodeKeyBuf node_key(level, index);
    if (!InRange(nodes_, format::kTagNode) || nodes_->key().ToStringView() != node_key.view()) {
      chunk_->failed_at_nodes = true;
      return MarkBad(i, "tree node (level " + std::to_string(level) + ", index " +
                            std::to_string(index) + ") completed by entry " + std::to_string(i) +
                            " is missing");
    }
    if (nodes_->value().ToStringView() !=
        std::string_view(reinterpret_cast<const char*>(hash.data()), hash.size())) {
      chunk_->failed_at_nodes = true;
      return MarkBad(i, "tree node (level " + std::to_string(level) + ", index " +
                            std::to_string(index) + ") completed by entry " + std::to_string(i) +
                            " disagrees with the hashes below it");
    }
    ++chunk_->nodes_checked;
    nodes_->Next();
    return true;
  };
  if (!frontier_.Append(sha_, leaf, completes_node ? &first_node : nullptr, check_node))
    return false;
  chain_ = chain;
  hashes_->Next();
  return true;
}

void ChunkScanner::CheckTail() {
  auto fail = [this](uint64_t index, std::string problem) {
    chunk_->tail_failure = Failure{index, std::move(problem)};
  };
  if (InRange(entries_, format::kTagEntry)) {
    uint64_t extra = format::GetU64(entries_->key().data() + 1);
    return fail(extra, "entry " + std::to_string(extra) + " is stored beyond the ledger size " +
                           std::to_string(size_));
  }
  if (InRange(hashes_, format::kTagHashes)) {
    uint64_t extra = format::GetU64(hashes_->key().data() + 1);
    return fail(extra,
                "hashes of entry " + std::to_string(extra) + " are stored beyond the ledger size");
  }
  if (InRange(nodes_, format::kTagNode)) {
    uint64_t done = format::GetU64(nodes_->key().data() + 1);
    return fail(done, "a tree node is stored beyond the ledger size");
  }
}

void ChunkScanner::Run(uint64_t chunk_number, EntryChunk* chunk, Shared* shared,
                       const std::function<void()>& tick) {
  chunk_ = chunk;
  // A chunk that is not the last stops its scans at its end; the last one scans to the end
  // of each key range, to find what is stored beyond the size.
  const IndexKeyBuf entries_end(format::kTagEntry, chunk->end),
      hashes_end(format::kTagHashes, chunk->end), nodes_end(format::kTagNode, chunk->end);
  static constexpr char kAfterEntries = format::kTagEntry + 1,
                        kAfterHashes = format::kTagHashes + 1, kAfterNodes = format::kTagNode + 1;
  const rocksdb::Slice entries_upper =
      chunk->last ? rocksdb::Slice(&kAfterEntries, 1) : entries_end.slice();
  const rocksdb::Slice hashes_upper =
      chunk->last ? rocksdb::Slice(&kAfterHashes, 1) : hashes_end.slice();
  const rocksdb::Slice nodes_upper =
      chunk->last ? rocksdb::Slice(&kAfterNodes, 1) : nodes_end.slice();
  entries_.reset(db_->NewIterator(ScanOptions(snapshot_, &entries_upper)));
  hashes_.reset(db_->NewIterator(ScanOptions(snapshot_, &hashes_upper)));
  nodes_.reset(db_->NewIterator(ScanOptions(snapshot_, &nodes_upper)));
  if (!Seed()) {
    chunk->unseeded = true;
    shared->NoteFailedChunk(chunk_number);
  } else {
    uint64_t unpublished = 0;
    for (uint64_t i = chunk->begin; i < chunk->end; ++i) {
      if (!EntryAt(i)) {
        MarkBad(i, "entry " + std::to_string(i) + " is missing");
        break;
      }
      std::string_view bytes = entries_->value().ToStringView();
      if (!CheckEntry(i, bytes, sha_.Leaf(bytes))) break;
      entries_->Next();
      ++chunk->entries_checked;
      ++unpublished;
      if (unpublished >= kTickEvery) {
        shared->entries_done.fetch_add(unpublished, std::memory_order_relaxed);
        unpublished = 0;
        if (shared->ChunkMoot(chunk_number)) break;  // not done: it does not count
        if (tick) tick();
      }
    }
    shared->entries_done.fetch_add(unpublished, std::memory_order_relaxed);
    if (chunk->failure) {
      shared->NoteFailedChunk(chunk_number);
      chunk->done = true;
    } else if (chunk->entries_checked == chunk->end - chunk->begin) {
      chunk->done = true;
      if (chunk->last) {
        for (const auto* it : {&entries_, &hashes_, &nodes_}) {
          if (!(*it)->status().ok()) {
            chunk->scan_error = (*it)->status().ToString();
            break;
          }
        }
        if (chunk->scan_error.empty()) CheckTail();
        chunk->chain = chain_;
        chunk->roots = std::move(frontier_.roots());
      }
    }
  }
  entries_.reset();
  hashes_.reset();
  nodes_.reset();
}

void ScanDedupPart(rocksdb::DB* db, const rocksdb::Snapshot* snapshot, uint64_t size,
                   VerifySha256& sha, DedupPart* part, Shared* shared,
                   const std::function<void()>& tick) {
  static constexpr char kAfterDedup = format::kTagDedup + 1;
  const rocksdb::Slice upper =
      part->upper.empty() ? rocksdb::Slice(&kAfterDedup, 1) : rocksdb::Slice(part->upper);
  IteratorPtr it(db->NewIterator(ScanOptions(snapshot, &upper)));
  DedupValue v;
  DedupRecord record;
  uint64_t since_tick = 0;
  for (it->Seek(part->lower); InRange(it, format::kTagDedup); it->Next()) {
    if (!DedupValue::Decode(it->value().ToStringView(), &v) || v.index >= size) {
      part->bad = true;
      break;
    }
    part->digest.Add(sha.Of(record.OfIndex(it->key().ToStringView(), it->value().ToStringView())));
    ++part->count;
    if (++since_tick == kTickEvery) {
      since_tick = 0;
      if (shared->DedupMoot()) return;  // not done: it does not count
      if (tick) tick();
    }
  }
  part->done = true;
}

}  // namespace gpuledger::verify_internal
