#include "gpuledger/ledger.h"

#include <rocksdb/filter_policy.h>
#include <rocksdb/perf_level.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>

#include <bit>
#include <cstring>
#include <ctime>

#include "gpuledger/assert.h"
#include "gpuledger/cloudevents_kafka.h"
#include "ledger/store/ledger_format.h"
#include "ledger/store/ledger_impl.h"
#include "ledger/store/rocks_status.h"

namespace gpuledger {
namespace {

rocksdb::Options MakeRocksOptions(const LedgerOptions& o) {
  rocksdb::Options options;
  options.create_if_missing = o.create_if_missing;
  options.write_buffer_size = o.write_buffer_bytes;
  options.max_open_files = 512;
  options.keep_log_file_num = 4;
  // LZ4 (cheaper than snappy to write and read) where data settles; L0 and L1, which every
  // freshly ingested byte passes through and compaction soon rewrites, stay uncompressed:
  // compressing them cost about a tenth of the ingest CPU for no lasting saving.
  options.compression = rocksdb::kLZ4Compression;
  options.compression_per_level = {rocksdb::kNoCompression,  rocksdb::kNoCompression,
                                   rocksdb::kLZ4Compression, rocksdb::kLZ4Compression,
                                   rocksdb::kLZ4Compression, rocksdb::kLZ4Compression,
                                   rocksdb::kLZ4Compression};
  // Dedup lookups of new ids miss: a whole-key bloom filter in the memtable answers them
  // without walking the skip list.
  options.memtable_whole_key_filtering = true;
  options.memtable_prefix_bloom_size_ratio = 0.05;
  // A batch interleaves several key ranges (entries, hashes, nodes, dedup, state): with a
  // hint per one-byte tag, each range's sequential inserts skip the skip-list search.
  options.memtable_insert_with_hint_prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(1));
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(o.block_cache_bytes);
  // Dedup and state lookups are mostly misses: a bloom filter keeps them off the disk.
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  // Partitioned index and filters, cached in small blocks: memory stays bounded by the
  // block cache however large the ledger grows, and no single filter block outgrows a
  // cache shard (which made every lookup re-read it from disk).
  table.index_type = rocksdb::BlockBasedTableOptions::IndexType::kTwoLevelIndexSearch;
  table.partition_filters = true;
  table.metadata_block_size = 4096;
  table.cache_index_and_filter_blocks = true;
  table.cache_index_and_filter_blocks_with_high_priority = true;
  table.pin_top_level_index_and_filter = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

Result<std::optional<uint64_t>> ReadU64(rocksdb::DB* db, const std::string& key) {
  std::string v;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), key, &v);
  if (s.IsNotFound()) return std::optional<uint64_t>();
  if (!s.ok()) return FromRocks(s, "meta value " + key.substr(1));
  if (v.size() != 8) return Status::Corruption("meta value " + key.substr(1) + " is not 8 bytes");
  return std::optional<uint64_t>(format::GetU64(v.data()));
}

}  // namespace

std::string_view OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kAccepted:
      return "accepted";
    case Outcome::kDuplicate:
      return "duplicate";
    case Outcome::kRejected:
      return "rejected";
  }
  return "unknown";
}

void IntakeCounts::Add(const Judgement& j) {
  switch (j.outcome) {
    case Outcome::kAccepted:
      ++accepted;
      break;
    case Outcome::kDuplicate:
      ++duplicate;
      break;
    case Outcome::kRejected:
      ++rejected;
      ++rejected_by_reason[std::string(j.reason)];
      break;
  }
}

void IntakeCounts::Add(const IntakeCounts& other) {
  accepted += other.accepted;
  duplicate += other.duplicate;
  rejected += other.rejected;
  for (const auto& [reason_code, n] : other.rejected_by_reason) {
    rejected_by_reason[reason_code] += n;
  }
}

std::string Status::ToString() const {
  static constexpr const char* kNames[] = {"OK", "Invalid argument", "Not found", "Corruption",
                                           "I/O error"};
  if (ok()) return "OK";
  return std::string(kNames[static_cast<int>(code_)]) + ": " + message_;
}

int64_t Ledger::Impl::Now() const {
  return options.now_seconds ? options.now_seconds() : static_cast<int64_t>(std::time(nullptr));
}

Status Ledger::Impl::ReadHashes(uint64_t index, Hash256* leaf, Hash256* chain) const {
  std::string v;
  rocksdb::Status s =
      db->Get(rocksdb::ReadOptions(), format::IndexKey(format::kTagHashes, index), &v);
  if (!s.ok()) return RequiredKeyFailure(s, "hashes of entry " + std::to_string(index));
  if (v.size() != format::kHashesValueBytes) {
    return Status::Corruption("hashes of entry " + std::to_string(index) + " are not 64 bytes");
  }
  if (leaf) std::memcpy(leaf->data(), v.data(), kSha256Bytes);
  if (chain) std::memcpy(chain->data(), v.data() + kSha256Bytes, kSha256Bytes);
  return Status::Ok();
}

Result<Hash256> Ledger::Impl::ReadLeaf(uint64_t index) const {
  Hash256 h;
  if (Status s = ReadHashes(index, &h, nullptr); !s.ok()) return s;
  return h;
}

Result<Hash256> Ledger::Impl::ReadNode(uint8_t level, uint64_t index) const {
  if (level == 0) return ReadLeaf(index);
  std::string v;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), format::NodeKey(level, index), &v);
  if (!s.ok() && !s.IsNotFound()) {
    return FromRocks(
        s, "tree node (level " + std::to_string(level) + ", index " + std::to_string(index) + ")");
  }
  if (!s.ok() || v.size() != kSha256Bytes) {
    return Status::Corruption("tree node (level " + std::to_string(level) + ", index " +
                              std::to_string(index) + ") is missing or not 32 bytes");
  }
  Hash256 h;
  std::memcpy(h.data(), v.data(), h.size());
  return h;
}

// The perfect subtrees of a tree of `size` leaves are the set bits of size, high to low:
// O(log n) reads of stored nodes.
static Result<std::vector<Hash256>> PerfectSubtreeRoots(const Ledger::Impl& impl, uint64_t size) {
  std::vector<Hash256> roots;
  uint64_t start = 0;
  for (int level = 63; level >= 0; --level) {
    uint64_t width = uint64_t{1} << level;
    if ((size & width) == 0) continue;
    auto node = impl.ReadNode(static_cast<uint8_t>(level), start >> level);
    if (!node.ok()) return node.status();
    roots.push_back(node.value());
    start += width;
  }
  return roots;
}

Status Ledger::Impl::LoadFrontierAndChain(LedgerTip* tip) const {
  auto roots = PerfectSubtreeRoots(*this, tip->size);
  if (!roots.ok()) return roots.status();
  tip->frontier = MerkleFrontier(tip->size, std::move(roots.value()));
  if (tip->size == 0) return Status::Ok();
  return ReadHashes(tip->size - 1, nullptr, &tip->chain);
}

Status Ledger::Impl::LoadSideChain(char tag, uint64_t count, Hash256* chain) const {
  *chain = Hash256{};
  if (count == 0) return Status::Ok();
  std::string v;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), format::IndexKey(tag, count - 1), &v);
  if (!s.ok() && !s.IsNotFound()) return FromRocks(s, "side record " + std::to_string(count - 1));
  if (!s.ok() || v.size() < format::kSideChainBytes) {
    return Status::Corruption(std::string(tag == format::kTagReject ? "reject" : "duplicate") +
                              " record " + std::to_string(count - 1) + " is missing");
  }
  std::memcpy(chain->data(), v.data() + v.size() - format::kSideChainBytes,
              format::kSideChainBytes);
  return Status::Ok();
}

Result<std::string> Ledger::Impl::ReadSideRecord(char tag, uint64_t seq) const {
  std::string v;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), format::IndexKey(tag, seq), &v);
  if (!s.ok()) return RequiredKeyFailure(s, "side record " + std::to_string(seq));
  if (v.size() < format::kSideChainBytes) {
    return Status::Corruption("side record " + std::to_string(seq) +
                              " is shorter than its chain hash");
  }
  v.resize(v.size() - format::kSideChainBytes);
  return v;
}

Status Ledger::Impl::LoadTip() {
  auto version = ReadU64(db.get(), format::MetaKey(format::kMetaVersion));
  if (!version.ok()) return version.status();
  if (version.value() && *version.value() != format::kFormatVersion) {
    return Status::Corruption("ledger format version " + std::to_string(*version.value()) +
                              " is not the supported " + std::to_string(format::kFormatVersion));
  }
  LedgerTip tip;
  for (auto [name, out] : {std::pair{format::kMetaSize, &tip.size},
                           {format::kMetaRejects, &tip.rejects},
                           {format::kMetaDuplicates, &tip.duplicates}}) {
    auto v = ReadU64(db.get(), format::MetaKey(name));
    if (!v.ok()) return v.status();
    *out = v.value().value_or(0);
  }
  Status loaded = LoadFrontierAndChain(&tip);
  if (loaded.ok()) loaded = LoadSideChain(format::kTagReject, tip.rejects, &tip.reject_chain);
  if (loaded.ok())
    loaded = LoadSideChain(format::kTagDuplicate, tip.duplicates, &tip.duplicate_chain);
  if (!loaded.ok()) {
    if (!options.read_only) return loaded;
    tip_problem = loaded.message();
  }
  if (!version.value() && (tip.size > 0 || tip.rejects > 0 || tip.duplicates > 0)) {
    return Status::Corruption("the ledger's format version record is missing");
  }
  // Read back: the frontier was rebuilt from one stored root per set bit of the size.
  GPULEDGER_ASSERT(!tip_problem.empty() || tip.frontier.size() == tip.size,
                   "the loaded frontier covers " + std::to_string(tip.frontier.size()) +
                       " entries, the stored size is " + std::to_string(tip.size));
  committed = tip;
  inflight = tip;
  working = tip;
  return Status::Ok();
}

Result<std::unique_ptr<Ledger>> Ledger::Open(const std::string& dir, const LedgerOptions& options) {
  // RocksDB's per-operation counters cost a thread-local lookup on every key comparison;
  // nothing here reads them.
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  rocksdb::Options rocks = MakeRocksOptions(options);
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = options.read_only ? rocksdb::DB::OpenForReadOnly(rocks, dir, &raw)
                                        : rocksdb::DB::Open(rocks, dir, &raw);
  if (!s.ok()) return Status::IOError("cannot open ledger at " + dir + ": " + s.ToString());
  impl->db.reset(raw);
  impl->state = std::make_unique<StateView>(raw);
  impl->writer = std::make_unique<BatchWriter>(raw);
  if (Status st = impl->LoadTip(); !st.ok()) return st;
  return std::unique_ptr<Ledger>(new Ledger(std::move(impl)));
}

Ledger::Ledger(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Ledger::~Ledger() {
  if (impl_->writer) (void)WaitCommitted();  // a batch handed over is written before closing
  // Flushing the memtable spares every later read-only open (reports, proofs, exports)
  // replaying the write-ahead log: measured at 10M entries, `prove` fell from 270 ms to
  // 25 ms. Best effort: the data is durable in the log either way.
  if (!impl_->options.read_only && impl_->db) (void)impl_->db->Flush(rocksdb::FlushOptions());
}

Result<Judgement> Ledger::Submit(std::string_view message, const Origin& origin,
                                 const std::vector<std::string>* bound_sources) {
  if (impl_->options.read_only) return Status::InvalidArgument("ledger is open read-only");
  PrepareMessage(impl_->prepare, message, origin, impl_->Now(), bound_sources,
                 kStructuredContentType, &impl_->scratch);
  return impl_->Submit(message, origin, impl_->scratch);
}

Result<Judgement> Ledger::Submit(std::string_view message, const Origin& origin,
                                 const Prepared& prepared) {
  if (impl_->options.read_only) return Status::InvalidArgument("ledger is open read-only");
  return impl_->Submit(message, origin, prepared);
}

void Ledger::StageCursor(std::string_view name, std::optional<std::string_view> value) {
  std::string key = format::CursorKey(name);
  if (value) {
    impl_->state->Put(key, *value);
  } else {
    impl_->state->Erase(key);
  }
  impl_->staged_anything = true;
}

size_t Ledger::staged_messages() const { return impl_->staged_messages; }
size_t Ledger::staged_bytes() const { return impl_->staged_bytes; }

Status Ledger::Commit() {
  if (Status s = CommitAsync(); !s.ok()) return s;
  return WaitCommitted();
}

Status Ledger::CommitAsync() {
  Impl& m = *impl_;
  if (!m.staged_anything) return Status::Ok();
  // One batch in flight at a time: the next may only go once this one is durable.
  if (Status s = WaitCommitted(); !s.ok()) return s;
  // The store only grows, and the sizes written below are those the frontier covers.
  GPULEDGER_ASSERT(m.working.size >= m.committed.size && m.working.rejects >= m.committed.rejects &&
                       m.working.duplicates >= m.committed.duplicates,
                   "a batch would shrink the ledger from " + std::to_string(m.committed.size) +
                       " to " + std::to_string(m.working.size) + " entries");
  GPULEDGER_ASSERT(m.working.frontier.size() == m.working.size,
                   "the frontier covers " + std::to_string(m.working.frontier.size()) +
                       " entries, the batch writes size " + std::to_string(m.working.size));
  rocksdb::WriteBatch* batch = m.state->batch();
  std::string u64;
  for (auto [name, value] : {std::pair{format::kMetaSize, m.working.size},
                             {format::kMetaRejects, m.working.rejects},
                             {format::kMetaDuplicates, m.working.duplicates},
                             {format::kMetaVersion, uint64_t{format::kFormatVersion}}}) {
    u64.clear();
    format::PutU64(&u64, value);
    batch->Put(format::MetaKey(name), u64);
  }
  m.inflight = m.working;
  m.writer->Start(m.state->BeginInflight(), m.options.sync_writes);
  m.staged_messages = m.staged_bytes = 0;
  m.staged_anything = false;
  return Status::Ok();
}

Status Ledger::WaitCommitted() {
  Impl& m = *impl_;
  if (!m.writer->in_flight()) return Status::Ok();
  Status s = m.writer->Wait();
  m.state->InflightDone(s.ok());
  if (!s.ok()) {
    // What was staged since was judged on top of the failed batch: it goes too.
    Abandon();
    return s;
  }
  GPULEDGER_ASSERT(m.inflight.size >= m.committed.size, "a durable batch shrank the ledger");
  m.committed = m.inflight;
  return Status::Ok();
}

void Ledger::Abandon() {
  impl_->working = impl_->writer->in_flight() ? impl_->inflight : impl_->committed;
  impl_->state->Clear();
  impl_->staged_messages = impl_->staged_bytes = 0;
  impl_->staged_anything = false;
}

Result<std::optional<std::string>> Ledger::GetCursor(std::string_view name) const {
  return impl_->state->Get(format::CursorKey(name));
}

Result<std::vector<std::pair<std::string, std::string>>> Ledger::ListCursors(
    std::string_view prefix, size_t limit) const {
  const std::string start = format::CursorKey(prefix);
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(rocksdb::ReadOptions()));
  std::vector<std::pair<std::string, std::string>> out;
  for (it->Seek(start); it->Valid() && out.size() < limit; it->Next()) {
    std::string_view key(it->key().data(), it->key().size());
    if (!key.starts_with(start)) break;
    out.emplace_back(std::string(key.substr(1)), it->value().ToString());
  }
  if (!it->status().ok()) return FromRocks(it->status(), "listing cursors");
  return out;
}

uint64_t Ledger::size() const { return impl_->committed.size; }
std::function<int64_t()> Ledger::clock() const { return impl_->options.now_seconds; }

LedgerStats Ledger::stats() const {
  LedgerStats s;
  s.entries = impl_->committed.size;
  s.rejects = impl_->committed.rejects;
  s.duplicates = impl_->committed.duplicates;
  s.root = impl_->committed.frontier.Root(impl_->sha);
  s.chain_head = impl_->committed.chain;
  return s;
}

Result<Hash256> Ledger::RootAt(uint64_t tree_size) const {
  if (tree_size > impl_->committed.size) {
    return Status::InvalidArgument("tree size " + std::to_string(tree_size) +
                                   " exceeds the ledger size " +
                                   std::to_string(impl_->committed.size));
  }
  auto roots = PerfectSubtreeRoots(*impl_, tree_size);
  if (!roots.ok()) return roots.status();
  return RootFromPerfectSubtrees(impl_->sha, roots.value());
}

Result<EntryView> Ledger::ReadEntry(uint64_t index) const {
  auto stored = ReadStored(index);
  if (!stored.ok()) return stored.status();
  auto view = DecodeEntry(stored.value());
  if (!view.ok()) return view.status();
  view->index = index;
  // A damaged hashes record leaves them zero: log/show still print the entry (verify judges).
  (void)impl_->ReadHashes(index, &view->leaf_hash, &view->chain_hash);
  return view;
}

Result<std::optional<uint64_t>> Ledger::IndexOf(std::string_view source,
                                                std::string_view id) const {
  std::string v;
  rocksdb::Status s = impl_->db->Get(rocksdb::ReadOptions(), format::DedupKey(source, id), &v);
  if (s.IsNotFound()) return std::optional<uint64_t>();
  if (!s.ok()) return FromRocks(s, "dedup index");
  DedupValue value;
  if (!DedupValue::Decode(v, &value) || value.index >= impl_->committed.size) {
    return Status::Corruption("dedup record of (" + std::string(source) + ", " + std::string(id) +
                              ")");
  }
  return std::optional<uint64_t>(value.index);
}

Result<std::string> Ledger::ReadStored(uint64_t index) const {
  if (index >= impl_->committed.size) return Status::NotFound("no entry " + std::to_string(index));
  std::string v;
  rocksdb::Status s =
      impl_->db->Get(rocksdb::ReadOptions(), format::IndexKey(format::kTagEntry, index), &v);
  if (!s.ok()) return RequiredKeyFailure(s, "entry " + std::to_string(index));
  return v;
}

Status Ledger::ScanEntries(
    uint64_t first, uint64_t end,
    const std::function<Result<bool>(uint64_t index, std::string_view stored)>& fn) const {
  end = std::min(end, impl_->committed.size);
  if (first >= end) return Status::Ok();
  const std::string lower = format::IndexKey(format::kTagEntry, first);
  const std::string upper = format::IndexKey(format::kTagEntry, end);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions options;
  options.iterate_upper_bound = &upper_slice;
  options.readahead_size = 2u << 20;  // sequential: read ahead rather than block by block
  options.fill_cache = false;         // a scan must not evict what intake keeps hot
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(options));
  uint64_t expect = first;
  for (it->Seek(lower); it->Valid(); it->Next()) {
    rocksdb::Slice key = it->key();
    if (key.size() != format::kIndexKeyBytes || key[0] != format::kTagEntry ||
        format::GetU64(key.data() + 1) != expect) {
      return Status::Corruption("entry " + std::to_string(expect) + " is missing");
    }
    auto more = fn(expect, std::string_view(it->value().data(), it->value().size()));
    if (!more.ok()) return more.status();
    ++expect;
    if (!more.value()) return Status::Ok();  // the caller has what it wants
  }
  if (!it->status().ok()) return FromRocks(it->status(), "reading entries");
  if (expect != end) return Status::Corruption("entry " + std::to_string(expect) + " is missing");
  return Status::Ok();
}

Result<RejectView> Ledger::ReadReject(uint64_t seq) const {
  if (seq >= impl_->committed.rejects) return Status::NotFound("no reject " + std::to_string(seq));
  auto record = impl_->ReadSideRecord(format::kTagReject, seq);
  if (!record.ok()) return record.status();
  return DecodeReject(record.value());
}

Result<DuplicateView> Ledger::ReadDuplicate(uint64_t seq) const {
  if (seq >= impl_->committed.duplicates)
    return Status::NotFound("no duplicate " + std::to_string(seq));
  auto record = impl_->ReadSideRecord(format::kTagDuplicate, seq);
  if (!record.ok()) return record.status();
  return DecodeDuplicate(record.value());
}

}  // namespace gpuledger
