#include "ledger/store/batch_writer.h"

#include <pthread.h>

#include <system_error>

#include "gpuledger/assert.h"

namespace gpuledger {

BatchWriter::~BatchWriter() {
  (void)Wait();
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void BatchWriter::Run() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stop_ || job_ != nullptr; });
    if (job_ == nullptr) return;  // stop_ and nothing left to write
    rocksdb::WriteBatch* batch = job_;
    rocksdb::WriteOptions options;
    options.sync = job_sync_;
    lock.unlock();
    rocksdb::Status s = db_->Write(options, batch);
    lock.lock();
    result_ = s;
    job_ = nullptr;
    done_ = true;
    cv_.notify_all();
  }
}

void BatchWriter::Start(rocksdb::WriteBatch* batch, bool sync) {
  GPULEDGER_ASSERT(!in_flight_, "one batch in flight at a time: Wait() before the next Start()");
  in_flight_ = true;
  if (!thread_.joinable() && !thread_failed_) {
    try {
      thread_ = std::thread([this] {
        pthread_setname_np(pthread_self(), "gl-writer");  // for top -H and perf
        Run();
      });
    } catch (const std::system_error&) {
      thread_failed_ = true;  // write synchronously from now on
    }
  }
  if (thread_failed_) {
    rocksdb::WriteOptions options;
    options.sync = sync;
    std::lock_guard lock(mu_);
    result_ = db_->Write(options, batch);
    done_ = true;
    return;
  }
  {
    std::lock_guard lock(mu_);
    job_ = batch;
    job_sync_ = sync;
    done_ = false;
  }
  cv_.notify_all();
}

Status BatchWriter::Wait() {
  if (!in_flight_) return Status::Ok();
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return done_; });
  in_flight_ = false;
  done_ = false;
  if (!result_.ok()) return Status::IOError("write batch: " + result_.ToString());
  return Status::Ok();
}

}  // namespace gpuledger
