// Kafka ingest against librdkafka's mock cluster: exact counts, resuming from the ledger's
// offsets (not Kafka's), topic bindings, the three CloudEvents modes, and faults injected
// into the cluster (request errors, a broker going down and up) while serving.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "gpuledger/ledger.h"
#include "tests/support/event_gen.h"
#include "tests/support/kafka_test_util.h"
#include "tests/support/test_util.h"

namespace gpuledger::testing {
namespace {

constexpr int16_t kFetchApiKey = 1;  // Kafka protocol ApiKey of Fetch
const std::vector<std::string> kGenSources = {"ministry", "csp/kt-cloud"};

std::unique_ptr<Ledger> OpenFresh(const TempDir& dir) {
  auto ledger = Ledger::Open(dir.Sub("ledger"), LedgerOptions{});
  EXPECT_TRUE(ledger.ok()) << ledger.status().ToString();
  return ledger.ok() ? std::move(ledger.value()) : nullptr;
}

TEST(KafkaMockIngest, ExactCountsAndResumeFromLedgerOffsets) {
  MockCluster mock;
  mock.CreateTopic("events", 1);
  GenSummary summary;
  std::vector<std::string> lines = SplitLines(GenerateJsonl(600, 7, &summary));
  std::vector<std::string> first(lines.begin(), lines.begin() + 400);
  std::vector<std::string> rest(lines.begin() + 400, lines.end());
  ProduceLines(mock.bootstrap(), "events", first);
  TempDir dir;
  auto ledger = OpenFresh(dir);
  KafkaIngestConfig config = TestConfig(mock.bootstrap(), {{"events", kGenSources}});
  ServeStats a = Drain(*ledger, config);
  EXPECT_EQ(a.counts.total(), first.size());
  ProduceLines(mock.bootstrap(), "events", rest);
  // Another group id: Kafka has no committed offsets for it, the ledger has.
  config.properties["group.id"] = "another-group";
  ServeStats b = Drain(*ledger, config);
  EXPECT_EQ(b.counts.total(), rest.size());
  EXPECT_EQ(b.redelivered_skipped, 0u);
  EXPECT_EQ(a.counts.accepted + b.counts.accepted, summary.accepted);
  EXPECT_EQ(a.counts.duplicate + b.counts.duplicate, summary.duplicate);
  EXPECT_EQ(a.counts.rejected + b.counts.rejected, summary.rejected());
  auto cursor = ledger->GetCursor(KafkaCursorName("events", 0));
  ASSERT_TRUE(cursor.ok());
  ASSERT_TRUE(cursor.value().has_value());
  EXPECT_EQ(*cursor.value(), std::to_string(lines.size()));
  auto cursors = ledger->ListCursors("kafka:");
  ASSERT_TRUE(cursors.ok());
  ASSERT_EQ(cursors->size(), 1u);
  EXPECT_EQ(cursors.value()[0].first, KafkaCursorName("events", 0));
  ASSERT_EQ(b.partitions.size(), 1u);
  EXPECT_EQ(b.partitions[0].next_offset, static_cast<int64_t>(lines.size()));
  VerifyReport report;
  EXPECT_TRUE(ledger->Verify(&report, nullptr).ok()) << report.problem;
}

TEST(KafkaMockIngest, UnboundSourceIsRejectedUnauthorized) {
  MockCluster mock;
  mock.CreateTopic("gpu-events.kt-cloud", 1);
  std::vector<std::string> lines = SplitLines(GenerateJsonl(12, 3));
  ASSERT_GE(lines.size(), 10u);
  // The first line is the ministry's contract: not bound to a CSP's topic.
  ProduceLines(mock.bootstrap(), "gpu-events.kt-cloud", {lines[0]});
  TempDir dir;
  auto ledger = OpenFresh(dir);
  ServeStats s =
      Drain(*ledger, TestConfig(mock.bootstrap(), {{"gpu-events.kt-cloud", {"csp/kt-cloud"}}}));
  EXPECT_EQ(s.counts.rejected, 1u);
  EXPECT_EQ(s.counts.rejected_by_reason["unauthorized_source"], 1u);
  auto reject = ledger->ReadReject(0);
  ASSERT_TRUE(reject.ok());
  EXPECT_EQ(reject->reason, "unauthorized_source");
  EXPECT_EQ(reject->origin.topic, "gpu-events.kt-cloud");
  EXPECT_EQ(reject->origin.offset, 0);
  EXPECT_EQ(reject->message, lines[0]);
}

TEST(KafkaMockIngest, ThreeModesOfOneEventAreOneEntry) {
  MockCluster mock;
  mock.CreateTopic("events", 1);
  std::vector<std::string> lines = SplitLines(GenerateJsonl(9, 5));
  ProduceLines(mock.bootstrap(), "events", lines, KafkaMode::kStructured, 0);
  ProduceLines(mock.bootstrap(), "events", lines, KafkaMode::kBinaryJson, 0);
  ProduceLines(mock.bootstrap(), "events", lines, KafkaMode::kBinaryFlatBuffers, 0);
  TempDir dir;
  auto ledger = OpenFresh(dir);
  ServeStats s = Drain(*ledger, TestConfig(mock.bootstrap(), {{"events", kGenSources}}));
  EXPECT_EQ(s.counts.accepted, lines.size());
  EXPECT_EQ(s.counts.duplicate, 2 * lines.size());
  EXPECT_EQ(s.counts.rejected, 0u) << s.counts.rejected_by_reason.begin()->first;
}

// CSP reports already waiting in their topic are judged only after the ministry's topic
// (read_first) is read to its end, so none refers to a contract not yet ingested.
TEST(KafkaMockIngest, ReadFirstTopicsAreJudgedBeforeTheOthers) {
  MockCluster mock;
  mock.CreateTopic("gpu-events.ministry", 1);
  mock.CreateTopic("gpu-events.kt-cloud", 2);
  std::vector<std::string> lines = AcceptedLines(400, 13);
  std::vector<std::string> head(lines.begin(), lines.begin() + 9);  // ministry
  std::vector<std::string> usage(lines.begin() + 9, lines.end());   // csp/kt-cloud
  ProduceLines(mock.bootstrap(), "gpu-events.kt-cloud", usage, KafkaMode::kStructured, 1);
  ProduceLines(mock.bootstrap(), "gpu-events.ministry", head);
  TempDir dir;
  auto ledger = OpenFresh(dir);
  KafkaIngestConfig config = TestConfig(
      mock.bootstrap(),
      {{"gpu-events.ministry", {"ministry"}}, {"gpu-events.kt-cloud", {"csp/kt-cloud"}}});
  config.read_first = {"gpu-events.ministry"};
  ServeStats s = Drain(*ledger, config);
  EXPECT_EQ(s.counts.accepted, lines.size());
  EXPECT_EQ(s.counts.rejected, 0u);
  for (uint64_t i = 0; i < head.size(); ++i) {
    auto e = ledger->ReadEntry(i);
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(e->source, "ministry") << "entry " << i;
  }
  EXPECT_FALSE(ParseKafkaConfig(R"({"kafka":{"bootstrap.servers":"b"},"topics":{"t":["m"]},
                                    "read_first":["u"]})")
                   .ok());
}

// Produces while serving, with fetch errors queued and one broker going down and up; every
// record is accounted for once: the ledger holds each accepted event once and no duplicate
// record (a redelivered record would show up as one).
TEST(KafkaMockFaults, RequestErrorsAndBrokerDownUp) {
  MockCluster mock(3);
  mock.CreateTopic("events", 3);
  std::vector<std::string> lines = AcceptedLines(3000, 11);
  TempDir dir;
  auto ledger = OpenFresh(dir);
  KafkaIngestConfig config = TestConfig(mock.bootstrap(), {{"events", kGenSources}});
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> judged{0};
  ServeOptions options;
  options.stop = &stop;
  options.progress = [&](const ServeStats& s) { judged = s.counts.total(); };
  config.progress_interval_seconds = 1;
  Result<ServeStats> result = Status::IOError("not run");
  std::thread server([&] { result = Serve(*ledger, config, options); });
  // The contract and grants first, on partition 0, so that usage never outruns them.
  std::vector<std::string> head(lines.begin(), lines.begin() + 9);
  ProduceLines(mock.bootstrap(), "events", head, KafkaMode::kStructured, 0);
  std::thread flapper;
  for (size_t i = 9, part = 0; i < lines.size(); i += 300, ++part) {
    if (part == 2) {
      rd_kafka_mock_push_request_errors(
          mock.get(), kFetchApiKey, 3, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
          RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR__TRANSPORT);
    }
    if (part == 4) {
      // Broker 2 goes down for 3 s while records keep coming: the idempotent producer and
      // the consumer both retry through it.
      rd_kafka_mock_broker_set_down(mock.get(), 2);
      flapper = std::thread([&] {
        std::this_thread::sleep_for(std::chrono::seconds(3));
        rd_kafka_mock_broker_set_up(mock.get(), 2);
      });
    }
    std::vector<std::string> chunk(lines.begin() + i,
                                   lines.begin() + std::min(lines.size(), i + 300));
    // Usage reports may go to any partition: they only need the head, already judged.
    ProduceLines(mock.bootstrap(), "events", chunk, KafkaMode::kStructured,
                 static_cast<int32_t>(part % 3));
    if (part == 0) {
      for (int w = 0; w < 600 && judged < 9; ++w)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  if (flapper.joinable()) flapper.join();
  for (int w = 0; w < 1200 && judged < lines.size(); ++w) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  stop = true;
  server.join();
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->counts.total(), lines.size());
  EXPECT_EQ(result->counts.accepted, lines.size());
  EXPECT_EQ(ledger->stats().entries, lines.size());
  EXPECT_EQ(ledger->stats().duplicates, 0u);
  EXPECT_EQ(ledger->stats().rejects, 0u);
  VerifyReport report;
  EXPECT_TRUE(ledger->Verify(&report, nullptr).ok()) << report.problem;
}

TEST(KafkaConfig, RefusesOwnedPropertiesAndUnknownFields) {
  EXPECT_FALSE(ParseKafkaConfig(R"({"kafka":{"bootstrap.servers":"b","enable.auto.commit":"true"},
                                    "topics":{"t":["ministry"]}})")
                   .ok());
  EXPECT_FALSE(ParseKafkaConfig(R"({"kafka":{"bootstrap.servers":"b"},"topics":{}})").ok());
  EXPECT_FALSE(ParseKafkaConfig(R"({"kafka":{"bootstrap.servers":"b"},"topics":{"t":["m"]},
                                    "batchh":{}})")
                   .ok());
  auto ok = ParseKafkaConfig(R"({"kafka":{"bootstrap.servers":"b","security.protocol":"SASL_SSL"},
                                 "topics":{"gpu-events.kt-cloud":["csp/kt-cloud"]},
                                 "batch":{"messages_max":100,"linger_ms":20}})");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->properties.at("security.protocol"), "SASL_SSL");
  EXPECT_EQ(ok->properties.at("enable.auto.commit"), "false");
  EXPECT_EQ(ok->batch_messages_max, 100u);
  EXPECT_EQ(ok->batch_linger_ms, 20);
  // A config made in code gets the same check from Serve.
  std::map<std::string, std::string> props = {{"enable.auto.commit", "true"}};
  EXPECT_FALSE(ApplyKafkaProperties(&props).ok());
  props = {{"bootstrap.servers", "b"}};
  ASSERT_TRUE(ApplyKafkaProperties(&props).ok());
  EXPECT_EQ(props.at("auto.offset.reset"), "error");
  ASSERT_EQ(ok->topics.size(), 1u);
  EXPECT_EQ(ok->topics[0].sources[0], "csp/kt-cloud");
}

}  // namespace
}  // namespace gpuledger::testing
