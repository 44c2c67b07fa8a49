#include "consumers/projections/projection_store.h"

#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>

#include "consumers/projections/projection_format.h"

namespace gpuledger::proj {

Result<std::unique_ptr<Store>> Store::Open(const std::string& path) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.compression = rocksdb::kLZ4Compression;
  options.write_buffer_size = 64u << 20;
  options.max_open_files = 512;  // a bound on file handles, whatever the history
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(64u << 20);  // bounded memory
  // Most point reads (month sums, cells, live ids) are of keys absent from most files: a
  // Bloom filter keeps their cost from growing with the number of files, i.e. with history.
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, path, &raw);
  if (!s.ok()) return Status::IOError("cannot open projections at " + path + ": " + s.ToString());
  return std::unique_ptr<Store>(new Store(std::unique_ptr<rocksdb::DB>(raw)));
}

Status Store::Destroy(const std::string& path) {
  rocksdb::Status s = rocksdb::DestroyDB(path, rocksdb::Options());
  if (!s.ok()) return Status::IOError("cannot drop projections at " + path + ": " + s.ToString());
  return Status::Ok();
}

Result<std::optional<std::string>> Store::Get(std::string_view key) const {
  auto it = staged_.find(key);
  if (it != staged_.end()) return it->second;
  std::string value;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  // RocksDB's Corruption (a checksum) is a real mismatch; anything else is the disk's.
  if (!s.ok() && s.IsCorruption()) return Status::Corruption("projections read: " + s.ToString());
  if (!s.ok()) return Status::IOError("projections read: " + s.ToString());
  return std::optional<std::string>(std::move(value));
}

void Store::Put(std::string_view key, std::string_view value) {
  staged_bytes_ += key.size() + value.size();
  auto it = staged_.lower_bound(key);
  if (it != staged_.end() && it->first == key) {
    it->second = std::string(value);
  } else {
    staged_.emplace_hint(it, std::string(key), std::string(value));
  }
}

void Store::Delete(std::string_view key) {
  staged_bytes_ += key.size();
  auto it = staged_.lower_bound(key);
  if (it != staged_.end() && it->first == key) {
    it->second = std::nullopt;
  } else {
    staged_.emplace_hint(it, std::string(key), std::nullopt);
  }
}

// Merges the staged map with RocksDB over [lower, upper): a staged key hides the stored one.
Status Store::Scan(
    std::string_view lower, std::string_view upper,
    const std::function<bool(std::string_view key, std::string_view value)>& fn) const {
  rocksdb::Slice upper_slice(upper.data(), upper.size());
  rocksdb::ReadOptions options;
  if (!upper.empty()) options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options));
  it->Seek(rocksdb::Slice(lower.data(), lower.size()));
  auto staged = staged_.lower_bound(lower);
  auto staged_end = upper.empty() ? staged_.end() : staged_.lower_bound(upper);
  for (;;) {
    const bool db_ok = it->Valid();
    const bool staged_ok = staged != staged_end;
    if (!db_ok && !staged_ok) break;
    std::string_view db_key = db_ok ? std::string_view(it->key().data(), it->key().size()) : "";
    if (staged_ok && (!db_ok || staged->first <= db_key)) {
      if (db_ok && staged->first == db_key) it->Next();  // hidden by the staged value
      const auto& [key, value] = *staged++;
      if (value && !fn(key, *value)) break;
      continue;
    }
    if (!fn(db_key, std::string_view(it->value().data(), it->value().size()))) break;
    it->Next();
  }
  if (!it->status().ok()) return Status::IOError("projections scan: " + it->status().ToString());
  return Status::Ok();
}

Status Store::ScanPrefix(
    std::string_view prefix,
    const std::function<bool(std::string_view key, std::string_view value)>& fn) const {
  return Scan(prefix, PrefixEnd(std::string(prefix)), fn);
}

size_t Store::staged_bytes() const { return staged_bytes_; }

Status Store::Commit(bool sync) {
  rocksdb::WriteBatch batch;
  for (const auto& [key, value] : staged_) {
    rocksdb::Status s = value ? batch.Put(key, *value) : batch.Delete(key);
    if (!s.ok()) return Status::IOError("projections batch: " + s.ToString());
  }
  rocksdb::WriteOptions options;
  options.sync = sync;
  rocksdb::Status s = db_->Write(options, &batch);
  Abandon();
  if (!s.ok()) return Status::IOError("projections write: " + s.ToString());
  return Status::Ok();
}

void Store::Abandon() {
  staged_.clear();
  staged_bytes_ = 0;
}

}  // namespace gpuledger::proj
