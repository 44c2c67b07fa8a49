// `gpuledger demo`: the README's main job. Needs no broker: librdkafka's built-in mock
// cluster (rdkafka_mock.h) stands in for Kafka. A simulated month of the ministry's and a
// few CSPs' events is produced in all three CloudEvents modes, ingested by Serve in four
// runs (ministry first, then the CSPs with injected fetch errors, the month's close, then a
// CSP's late report for the closed month), verified, projected (settlement and anomalies of
// the month), and summarised as one JSON object.
#include <fmt/core.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <vector>

#include "consumers/kafka/kafka_mock.h"
#include "gpuledger/kafka_ingest.h"
#include "gpuledger/projections.h"
#include "tools/cli/cli.h"
#include "tools/csp/kafka_produce.h"
#include "tools/csp/simulate.h"
#include "tools/export/bundle_export.h"

namespace gpuledger::cli {

Result<SimulateSummary> SimulateToFiles(const SimulateOptions& options, const std::string& dir,
                                        std::map<std::string, std::string>* files);

namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

constexpr std::string_view kMinistryTopic = "gpu-events.ministry";
constexpr int kPartitionsPerTopic = 3;
constexpr int16_t kFetchApiKey = 1;
constexpr uint64_t kCheckpointEveryEntries = 5000;
constexpr std::string_view kDemoOrigin =
    "gpuledger.demo/ledger";  // Kafka protocol ApiKey of Fetch (not in the public headers)

std::string SourceOfTopic(const std::string& topic) {
  std::string id = topic.substr(topic.find('.') + 1);
  return id == "ministry" ? id : "csp/" + id;
}

struct Demo {
  std::string data_dir;
  bool quiet = false;
  kafka::MockKafka mock;
  KafkaIngestConfig config;
  std::unique_ptr<Ledger> ledger;
  std::string signer_key;  // serve signs a checkpoint every kCheckpointEveryEntries with it
  ordered_json phases = ordered_json::array();
  IntakeCounts totals;

  void Say(const std::string& line) const {
    if (!quiet) std::cerr << "demo: " << line << "\n";
  }

  Status Produce(const std::string& topic, const std::string& path, KafkaMode mode,
                 int32_t partition = -1) {
    ProduceOptions options;
    options.brokers = mock.bootstrap;
    options.topic = topic;
    options.mode = mode;
    options.partition = partition;
    auto report = ProduceFile(path, options);
    if (!report.ok()) return report.status();
    Say(fmt::format("produced {} events to {}{} in {} mode", report->delivered, topic,
                    partition < 0 ? "" : fmt::format("[{}]", partition), KafkaModeName(mode)));
    return Status::Ok();
  }

  Status Ingest(const std::string& phase) {
    ServeOptions options;
    options.drain = true;
    options.checkpoints.signer_keys = {signer_key};
    options.checkpoints.every_entries = kCheckpointEveryEntries;
    if (!quiet) options.log = [](std::string_view l) { std::cerr << "demo: serve: " << l << "\n"; };
    auto stats = Serve(*ledger, config, options);
    if (!stats.ok()) return stats.status();
    const ServeStats& s = stats.value();
    Say(fmt::format("{}: {} accepted, {} duplicate, {} rejected; ledger {} entries", phase,
                    s.counts.accepted, s.counts.duplicate, s.counts.rejected, s.ledger_size));
    totals.Add(s.counts);
    ordered_json row = ServeStatsJson(s);
    phases.push_back({{"phase", phase}, {"serve", row}});
    return Status::Ok();
  }
};

// Spreads a CSP's events over the topic's partitions in runs of kRunLines (the mock
// cluster keeps only a few MB per partition; a month of one CSP is more). Their order
// across partitions does not change any outcome: CSP events depend only on the
// ministry's, which are ingested first.
Result<std::vector<std::string>> SplitForPartitions(const std::string& path) {
  constexpr size_t kRunLines = 500;
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot read " + path);
  std::vector<std::string> paths;
  std::vector<std::ofstream> outs;
  for (int p = 0; p < kPartitionsPerTopic; ++p) {
    paths.push_back(path + ".p" + std::to_string(p));
    outs.emplace_back(paths.back(), std::ios::binary | std::ios::trunc);
  }
  std::string line;
  for (size_t n = 0; std::getline(in, line); ++n) {
    outs[(n / kRunLines) % kPartitionsPerTopic] << line << '\n';
  }
  for (auto& o : outs) {
    o.close();
    if (!o) return Status::IOError("cannot write " + path + ".p*");
  }
  return paths;
}

// Events the demo sends itself after the simulated ones: the close and a late report.
constexpr uint64_t kDemoEvents = 2;

std::string CloseEvent(const std::string& month) {
  return fmt::format(
      R"({{"specversion":"1.0","id":"ministry-close-{0}","source":"ministry",)"
      R"("type":"io.gpuledger.period.closed.v1","time":"{1}","datacontenttype":"application/json",)"
      R"("data":{{"month":"{0}"}}}})",
      month, "2026-05-01T00:00:00Z");
}

Status RunPhases(Demo& d, const std::map<std::string, std::string>& files,
                 const SimulateOptions& sim) {
  for (const auto& [topic, path] : files) {
    rd_kafka_mock_topic_create(d.mock.cluster, topic.c_str(), kPartitionsPerTopic, 1);
    d.config.topics.push_back({topic, {SourceOfTopic(topic)}});
  }
  d.config.read_first = {std::string(kMinistryTopic)};
  // The mock cluster's group coordinator waits out a departed member's session before it
  // rebalances; a short session keeps the three runs quick. librdkafka's own log stays
  // quiet about the errors the demo injects on purpose.
  d.config.properties = {{"bootstrap.servers", d.mock.bootstrap},
                         {"group.id", "gpuledger-demo"},
                         {"session.timeout.ms", "6000"},
                         {"heartbeat.interval.ms", "1000"},
                         {"log_level", "2"}};

  // Phase 1: the ministry's contracts and allocations, which the CSPs' events refer to.
  if (Status s = d.Produce(std::string(kMinistryTopic), files.at(std::string(kMinistryTopic)),
                           KafkaMode::kStructured);
      !s.ok())
    return s;
  if (Status s = d.Ingest("ministry"); !s.ok()) return s;
  // Phase 2: the CSPs, one mode each, while the mock cluster fails some fetches.
  const KafkaMode modes[] = {KafkaMode::kStructured, KafkaMode::kBinaryJson,
                             KafkaMode::kBinaryFlatBuffers};
  size_t i = 0;
  for (const auto& [topic, path] : files) {
    if (topic == kMinistryTopic) continue;
    KafkaMode mode = modes[i++ % 3];
    auto parts = SplitForPartitions(path);
    if (!parts.ok()) return parts.status();
    for (size_t p = 0; p < parts->size(); ++p) {
      Status s = d.Produce(topic, parts.value()[p], mode, static_cast<int32_t>(p));
      if (!s.ok()) return s;
    }
  }
  rd_kafka_mock_push_request_errors(
      d.mock.cluster, kFetchApiKey, 4, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
      RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
      RD_KAFKA_RESP_ERR__TRANSPORT);
  if (Status s = d.Ingest("csps"); !s.ok()) return s;
  // Phase 3: the ministry closes the month.
  std::string close_path = (fs::path(d.data_dir).parent_path() / "close.jsonl").string();
  std::ofstream(close_path, std::ios::binary | std::ios::trunc) << CloseEvent(sim.month) << "\n";
  if (Status s = d.Produce(std::string(kMinistryTopic), close_path, KafkaMode::kStructured);
      !s.ok())
    return s;
  if (Status s = d.Ingest("close"); !s.ok()) return s;
  // Phase 4: a CSP's late report for the closed month (an adjustment, and an anomaly).
  std::string late_path = (fs::path(d.data_dir).parent_path() / "late.jsonl").string();
  std::ofstream(late_path, std::ios::binary | std::ios::trunc) << LateCapacityEvent(sim) << "\n";
  if (Status s = d.Produce("gpu-events.kt-cloud", late_path, KafkaMode::kBinaryJson); !s.ok())
    return s;
  return d.Ingest("late");
}

ordered_json KrwJson(Krw amount) {
  if (amount >= INT64_MIN && amount <= INT64_MAX) return static_cast<int64_t>(amount);
  return KrwText(amount);  // beyond 64 bits: exact decimal text
}

// The projections of the demo's ledger: the month's settlement totals and anomalies by kind.
Result<ordered_json> ProjectionSummary(const Ledger& ledger, const std::string& data_dir,
                                       const std::string& month) {
  auto projections = OpenProjections(ledger, data_dir, ProjectionOptions(), /*quiet=*/true);
  if (!projections.ok()) return projections.status();
  auto rows = projections.value()->Settlement(month);
  if (!rows.ok()) return rows.status();
  auto anomalies = projections.value()->Anomalies(ledger, month);
  if (!anomalies.ok()) return anomalies.status();
  SettlementFigures total, adjustment;
  bool closed = false;
  for (const SettlementRow& row : rows.value()) {
    total = total + row.current;
    adjustment = adjustment + row.adjustment;
    closed = closed || row.closed;
  }
  ordered_json by_kind = ordered_json::object();
  for (const AnomalyRow& row : anomalies.value()) {
    by_kind[row.kind] = by_kind.value(row.kind, 0) + 1;
  }
  return ordered_json{
      {"month", month},
      {"closed", closed},
      {"contracts", rows->size()},
      {"committed_gpu_seconds", total.committed_gpu_seconds},
      {"delivered_gpu_seconds", total.delivered_gpu_seconds},
      {"payable_gpu_seconds", total.payable_gpu_seconds},
      {"shortfall_gpu_seconds", total.shortfall_gpu_seconds},
      {"capacity_amount_krw", KrwJson(total.capacity_amount_krw)},
      {"penalty_krw", KrwJson(total.penalty_krw)},
      {"net_krw", KrwJson(total.net_krw)},
      {"adjustment_delivered_gpu_seconds", adjustment.delivered_gpu_seconds},
      {"adjustment_net_krw", KrwJson(adjustment.net_krw)},
      {"anomalies", by_kind},
      {"report", "gpuledger report settlement --data " + data_dir + " --month " + month}};
}

// The log's signing key, written as `gpuledger keygen` would (keys/log.key, keys/log.vkey).
Result<std::string> MakeDemoKey(const fs::path& dir, std::string* vkey_path) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  auto files = MakeKeyFiles(std::string(kDemoOrigin), /*cosigner=*/false, (dir / "log").string());
  if (!files.ok()) return files.status();
  *vkey_path = (dir / "log.vkey").string();
  return std::move(files->private_key);
}

// The auditor's part: the checkpoints serve signed, and a bundle to verify offline.
Result<ordered_json> AuditSummary(Demo& d, const fs::path& root, const std::string& vkey_path) {
  auto checkpoints = d.ledger->Checkpoints();
  if (!checkpoints.ok()) return checkpoints.status();
  const std::string bundle = (root / "bundle").string();
  auto exported = ExportBundle(*d.ledger, LazyProjections(*d.ledger, d.data_dir, /*quiet=*/true),
                               bundle, "", {d.signer_key}, /*progress=*/nullptr);
  if (!exported.ok()) return exported.status();
  d.Say("exported an audit bundle to " + bundle);
  return ordered_json{{"checkpoints_signed", checkpoints->size()},
                      {"bundle", exported.value()},
                      {"public_key", vkey_path},
                      {"verify", "gpuledger-verify bundle " + bundle + " --key " + vkey_path}};
}

}  // namespace

int RunDemo(const std::string& data_dir_in, uint64_t seed, uint32_t scale, bool quiet) {
  auto started = std::chrono::steady_clock::now();
  Demo d;
  d.quiet = quiet;
  fs::path root = data_dir_in.empty()
                      ? fs::temp_directory_path() / fmt::format("gpuledger-demo-{}", ::getpid())
                      : fs::path(data_dir_in);
  std::error_code ec;
  if (fs::exists(root, ec) && !fs::is_empty(root, ec)) {
    return Failure(Status::InvalidArgument(root.string() + " is not empty"));
  }
  fs::create_directories(root / "input", ec);
  if (ec) return Failure(Status::IOError("cannot create " + root.string()));
  d.data_dir = (root / "ledger").string();
  std::string vkey_path;
  auto key = MakeDemoKey(root / "keys", &vkey_path);
  if (!key.ok()) return Failure(key.status());
  d.signer_key = std::move(key.value());
  SimulateOptions sim;
  sim.seed = seed;
  sim.scale = scale;
  sim.with_faults = true;
  sim.close_month = false;  // phase 3 closes it, after every CSP report is in
  std::map<std::string, std::string> files;
  auto expected = SimulateToFiles(sim, (root / "input").string(), &files);
  if (!expected.ok()) return Failure(expected.status());
  d.Say(fmt::format("simulated {} events of {} for {} CSPs in {}", expected->events, sim.month,
                    sim.csps, (root / "input").string()));
  auto mock = kafka::StartMockKafka(3, 3);
  if (!mock.ok()) return Failure(mock.status());
  d.mock = std::move(mock.value());
  d.Say("mock Kafka cluster (3 brokers) at " + d.mock.bootstrap);
  auto ledger = OpenLedger(d.data_dir, false);
  if (!ledger.ok()) return Failure(ledger.status());
  d.ledger = std::move(ledger.value());
  if (Status s = RunPhases(d, files, sim); !s.ok()) return Failure(s);
  VerifyReport verify;
  Status verified = d.ledger->Verify(&verify, nullptr);
  LedgerStats stats = d.ledger->stats();
  auto settlement = ProjectionSummary(*d.ledger, d.data_dir, sim.month);
  if (!settlement.ok()) return Failure(settlement.status());
  auto audit = AuditSummary(d, root, vkey_path);
  if (!audit.ok()) return Failure(audit.status());
  bool as_expected = d.totals.accepted == expected->expected_accepted + kDemoEvents &&
                     d.totals.duplicate == expected->expected_duplicate &&
                     d.totals.rejected == expected->expected_rejected;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  started)
                .count();
  ordered_json out = {{"data", d.data_dir},
                      {"simulated_events", expected->events + kDemoEvents},
                      {"accepted", d.totals.accepted},
                      {"duplicate", d.totals.duplicate},
                      {"rejected", d.totals.rejected},
                      {"rejected_by_reason", d.totals.rejected_by_reason},
                      {"expected",
                       {{"accepted", expected->expected_accepted + kDemoEvents},
                        {"duplicate", expected->expected_duplicate},
                        {"rejected", expected->expected_rejected}}},
                      {"as_expected", as_expected},
                      {"ledger",
                       {{"entries", stats.entries},
                        {"rejects", stats.rejects},
                        {"duplicates", stats.duplicates},
                        {"root", HexOf(stats.root)}}},
                      {"verify", verified.ok() && verify.ok ? "ok" : "FAILED: " + verify.problem},
                      {"settlement", settlement.value()},
                      {"audit", audit.value()},
                      {"phases", d.phases},
                      {"elapsed_ms", ms}};
  std::cout << out.dump(2) << "\n";
  return as_expected && verified.ok() && verify.ok ? kExitOk : kExitFailed;
}

}  // namespace gpuledger::cli
