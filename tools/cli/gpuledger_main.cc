// gpuledger: the command line of the ledger (spec section 8).
#include <CLI/CLI.hpp>
#include <cstdio>

#include "tools/cli/cli.h"

int main(int argc, char** argv) {
  using namespace gpuledger::cli;
  CLI::App app{"gpuledger: hash-chained ledger and audit of GPU-hour accounting"};
  app.require_subcommand(1);
  std::string data_dir, file;
  uint64_t batch = 1000, from = 0, limit = UINT64_MAX;
  int64_t index = -1, reject = -1;
  bool quiet = false, rejects = false, duplicates = false;

  CLI::App* ingest = app.add_subcommand("ingest", "append a JSON Lines file through the intake");
  ingest->add_option("--data", data_dir, "ledger directory")->required();
  ingest->add_option("file", file, "JSON Lines file of CloudEvents")->required();
  ingest->add_option("--batch", batch, "messages per durable batch")->check(CLI::Range(1, 100000));
  ingest->add_flag("--quiet", quiet, "no progress on stderr");

  CLI::App* verify = app.add_subcommand("verify", "recompute every hash and check every index");
  verify->add_option("--data", data_dir, "ledger directory")->required();
  verify->add_flag("--quiet", quiet, "no progress on stderr");

  CLI::App* log = app.add_subcommand("log", "print entries (or rejects) as JSON Lines");
  log->add_option("--data", data_dir, "ledger directory")->required();
  log->add_option("--from", from, "first index (or reject sequence number)");
  log->add_option("--limit", limit, "at most this many rows");
  auto* rejects_flag =
      log->add_flag("--rejects", rejects, "print the rejects store instead of the entries");
  log->add_flag("--duplicates", duplicates, "print the duplicate records instead of the entries")
      ->excludes(rejects_flag);

  CLI::App* show = app.add_subcommand("show", "print one entry or reject as JSON");
  show->add_option("--data", data_dir, "ledger directory")->required();
  auto* by_index = show->add_option("--index", index, "entry index")->check(CLI::NonNegativeNumber);
  auto* by_reject =
      show->add_option("--reject", reject, "reject sequence number")->check(CLI::NonNegativeNumber);
  by_index->excludes(by_reject);

  CLI::App* stats = app.add_subcommand("stats", "print the ledger's counts, root and chain head");
  stats->add_option("--data", data_dir, "ledger directory")->required();

  std::vector<Command> commands;
  AddKafkaCommands(app, &commands);
  AddDemoCommands(app, &commands);
  AddReportCommands(app, &commands);
  AddExportCommands(app, &commands);
  AddAuditCommands(app, &commands);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  if (ingest->parsed()) return RunIngest(data_dir, file, batch, quiet);
  if (verify->parsed()) return RunVerify(data_dir, quiet);
  if (log->parsed()) return RunLog(data_dir, from, limit, rejects, duplicates);
  if (show->parsed()) {
    if (by_index->count() + by_reject->count() != 1) {
      std::fprintf(stderr, "show: give exactly one of --index or --reject\n");
      return kExitUsage;
    }
    return RunShow(data_dir, index, reject);
  }
  if (stats->parsed()) return RunStats(data_dir);
  for (const Command& c : commands) {
    if (c.app->parsed()) return c.run();
  }
  return kExitUsage;
}
