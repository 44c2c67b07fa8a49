// Kafka subcommands: `serve` (long-running, exactly-once ingest from Kafka) and `produce`
// (a JSON Lines file into a topic, in any CloudEvents Kafka binding mode).
#include <fmt/core.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <iostream>
#include <nlohmann/json.hpp>

#include "gpuledger/kafka_ingest.h"
#include "tools/cli/cli.h"
#include "tools/csp/kafka_produce.h"

namespace gpuledger::cli {
namespace {

using nlohmann::ordered_json;

std::atomic<bool> g_stop{false};

extern "C" void OnStopSignal(int) {
  g_stop.store(true);
  // A second signal ends the process at once.
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
}

struct ServeArgs {
  std::string data_dir, config_path, brokers;
  bool drain = false, quiet = false;
  std::vector<std::string> checkpoint_key_files;
  ServeCheckpoints checkpoints;
};

std::string ProgressLine(const ServeStats& s, uint64_t records_per_second) {
  return fmt::format(
      "serve: {} accepted, {} duplicate, {} rejected in {} batches; {} records/s; ledger {} "
      "entries; lag {} over {} partitions",
      s.counts.accepted, s.counts.duplicate, s.counts.rejected, s.batches, records_per_second,
      s.ledger_size, s.total_lag(), s.partitions.size());
}

int RunServe(const ServeArgs& args) {
  auto config = LoadKafkaConfig(args.config_path);
  if (!config.ok()) return Failure(config.status());
  if (!args.brokers.empty()) config->properties["bootstrap.servers"] = args.brokers;
  auto ledger = OpenLedger(args.data_dir, /*read_only=*/false);
  if (!ledger.ok()) return Failure(ledger.status());
  std::signal(SIGINT, OnStopSignal);
  std::signal(SIGTERM, OnStopSignal);
  ServeOptions options;
  options.stop = &g_stop;
  options.drain = args.drain;
  options.checkpoints = args.checkpoints;
  for (const std::string& path : args.checkpoint_key_files) {
    auto key = ReadKeyFile(path);
    if (!key.ok()) return Failure(key.status());
    options.checkpoints.signer_keys.push_back(std::move(key.value()));
  }
  auto started = std::chrono::steady_clock::now();
  if (!args.quiet) {
    options.log = [](std::string_view line) { std::cerr << "serve: " << line << "\n"; };
    options.progress = [started](const ServeStats& s) {
      auto seconds = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::steady_clock::now() - started)
                         .count();
      std::cerr << ProgressLine(s, s.counts.total() / std::max<int64_t>(1, seconds)) << "\n";
    };
  }
  auto stats = Serve(*ledger.value(), config.value(), options);
  if (!stats.ok()) return Failure(stats.status());
  std::cout << ServeStatsJson(stats.value()).dump() << "\n";
  return kExitOk;
}

struct ProduceArgs {
  std::string brokers, topic, file, mode = "structured";
  int32_t partition = -1;
  std::vector<std::string> properties;  // key=value
  bool quiet = false;
};

int RunProduce(const ProduceArgs& args) {
  ProduceOptions options;
  options.brokers = args.brokers;
  options.topic = args.topic;
  options.partition = args.partition;
  auto mode = KafkaModeFromName(args.mode);
  if (!mode) {
    std::cerr << "produce: --mode is structured, binary or flatbuffers\n";
    return kExitUsage;
  }
  options.mode = *mode;
  for (const std::string& kv : args.properties) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "produce: -X takes key=value, got " << kv << "\n";
      return kExitUsage;
    }
    options.properties[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  if (!args.quiet) {
    options.progress = [](uint64_t done, uint64_t) {
      std::cerr << "produce: " << done << " lines read\n";
    };
  }
  auto report = ProduceFile(args.file, options);
  if (!report.ok()) return Failure(report.status());
  const ProduceReport& r = report.value();
  ordered_json out = {{"lines", r.lines},
                      {"blank", r.blank},
                      {"delivered", r.delivered},
                      {"failed", r.failed},
                      {"sent_structured", r.sent_structured}};
  std::cout << out.dump() << "\n";
  return kExitOk;
}

}  // namespace

ordered_json ServeStatsJson(const ServeStats& s) {
  ordered_json partitions = ordered_json::array();
  for (const PartitionProgress& p : s.partitions) {
    partitions.push_back({{"topic", p.topic},
                          {"partition", p.partition},
                          {"next_offset", p.next_offset},
                          {"lag", p.lag()}});
  }
  return {{"accepted", s.counts.accepted},
          {"duplicate", s.counts.duplicate},
          {"rejected", s.counts.rejected},
          {"rejected_by_reason", s.counts.rejected_by_reason},
          {"blank", s.blank},
          {"redelivered_skipped", s.redelivered_skipped},
          {"offset_gaps", s.offset_gaps},
          {"batches", s.batches},
          {"assignments", s.assignments},
          {"revocations", s.revocations},
          {"ledger_size", s.ledger_size},
          {"checkpoints_signed", s.checkpoints_signed},
          {"checkpoint_size", s.checkpoint_size},
          {"partitions", partitions}};
}

void AddKafkaCommands(CLI::App& app, std::vector<Command>* commands) {
  auto serve_args = std::make_shared<ServeArgs>();
  CLI::App* serve = app.add_subcommand("serve", "ingest from Kafka, exactly once, until stopped");
  serve->add_option("--data", serve_args->data_dir, "ledger directory")->required();
  serve->add_option("--config", serve_args->config_path, "JSON config (docs/kafka.md)")->required();
  serve->add_option("--brokers", serve_args->brokers, "override kafka.bootstrap.servers");
  serve->add_flag("--drain", serve_args->drain,
                  "stop by itself once every assigned partition is read to its end");
  serve->add_flag("--quiet", serve_args->quiet, "no progress on stderr");
  serve->add_option("--checkpoint-key", serve_args->checkpoint_key_files,
                    "sign checkpoints with this private key file (repeatable: key rotation)");
  serve->add_option("--checkpoint-origin", serve_args->checkpoints.origin,
                    "checkpoint origin line (default: the first key's name)");
  serve
      ->add_option("--checkpoint-every-entries", serve_args->checkpoints.every_entries,
                   "sign when this many entries were added since the last checkpoint")
      ->check(CLI::PositiveNumber);
  serve
      ->add_option("--checkpoint-every-seconds", serve_args->checkpoints.every_seconds,
                   "sign when this many seconds passed since the last checkpoint")
      ->check(CLI::PositiveNumber);
  commands->push_back({serve, [serve_args] { return RunServe(*serve_args); }});

  auto produce_args = std::make_shared<ProduceArgs>();
  CLI::App* produce = app.add_subcommand("produce", "send a JSON Lines file to a Kafka topic");
  produce->add_option("--brokers", produce_args->brokers, "bootstrap servers")->required();
  produce->add_option("--topic", produce_args->topic, "topic")->required();
  produce->add_option("--mode", produce_args->mode, "structured | binary | flatbuffers");
  produce->add_option("--partition", produce_args->partition,
                      "partition (default: by the event's source)");
  produce->add_option("-X", produce_args->properties, "librdkafka property key=value");
  produce->add_option("file", produce_args->file, "JSON Lines file, - for stdin")->required();
  produce->add_flag("--quiet", produce_args->quiet, "no progress on stderr");
  commands->push_back({produce, [produce_args] { return RunProduce(*produce_args); }});
}

}  // namespace gpuledger::cli
