// The scanning half of Ledger::Verify (ledger/store/verify.cc): the jobs' shared types, the
// entry-chunk scanner and the dedup-part scan. Private to ledger/verify*.cc.
#pragma once

#include <rocksdb/db.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "ledger/store/ledger_format.h"
#include "ledger/store/ledger_impl.h"
#include "ledger/store/verify_sha256.h"
#include "ledger/store/verify_side.h"

namespace gpuledger::verify_internal {

inline constexpr uint64_t kProgressEveryEntries = 1 << 16;
// How often (in entries or records) a job publishes progress and looks for cancellation.
inline constexpr uint64_t kTickEvery = 1 << 10;
// Entry chunks: about kTargetChunks per ledger, each a power of two of at least
// kMinChunkEntries entries (so that chunk starts are tree-node boundaries, see above).
inline constexpr uint64_t kTargetChunks = 16;
inline constexpr uint64_t kMinChunkEntries = 1 << 14;
// Dedup parts, cut at keys sampled from kDedupSamples entries.
inline constexpr size_t kDedupParts = 8;
inline constexpr size_t kDedupSamples = 32;
// Sequential scans read ahead this much per table file. 256 KiB measured best: larger
// buffers cost more in page faults and copies than they save in reads.
inline constexpr size_t kReadaheadBytes = 256u << 10;
// Bytes of state-making entries a chunk keeps for the replay; beyond, it keeps their
// indexes and the replay reads them again.
inline constexpr size_t kStateBytesKept = 1u << 20;

inline constexpr uint64_t kNoChunk = std::numeric_limits<uint64_t>::max();

using IteratorPtr = std::unique_ptr<rocksdb::Iterator>;

// A 256-bit sum of per-record hashes: equal for the entries' view and the dedup index's
// view exactly when both hold the same records, key and value byte for byte (up to
// SHA-256 collisions). Lets verify check the index in sequential passes; a mismatch is
// then located by point lookups. Being a sum, it adds up across jobs in any order.
struct Digest256 {
  uint64_t limbs[4] = {0, 0, 0, 0};
  void Add(const uint64_t (&other)[4]) {
    uint64_t carry = 0;
    for (int i = 0; i < 4; ++i) {
      uint64_t sum = limbs[i] + other[i];
      uint64_t carry_out = sum < other[i] ? 1 : 0;
      limbs[i] = sum + carry;
      carry = carry_out + (limbs[i] < sum ? 1 : 0);
    }
  }
  void Add(const Hash256& h) {
    uint64_t other[4];
    std::memcpy(other, h.data(), sizeof(other));
    Add(other);
  }
  void Add(const Digest256& d) { Add(d.limbs); }
  bool operator==(const Digest256& o) const {
    return std::memcmp(limbs, o.limbs, sizeof(limbs)) == 0;
  }
};

// Keys built on the stack (the same bytes as format::IndexKey / format::NodeKey).
struct IndexKeyBuf {
  char bytes[format::kIndexKeyBytes];
  IndexKeyBuf(char tag, uint64_t index) {
    bytes[0] = tag;
    for (int i = 0; i < 8; ++i) bytes[1 + i] = static_cast<char>(index >> (56 - 8 * i));
  }
  std::string_view view() const { return {bytes, sizeof(bytes)}; }
  rocksdb::Slice slice() const { return {bytes, sizeof(bytes)}; }
};
struct NodeKeyBuf {
  char bytes[format::kNodeKeyBytes];
  NodeKeyBuf(uint8_t level, uint64_t index) {
    const uint64_t done = format::NodeDoneLeaf(level, index);
    bytes[0] = format::kTagNode;
    for (int i = 0; i < 8; ++i) bytes[1 + i] = static_cast<char>(done >> (56 - 8 * i));
    bytes[9] = static_cast<char>(level);
  }
  std::string_view view() const { return {bytes, sizeof(bytes)}; }
  rocksdb::Slice slice() const { return {bytes, sizeof(bytes)}; }
};

// The input of the per-record hash both views sum: u64 key size (host order) || dedup key
// || dedup value, as stored or as entry i implies it. Built in a reused buffer: no
// allocation per record. The view stays valid until the next call on the same object.
class DedupRecord {
 public:
  // The entries' view: the key from the entry's (source, id), and the value
  // DedupValue{index, content, type, key}.Encode() would give.
  std::string_view OfEntry(uint64_t index, const EntryKeyFields& f) {
    const uint64_t key_size = 1 + 4 + f.id.size() + 4 + f.source.size();
    buf_.assign(reinterpret_cast<const char*>(&key_size), sizeof(key_size));
    buf_.push_back(format::kTagDedup);
    format::PutStr(&buf_, f.id);
    format::PutStr(&buf_, f.source);
    format::PutU64(&buf_, index);
    buf_.append(reinterpret_cast<const char*>(f.content_sha256.data()), f.content_sha256.size());
    buf_.push_back(static_cast<char>(f.type));
    format::PutStr(&buf_, f.key);
    // That this equals DedupValue::Encode() is a test (tests/ledger/verify_scan_test.cc),
    // not a check per record: verify's hot loop does not allocate.
    return buf_;
  }
  // The index's view: the stored key and value.
  std::string_view OfIndex(std::string_view key, std::string_view value) {
    const uint64_t key_size = key.size();
    buf_.assign(reinterpret_cast<const char*>(&key_size), sizeof(key_size));
    buf_.append(key);
    buf_.append(value);
    return buf_;
  }

 private:
  std::string buf_;
};

// Sequential scans: read ahead, keep the block cache for the point lookups of others, and
// stop at `upper` (exclusive) if given.
inline rocksdb::ReadOptions ScanOptions(const rocksdb::Snapshot* snapshot,
                                        const rocksdb::Slice* upper = nullptr) {
  rocksdb::ReadOptions options;
  options.fill_cache = false;
  options.readahead_size = kReadaheadBytes;
  options.snapshot = snapshot;
  options.iterate_upper_bound = upper;
  return options;
}

inline rocksdb::ReadOptions PointOptions(const rocksdb::Snapshot* snapshot) {
  rocksdb::ReadOptions options;
  options.snapshot = snapshot;
  return options;
}

inline bool InRange(const IteratorPtr& it, char tag) {
  return it->Valid() && !it->key().empty() && it->key()[0] == tag;
}

struct Failure {
  uint64_t index = 0;
  std::string problem;
};

// One entry chunk: its range and what scanning it found.
struct EntryChunk {
  uint64_t begin = 0, end = 0;
  bool last = false;  // runs to the ledger's size: also checks the scan status and the tail
  // Outputs.
  bool done = false;      // every entry of the chunk checked (or the chunk failed)
  bool unseeded = false;  // a stored value it starts from is missing (an earlier chunk fails)
  std::optional<Failure> failure;
  bool failed_at_nodes = false;  // the failure is a tree node's: after the state replay's turn
  uint64_t entries_checked = 0;
  uint64_t nodes_checked = 0;
  Digest256 digest;  // of the entries' dedup records
  // Entries that make intake state, in index order, for the replay: the first ones' bytes
  // are kept (`size` bytes at `offset` in state_bytes), the others' are read again.
  struct StateEntry {
    uint64_t index = 0;
    size_t offset = 0, size = 0;
    bool kept = false;
  };
  std::vector<StateEntry> state_entries;
  std::string state_bytes;
  // The last chunk only, after all its entries passed.
  std::string scan_error;               // an iterator's error
  std::optional<Failure> tail_failure;  // something stored beyond the size
  Hash256 chain{};                      // chain hash of the last entry
  std::vector<Hash256> roots;           // perfect-subtree roots, largest first
};

// One part of the dedup index's key range: [lower, upper), upper empty = to the range's end.
struct DedupPart {
  std::string lower, upper;
  // Outputs.
  bool done = false;
  bool bad = false;  // a record that does not decode or names an entry beyond the size
  uint64_t count = 0;
  Digest256 digest;
};

// State shared by the threads running jobs. Job outputs are written only by the thread
// that claimed the job and read after all threads are done (joined).
struct Shared {
  std::atomic<size_t> next_job{0};
  std::atomic<uint64_t> first_failed_chunk{kNoChunk};
  std::atomic<uint64_t> entries_done{0};  // for progress

  void NoteFailedChunk(uint64_t chunk) {
    uint64_t seen = first_failed_chunk.load(std::memory_order_relaxed);
    while (chunk < seen &&
           !first_failed_chunk.compare_exchange_weak(seen, chunk, std::memory_order_relaxed)) {
    }
  }
  // A chunk's outcome does not count once an earlier chunk failed; no dedup part counts
  // once any chunk failed.
  bool ChunkMoot(uint64_t chunk) const {
    return first_failed_chunk.load(std::memory_order_relaxed) < chunk;
  }
  bool DedupMoot() const { return first_failed_chunk.load(std::memory_order_relaxed) != kNoChunk; }
};

// The right edge of the tree being rebuilt (as MerkleFrontier, which it can start from
// stored roots and which calls back without a std::function).
class Frontier {
 public:
  void Reset(uint64_t size, std::vector<Hash256> roots) {
    size_ = size;
    roots_ = std::move(roots);
    roots_.reserve(65);
  }
  // Whether the next leaf completes a node, and the left child of that first node.
  bool next_completes_node() const { return (size_ & 1) != 0; }
  const Hash256& last_root() const { return roots_.back(); }
  // Appends a leaf; calls on_node(level, index, hash) for every node it completes, in
  // increasing level, and stops (returning false) when on_node does. `first_node`, if
  // given, is the hash of the first node completed, already computed.
  template <typename OnNode>
  bool Append(VerifySha256& sha, const Hash256& leaf, const Hash256* first_node, OnNode&& on_node) {
    Hash256 carry = leaf;
    uint8_t level = 0;
    uint64_t index = size_;
    while ((size_ >> level) & 1) {
      carry = level == 0 && first_node != nullptr ? *first_node : sha.Node(roots_.back(), carry);
      roots_.pop_back();
      ++level;
      index >>= 1;
      if (!on_node(level, index, carry)) return false;
    }
    roots_.push_back(carry);
    ++size_;
    return true;
  }
  std::vector<Hash256>& roots() { return roots_; }

 private:
  uint64_t size_ = 0;
  std::vector<Hash256> roots_;
};

// Scans one entry chunk: the hot loop of verify.
class ChunkScanner {
 public:
  ChunkScanner(rocksdb::DB* db, const rocksdb::Snapshot* snapshot, uint64_t size, VerifySha256& sha)
      : db_(db), snapshot_(snapshot), size_(size), sha_(sha) {}

  // `tick` (may be empty) is called every kTickEvery entries on this thread.
  void Run(uint64_t chunk_number, EntryChunk* chunk, Shared* shared,
           const std::function<void()>& tick);

 private:
  bool MarkBad(uint64_t index, std::string problem) {
    chunk_->failure = Failure{index, std::move(problem)};
    return false;
  }
  bool Seed();
  bool EntryAt(uint64_t i) const {
    const IndexKeyBuf key(format::kTagEntry, i);
    return InRange(entries_, format::kTagEntry) && entries_->key().ToStringView() == key.view();
  }
  bool CheckEntry(uint64_t i, std::string_view bytes, const Hash256& leaf);
  // Adds the dedup record of entry i to the chunk's digest.
  void AddDedupRecord(const EntryKeyFields& fields, uint64_t i) {
    chunk_->digest.Add(sha_.Of(dedup_.OfEntry(i, fields)));
  }
  // Notes entry i for the state replay if it can make intake state.
  void NoteStateEntry(const EntryKeyFields& fields, uint64_t i, std::string_view bytes) {
    if (!MakesIntakeState(fields.type)) return;
    EntryChunk::StateEntry& e = chunk_->state_entries.emplace_back();
    e.index = i;
    if (chunk_->state_bytes.size() + bytes.size() <= kStateBytesKept) {
      e.offset = chunk_->state_bytes.size();
      e.size = bytes.size();
      e.kept = true;
      chunk_->state_bytes.append(bytes);
    }
  }

  void CheckTail();

  rocksdb::DB* db_;
  const rocksdb::Snapshot* snapshot_;
  uint64_t size_;
  VerifySha256& sha_;
  DedupRecord dedup_;
  EntryChunk* chunk_ = nullptr;
  IteratorPtr entries_, hashes_, nodes_;
  Frontier frontier_;
  Hash256 chain_{};
};

// Scans one part of the dedup index.
void ScanDedupPart(rocksdb::DB* db, const rocksdb::Snapshot* snapshot, uint64_t size,
                   VerifySha256& sha, DedupPart* part, Shared* shared,
                   const std::function<void()>& tick);

}  // namespace gpuledger::verify_internal
