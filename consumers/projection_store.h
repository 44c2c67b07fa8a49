// The projections' RocksDB with a read-your-writes batch: everything a batch of ledger
// entries changes is staged in one WriteBatchWithIndex, read back through it while the
// batch is applied, and written with the applied index as one (synced) WriteBatch.
// Private to consumers/. Not thread-safe: one thread at a time.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/utilities/write_batch_with_index.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "gpuledger/status.h"

namespace gpuledger::proj {

class Store {
 public:
  [[nodiscard]] static Result<std::unique_ptr<Store>> Open(const std::string& path);
  // Removes the store at `path` (nothing to do if there is none).
  [[nodiscard]] static Status Destroy(const std::string& path);

  // The value of `key`, staged or committed; nullopt if absent.
  [[nodiscard]] Result<std::optional<std::string>> Get(std::string_view key) const;
  void Put(std::string_view key, std::string_view value);
  void Delete(std::string_view key);
  // Calls fn(key, value) for every key in [lower, upper) (upper empty: no bound), staged
  // writes included, in key order, until fn returns false.
  [[nodiscard]] Status Scan(
      std::string_view lower, std::string_view upper,
      const std::function<bool(std::string_view key, std::string_view value)>& fn) const;
  // Every key with `prefix`.
  [[nodiscard]] Status ScanPrefix(
      std::string_view prefix,
      const std::function<bool(std::string_view key, std::string_view value)>& fn) const;

  size_t staged_bytes() const;
  // Writes everything staged as one WriteBatch (fsynced if `sync`), then starts afresh.
  [[nodiscard]] Status Commit(bool sync);
  void Abandon();

 private:
  explicit Store(std::unique_ptr<rocksdb::DB> db);
  std::unique_ptr<rocksdb::DB> db_;
  // Mutable: RocksDB's read-through calls on it are not const, though they change nothing.
  mutable rocksdb::WriteBatchWithIndex batch_;
};

}  // namespace gpuledger::proj
