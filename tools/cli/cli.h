// gpuledger command line: shared declarations of the subcommands (tools/).
// Exit status (spec section 8): 0 success, 1 verification failed or bad input, 2 usage error.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gpuledger/kafka_ingest.h"
#include "gpuledger/ledger.h"
#include "gpuledger/projections.h"
#include "tools/export/bundle_export.h"

namespace gpuledger::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

// Prints what went wrong in plain words on stderr; returns kExitFailed.
int Failure(const Status& status);
[[nodiscard]] Result<std::unique_ptr<Ledger>> OpenLedger(const std::string& dir, bool read_only);
// The projections of the ledger in `data_dir`, caught up with `ledger` (progress on stderr
// unless `quiet`): what every report and export reads.
[[nodiscard]] Result<std::unique_ptr<Projections>> OpenProjections(const Ledger& ledger,
                                                                   const std::string& data_dir,
                                                                   const ProjectionOptions& options,
                                                                   bool quiet);
// A new key pair named `name` (a witness's cosignature key when `cosigner`), written as
// PREFIX.key (0600) and PREFIX.vkey; neither file may exist. Returns both texts.
struct KeyFiles {
  std::string private_key, vkey;
};
[[nodiscard]] Result<KeyFiles> MakeKeyFiles(const std::string& name, bool cosigner,
                                            const std::string& prefix);
// The text of a key file written by `gpuledger keygen` (one line; the newline dropped).
[[nodiscard]] Result<std::string> ReadKeyFile(const std::string& path);
// Prints progress of `what` to stderr at most once a second (nullptr when quiet).
ProgressFn Progress(std::string what, std::string unit, bool quiet);

// A subcommand registered by one of the cli_*.cc files: runs if it was parsed.
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};
// The final report of `serve` (and the demo), as stable JSON.
nlohmann::ordered_json ServeStatsJson(const ServeStats& stats);

void AddKafkaCommands(CLI::App& app, std::vector<Command>* commands);  // serve, produce
void AddDemoCommands(CLI::App& app, std::vector<Command>* commands);   // simulate, demo
// report settlement|usage|anomalies, project, rebuild
void AddReportCommands(CLI::App& app, std::vector<Command>* commands);
void AddExportCommands(CLI::App& app, std::vector<Command>* commands);  // export focus|bundle
// The projections ExportBundle (tools/export/bundle_export.h) reads the statements from:
// those of the ledger in `data_dir`, opened and caught up with `ledger` on the first call
// only (progress on stderr unless `quiet`), held by the function until it is destroyed.
[[nodiscard]] BundleProjectionsFn LazyProjections(const Ledger& ledger, const std::string& data_dir,
                                                  bool quiet);
void AddBundleCommand(CLI::App& exp, std::vector<Command>* commands);  // export bundle
void AddAuditCommands(CLI::App& app, std::vector<Command>* commands);  // keygen, checkpoint, prove

int RunIngest(const std::string& data_dir, const std::string& file, uint64_t batch_messages_max,
              bool quiet);
int RunVerify(const std::string& data_dir, bool quiet);
int RunLog(const std::string& data_dir, uint64_t from, uint64_t limit, bool rejects,
           bool duplicates);
int RunShow(const std::string& data_dir, int64_t index, int64_t reject_seq);
int RunStats(const std::string& data_dir);

}  // namespace gpuledger::cli
