// Outside clients against the real broker: a JSON Lines file sent with kcat gives the same
// intake counts and the same ledger entries as `gpuledger ingest` of the file, and records
// sent by kcat and by Python's confluent-kafka, in both CloudEvents modes, are ingested.
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "gpuledger/file_intake.h"
#include "gpuledger/json_lines.h"
#include "gpuledger/ledger.h"
#include "tests/support/kafka_test_util.h"
#include "tests/support/test_util.h"
#include "tools/csp/simulate.h"

namespace gpuledger::testing {
namespace {

std::string Env(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

// Runs a shell command line; returns its exit status.
int Shell(const std::string& command) { return std::system(command.c_str()); }

std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::unique_ptr<Ledger> Open(const std::string& dir) {
  auto ledger = Ledger::Open(dir, LedgerOptions{});
  EXPECT_TRUE(ledger.ok()) << ledger.status().ToString();
  return ledger.ok() ? std::move(ledger.value()) : nullptr;
}

TEST(KafkaBrokerClients, KcatFileGivesTheSameLedgerAsIngest) {
  const std::string brokers = RealBrokers();
  const std::string topic = UniqueTopic("kcat-file");
  CreateRealTopic(brokers, topic, 1);
  TempDir dir;
  SimulateOptions sim;
  sim.days = 2;
  sim.with_faults = true;
  std::string body;
  size_t n = 0;
  auto summary = Simulate(sim, [&](const SimulatedEvent& e) {
    body += std::string(e.json) + (n++ % 3 == 0 ? "\r\n" : "\n");  // some CRLF lines
  });
  ASSERT_TRUE(summary.ok());
  body += "\n   \n";                    // blank lines: skipped and not counted, by both
  body = std::string(kUtf8Bom) + body;  // a byte order mark: ignored by both, as is CR
  WriteFile(dir.Sub("events.jsonl"), body);
  ASSERT_EQ(Shell(Env("GPULEDGER_KCAT", "kcat") + " -P -q -b " + brokers + " -t " + topic + " -l " +
                  Quote(dir.Sub("events.jsonl"))),
            0);
  auto kafka_ledger = Open(dir.Sub("kafka"));
  ServeStats served =
      Drain(*kafka_ledger, TestConfig(brokers, {{topic, {"ministry", "csp/*"}}}, topic));
  auto file_ledger = Open(dir.Sub("file"));
  auto ingested = IngestFile(*file_ledger, dir.Sub("events.jsonl"), FileIngestOptions{});
  ASSERT_TRUE(ingested.ok());
  EXPECT_EQ(served.counts.accepted, ingested->counts.accepted);
  EXPECT_EQ(served.counts.duplicate, ingested->counts.duplicate);
  EXPECT_EQ(served.counts.rejected, ingested->counts.rejected);
  EXPECT_EQ(served.counts.rejected_by_reason, ingested->counts.rejected_by_reason);
  EXPECT_EQ(served.counts.accepted, summary->expected_accepted);
  EXPECT_GT(served.counts.rejected, 0u);
  ASSERT_EQ(kafka_ledger->size(), file_ledger->size());
  for (uint64_t i = 0; i < file_ledger->size(); ++i) {
    auto a = kafka_ledger->ReadEntry(i);
    auto b = file_ledger->ReadEntry(i);
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_EQ(a->message, b->message) << "entry " << i;
    ASSERT_EQ(a->content_sha256, b->content_sha256) << "entry " << i;
    ASSERT_EQ(a->origin.offset + 1, static_cast<int64_t>(b->origin.line)) << "entry " << i;
  }
  for (uint64_t i = 0; i < file_ledger->stats().rejects; ++i) {
    auto a = kafka_ledger->ReadReject(i);
    auto b = file_ledger->ReadReject(i);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(a->reason, b->reason);
    EXPECT_EQ(a->message, b->message);
  }
}

TEST(KafkaBrokerClients, KcatAndConfluentKafkaInBothModes) {
  const std::string brokers = RealBrokers();
  const std::string topic = UniqueTopic("clients");
  CreateRealTopic(brokers, topic, 1);
  std::vector<std::string> lines = AcceptedLines(60, 9);
  ASSERT_GE(lines.size(), 40u);
  TempDir dir;
  auto write = [&](const std::string& name, size_t from, size_t to) {
    std::string body;
    for (size_t i = from; i < to; ++i) body += lines[i] + "\n";
    WriteFile(dir.Sub(name), body);
    return dir.Sub(name);
  };
  const std::string kcat = Env("GPULEDGER_KCAT", "kcat");
  const std::string python = Env("GPULEDGER_PYTHON", "python3");
  const std::string script =
      std::string(GPULEDGER_SOURCE_DIR) + "/tests/kafka_broker/confluent_produce.py";
  // kcat, structured: the contract and grants and the first usage reports.
  ASSERT_EQ(Shell(kcat + " -P -q -b " + brokers + " -t " + topic + " -l " +
                  Quote(write("a.jsonl", 0, 15))),
            0);
  // kcat, binary: one invocation per record, attributes as -H ce_ headers.
  for (size_t i = 15; i < 20; ++i) {
    auto event = nlohmann::json::parse(lines[i]);
    std::string cmd = kcat + " -P -q -b " + brokers + " -t " + topic;
    for (auto& [name, value] : event.items()) {
      if (name == "data") continue;
      std::string header = name == "datacontenttype" ? "content-type" : "ce_" + name;
      cmd += " -H " + Quote(header + "=" + value.get<std::string>());
    }
    WriteFile(dir.Sub("data.json"), event["data"].dump());
    ASSERT_EQ(Shell(cmd + " " + Quote(dir.Sub("data.json"))), 0);
  }
  // Python confluent-kafka, structured and binary.
  ASSERT_EQ(Shell(python + " " + script + " " + brokers + " " + topic + " " +
                  Quote(write("b.jsonl", 20, 30)) + " structured >/dev/null"),
            0);
  ASSERT_EQ(Shell(python + " " + script + " " + brokers + " " + topic + " " +
                  Quote(write("c.jsonl", 30, lines.size())) + " binary >/dev/null"),
            0);
  auto ledger = Open(dir.Sub("ledger"));
  KafkaIngestConfig config = TestConfig(brokers, {{topic, {"ministry", "csp/kt-cloud"}}}, topic);
  ServeStats first = Drain(*ledger, config);
  EXPECT_EQ(first.counts.accepted, lines.size());
  EXPECT_EQ(first.counts.rejected, 0u);
  auto binary = ledger->ReadEntry(16);
  ASSERT_TRUE(binary.ok());
  EXPECT_NE(binary->content_type, "application/cloudevents+json") << binary->message;
  // Everything again, all in binary mode from Python: the same events, so all duplicates.
  ASSERT_EQ(Shell(python + " " + script + " " + brokers + " " + topic + " " +
                  Quote(write("all.jsonl", 0, lines.size())) + " binary >/dev/null"),
            0);
  ServeStats again = Drain(*ledger, config);
  EXPECT_EQ(again.counts.duplicate, lines.size());
  EXPECT_EQ(again.counts.accepted, 0u);
}

}  // namespace
}  // namespace gpuledger::testing
