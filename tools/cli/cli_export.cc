// export focus: the settlement of a month as a FinOps FOCUS 1.2 cost and usage dataset (CSV),
// for finance tools (docs/focus.md).
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "gpuledger/projections.h"
#include "tools/cli/cli.h"
#include "tools/export/focus_export.h"

namespace gpuledger::cli {
namespace {

namespace fs = std::filesystem;

struct ExportArgs {
  std::string data_dir, month, out;
  bool quiet = false;
};

// Writes `rows` to a temporary file beside `path`, then renames it over `path`, so
// a reader never sees half a dataset and a failed export leaves no file behind.
Status WriteAtomically(const std::vector<SettlementRow>& rows, const std::string& month,
                       const std::string& path) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream file(tmp, std::ios::binary | std::ios::trunc);
    if (!file) return Status::IOError("cannot create " + tmp);
    Status s = WriteFocusCsv(rows, month, file);
    file.close();
    if (s.ok() && !file) s = Status::IOError("cannot write " + tmp);
    if (!s.ok()) {
      std::remove(tmp.c_str());
      return s;
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    return Status::IOError("cannot rename " + tmp + " to " + path + ": " + ec.message());
  }
  return Status::Ok();
}

int RunExportFocus(const ExportArgs& args) {
  if (auto bounds = SettlementMonthBounds(args.month); !bounds.ok()) {
    return Failure(bounds.status());
  }
  auto ledger = OpenLedger(args.data_dir, /*read_only=*/true);
  if (!ledger.ok()) return Failure(ledger.status());
  auto projections = OpenProjections(*ledger.value(), args.data_dir, {}, args.quiet);
  if (!projections.ok()) return Failure(projections.status());
  auto rows = projections.value()->Settlement(args.month);
  if (!rows.ok()) return Failure(rows.status());
  if (Status s = WriteAtomically(rows.value(), args.month, args.out); !s.ok()) return Failure(s);
  nlohmann::ordered_json summary = {{"rows", FocusRowCount(rows.value())},
                                    {"out", args.out},
                                    {"month", args.month},
                                    {"focus_version", kFocusVersion}};
  std::cout << summary.dump() << "\n";
  return std::cout.flush() ? kExitOk : kExitFailed;
}

}  // namespace

void AddExportCommands(CLI::App& app, std::vector<Command>* commands) {
  CLI::App* exp = app.add_subcommand("export", "write the ledger's figures for other tools");
  exp->require_subcommand(1);
  auto args = std::make_shared<ExportArgs>();
  CLI::App* focus = exp->add_subcommand(
      "focus", "a month's settlement as a FinOps FOCUS 1.2 cost and usage dataset (CSV)");
  focus->add_option("--data", args->data_dir, "ledger directory")->required();
  focus->add_option("--month", args->month, "KST settlement month YYYY-MM")->required();
  focus->add_option("--out", args->out, "CSV file to write (replaced atomically)")->required();
  focus->add_flag("--quiet", args->quiet, "no progress on stderr");
  commands->push_back({focus, [args] { return RunExportFocus(*args); }});
  AddBundleCommand(*exp, commands);
}

}  // namespace gpuledger::cli
