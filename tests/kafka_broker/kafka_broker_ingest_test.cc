// Kafka ingest against the real Apache Kafka broker that CTest's fixture starts
// (ops/kafka-broker.sh): exact counts across restarts, a topic gaining partitions while
// serving, kill -9 of `serve` while a producer writes, and a file produced with kcat giving
// the same ledger as `gpuledger ingest` of the same file.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "gpuledger/file_intake.h"
#include "gpuledger/ledger.h"
#include "tests/support/event_gen.h"
#include "tests/support/kafka_test_util.h"
#include "tests/support/test_util.h"
#include "tools/csp/simulate.h"

namespace gpuledger::testing {
namespace {

const std::vector<std::string> kGenSources = {"ministry", "csp/kt-cloud"};

std::unique_ptr<Ledger> Open(const std::string& dir) {
  auto ledger = Ledger::Open(dir, LedgerOptions{});
  EXPECT_TRUE(ledger.ok()) << ledger.status().ToString();
  return ledger.ok() ? std::move(ledger.value()) : nullptr;
}

// Static membership (group.instance.id): a restarted serve takes its killed predecessor's
// place at once instead of waiting out its session (docs/kafka.md).
std::string ConfigJson(const std::string& brokers, const std::string& topic,
                       const std::string& group) {
  nlohmann::json c = {{"kafka",
                       {{"bootstrap.servers", brokers},
                        {"group.id", group},
                        {"group.instance.id", "serve-1"},
                        {"session.timeout.ms", "6000"},
                        {"log_level", "3"}}},
                      {"topics", {{topic, kGenSources}}},
                      {"batch", {{"messages_max", 200}, {"linger_ms", 20}}},
                      {"progress_interval_seconds", 1}};
  return c.dump();
}

TEST(KafkaBrokerIngest, ProduceServeRestartProduceStillExact) {
  const std::string brokers = RealBrokers();
  const std::string topic = UniqueTopic("exact");
  CreateRealTopic(brokers, topic, 1);
  GenSummary summary;
  std::vector<std::string> lines = SplitLines(GenerateJsonl(1500, 21, &summary));
  std::vector<std::string> first(lines.begin(), lines.begin() + 1000);
  std::vector<std::string> rest(lines.begin() + 1000, lines.end());
  TempDir dir;
  auto ledger = Open(dir.Sub("ledger"));
  KafkaIngestConfig config = TestConfig(brokers, {{topic, kGenSources}}, "exact-" + topic);
  ProduceLines(brokers, topic, first);
  ServeStats a = Drain(*ledger, config);
  EXPECT_EQ(a.counts.total(), first.size());
  ledger.reset();  // a restart: the ledger is opened afresh, the group rebalances
  ledger = Open(dir.Sub("ledger"));
  ProduceLines(brokers, topic, rest);
  ServeStats b = Drain(*ledger, config);
  EXPECT_EQ(b.counts.total(), rest.size());
  EXPECT_EQ(ledger->stats().entries, summary.accepted);
  EXPECT_EQ(ledger->stats().duplicates, summary.duplicate);
  EXPECT_EQ(ledger->stats().rejects, summary.rejected());
  // A third run finds nothing new.
  ServeStats c = Drain(*ledger, config);
  EXPECT_EQ(c.counts.total(), 0u);
  EXPECT_EQ(c.redelivered_skipped, 0u);
}

TEST(KafkaBrokerIngest, TopicGainsPartitionsWhileServing) {
  const std::string brokers = RealBrokers();
  const std::string topic = UniqueTopic("grow");
  CreateRealTopic(brokers, topic, 2);
  std::vector<std::string> lines = AcceptedLines(2400, 33);
  std::vector<std::string> head(lines.begin(), lines.begin() + 9);
  TempDir dir;
  auto ledger = Open(dir.Sub("ledger"));
  KafkaIngestConfig config = TestConfig(brokers, {{topic, kGenSources}}, "grow-" + topic);
  config.progress_interval_seconds = 1;
  ProduceLines(brokers, topic, head, KafkaMode::kStructured, 0);
  EXPECT_EQ(Drain(*ledger, config).counts.total(), head.size());
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> judged{0};
  ServeOptions options;
  options.stop = &stop;
  options.progress = [&](const ServeStats& s) { judged = s.counts.total(); };
  Result<ServeStats> result = Status::IOError("not run");
  std::thread server([&] { result = Serve(*ledger, config, options); });
  const size_t n = lines.size() - head.size(), half = n / 2;
  auto part = [&](size_t from, size_t to) {
    return std::vector<std::string>(lines.begin() + 9 + from, lines.begin() + 9 + to);
  };
  ProduceLines(brokers, topic, part(0, half / 2), KafkaMode::kStructured, 0);
  ProduceLines(brokers, topic, part(half / 2, half), KafkaMode::kStructured, 1);
  AddRealPartitions(brokers, topic, 4);
  ProduceLines(brokers, topic, part(half, half + half / 2), KafkaMode::kBinaryJson, 2);
  ProduceLines(brokers, topic, part(half + half / 2, n), KafkaMode::kBinaryFlatBuffers, 3);
  for (int w = 0; w < 1200 && judged < n; ++w) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  stop = true;
  server.join();
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->counts.total(), n);
  EXPECT_GE(result->assignments, 2u) << "the new partitions were never assigned";
  EXPECT_EQ(result->partitions.size(), 4u);
  EXPECT_EQ(ledger->stats().entries, lines.size());
  EXPECT_EQ(ledger->stats().duplicates, 0u);
  EXPECT_EQ(ledger->stats().rejects, 0u);
}

// A second consumer joins the group and leaves again while the first serves: the first
// loses partitions and gets them back. It resumes them from its ledger's offsets, not from
// the offsets the other consumer committed to Kafka meanwhile, so its ledger still ends
// with every record exactly once.
void RevokeAndReassignWhileServing(const std::string& strategy) {
  const std::string brokers = RealBrokers();
  const std::string topic = UniqueTopic("rebalance");
  CreateRealTopic(brokers, topic, 4);
  std::vector<std::string> lines = AcceptedLines(3600, 55);
  TempDir dir;
  auto ledger = Open(dir.Sub("a"));
  auto other = Open(dir.Sub("b"));
  KafkaIngestConfig config = TestConfig(brokers, {{topic, kGenSources}}, "rebalance-" + topic);
  config.properties["session.timeout.ms"] = "6000";
  config.properties["partition.assignment.strategy"] = strategy;
  config.progress_interval_seconds = 1;
  ProduceLines(brokers, topic, {lines.begin(), lines.begin() + 9}, KafkaMode::kStructured, 0);
  EXPECT_EQ(Drain(*ledger, config).counts.total(), 9u);
  std::atomic<bool> stop_a{false}, stop_b{false};
  std::atomic<uint64_t> judged_a{0}, judged_b{0};
  ServeOptions a_options, b_options;
  a_options.stop = &stop_a;
  a_options.progress = [&](const ServeStats& s) { judged_a = s.counts.total(); };
  b_options.stop = &stop_b;
  b_options.progress = [&](const ServeStats& s) { judged_b = s.counts.total(); };
  Result<ServeStats> a = Status::IOError("not run"), b = Status::IOError("not run");
  std::thread a_thread([&] { a = Serve(*ledger, config, a_options); });
  const size_t n = lines.size() - 9, third = n / 3;
  auto produce = [&](size_t from, size_t to) {
    for (size_t i = from; i < to; i += 100) {
      std::vector<std::string> chunk(lines.begin() + 9 + i,
                                     lines.begin() + 9 + std::min(to, i + 100));
      ProduceLines(brokers, topic, chunk, KafkaMode::kStructured,
                   static_cast<int32_t>(i / 100 % 4));
    }
  };
  produce(0, third);
  std::thread b_thread([&] { b = Serve(*other, config, b_options); });
  produce(third, 2 * third);
  // Until the second consumer has taken partitions and judged some of their records.
  for (int w = 0; w < 600 && judged_b == 0; ++w) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  stop_b = true;
  b_thread.join();
  produce(2 * third, n);
  for (int w = 0; w < 1200 && judged_a < n; ++w) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  stop_a = true;
  a_thread.join();
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_GT(b->counts.total(), 0u) << "the second consumer never got a partition";
  EXPECT_GE(a->revocations, 1u);  // partitions went to the other consumer...

  EXPECT_GE(a->assignments, 2u);  // ...and came back
  EXPECT_EQ(a->counts.total(), n);
  EXPECT_EQ(ledger->stats().entries, lines.size());
  EXPECT_EQ(ledger->stats().duplicates, 0u);
  EXPECT_EQ(ledger->stats().rejects, 0u);
}

TEST(KafkaBrokerIngest, PartitionsRevokedAndReassignedWhileServing) {
  RevokeAndReassignWhileServing("range,roundrobin");  // eager, librdkafka's default
}

TEST(KafkaBrokerIngest, PartitionsRevokedAndReassignedIncrementally) {
  RevokeAndReassignWhileServing("cooperative-sticky");
}

// kill -9 of `serve` at random moments while a producer writes; after the last restart
// every produced record is accounted for exactly once and verify passes.
TEST(KafkaBrokerIngest, KillNineWhileProducing) {
  const std::string brokers = RealBrokers();
  const std::string topic = UniqueTopic("kill");
  CreateRealTopic(brokers, topic, 3);
  std::vector<std::string> lines = AcceptedLines(24000, 44);
  TempDir dir;
  WriteFile(dir.Sub("config.json"), ConfigJson(brokers, topic, "kill-" + topic));
  const std::string data = dir.Sub("ledger");
  ProduceLines(brokers, topic, {lines.begin(), lines.begin() + 9}, KafkaMode::kStructured, 0);
  CommandResult head =
      RunCli({"serve", "--data", data, "--config", dir.Sub("config.json"), "--drain", "--quiet"});
  ASSERT_EQ(head.exit_code, 0) << head.err;
  std::thread producer([&] {
    for (size_t i = 9, k = 0; i < lines.size(); i += 500, ++k) {
      std::vector<std::string> chunk(lines.begin() + i,
                                     lines.begin() + std::min(lines.size(), i + 500));
      ProduceLines(brokers, topic, chunk, KafkaMode::kStructured, static_cast<int32_t>(k % 3));
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  std::mt19937 rng(12345);
  for (int kill = 0; kill < 12; ++kill) {
    pid_t pid = SpawnCli({"serve", "--data", data, "--config", dir.Sub("config.json"), "--quiet"});
    ASSERT_GT(pid, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + rng() % 1200));
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFSIGNALED(status)) << "serve ended before it was killed: " << status;
  }
  producer.join();
  CommandResult last =
      RunCli({"serve", "--data", data, "--config", dir.Sub("config.json"), "--drain", "--quiet"});
  ASSERT_EQ(last.exit_code, 0) << last.err;
  CommandResult stats = RunCli({"stats", "--data", data});
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  auto j = nlohmann::json::parse(stats.out);
  EXPECT_EQ(j["entries"].get<uint64_t>(), lines.size());
  EXPECT_EQ(j["duplicates"].get<uint64_t>(), 0u);
  EXPECT_EQ(j["rejects"].get<uint64_t>(), 0u);
  CommandResult verify = RunCli({"verify", "--data", data, "--quiet"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

}  // namespace
}  // namespace gpuledger::testing
