// The polling side of Kafka ingest (kafka_ingest.h): subscribes to the configured topics,
// assigns partitions at the offsets stored in the ledger, turns records into prepared
// messages and hands them to the Judge thread in bounded batches.
#include <pthread.h>

#include <chrono>
#include <cstdlib>
#include <set>
#include <thread>

#include "consumers/kafka/kafka_judge.h"
#include "consumers/kafka/rdkafka_handles.h"
#include "gpuledger/cloudevents_kafka.h"

namespace gpuledger {
namespace kafka {
namespace {

using Clock = std::chrono::steady_clock;

int64_t ParseOffset(const std::string& text) {
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  return (end != nullptr && *end == '\0' && v >= 0) ? v : -1;
}

std::vector<KafkaHeader> HeadersOf(const rd_kafka_message_t* m) {
  std::vector<KafkaHeader> out;
  rd_kafka_headers_t* hdrs = nullptr;
  if (rd_kafka_message_headers(m, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR) return out;
  const char* name = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  for (size_t i = 0;
       rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
    KafkaHeader h{name, std::nullopt};
    if (value != nullptr) h.value.emplace(static_cast<const char*>(value), size);
    out.push_back(std::move(h));
  }
  return out;
}

class Server {
 public:
  Server(Ledger& ledger, const KafkaIngestConfig& config, const ServeOptions& options)
      : ledger_(ledger), config_(config), options_(options), preparer_(ledger.clock()) {
    for (const TopicBinding& b : config_.topics) bound_[b.topic] = &b.sources;
  }
  Result<ServeStats> Run();

 private:
  static void RebalanceThunk(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                             rd_kafka_topic_partition_list_t* parts, void* opaque) {
    static_cast<Server*>(opaque)->OnRebalance(rk, err, parts);
  }
  Status Create();
  void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts);
  Status Barrier(std::function<Status(Ledger&, Judge&)> job);
  void AddRecord(const rd_kafka_message_t* m);
  bool Flush();  // hands the pending batch over; false if the Judge stopped
  Status HandleError(const rd_kafka_message_t* m);
  bool DrainDone() const;
  void ReadFirstThenResume();
  void Log(const std::string& line) const {
    if (options_.log) options_.log(line);
  }
  void Progress(bool force);
  Status Loop();

  Ledger& ledger_;
  const KafkaIngestConfig& config_;
  const ServeOptions& options_;
  Preparer preparer_;
  std::map<std::string, const std::vector<std::string>*> bound_;
  KafkaPtr rk_;
  WorkQueue queue_;
  std::unique_ptr<Judge> judge_;
  bool judge_running_ = false;
  Work pending_;
  Clock::time_point pending_since_;
  std::set<TopicPartition> assigned_, at_end_;
  std::set<TopicPartition> paused_;  // held back until the read_first topics are read
  uint64_t assignments_ = 0, revocations_ = 0;
  Clock::time_point last_progress_ = Clock::now();
  Status rebalance_error_;
};

Status Server::Create() {
  ConfPtr conf(rd_kafka_conf_new());
  std::map<std::string, std::string> properties = config_.properties;
  if (Status s = ApplyKafkaProperties(&properties); !s.ok()) return s;
  if (Status s = SetProperties(conf.get(), properties); !s.ok()) return s;
  rd_kafka_conf_set_rebalance_cb(conf.get(), &Server::RebalanceThunk);
  rd_kafka_conf_set_opaque(conf.get(), this);
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), err, sizeof err);
  if (rk == nullptr) return Status::InvalidArgument(std::string("Kafka consumer: ") + err);
  conf.release();  // owned by rk now
  rk_.reset(rk);
  rd_kafka_poll_set_consumer(rk);
  PartitionListPtr topics(
      rd_kafka_topic_partition_list_new(static_cast<int>(config_.topics.size())));
  for (const TopicBinding& b : config_.topics) {
    rd_kafka_topic_partition_list_add(topics.get(), b.topic.c_str(), RD_KAFKA_PARTITION_UA);
  }
  if (rd_kafka_resp_err_t e = rd_kafka_subscribe(rk, topics.get()); e) {
    return Status::IOError(std::string("Kafka subscribe: ") + rd_kafka_err2str(e));
  }
  return Status::Ok();
}

Status Server::Barrier(std::function<Status(Ledger&, Judge&)> job) {
  if (!Flush()) return queue_.error();
  Work w;
  w.kind = Work::Kind::kBarrier;
  w.job = std::move(job);
  w.done = std::make_shared<std::promise<Status>>();
  std::future<Status> done = w.done->get_future();
  if (!judge_running_ || !queue_.Push(std::move(w))) {
    return Status::IOError("ingest stopped: " + queue_.error().message());
  }
  return done.get();
}

// Eager and cooperative protocols alike: before partitions are given up, every record read
// from them is durable; before partitions are taken, their offsets are read from the ledger.
void Server::OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t* parts) {
  const bool cooperative = std::string_view(rd_kafka_rebalance_protocol(rk)) == "COOPERATIVE";
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    const bool skip_missing = config_.skip_missing_history;
    Status s = Barrier([parts, skip_missing](Ledger& ledger, Judge& judge) -> Status {
      for (int i = 0; i < parts->cnt; ++i) {
        rd_kafka_topic_partition_t& p = parts->elems[i];
        auto stored = ledger.GetCursor(KafkaCursorName(p.topic, p.partition));
        if (!stored.ok()) return stored.status();
        int64_t next = stored.value() ? ParseOffset(*stored.value()) : 0;
        if (next < 0) return Status::Corruption("stored offset of " + std::string(p.topic));
        p.offset = stored.value() || !skip_missing ? next : RD_KAFKA_OFFSET_BEGINNING;
        // With skip_missing_history, records below the log start count as offset gaps.
        judge.Expect({p.topic, p.partition}, next);
      }
      return Status::Ok();
    });
    if (!s.ok()) {
      rebalance_error_ = s;
      parts = nullptr;  // take nothing: the loop stops on rebalance_error_
    }
    if (parts != nullptr) {
      for (int i = 0; i < parts->cnt; ++i) {
        TopicPartition tp{parts->elems[i].topic, parts->elems[i].partition};
        assigned_.insert(tp);
        at_end_.erase(tp);
        Log("assigned " + tp.first + "[" + std::to_string(tp.second) + "] at offset " +
            (parts->elems[i].offset < 0 ? std::string("its log start")
                                        : std::to_string(parts->elems[i].offset)));
      }
      ++assignments_;
    }
    if (cooperative) {
      if (parts != nullptr) rd_kafka_error_destroy(rd_kafka_incremental_assign(rk, parts));
    } else {
      rd_kafka_assign(rk, parts);
    }
    if (!cooperative) paused_.clear();  // an eager assignment starts unpaused
    ReadFirstThenResume();
    return;
  }
  // Revoked (or a rebalance error): make everything read so far durable, then let go.
  if (judge_running_) {
    if (Status s = Barrier(nullptr); !s.ok()) rebalance_error_ = s;
  }
  for (int i = 0; i < parts->cnt; ++i) {
    TopicPartition tp{parts->elems[i].topic, parts->elems[i].partition};
    assigned_.erase(tp);
    at_end_.erase(tp);
    paused_.erase(tp);
  }
  ++revocations_;
  Log("revoked " + std::to_string(parts->cnt) + " partition(s)");
  if (cooperative) {
    rd_kafka_error_destroy(rd_kafka_incremental_unassign(rk, parts));
  } else {
    rd_kafka_assign(rk, nullptr);
  }
}

void Server::AddRecord(const rd_kafka_message_t* m) {
  RecordItem item;
  at_end_.erase({rd_kafka_topic_name(m->rkt), m->partition});
  item.origin.kind = Origin::Kind::kKafka;
  item.origin.topic = rd_kafka_topic_name(m->rkt);
  item.origin.partition = m->partition;
  item.origin.offset = m->offset;
  std::string_view value(static_cast<const char*>(m->payload), m->payload ? m->len : 0);
  KafkaRecordMessage rec = MessageFromKafkaRecord(value, HeadersOf(m));
  if (!rec.blank) {
    auto b = bound_.find(item.origin.topic);
    const std::vector<std::string>* sources = b == bound_.end() ? nullptr : b->second;
    static const std::vector<std::string> kNone;  // a topic not in the config admits no one
    if (sources == nullptr) sources = &kNone;
    item.prepared = rec.reject_reason.empty()
                        ? preparer_.Prepare(rec.message, item.origin, sources, rec.content_type)
                        : preparer_.Reject(rec.reject_reason, std::move(rec.reject_detail));
    item.message = std::move(rec.message);
  }
  if (pending_.items.empty()) pending_since_ = Clock::now();
  pending_.bytes += m->len;
  pending_.items.push_back(std::move(item));
}

bool Server::Flush() {
  if (pending_.items.empty()) return true;
  Work w = std::move(pending_);
  pending_ = Work{};
  return queue_.Push(std::move(w));
}

Status Server::HandleError(const rd_kafka_message_t* m) {
  if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
    at_end_.insert({rd_kafka_topic_name(m->rkt), m->partition});
    if (!paused_.empty()) ReadFirstThenResume();
    return Status::Ok();
  }
  std::string what = rd_kafka_message_errstr(m);
  if (m->rkt != nullptr) {
    what = std::string(rd_kafka_topic_name(m->rkt)) + "[" + std::to_string(m->partition) +
           "]: " + what;
  }
  char fatal[512];
  if (rd_kafka_fatal_error(rk_.get(), fatal, sizeof fatal) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Status::IOError(std::string("Kafka fatal error: ") + fatal);
  }
  // The stored offset is no longer in the log (retention deleted records never read):
  // skipping ahead would lose them silently, so ingest stops and says so.
  if (m->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET) {
    return Status::IOError("records were deleted from Kafka before they were ingested: " + what);
  }
  Log("Kafka: " + what);  // transient (broker down, request errors): librdkafka retries
  return Status::Ok();
}

// Pauses the other partitions while a read_first partition is not read to its end; resumes
// them once all are.
void Server::ReadFirstThenResume() {
  if (config_.read_first.empty()) return;
  auto first = [&](const TopicPartition& tp) {
    for (const std::string& t : config_.read_first) {
      if (t == tp.first) return true;
    }
    return false;
  };
  bool first_behind = false;
  for (const TopicPartition& tp : assigned_) first_behind |= first(tp) && !at_end_.count(tp);
  std::vector<TopicPartition> change;
  for (const TopicPartition& tp : assigned_) {
    if (!first(tp) && first_behind != static_cast<bool>(paused_.count(tp))) change.push_back(tp);
  }
  if (change.empty()) return;
  PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(change.size())));
  for (const TopicPartition& tp : change) {
    rd_kafka_topic_partition_list_add(list.get(), tp.first.c_str(), tp.second);
    if (first_behind) {
      paused_.insert(tp);
    } else {
      paused_.erase(tp);
    }
  }
  if (first_behind) {
    rd_kafka_pause_partitions(rk_.get(), list.get());
    Log(std::to_string(change.size()) + " partition(s) wait until the read_first topics are read");
  } else {
    rd_kafka_resume_partitions(rk_.get(), list.get());
    Log("read_first topics read to their end; " + std::to_string(change.size()) +
        " partition(s) resumed");
  }
}

bool Server::DrainDone() const {
  if (assigned_.empty() || !pending_.items.empty()) return false;
  for (const TopicPartition& tp : assigned_) {
    if (!at_end_.count(tp)) return false;
  }
  return true;
}

void Server::Progress(bool force) {
  Clock::time_point now = Clock::now();
  if (!force && now - last_progress_ < std::chrono::seconds(config_.progress_interval_seconds)) {
    return;
  }
  last_progress_ = now;
  if (!options_.progress) return;
  ServeStats stats = judge_->Snapshot();
  for (PartitionProgress& p : stats.partitions) {
    int64_t low = -1, high = -1;
    if (rd_kafka_get_watermark_offsets(rk_.get(), p.topic.c_str(), p.partition, &low, &high) ==
        RD_KAFKA_RESP_ERR_NO_ERROR) {
      p.high_watermark = high;
    }
  }
  stats.assignments = assignments_;
  stats.revocations = revocations_;
  options_.progress(stats);
}

Status Server::Loop() {
  const Clock::time_point started = Clock::now();
  while (true) {
    if (options_.stop != nullptr && options_.stop->load()) return Status::Ok();
    if (!rebalance_error_.ok()) return rebalance_error_;
    int timeout_ms = config_.poll_timeout_ms;
    if (!pending_.items.empty()) {
      auto age =
          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - pending_since_);
      timeout_ms = std::max<int>(
          0, std::min<int>(timeout_ms, config_.batch_linger_ms - static_cast<int>(age.count())));
    }
    MessagePtr m(rd_kafka_consumer_poll(rk_.get(), timeout_ms));
    if (m && m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      AddRecord(m.get());
    } else if (m) {
      if (Status s = HandleError(m.get()); !s.ok()) return s;
    }
    bool full = pending_.items.size() >= config_.batch_messages_max ||
                pending_.bytes >= config_.batch_bytes_max;
    bool lingered =
        !pending_.items.empty() &&
        Clock::now() - pending_since_ >= std::chrono::milliseconds(config_.batch_linger_ms);
    bool caught_up = options_.drain && !pending_.items.empty() && !m;
    if ((full || lingered || caught_up) && !Flush()) return queue_.error();
    if (options_.drain && DrainDone()) return Status::Ok();
    if (options_.drain && assigned_.empty() &&
        Clock::now() - started > std::chrono::milliseconds(options_.drain_assignment_timeout_ms)) {
      return Status::IOError("no partition was assigned (do the topics exist?)");
    }
    Progress(false);
  }
}

Result<ServeStats> Server::Run() {
  if (Status s = Create(); !s.ok()) return s;
  judge_ = std::make_unique<Judge>(ledger_, rk_.get(), options_.checkpoints);
  std::thread judge_thread;
  try {
    judge_thread = std::thread([&] {
      pthread_setname_np(pthread_self(), "gl-judge");  // for top -H and perf
      judge_->Run(&queue_);
    });
  } catch (const std::system_error& e) {
    return Status::IOError(std::string("cannot start the intake thread: ") + e.what());
  }
  judge_running_ = true;
  Status s = Loop();
  // Finish: everything read is judged and durable before the consumer lets go.
  if (s.ok()) s = Barrier(nullptr);
  Work end;
  end.kind = Work::Kind::kEnd;
  if (!queue_.Push(std::move(end)) && s.ok()) s = queue_.error();
  judge_thread.join();
  judge_running_ = false;
  queue_.Cancel(Status::Ok());
  Progress(true);
  ServeStats stats = judge_->Snapshot();
  stats.assignments = assignments_;
  stats.revocations = revocations_;
  stats.ledger_size = ledger_.size();
  rd_kafka_consumer_close(rk_.get());  // its revocation finds the Judge stopped: no barrier
  if (!s.ok()) return s;
  return stats;
}

}  // namespace

}  // namespace kafka

Result<ServeStats> Serve(Ledger& ledger, const KafkaIngestConfig& config,
                         const ServeOptions& options) {
  bool signed_at_start = false;
  if (!options.checkpoints.signer_keys.empty()) {
    // A bad key or another origin shows now, not when the first checkpoint is due; and the
    // ledger as it is when serving starts is signed.
    auto before = ledger.LatestCheckpoint();
    if (!before.ok()) return before.status();
    auto signed_now =
        ledger.SignCheckpoint(options.checkpoints.signer_keys, options.checkpoints.origin);
    if (!signed_now.ok()) return Status(signed_now.status());
    signed_at_start = !before->has_value() || before.value()->tree_size != signed_now->tree_size;
  }
  kafka::Server server(ledger, config, options);
  auto stats = server.Run();
  if (stats.ok() && signed_at_start) ++stats->checkpoints_signed;
  return stats;
}

}  // namespace gpuledger
