// A read-through overlay of the keys a batch has staged on top of RocksDB, so that the
// intake judges each message against the committed ledger plus everything before it in
// the same batch. Private to ledger/. Not thread-safe.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <map>
#include <unordered_map>
#include <optional>
#include <string>
#include <string_view>

#include "gpuledger/status.h"

namespace gpuledger {

class StateView {
 public:
  explicit StateView(rocksdb::DB* db) : db_(db) {}

  // The value of `key`: staged if staged, else committed; nullopt if absent or erased.
  [[nodiscard]] Result<std::optional<std::string>> Get(std::string_view key) const;
  // Calls `fn(key, value)` for every present key starting with `prefix`, staged values
  // winning over committed ones, in key order. Stops early when fn returns false.
  [[nodiscard]] Status ScanPrefix(std::string_view prefix,
                                  const std::function<bool(std::string_view, std::string_view)>& fn) const;

  void Put(std::string_view key, std::string_view value);
  void Erase(std::string_view key);

  rocksdb::WriteBatch* batch() { return &batch_; }
  size_t staged_keys() const { return staged_.size(); }
  // After the batch was written: what was staged is now committed.
  void Committed();
  // After the batch was abandoned: forget what was staged.
  void Clear();

 private:
  rocksdb::DB* db_;
  rocksdb::WriteBatch batch_;
  // Staged state keys only (entries and nodes go straight into the batch: nobody reads them
  // back within a batch). std::map so that ScanPrefix can merge in key order.
  std::map<std::string, std::optional<std::string>, std::less<>> staged_;
  // Committed values of intake state keys (contracts, allocations, voids, closed months)
  // that were read or written: usage events look the same few allocations up again and
  // again. Exact because this process is the ledger's only writer (RocksDB's lock); bounded
  // by kCacheKeysMax (dropped whole when full). Dedup keys are not cached: they are new.
  static constexpr size_t kCacheKeysMax = 1 << 16;
  mutable std::unordered_map<std::string, std::optional<std::string>> cache_;
};

}  // namespace gpuledger
