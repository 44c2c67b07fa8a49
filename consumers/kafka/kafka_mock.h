// librdkafka's embedded mock Kafka cluster (rdkafka_mock.h), for the demo and the fault
// injection tests; never a substitute for the real broker's tests. Private to consumers/
// (and the tools and tests that use it).
#pragma once

#include <librdkafka/rdkafka.h>
// rdkafka_mock.h must come after rdkafka.h.
#include <librdkafka/rdkafka_mock.h>

#include <string>

#include "consumers/kafka/rdkafka_handles.h"

namespace gpuledger::kafka {

// The cluster lives as long as the handle that made it, i.e. as long as this object.
struct MockKafka {
  KafkaPtr owner;
  rd_kafka_mock_cluster_t* cluster = nullptr;
  std::string bootstrap;  // bootstrap.servers of its brokers
};

// Starts a mock cluster of `brokers` brokers; librdkafka logs at `log_level` and above.
[[nodiscard]] inline Result<MockKafka> StartMockKafka(int brokers, int log_level) {
  ConfPtr conf(rd_kafka_conf_new());
  Status s = SetProperties(conf.get(), {{"test.mock.num.brokers", std::to_string(brokers)},
                                        {"log_level", std::to_string(log_level)}});
  if (!s.ok()) return s;
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), err, sizeof err);
  if (rk == nullptr) return Status::IOError(std::string("mock Kafka: ") + err);
  conf.release();  // owned by rk now
  MockKafka mock;
  mock.owner.reset(rk);
  mock.cluster = rd_kafka_handle_mock_cluster(rk);
  if (mock.cluster == nullptr) return Status::IOError("librdkafka made no mock cluster");
  mock.bootstrap = rd_kafka_mock_cluster_bootstraps(mock.cluster);
  return mock;
}

}  // namespace gpuledger::kafka
