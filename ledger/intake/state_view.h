// A read-through overlay of the keys a batch has staged on top of RocksDB, so that the
// intake judges each message against the committed ledger plus everything before it in
// the same batch. Private to ledger/. Not thread-safe.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "gpuledger/status.h"

namespace gpuledger {

class StateView {
 public:
  explicit StateView(rocksdb::DB* db);

  // The value of `key`: staged if staged, else in flight, else committed; nullopt if
  // absent or erased.
  [[nodiscard]] Result<std::optional<std::string>> Get(std::string_view key) const;
  // Whether any present key starts with `prefix` (for key ranges that are never erased).
  [[nodiscard]] Result<bool> AnyWithPrefix(std::string_view prefix) const;

  void Put(std::string_view key, std::string_view value);
  void Erase(std::string_view key);

  rocksdb::WriteBatch* batch() { return &current_->batch; }

  // The staged batch goes in flight (being written by another thread); staging starts
  // afresh on top of it. Requires that nothing is in flight. The batch stays valid until
  // InflightDone().
  rocksdb::WriteBatch* BeginInflight();
  // The in-flight batch was written (`written`: what it staged is now committed) or failed.
  void InflightDone(bool written);
  // Forget what was staged since the last BeginInflight.
  void Clear();

 private:
  // Staged state keys only (entries and nodes go straight into the batch: nobody reads them
  // back within a batch).
  struct Layer {
    rocksdb::WriteBatch batch;
    std::map<std::string, std::optional<std::string>, std::less<>> staged;
  };
  void Remember(const std::string& key, std::optional<std::string> value) const;

  rocksdb::DB* db_;
  std::unique_ptr<Layer> current_;
  std::unique_ptr<Layer> inflight_;  // nullptr when nothing is in flight
  std::unique_ptr<Layer> spare_;
  // Committed values of intake state keys (contracts, allocations, voids, closed months)
  // that were read or written: usage events look the same few allocations up again and
  // again. Exact because this process is the ledger's only writer (RocksDB's lock); bounded
  // by kCacheKeysMax (dropped whole when full). Dedup keys are not cached: they are new.
  static constexpr size_t kCacheKeysMax = 1 << 16;
  mutable std::unordered_map<std::string, std::optional<std::string>> cache_;
};

}  // namespace gpuledger
