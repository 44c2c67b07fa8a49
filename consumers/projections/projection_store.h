// The projections' RocksDB with a read-your-writes batch: everything a batch of ledger
// entries changes is staged in an ordered map of final values, read back through it while
// the batch is applied, and written with the applied index as one (synced) WriteBatch.
// A key changed many times in a batch (a month's sums) is written once. Private to
// consumers/. Not thread-safe: one thread at a time.
#pragma once

#include <rocksdb/db.h>

#include <functional>
#include <map>
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
  // writes included, in key order, until fn returns false. fn must not change the store.
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
  explicit Store(std::unique_ptr<rocksdb::DB> db) : db_(std::move(db)) {}
  std::unique_ptr<rocksdb::DB> db_;
  // Staged final values; nullopt: deleted. Bounded by the caller's batch limits.
  std::map<std::string, std::optional<std::string>, std::less<>> staged_;
  size_t staged_bytes_ = 0;  // bytes put or deleted since the last commit
};

}  // namespace gpuledger::proj
