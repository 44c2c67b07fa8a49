// `serve` against the real broker: SIGTERM finishes and syncs the batch, prints the JSON
// report, and a restart goes on exactly where it stopped; records deleted from Kafka before
// they were ingested stop serve (or, if configured, are counted as offset gaps).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "gpuledger/ledger.h"
#include "tests/support/kafka_test_util.h"
#include "tests/support/test_util.h"

namespace gpuledger::testing {
namespace {

TEST(KafkaBrokerServe, SigtermFinishesTheBatchThenRestartGoesOn) {
  const std::string brokers = RealBrokers();
  const std::string topic = UniqueTopic("sigterm");
  CreateRealTopic(brokers, topic, 1);
  std::vector<std::string> lines = AcceptedLines(8000, 17);
  TempDir dir;
  nlohmann::json config = {
      {"kafka", {{"bootstrap.servers", brokers}, {"group.id", topic}, {"log_level", "3"}}},
      {"topics", {{topic, {"ministry", "csp/kt-cloud"}}}},
      {"batch", {{"messages_max", 100}, {"linger_ms", 10}}}};
  WriteFile(dir.Sub("config.json"), config.dump());
  std::thread producer([&] {
    for (size_t i = 0; i < lines.size(); i += 500) {
      ProduceLines(brokers, topic,
                   {lines.begin() + i, lines.begin() + std::min(lines.size(), i + 500)},
                   KafkaMode::kStructured, 0);
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  });
  const std::string data = dir.Sub("ledger");
  pid_t pid = SpawnCli({"serve", "--data", data, "--config", dir.Sub("config.json"), "--quiet"},
                       dir.Sub("out.json"));
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "serve did not exit by itself after SIGTERM";
  EXPECT_EQ(WEXITSTATUS(status), 0);
  producer.join();
  auto report = nlohmann::json::parse(ReadFile(dir.Sub("out.json")));
  uint64_t first = report["accepted"].get<uint64_t>();
  EXPECT_GT(first, 0u);
  EXPECT_LT(first, lines.size()) << "the producer should still have been writing";
  // What the report says is what is durable: entries, and the stored next offset.
  ASSERT_EQ(report["partitions"].size(), 1u);
  EXPECT_EQ(report["partitions"][0]["next_offset"].get<uint64_t>(), first);
  CommandResult stats = RunCli({"stats", "--data", data});
  EXPECT_EQ(nlohmann::json::parse(stats.out)["entries"].get<uint64_t>(), first);
  CommandResult rest =
      RunCli({"serve", "--data", data, "--config", dir.Sub("config.json"), "--drain", "--quiet"});
  ASSERT_EQ(rest.exit_code, 0) << rest.err;
  EXPECT_EQ(nlohmann::json::parse(rest.out)["accepted"].get<uint64_t>(), lines.size() - first);
  stats = RunCli({"stats", "--data", data});
  auto j = nlohmann::json::parse(stats.out);
  EXPECT_EQ(j["entries"].get<uint64_t>(), lines.size());
  EXPECT_EQ(j["duplicates"].get<uint64_t>(), 0u);
}

void DeleteRecordsBefore(const std::string& brokers, const std::string& topic, int64_t offset) {
  kafka::ConfPtr conf(rd_kafka_conf_new());
  ASSERT_TRUE(kafka::SetProperties(conf.get(), {{"bootstrap.servers", brokers}}).ok());
  char err[512];
  kafka::KafkaPtr rk(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), err, sizeof err));
  ASSERT_NE(rk, nullptr) << err;
  conf.release();
  kafka::PartitionListPtr before(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(before.get(), topic.c_str(), 0)->offset = offset;
  rd_kafka_DeleteRecords_t* del = rd_kafka_DeleteRecords_new(before.get());
  kafka::QueuePtr q(rd_kafka_queue_new(rk.get()));
  rd_kafka_DeleteRecords(rk.get(), &del, 1, nullptr, q.get());
  kafka::EventPtr ev(rd_kafka_queue_poll(q.get(), 60000));
  rd_kafka_DeleteRecords_destroy(del);
  ASSERT_NE(ev, nullptr);
  ASSERT_EQ(rd_kafka_event_error(ev.get()), RD_KAFKA_RESP_ERR_NO_ERROR)
      << rd_kafka_event_error_string(ev.get());
}

TEST(KafkaBrokerServe, RecordsDeletedBeforeIngestStopServeUnlessSkipped) {
  const std::string brokers = RealBrokers();
  const std::string topic = UniqueTopic("deleted");
  CreateRealTopic(brokers, topic, 1);
  std::vector<std::string> lines = AcceptedLines(120, 23);
  ASSERT_GE(lines.size(), 100u);
  lines.resize(100);
  ProduceLines(brokers, topic, lines, KafkaMode::kStructured, 0);
  DeleteRecordsBefore(brokers, topic, 40);
  TempDir dir;
  auto ledger = Ledger::Open(dir.Sub("ledger"), LedgerOptions{});
  ASSERT_TRUE(ledger.ok());
  KafkaIngestConfig config = TestConfig(brokers, {{topic, {"ministry", "csp/kt-cloud"}}}, topic);
  ServeOptions options;
  options.drain = true;
  auto strict = Serve(*ledger.value(), config, options);
  ASSERT_FALSE(strict.ok()) << "serve skipped 40 deleted records silently";
  EXPECT_NE(strict.status().message().find("deleted"), std::string::npos)
      << strict.status().ToString();
  EXPECT_EQ(ledger.value()->size(), 0u);
  config.skip_missing_history = true;
  auto skipping = Serve(*ledger.value(), config, options);
  ASSERT_TRUE(skipping.ok()) << skipping.status().ToString();
  EXPECT_EQ(skipping->counts.total(), 60u);
  EXPECT_EQ(skipping->offset_gaps, 40u);
}

}  // namespace
}  // namespace gpuledger::testing
