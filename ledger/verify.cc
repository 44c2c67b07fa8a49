// Ledger::Verify: recompute every leaf from the stored entry bytes, the hash chain, every
// stored tree node and the root, and check the dedup index, the intake state (replayed)
// and the side records (rejects, duplicates).
//
// The work is cut into independent jobs and run on two threads (the caller's and one
// worker): the machine verify is measured on has two cores, and its floor (bare SHA-256
// over the entry bytes, tools/bench_ingest.cc) is single-threaded, so using both cores is
// fair; with one thread (tiny ledgers, or a worker that cannot be started) the very same
// jobs run one after the other on the caller's thread.
//
//  - Entry chunks: [begin, end) ranges of entry indexes, each scanned with its own E, H and
//    N iterators. A chunk after the first starts from the *stored* chain hash of entry
//    begin-1 and the *stored* roots of the perfect subtrees left of begin (O(log n) point
//    reads). That gives the same answer as one sequential pass: if every earlier chunk
//    passes, those stored values equal the recomputed ones (they were all checked), and if
//    an earlier chunk fails, its failure is the first one and later chunks do not count.
//    Chunk boundaries are multiples of a power of two, so each chunk's first node is where
//    the previous chunk's node scan would have stopped.
//  - Dedup parts: the dedup index's key range cut at sampled keys; their digests add up.
//
// The intake state replay (StateReplay) needs the entries in index order: chunks note the
// entries that make state (a small minority: contracts, allocations, closed months, voids),
// with their bytes up to a bound, and the caller's thread replays them in order at the end.
// Then the dedup, state and side-record checks run as in a single pass.
//
// Hashing goes through VerifySha256 (ledger/verify_sha256.h, OpenSSL), one per thread.
//
// Every scan is sequential and memory is bounded whatever the ledger's size: O(log n) per
// job plus at most kStateBytesKept per chunk (the replay's indexes, like StateReplay's own
// maps, grow with the state-making entries, not with the entries). All reads go through
// one RocksDB snapshot. The report is the one a single pass in index order would give: the
// first bad index, the same problem wording, the same counts.
#include <rocksdb/db.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cassert>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ledger/ledger_format.h"
#include "ledger/ledger_impl.h"
#include "ledger/verify_sha256.h"
#include "ledger/verify_side.h"

namespace gpuledger {
namespace {

constexpr uint64_t kProgressEveryEntries = 1 << 16;
// How often (in entries or records) a job publishes progress and looks for cancellation.
constexpr uint64_t kTickEvery = 1 << 10;
// Entry chunks: about kTargetChunks per ledger, each a power of two of at least
// kMinChunkEntries entries (so that chunk starts are tree-node boundaries, see above).
constexpr uint64_t kTargetChunks = 16;
constexpr uint64_t kMinChunkEntries = 1 << 14;
// Dedup parts, cut at keys sampled from kDedupSamples entries.
constexpr size_t kDedupParts = 8;
constexpr size_t kDedupSamples = 32;
// Sequential scans read ahead this much per table file. 256 KiB measured best: larger
// buffers cost more in page faults and copies than they save in reads.
constexpr size_t kReadaheadBytes = 256u << 10;
// Bytes of state-making entries a chunk keeps for the replay; beyond, it keeps their
// indexes and the replay reads them again.
constexpr size_t kStateBytesKept = 1u << 20;

constexpr uint64_t kNoChunk = std::numeric_limits<uint64_t>::max();

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
    assert(std::string_view(buf_).substr(sizeof(key_size) + key_size) ==
           (DedupValue{index, f.content_sha256, f.type, std::string(f.key)}.Encode()));
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
rocksdb::ReadOptions ScanOptions(const rocksdb::Snapshot* snapshot,
                                 const rocksdb::Slice* upper = nullptr) {
  rocksdb::ReadOptions options;
  options.fill_cache = false;
  options.readahead_size = kReadaheadBytes;
  options.snapshot = snapshot;
  options.iterate_upper_bound = upper;
  return options;
}

rocksdb::ReadOptions PointOptions(const rocksdb::Snapshot* snapshot) {
  rocksdb::ReadOptions options;
  options.snapshot = snapshot;
  return options;
}

bool InRange(const IteratorPtr& it, char tag) {
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
  bool Fail(uint64_t index, std::string problem) {
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
  // Notes entry i for the state replay if it can make intake state: StateReplay::Apply acts
  // on contract registrations, allocation grants, closed months and voids; capacity, usage
  // and release events make none (keep this in step with it).
  void NoteStateEntry(const EntryKeyFields& fields, uint64_t i, std::string_view bytes) {
    if (fields.type == EventType::kUsageReported || fields.type == EventType::kCapacityReported ||
        fields.type == EventType::kAllocationReleased) {
      return;
    }
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
    if (!db_->Get(read, key.slice(), &value).ok() || value.size() != format::kHashBytes)
      return false;
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
    return Fail(i,
                "the stored leaf and chain hashes of entry " + std::to_string(i) + " are missing");
  }
  const char* stored = hashes_->value().data();
  if (std::memcmp(stored, leaf.data(), 32) != 0) {
    return Fail(i, "leaf hash recomputed from the stored bytes of entry " + std::to_string(i) +
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
    return Fail(i, "chain hash of entry " + std::to_string(i) + " disagrees with chain[" +
                       std::to_string(i) + "-1] and the leaf");
  }
  EntryKeyFields fields;
  if (Status s = PeekEntry(bytes, &fields); !s.ok()) return Fail(i, s.message());
  AddDedupRecord(fields, i);
  NoteStateEntry(fields, i, bytes);
  auto check_node = [&](uint8_t level, uint64_t index, const Hash256& hash) {
    const NodeKeyBuf node_key(level, index);
    if (!InRange(nodes_, format::kTagNode) || nodes_->key().ToStringView() != node_key.view()) {
      chunk_->failed_at_nodes = true;
      return Fail(i, "tree node (level " + std::to_string(level) + ", index " +
                         std::to_string(index) + ") completed by entry " + std::to_string(i) +
                         " is missing");
    }
    if (nodes_->value().ToStringView() !=
        std::string_view(reinterpret_cast<const char*>(hash.data()), hash.size())) {
      chunk_->failed_at_nodes = true;
      return Fail(i, "tree node (level " + std::to_string(level) + ", index " +
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
        Fail(i, "entry " + std::to_string(i) + " is missing");
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

// Scans one part of the dedup index.
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

class Verifier {
 public:
  Verifier(const Ledger::Impl& impl, VerifyReport* report)
      : impl_(impl), report_(report), replay_(impl) {}
  ~Verifier() {
    if (snapshot_ != nullptr) impl_.db->ReleaseSnapshot(snapshot_);
  }
  Status Run(const ProgressFn& progress);

 private:
  bool Fail(uint64_t index, std::string problem) {
    report_->ok = false;
    report_->bad_index = index;
    report_->problem = std::move(problem);
    return false;
  }
  void PlanJobs(bool parallel);
  void AddChunk(uint64_t begin, uint64_t end);
  void AddPart(std::string lower, std::string upper);
  std::vector<std::string> SampleDedupKeys();
  // Runs jobs until none is left. `main` is the caller's thread, which reports progress.
  void RunJobs(bool main);
  void ReportProgress(uint64_t done);
  uint64_t EntriesDone() const { return shared_->entries_done.load(std::memory_order_relaxed); }
  bool RunAll(bool parallel);
  bool Replay(const EntryChunk* failed);
  bool LocateDedupMismatch();

  const Ledger::Impl& impl_;
  VerifyReport* report_;
  const rocksdb::Snapshot* snapshot_ = nullptr;
  const ProgressFn* progress_ = nullptr;
  uint64_t size_ = 0;
  uint64_t next_progress_ = kProgressEveryEntries;
  std::vector<EntryChunk> chunks_;
  std::vector<DedupPart> parts_;
  std::unique_ptr<Shared> shared_;
  std::function<void()> tick_;
  Sha256 sha_;  // for the root
  StateReplay replay_;
};

// The dedup keys of entries spread over the ledger, sorted and distinct: cut points that
// split the index's key range into parts of similar sizes. Best effort: an entry that
// cannot be read is skipped (the entry scan reports it).
std::vector<std::string> Verifier::SampleDedupKeys() {
  std::vector<std::string> keys;
  const rocksdb::ReadOptions read = PointOptions(snapshot_);
  std::string bytes;
  for (size_t j = 1; j < kDedupSamples; ++j) {
    const uint64_t index = size_ / kDedupSamples * j;
    EntryKeyFields f;
    if (!impl_.db->Get(read, IndexKeyBuf(format::kTagEntry, index).slice(), &bytes).ok() ||
        !PeekEntry(bytes, &f).ok()) {
      continue;
    }
    keys.push_back(format::DedupKey(f.source, f.id));
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

void Verifier::PlanJobs(bool parallel) {
  chunks_.clear();
  parts_.clear();
  shared_ = std::make_unique<Shared>();
  if (!parallel) {
    // One pass in index order: exactly the sequential algorithm.
    AddChunk(0, size_);
    AddPart(std::string(1, format::kTagDedup), {});
  } else {
    const uint64_t chunk_entries = std::max(kMinChunkEntries, std::bit_ceil(size_ / kTargetChunks));
    for (uint64_t begin = 0; begin < size_; begin += chunk_entries) {
      const uint64_t end = std::min(size_, begin + chunk_entries);
      AddChunk(begin, end);
    }
    std::vector<std::string> samples = SampleDedupKeys();
    std::string lower(1, format::kTagDedup);
    for (size_t p = 1; p < kDedupParts && !samples.empty(); ++p) {
      const std::string& cut = samples[samples.size() * p / kDedupParts];
      if (cut <= lower) continue;
      AddPart(lower, cut);
      lower = cut;
    }
    AddPart(lower, {});
  }
}

void Verifier::AddChunk(uint64_t begin, uint64_t end) {
  EntryChunk& c = chunks_.emplace_back();
  c.begin = begin;
  c.end = end;
  c.last = end == size_;
}

void Verifier::AddPart(std::string lower, std::string upper) {
  DedupPart& p = parts_.emplace_back();
  p.lower = std::move(lower);
  p.upper = std::move(upper);
}

// Reports every multiple of kProgressEveryEntries up to `done` not reported yet, in order,
// on the caller's thread (the callback need not be thread-safe).
void Verifier::ReportProgress(uint64_t done) {
  if (!*progress_) return;
  while (next_progress_ <= done && next_progress_ <= size_) {
    (*progress_)(next_progress_, size_);
    next_progress_ += kProgressEveryEntries;
  }
}

void Verifier::RunJobs(bool main) {
  VerifySha256 sha;  // per thread: not thread-safe
  const std::function<void()> no_tick;
  const std::function<void()>& tick = main ? tick_ : no_tick;
  const size_t jobs = chunks_.size() + parts_.size();
  for (size_t job; (job = shared_->next_job.fetch_add(1, std::memory_order_relaxed)) < jobs;) {
    if (job < chunks_.size()) {
      if (shared_->ChunkMoot(job)) continue;
      ChunkScanner(impl_.db.get(), snapshot_, size_, sha)
          .Run(job, &chunks_[job], shared_.get(), tick);
    } else {
      if (shared_->DedupMoot()) continue;
      ScanDedupPart(impl_.db.get(), snapshot_, size_, sha, &parts_[job - chunks_.size()],
                    shared_.get(), tick);
    }
  }
}

// Plans and runs every job, on two threads if `parallel` and a worker can be started.
// False if the parallel run went wrong in a way only a sequential run can sort out.
bool Verifier::RunAll(bool parallel) {
  PlanJobs(parallel);
  std::thread worker;
  std::mutex mutex;
  std::condition_variable worker_finished;
  bool finished = false;
  bool worker_failed = false;
  if (parallel) {
    try {
      worker = std::thread([&] {
        bool ok = true;
        try {
          RunJobs(false);
        } catch (...) {
          ok = false;
          shared_->NoteFailedChunk(0);  // stop the other thread early: this run is discarded
        }
        std::lock_guard<std::mutex> lock(mutex);
        worker_failed = !ok;
        finished = true;
        worker_finished.notify_one();
      });
    } catch (...) {
      // No worker (std::system_error or bad_alloc): the caller's thread runs every job.
    }
  }
  try {
    RunJobs(true);
  } catch (...) {
    if (worker.joinable()) {
      shared_->NoteFailedChunk(0);
      worker.join();
    }
    throw;
  }
  if (worker.joinable()) {
    std::unique_lock<std::mutex> lock(mutex);
    while (!finished) {
      worker_finished.wait_for(lock, std::chrono::milliseconds(100));
      lock.unlock();
      ReportProgress(EntriesDone());
      lock.lock();
    }
    lock.unlock();
    worker.join();
  }
  return !worker_failed;
}

// Replays the state-making entries in index order, up to where a single pass would have
// stopped: before the failing entry of `failed`, or through it if its tree nodes failed
// (the replay's turn comes before theirs). False (report filled) if an entry fails it.
bool Verifier::Replay(const EntryChunk* failed) {
  IteratorPtr entries;  // for the entries whose bytes were not kept
  static constexpr char kAfterEntries = format::kTagEntry + 1;
  const rocksdb::Slice entries_upper(&kAfterEntries, 1);
  std::string problem;
  for (const EntryChunk& c : chunks_) {
    for (const EntryChunk::StateEntry& e : c.state_entries) {
      if (&c == failed && (e.index > failed->failure->index ||
                           (e.index == failed->failure->index && !failed->failed_at_nodes))) {
        return true;
      }
      std::string_view bytes;
      if (e.kept) {
        bytes = std::string_view(c.state_bytes).substr(e.offset, e.size);
      } else {
        const IndexKeyBuf key(format::kTagEntry, e.index);
        if (!entries) entries.reset(impl_.db->NewIterator(ScanOptions(snapshot_, &entries_upper)));
        // Step forward to a nearby entry, seek to a far one.
        for (int steps = 0;
             steps < 16 && entries->Valid() && entries->key().compare(key.slice()) < 0; ++steps) {
          entries->Next();
        }
        if (!entries->Valid() || entries->key().compare(key.slice()) != 0)
          entries->Seek(key.slice());
        if (!entries->Valid() || entries->key().ToStringView() != key.view()) {
          // The chunk read it from the same snapshot: only an I/O error gets here.
          return Fail(e.index, "entry " + std::to_string(e.index) + " is missing");
        }
        bytes = entries->value().ToStringView();
      }
      if (!replay_.Apply(e.index, bytes, &problem)) {
        // A single pass stops here: every entry before this one passed every check.
        report_->entries_checked = e.index;
        report_->nodes_checked = e.index - std::popcount(e.index);
        return Fail(e.index, problem);
      }
    }
    if (&c == failed) break;
  }
  return true;
}

// Slow path, only after the digests disagree: look every entry up in the index.
bool Verifier::LocateDedupMismatch() {
  const rocksdb::ReadOptions read = PointOptions(snapshot_);
  for (uint64_t i = 0; i < size_; ++i) {
    std::string bytes, value;
    rocksdb::Status s = impl_.db->Get(read, format::IndexKey(format::kTagEntry, i), &bytes);
    EntryKeyFields f;
    if (!s.ok() || !PeekEntry(bytes, &f).ok()) {
      return Fail(i, "entry " + std::to_string(i) + " cannot be read");
    }
    s = impl_.db->Get(read, format::DedupKey(f.source, f.id), &value);
    if (!s.ok()) return Fail(i, "the dedup index has no record of entry " + std::to_string(i));
    if (value != DedupValue{i, f.content_sha256, f.type, std::string(f.key)}.Encode()) {
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
  progress_ = &progress;
  tick_ = [this] { ReportProgress(EntriesDone()); };
  snapshot_ = impl_.db->GetSnapshot();  // may be null: each iterator then reads its own

  // Two threads only when there are at least two chunks to share.
  bool parallel = size_ >= 2 * kMinChunkEntries;
  bool usable = RunAll(parallel);
  // The first chunk that did not pass must be a failure; anything else (a chunk that could
  // not start although all before it passed, a worker that threw) means the parallel run
  // is no answer: run again, sequentially.
  const EntryChunk* failed = nullptr;
  if (usable) {
    for (const EntryChunk& c : chunks_) {
      if (c.done && !c.failure) continue;
      if (c.done)
        failed = &c;
      else
        usable = false;
      break;
    }
    if (usable && !failed) {
      for (const DedupPart& p : parts_) usable = usable && p.done;
    }
  }
  if (!usable && parallel) {
    *report_ = VerifyReport{};
    report_->ok = true;
    RunAll(false);
    failed = nullptr;
    for (const EntryChunk& c : chunks_) {
      if (c.failure) failed = &c;
    }
  }

  for (const EntryChunk& c : chunks_) {
    report_->entries_checked += c.entries_checked;
    report_->nodes_checked += c.nodes_checked;
    if (&c == failed) break;
  }
  const bool replayed = Replay(failed);  // may stop before `failed`
  ReportProgress(report_->entries_checked);
  if (!replayed) return Status::Ok();
  if (failed) {
    Fail(failed->failure->index, failed->failure->problem);
    return Status::Ok();
  }
  const EntryChunk& last = chunks_.back();
  if (!last.scan_error.empty()) return Status::IOError("verify scan: " + last.scan_error);
  if (last.tail_failure) {
    Fail(last.tail_failure->index, last.tail_failure->problem);
    return Status::Ok();
  }
  report_->root = RootFromPerfectSubtrees(sha_, last.roots);
  if (!impl_.tip_problem.empty()) {
    Fail(size_ > 0 ? size_ - 1 : 0, "the ledger's tip could not be loaded: " + impl_.tip_problem);
    return Status::Ok();
  }
  if (size_ > 0 && last.chain != impl_.committed.chain) {
    Fail(size_ - 1, "the chain head differs from the one the ledger opened with");
    return Status::Ok();
  }
  // The dedup index: one record per entry, the same records as the entries name.
  Digest256 entry_digest, index_digest;
  uint64_t count = 0;
  bool bad = false;
  for (const EntryChunk& c : chunks_) entry_digest.Add(c.digest);
  for (const DedupPart& p : parts_) {
    index_digest.Add(p.digest);
    count += p.count;
    bad = bad || p.bad;
  }
  if (!bad) report_->dedup_checked = count;
  if (bad || count != size_ || !(index_digest == entry_digest)) {
    if (!LocateDedupMismatch()) return Status::Ok();
  }
  if (!replay_.Compare(report_) ||
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
