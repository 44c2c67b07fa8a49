// Topic administration through librdkafka's admin API, for the tests and the benchmark
// (gpuledger itself never creates topics: production topics and their ACLs are the
// operator's). Private to consumers/ and its users.
#pragma once

#include <string>

#include "consumers/kafka/rdkafka_handles.h"

namespace gpuledger::kafka {

namespace admin_detail {

// Waits (bounded) for the admin result on `queue` and checks it and every topic result.
inline Status AwaitTopicResults(rd_kafka_queue_t* queue, bool partitions) {
  constexpr int kAdminWaitMs = 60000;
  EventPtr ev(rd_kafka_queue_poll(queue, kAdminWaitMs));
  if (!ev) return Status::IOError("no admin result within 60 s");
  if (rd_kafka_event_error(ev.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Status::IOError(rd_kafka_event_error_string(ev.get()));
  }
  size_t n = 0;
  const rd_kafka_topic_result_t** results =
      partitions
          ? rd_kafka_CreatePartitions_result_topics(
                rd_kafka_event_CreatePartitions_result(ev.get()), &n)
          : rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev.get()), &n);
  for (size_t i = 0; i < n; ++i) {
    if (rd_kafka_topic_result_error(results[i]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Status::IOError(rd_kafka_topic_result_error_string(results[i]));
    }
  }
  return Status::Ok();
}

inline Result<KafkaPtr> AdminClient(const std::string& brokers) {
  ConfPtr conf(rd_kafka_conf_new());
  if (Status s = SetProperties(conf.get(), {{"bootstrap.servers", brokers}}); !s.ok()) return s;
  char err[512];
  KafkaPtr rk(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), err, sizeof err));
  if (!rk) return Status::InvalidArgument(err);
  conf.release();  // owned by rk now
  return rk;
}

}  // namespace admin_detail

// Creates `topic` with `partitions` partitions, replication factor 1.
[[nodiscard]] inline Status CreateTopic(const std::string& brokers, const std::string& topic,
                                        int partitions) {
  auto rk = admin_detail::AdminClient(brokers);
  if (!rk.ok()) return rk.status();
  char err[512];
  rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(topic.c_str(), partitions, 1, err, sizeof err);
  if (nt == nullptr) return Status::InvalidArgument(err);
  QueuePtr q(rd_kafka_queue_new(rk.value().get()));
  rd_kafka_CreateTopics(rk.value().get(), &nt, 1, nullptr, q.get());
  rd_kafka_NewTopic_destroy(nt);
  return admin_detail::AwaitTopicResults(q.get(), /*partitions=*/false);
}

// Grows `topic` to `total` partitions.
[[nodiscard]] inline Status AddPartitions(const std::string& brokers, const std::string& topic,
                                          int total) {
  auto rk = admin_detail::AdminClient(brokers);
  if (!rk.ok()) return rk.status();
  char err[512];
  rd_kafka_NewPartitions_t* np = rd_kafka_NewPartitions_new(topic.c_str(), total, err, sizeof err);
  if (np == nullptr) return Status::InvalidArgument(err);
  QueuePtr q(rd_kafka_queue_new(rk.value().get()));
  rd_kafka_CreatePartitions(rk.value().get(), &np, 1, nullptr, q.get());
  rd_kafka_NewPartitions_destroy(np);
  return admin_detail::AwaitTopicResults(q.get(), /*partitions=*/true);
}

}  // namespace gpuledger::kafka
