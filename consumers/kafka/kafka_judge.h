// The intake side of Kafka ingest: a thread that judges prepared records in order and
// makes each batch durable together with the next offset of every partition it touched.
// Private to consumers/.
//
// Threads: the polling thread (kafka_serve.cc) reads and prepares records and hands them
// over as Work through a bounded WorkQueue; the Judge thread alone uses the Ledger while
// Serve runs. A barrier Work runs a job on the Judge thread once everything handed over
// before it is durable: that is how assignments read the stored offsets and revocations
// make a partition's records durable before it is given up.
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gpuledger/kafka_ingest.h"
#include "gpuledger/ledger.h"

namespace gpuledger::kafka {

using TopicPartition = std::pair<std::string, int32_t>;

struct RecordItem {
  Origin origin;         // kKafka: topic, partition, offset
  std::string message;   // what the intake judges (cloudevents_kafka.h)
  PreparedPtr prepared;  // null for a blank record
};

class Judge;

struct Work {
  enum class Kind { kRecords, kBarrier, kEnd };
  Kind kind = Kind::kRecords;
  std::vector<RecordItem> items;
  size_t bytes = 0;
  // kBarrier: runs on the Judge thread once all earlier work is durable; its status is
  // delivered through `done`.
  std::function<Status(Ledger&, Judge&)> job;
  std::shared_ptr<std::promise<Status>> done;
};

// Bounded hand-over between the polling thread and the Judge thread.
class WorkQueue {
 public:
  static constexpr size_t kDepthMax = 3;
  bool Push(Work work);  // false once cancelled
  // Waits up to `wait` for work; nullopt on timeout (*cancelled false) or once cancelled
  // and empty (*cancelled true).
  std::optional<Work> Pop(std::chrono::milliseconds wait, bool* cancelled);
  void Cancel(const Status& why);
  Status error();  // why it was cancelled (OK if cancelled without an error)

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Work> work_;
  bool cancelled_ = false;
  Status error_;
};

class Judge {
 public:
  // `rk` is used only to commit durable offsets to Kafka (for lag tooling); may be null.
  // With checkpoints, the ledger is signed as it is now (Serve signs at start): counting
  // starts from its size.
  Judge(Ledger& ledger, rd_kafka_t* rk, ServeCheckpoints checkpoints = {})
      : ledger_(ledger),
        rk_(rk),
        checkpoints_(std::move(checkpoints)),
        checkpoint_size_(ledger.size()) {}

  // The thread body: runs until kEnd (after making everything durable) or an error, which
  // cancels the queue.
  void Run(WorkQueue* queue);

  // Barrier jobs: the next offset to expect for a partition (records below it were
  // accounted for already and are skipped).
  void Expect(const TopicPartition& tp, int64_t next_offset);

  ServeStats Snapshot();  // thread-safe

 private:
  Status JudgeRecords(Work& work);
  Status MadeDurable(Status s);  // publishes the batch that just became durable
  void CommitToKafka(const std::map<TopicPartition, int64_t>& offsets);
  // Signs a checkpoint when the policy says it is due (`final`: whenever the ledger grew).
  Status MaybeCheckpoint(bool final);

  Ledger& ledger_;
  rd_kafka_t* rk_;
  std::map<TopicPartition, int64_t> expected_;   // Judge thread only
  std::map<TopicPartition, int64_t> in_flight_;  // offsets of the batch being written
  std::mutex mu_;                                // guards stats_ and durable_
  ServeStats stats_;
  std::map<TopicPartition, int64_t> durable_;
  ServeCheckpoints checkpoints_;  // Judge thread only
  uint64_t checkpoint_size_ = 0;  // the latest checkpoint's size
  std::chrono::steady_clock::time_point checkpoint_time_ = std::chrono::steady_clock::now();
};

}  // namespace gpuledger::kafka
