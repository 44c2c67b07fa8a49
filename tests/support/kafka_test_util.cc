#include "tests/support/kafka_test_util.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>

#include "consumers/kafka/kafka_admin.h"
#include "tests/support/event_gen.h"
#include "tests/support/test_util.h"

namespace gpuledger::testing {

kafka::KafkaPtr MakeClient(rd_kafka_type_t type, const std::map<std::string, std::string>& props) {
  kafka::ConfPtr conf(rd_kafka_conf_new());
  Status set = kafka::SetProperties(conf.get(), props);
  EXPECT_TRUE(set.ok()) << set.ToString();
  char err[512];
  kafka::KafkaPtr rk(rd_kafka_new(type, conf.get(), err, sizeof err));
  EXPECT_TRUE(rk) << err;
  if (rk) conf.release();  // rd_kafka_new took it
  return rk;
}

MockCluster::MockCluster(int brokers) {
  auto mock = kafka::StartMockKafka(brokers, 2);
  EXPECT_TRUE(mock.ok()) << mock.status().ToString();
  if (mock.ok()) mock_ = std::move(mock.value());
}

void MockCluster::CreateTopic(const std::string& topic, int partitions) {
  ASSERT_EQ(rd_kafka_mock_topic_create(mock_.cluster, topic.c_str(), partitions, 1),
            RD_KAFKA_RESP_ERR_NO_ERROR);
}

std::string RealBrokers() {
  const char* b = std::getenv("GPULEDGER_KAFKA_BROKERS");
  EXPECT_NE(b, nullptr) << "GPULEDGER_KAFKA_BROKERS is not set: run under CTest, whose "
                           "fixture starts the real broker (ops/kafka-broker.sh)";
  return b ? b : "";
}

void CreateRealTopic(const std::string& brokers, const std::string& topic, int partitions) {
  Status s = kafka::CreateTopic(brokers, topic, partitions);
  ASSERT_TRUE(s.ok()) << "create " << topic << ": " << s.ToString();
}

void AddRealPartitions(const std::string& brokers, const std::string& topic, int total) {
  Status s = kafka::AddPartitions(brokers, topic, total);
  ASSERT_TRUE(s.ok()) << "grow " << topic << ": " << s.ToString();
}

std::string UniqueTopic(const std::string& stem) {
  static std::atomic<int> n{0};
  return stem + "-" + std::to_string(::getpid()) + "-" + std::to_string(n++);
}

void ProduceLines(const std::string& brokers, const std::string& topic,
                  const std::vector<std::string>& lines, KafkaMode mode, int32_t partition) {
  TempDir dir;
  std::string body;
  for (const std::string& l : lines) body += l + "\n";
  WriteFile(dir.Sub("in.jsonl"), body);
  ProduceOptions options;
  options.brokers = brokers;
  options.topic = topic;
  options.mode = mode;
  options.partition = partition;
  options.properties["log_level"] = "2";
  auto report = ProduceFile(dir.Sub("in.jsonl"), options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->delivered, lines.size());
}

KafkaIngestConfig TestConfig(const std::string& brokers, const std::vector<TopicBinding>& topics,
                             const std::string& group) {
  KafkaIngestConfig config;  // Serve adds the properties it owns
  config.properties["bootstrap.servers"] = brokers;
  config.properties["group.id"] = group;
  config.properties["log_level"] = "2";
  config.properties["topic.metadata.refresh.interval.ms"] = "1000";
  // librdkafka sometimes leaves a pending member id behind when it joins (its issue #5569),
  // which stalls the group's first rebalance for a whole session: keep sessions short.
  config.properties["session.timeout.ms"] = "6000";
  config.properties["heartbeat.interval.ms"] = "1000";
  config.topics = topics;
  config.batch_messages_max = 500;
  config.batch_linger_ms = 50;
  return config;
}

ServeStats Drain(Ledger& ledger, const KafkaIngestConfig& config) {
  ServeOptions options;
  options.drain = true;
  auto stats = Serve(ledger, config, options);
  EXPECT_TRUE(stats.ok()) << stats.status().ToString();
  return stats.ok() ? stats.value() : ServeStats{};
}

std::vector<std::string> SplitLines(const std::string& jsonl) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < jsonl.size()) {
    size_t nl = jsonl.find('\n', pos);
    if (nl == std::string::npos) nl = jsonl.size();
    std::string line = jsonl.substr(pos, nl - pos);
    if (line.find_first_not_of(" \t\r") != std::string::npos) out.push_back(line);
    pos = nl + 1;
  }
  return out;
}

std::vector<std::string> AcceptedLines(uint64_t lines, uint64_t seed) {
  GenSummary summary;
  std::string jsonl = GenerateJsonl(lines, seed, &summary);
  std::vector<std::string> out;
  size_t pos = 0;
  for (GenOutcome outcome : summary.outcomes) {
    size_t nl = jsonl.find('\n', pos);
    if (outcome == GenOutcome::kAccepted) out.push_back(jsonl.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

}  // namespace gpuledger::testing
