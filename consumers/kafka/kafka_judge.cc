// The Judge thread of Kafka ingest (kafka_judge.h).
#include "consumers/kafka/kafka_judge.h"

#include "consumers/kafka/rdkafka_handles.h"

namespace gpuledger::kafka {

namespace {
constexpr int kIdleWaitMs = 50;
}  // namespace

bool WorkQueue::Push(Work work) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return cancelled_ || work_.size() < kDepthMax; });
  if (cancelled_) return false;
  work_.push_back(std::move(work));
  cv_.notify_all();
  return true;
}

std::optional<Work> WorkQueue::Pop(std::chrono::milliseconds wait, bool* cancelled) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, wait, [&] { return cancelled_ || !work_.empty(); });
  *cancelled = cancelled_ && work_.empty();
  if (work_.empty()) return std::nullopt;
  Work w = std::move(work_.front());
  work_.pop_front();
  cv_.notify_all();
  return w;
}

void WorkQueue::Cancel(const Status& why) {
  std::lock_guard lock(mu_);
  if (!cancelled_) error_ = why;
  cancelled_ = true;
  // Barriers waiting in the queue learn that they will not run.
  for (Work& w : work_) {
    if (w.done) w.done->set_value(Status::IOError("ingest stopped before the barrier ran"));
  }
  work_.clear();
  cv_.notify_all();
}

Status WorkQueue::error() {
  std::lock_guard lock(mu_);
  return error_;
}

void Judge::Expect(const TopicPartition& tp, int64_t next_offset) {
  expected_[tp] = next_offset;
  std::lock_guard lock(mu_);
  durable_[tp] = next_offset;
}

Status Judge::JudgeRecords(Work& work) {
  std::map<TopicPartition, int64_t> touched;
  IntakeCounts counts;
  uint64_t blank = 0, skipped = 0, gaps = 0;
  for (RecordItem& item : work.items) {
    TopicPartition tp{item.origin.topic, item.origin.partition};
    auto it = expected_.find(tp);
    if (it != expected_.end() && item.origin.offset < it->second) {
      ++skipped;  // accounted for by a durable batch already (a redelivery)
      continue;
    }
    // Offsets Kafka did not deliver: transaction markers or compacted records, never a
    // record of ours that was skipped (the assignment starts at the stored offset and
    // auto.offset.reset=error stops a jump past deleted records); counted for the operator.
    if (it != expected_.end() && item.origin.offset > it->second) {
      gaps += static_cast<uint64_t>(item.origin.offset - it->second);
    }
    if (item.prepared == nullptr) {
      ++blank;
    } else {
      auto judged = ledger_.Submit(item.message, item.origin, *item.prepared);
      if (!judged.ok()) {
        ledger_.Abandon();
        (void)ledger_.WaitCommitted();  // what was handed over before stays valid
        return judged.status();
      }
      counts.Add(judged.value());
    }
    expected_[tp] = item.origin.offset + 1;
    touched[tp] = item.origin.offset + 1;
  }
  for (const auto& [tp, next] : touched) {
    ledger_.StageCursor(KafkaCursorName(tp.first, tp.second), std::to_string(next));
  }
  {
    std::lock_guard lock(mu_);
    stats_.counts.Add(counts);
    stats_.blank += blank;
    stats_.redelivered_skipped += skipped;
    stats_.offset_gaps += gaps;
  }
  if (touched.empty()) return Status::Ok();
  // Hands this batch to the writer; on return the previous one is durable.
  Status s = MadeDurable(ledger_.CommitAsync());
  in_flight_ = std::move(touched);
  return s;
}

Status Judge::MadeDurable(Status s) {
  if (!s.ok()) return s;
  if (in_flight_.empty()) return s;
  {
    std::lock_guard lock(mu_);
    for (const auto& [tp, next] : in_flight_) durable_[tp] = next;
    ++stats_.batches;
    stats_.ledger_size = ledger_.size();
  }
  CommitToKafka(in_flight_);
  in_flight_.clear();
  return s;
}

void Judge::CommitToKafka(const std::map<TopicPartition, int64_t>& offsets) {
  if (rk_ == nullptr) return;
  PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (const auto& [tp, next] : offsets) {
    rd_kafka_topic_partition_list_add(list.get(), tp.first.c_str(), tp.second)->offset = next;
  }
  // Asynchronous and advisory: the ledger's offsets are the truth; a failed commit (e.g.
  // for a partition just revoked) only delays what Kafka tooling shows as lag.
  (void)rd_kafka_commit(rk_, list.get(), /*async=*/1);
}

void Judge::Run(WorkQueue* queue) {
  while (true) {
    bool cancelled = false;
    std::optional<Work> work = queue->Pop(std::chrono::milliseconds(kIdleWaitMs), &cancelled);
    if (cancelled) return;
    Status s;
    if (!work) {
      // Idle: the batch in flight is durable by now (or soon); publish it, so that progress,
      // lag and Kafka's committed offsets do not wait for the next record.
      if (!in_flight_.empty()) s = MadeDurable(ledger_.WaitCommitted());
      if (s.ok()) s = MaybeCheckpoint(/*final=*/false);  // T seconds may pass while idle
      if (!s.ok()) {
        queue->Cancel(s);
        return;
      }
      continue;
    }
    if (work->kind == Work::Kind::kRecords) {
      s = JudgeRecords(*work);
      if (s.ok()) s = MaybeCheckpoint(/*final=*/false);
    } else {
      s = MadeDurable(ledger_.WaitCommitted());
      if (s.ok() && work->job) s = work->job(ledger_, *this);
      if (s.ok() && work->kind == Work::Kind::kEnd) s = MaybeCheckpoint(/*final=*/true);
      if (work->done) work->done->set_value(s);
      if (s.ok() && work->kind == Work::Kind::kEnd) return;
    }
    if (!s.ok()) {
      queue->Cancel(s);
      return;
    }
  }
}

Status Judge::MaybeCheckpoint(bool final) {
  if (checkpoints_.signer_keys.empty()) return Status::Ok();
  const auto now = std::chrono::steady_clock::now();
  // Entries counted are the durable ones: the batch in flight is signed next time.
  const uint64_t size = ledger_.size();
  if (size <= checkpoint_size_) return Status::Ok();
  const bool due = final || size - checkpoint_size_ >= checkpoints_.every_entries ||
                   now - checkpoint_time_ >= std::chrono::seconds(checkpoints_.every_seconds);
  if (!due) return Status::Ok();
  // SignCheckpoint waits for the batch in flight, so publish it as durable first.
  if (Status s = MadeDurable(ledger_.WaitCommitted()); !s.ok()) return s;
  auto record = ledger_.SignCheckpoint(checkpoints_.signer_keys, checkpoints_.origin);
  if (!record.ok()) return Status(record.status());
  checkpoint_size_ = record->tree_size;
  checkpoint_time_ = now;
  std::lock_guard lock(mu_);
  ++stats_.checkpoints_signed;
  stats_.checkpoint_size = checkpoint_size_;
  return Status::Ok();
}

ServeStats Judge::Snapshot() {
  std::lock_guard lock(mu_);
  ServeStats s = stats_;
  s.partitions.clear();
  for (const auto& [tp, next] : durable_) {
    PartitionProgress p;
    p.topic = tp.first;
    p.partition = tp.second;
    p.next_offset = next;
    s.partitions.push_back(p);
  }
  return s;
}

}  // namespace gpuledger::kafka
