// Helpers of the Kafka tests: a mock cluster (librdkafka's rdkafka_mock.h, for fault
// injection), the real broker's address (ops/kafka-broker.sh, via CTest), topic admin, and
// producing test lines.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "consumers/kafka/kafka_mock.h"
#include "consumers/kafka/rdkafka_handles.h"
#include "gpuledger/kafka_ingest.h"
#include "tools/csp/kafka_produce.h"

namespace gpuledger::testing {

// A librdkafka client with `props`; EXPECTs that it could be made (null otherwise).
kafka::KafkaPtr MakeClient(rd_kafka_type_t type, const std::map<std::string, std::string>& props);

// librdkafka's embedded mock cluster; lives as long as this object.
class MockCluster {
 public:
  explicit MockCluster(int brokers = 3);
  rd_kafka_mock_cluster_t* get() const { return mock_.cluster; }
  const std::string& bootstrap() const { return mock_.bootstrap; }
  void CreateTopic(const std::string& topic, int partitions);

 private:
  kafka::MockKafka mock_;
};

// The real broker started by CTest's fixture; fails the test when it is not set.
std::string RealBrokers();
// Admin: creates `topic` with `partitions` on the real broker (replication 1).
void CreateRealTopic(const std::string& brokers, const std::string& topic, int partitions);
void AddRealPartitions(const std::string& brokers, const std::string& topic, int total);
// A topic name unique to this process and call.
std::string UniqueTopic(const std::string& stem);

// Produces `lines` (JSON events) to the topic; ASSERTs that all were delivered.
void ProduceLines(const std::string& brokers, const std::string& topic,
                  const std::vector<std::string>& lines, KafkaMode mode = KafkaMode::kStructured,
                  int32_t partition = -1);

// A config for `brokers` with one topic bound to `sources`, small batches, quiet logs.
KafkaIngestConfig TestConfig(const std::string& brokers, const std::vector<TopicBinding>& topics,
                             const std::string& group = "gpuledger-test");

// Serve in drain mode; ASSERTs success.
ServeStats Drain(Ledger& ledger, const KafkaIngestConfig& config);

std::vector<std::string> SplitLines(const std::string& jsonl);  // non-blank lines

// The lines of GenerateJsonl(lines, seed) that are accepted (the contract, the grants, usage
// reports). Their outcomes do not depend on their order once the first 9 (the contract and
// grants) are in, so they can be spread over partitions: any redelivery would show up as a
// duplicate record.
std::vector<std::string> AcceptedLines(uint64_t lines, uint64_t seed);

}  // namespace gpuledger::testing
