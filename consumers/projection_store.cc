#include "consumers/projection_store.h"

#include <rocksdb/options.h>
#include <rocksdb/table.h>

#include "consumers/projection_format.h"

namespace gpuledger::proj {

Store::Store(std::unique_ptr<rocksdb::DB> db)
    : db_(std::move(db)), batch_(rocksdb::BytewiseComparator(), 0, /*overwrite_key=*/true) {}

Result<std::unique_ptr<Store>> Store::Open(const std::string& path) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.compression = rocksdb::kLZ4Compression;
  options.write_buffer_size = 64u << 20;
  options.max_open_files = 512;  // a bound on file handles, whatever the history
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(64u << 20);  // bounded memory
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
  std::string value;
  rocksdb::Status s = batch_.GetFromBatchAndDB(
      db_.get(), rocksdb::ReadOptions(), rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return Status::IOError("projections read: " + s.ToString());
  return std::optional<std::string>(std::move(value));
}

void Store::Put(std::string_view key, std::string_view value) {
  rocksdb::Status s = batch_.Put(rocksdb::Slice(key.data(), key.size()),
                                 rocksdb::Slice(value.data(), value.size()));
  assert(s.ok());
  (void)s;
}

void Store::Delete(std::string_view key) {
  rocksdb::Status s = batch_.Delete(rocksdb::Slice(key.data(), key.size()));
  assert(s.ok());
  (void)s;
}

Status Store::Scan(
    std::string_view lower, std::string_view upper,
    const std::function<bool(std::string_view key, std::string_view value)>& fn) const {
  rocksdb::Slice upper_slice(upper.data(), upper.size());
  rocksdb::ReadOptions options;
  if (!upper.empty()) options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(
      batch_.NewIteratorWithBase(
          db_->NewIterator(options)));
  for (it->Seek(rocksdb::Slice(lower.data(), lower.size())); it->Valid(); it->Next()) {
    std::string_view key(it->key().data(), it->key().size());
    if (!upper.empty() && key >= upper) break;  // staged keys are not bounded by RocksDB
    if (!fn(key, std::string_view(it->value().data(), it->value().size()))) break;
  }
  if (!it->status().ok()) return Status::IOError("projections scan: " + it->status().ToString());
  return Status::Ok();
}

Status Store::ScanPrefix(
    std::string_view prefix,
    const std::function<bool(std::string_view key, std::string_view value)>& fn) const {
  return Scan(prefix, PrefixEnd(std::string(prefix)), fn);
}

size_t Store::staged_bytes() const {
  return batch_.GetWriteBatch()->GetDataSize();
}

Status Store::Commit(bool sync) {
  rocksdb::WriteOptions options;
  options.sync = sync;
  rocksdb::Status s = db_->Write(options, batch_.GetWriteBatch());
  batch_.Clear();
  if (!s.ok()) return Status::IOError("projections write: " + s.ToString());
  return Status::Ok();
}

void Store::Abandon() { batch_.Clear(); }

}  // namespace gpuledger::proj
