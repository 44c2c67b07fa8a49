// export bundle: what an auditor needs to check the ledger offline with gpuledger-verify
// (docs/bundle.md). The bundle itself is written by tools/export/bundle_export.cc.
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "tools/cli/cli.h"
#include "tools/export/bundle_export.h"

namespace gpuledger::cli {
namespace {

struct BundleArgs {
  std::string data_dir, out, month;
  std::vector<std::string> key_files;
  bool quiet = false;
};

int RunExportBundle(const BundleArgs& args) {
  auto ledger = OpenLedger(args.data_dir, /*read_only=*/args.key_files.empty());
  if (!ledger.ok()) return Failure(ledger.status());
  std::vector<std::string> keys;
  for (const std::string& path : args.key_files) {
    auto key = ReadKeyFile(path);
    if (!key.ok()) return Failure(key.status());
    keys.push_back(std::move(key.value()));
  }
  auto summary =
      ExportBundle(*ledger.value(), LazyProjections(*ledger.value(), args.data_dir, args.quiet),
                   args.out, args.month, keys, Progress("export bundle", "entries", args.quiet));
  if (!summary.ok()) return Failure(summary.status());
  std::cout << summary->dump() << "\n";
  return kExitOk;
}

}  // namespace

BundleProjectionsFn LazyProjections(const Ledger& ledger, const std::string& data_dir, bool quiet) {
  auto held = std::make_shared<std::unique_ptr<Projections>>();
  return [&ledger, data_dir, quiet, held]() -> Result<Projections*> {
    if (*held == nullptr) {
      auto projections = OpenProjections(ledger, data_dir, {}, quiet);
      if (!projections.ok()) return projections.status();
      *held = std::move(projections.value());
    }
    return held->get();
  };
}

void AddBundleCommand(CLI::App& exp, std::vector<Command>* commands) {
  auto args = std::make_shared<BundleArgs>();
  CLI::App* cmd = exp.add_subcommand(
      "bundle", "entries, signed checkpoints, keys and closed-month statements for an auditor");
  cmd->add_option("--data", args->data_dir, "ledger directory")->required();
  cmd->add_option("--out", args->out, "bundle directory to create (must not exist or be empty)")
      ->required();
  cmd->add_option("--month", args->month, "only this closed month's statement (YYYY-MM)");
  cmd->add_option("--key", args->key_files,
                  "sign a checkpoint of the current size first (repeatable)");
  cmd->add_flag("--quiet", args->quiet, "no progress on stderr");
  commands->push_back({cmd, [args] { return RunExportBundle(*args); }});
}

}  // namespace gpuledger::cli
