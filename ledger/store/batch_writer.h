// Writes one RocksDB WriteBatch at a time on a thread of its own, so that the intake can
// judge the next batch while this one is written and synced. Private to ledger/.
// Thread-safety: Start/Wait are called by one thread (the intake's); at most one batch is
// in flight. Lifetime: the batch passed to Start must stay valid until Wait returns.
#pragma once

#include <rocksdb/db.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "gpuledger/status.h"

namespace gpuledger {

class BatchWriter {
 public:
  explicit BatchWriter(rocksdb::DB* db) : db_(db) {}
  ~BatchWriter();
  BatchWriter(const BatchWriter&) = delete;
  BatchWriter& operator=(const BatchWriter&) = delete;

  // Starts writing `batch`. If no thread can be started, writes it here and now.
  void Start(rocksdb::WriteBatch* batch, bool sync);
  // Waits for the batch in flight; its status (OK if none was in flight).
  Status Wait();
  bool in_flight() const { return in_flight_; }

 private:
  void Run();

  rocksdb::DB* db_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  rocksdb::WriteBatch* job_ = nullptr;  // guarded by mu_
  bool job_sync_ = true;                // guarded by mu_
  bool done_ = false;                   // guarded by mu_
  bool stop_ = false;                   // guarded by mu_
  rocksdb::Status result_;              // guarded by mu_
  bool in_flight_ = false;              // the intake thread's own view
  bool thread_failed_ = false;
};

}  // namespace gpuledger
