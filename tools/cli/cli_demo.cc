// `simulate` (deterministic synthetic CSP streams as JSON Lines) and `demo` (the main job:
// a simulated month streamed through librdkafka's built-in mock Kafka cluster into a fresh
// ledger, verified, summarised; no broker needed).
#include <fmt/core.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include "consumers/kafka/rdkafka_handles.h"
#include "gpuledger/kafka_ingest.h"
#include "tools/cli/cli.h"
#include "tools/csp/kafka_produce.h"
#include "tools/csp/simulate.h"

namespace gpuledger::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

struct SimulateArgs {
  SimulateOptions options;
  std::string out, out_dir;
};

// Writes the simulated stream to one file (or stdout), or one file per topic.
Result<SimulateSummary> WriteSimulation(const SimulateOptions& options, const std::string& out,
                                        const std::string& out_dir,
                                        std::map<std::string, std::string>* files) {
  std::map<std::string, std::ofstream> per_topic;
  std::ofstream single;
  if (!out.empty() && out != "-") single.open(out, std::ios::binary | std::ios::trunc);
  bool failed = false;
  auto summary = Simulate(options, [&](const SimulatedEvent& e) {
    std::ostream* os = &std::cout;
    if (!out_dir.empty()) {
      auto [it, fresh] = per_topic.try_emplace(std::string(e.topic));
      if (fresh) {
        std::string path = (fs::path(out_dir) / (std::string(e.topic) + ".jsonl")).string();
        it->second.open(path, std::ios::binary | std::ios::trunc);
        if (files) (*files)[std::string(e.topic)] = path;
      }
      os = &it->second;
    } else if (single.is_open()) {
      os = &single;
    }
    os->write(e.json.data(), static_cast<std::streamsize>(e.json.size())).put('\n');
    failed = failed || !*os;
  });
  if (!summary.ok()) return summary.status();
  if (failed) return Status::IOError("cannot write the simulated events");
  return summary;
}

int RunSimulate(const SimulateArgs& args) {
  if (!args.out_dir.empty()) {
    std::error_code ec;
    fs::create_directories(args.out_dir, ec);
    if (ec) return Failure(Status::IOError("cannot create " + args.out_dir));
  }
  auto summary = WriteSimulation(args.options, args.out, args.out_dir, nullptr);
  if (!summary.ok()) return Failure(summary.status());
  ordered_json out = {{"events", summary->events},
                      {"expected_accepted", summary->expected_accepted},
                      {"expected_duplicate", summary->expected_duplicate},
                      {"expected_rejected", summary->expected_rejected}};
  (args.out.empty() || args.out == "-" ? std::cerr : std::cout) << out.dump() << "\n";
  return kExitOk;
}

}  // namespace

int RunDemo(const std::string& data_dir_in, uint64_t seed, uint32_t scale, bool quiet);

void AddDemoCommands(CLI::App& app, std::vector<Command>* commands) {
  auto sim = std::make_shared<SimulateArgs>();
  CLI::App* simulate =
      app.add_subcommand("simulate", "write deterministic synthetic CSP streams (JSON Lines)");
  simulate->add_option("--seed", sim->options.seed, "random seed");
  simulate->add_option("--scale", sim->options.scale, "contracts and allocations per CSP")
      ->check(CLI::Range(1, 1000));
  simulate->add_option("--month", sim->options.month, "YYYY-MM (default 2026-04)");
  simulate->add_option("--csps", sim->options.csps, "number of CSPs")->check(CLI::Range(1, 100));
  simulate->add_option("--days", sim->options.days, "simulate only the first N days");
  simulate->add_option("--capacity-interval-seconds", sim->options.capacity_interval_seconds,
                       "seconds between capacity reports");
  simulate->add_flag("--faults", sim->options.with_faults,
                     "add duplicates and bad messages (each with a known outcome)");
  simulate->add_flag("!--no-close", sim->options.close_month, "do not close the month");
  simulate->add_option("--out", sim->out, "output file (default: stdout)");
  simulate->add_option("--out-dir", sim->out_dir, "one file per topic in this directory");
  commands->push_back({simulate, [sim] { return RunSimulate(*sim); }});

  struct DemoArgs {
    std::string data_dir;
    uint64_t seed = 1;
    uint32_t scale = 1;
    bool quiet = false;
  };
  auto demo_args = std::make_shared<DemoArgs>();
  CLI::App* demo = app.add_subcommand(
      "demo", "stream a simulated month through an embedded mock Kafka cluster, ingest, verify");
  demo->add_option("--data", demo_args->data_dir,
                   "ledger directory (default: a new directory under /tmp); must be empty");
  demo->add_option("--seed", demo_args->seed, "simulation seed");
  demo->add_option("--scale", demo_args->scale, "simulation scale")->check(CLI::Range(1, 100));
  demo->add_flag("--quiet", demo_args->quiet, "no progress on stderr");
  commands->push_back({demo, [demo_args] {
                         return RunDemo(demo_args->data_dir, demo_args->seed, demo_args->scale,
                                        demo_args->quiet);
                       }});
}

Result<SimulateSummary> SimulateToFiles(const SimulateOptions& options, const std::string& dir,
                                        std::map<std::string, std::string>* files) {
  return WriteSimulation(options, "", dir, files);
}

}  // namespace gpuledger::cli
