// report settlement|usage|anomalies, project, rebuild (spec section 8). Every report first
// brings the projections up to the ledger's end, then prints stable JSON or CSV on stdout.
#include <fmt/core.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "gpuledger/projections.h"
#include "tools/cli/cli.h"
#include "tools/export/report_table.h"

namespace gpuledger::cli {
namespace {

struct ReportArgs {
  std::string data_dir, month, format = "json";
  bool quiet = false;
  uint64_t batch_entries = ProjectionOptions().batch_entries_max;
};

Result<std::unique_ptr<Projections>> CaughtUp(const Ledger& ledger, const ReportArgs& args) {
  ProjectionOptions options;
  options.batch_entries_max = args.batch_entries;
  return OpenProjections(ledger, args.data_dir, options, args.quiet);
}

int RunReport(const std::string& what, const ReportArgs& args) {
  if (!args.month.empty()) {
    if (auto bounds = SettlementMonthBounds(args.month); !bounds.ok()) {
      return Failure(bounds.status());
    }
  }
  auto ledger = OpenLedger(args.data_dir, /*read_only=*/true);
  if (!ledger.ok()) return Failure(ledger.status());
  auto projections = CaughtUp(*ledger.value(), args);
  if (!projections.ok()) return Failure(projections.status());
  Table table;
  if (what == "settlement") {
    auto rows = projections.value()->Settlement(args.month);
    if (!rows.ok()) return Failure(rows.status());
    auto closed = projections.value()->IsClosed(args.month);
    if (!closed.ok()) return Failure(closed.status());
    table = SettlementTable(rows.value(), closed.value());
  } else if (what == "usage") {
    auto rows = projections.value()->Usage(args.month);
    if (!rows.ok()) return Failure(rows.status());
    table = UsageTable(rows.value());
  } else {
    auto rows = projections.value()->Anomalies(*ledger.value(), args.month);
    if (!rows.ok()) return Failure(rows.status());
    table = AnomalyTable(rows.value());
  }
  std::cout << (args.format == "csv" ? table.Csv() : table.Json());
  return std::cout.flush() ? kExitOk : kExitFailed;
}

// project: catch up only; rebuild: drop, then replay the whole ledger.
int RunProject(const ReportArgs& args, bool rebuild) {
  auto ledger = OpenLedger(args.data_dir, /*read_only=*/true);
  if (!ledger.ok()) return Failure(ledger.status());
  if (rebuild) {
    if (Status s = Projections::Drop(args.data_dir); !s.ok()) return Failure(s);
  }
  auto projections = CaughtUp(*ledger.value(), args);
  if (!projections.ok()) return Failure(projections.status());
  nlohmann::ordered_json out = {{"applied", projections.value()->applied()},
                                {"ledger_entries", ledger.value()->size()},
                                {"rebuilt", rebuild}};
  std::cout << out.dump() << "\n";
  return kExitOk;
}

}  // namespace

Result<std::unique_ptr<Projections>> OpenProjections(const Ledger& ledger,
                                                     const std::string& data_dir,
                                                     const ProjectionOptions& options, bool quiet) {
  auto projections = Projections::Open(data_dir, options);
  if (!projections.ok()) return projections.status();
  Status s = projections.value()->CatchUp(ledger, Progress("projections", "entries", quiet));
  if (!s.ok()) return s;
  return std::move(projections.value());
}

void AddReportCommands(CLI::App& app, std::vector<Command>* commands) {
  auto args = std::make_shared<ReportArgs>();
  CLI::App* report = app.add_subcommand("report", "settlement, usage or anomalies of a month");
  report->require_subcommand(1);
  for (const char* what : {"settlement", "usage", "anomalies"}) {
    CLI::App* sub = report->add_subcommand(what, std::string(what) + " rows (spec section 8)");
    sub->add_option("--data", args->data_dir, "ledger directory")->required();
    auto* month = sub->add_option("--month", args->month, "KST settlement month YYYY-MM");
    if (std::string(what) != "anomalies") month->required();
    sub->add_option("--format", args->format, "json or csv")->check(CLI::IsMember({"json", "csv"}));
    sub->add_flag("--quiet", args->quiet, "no progress on stderr");
    commands->push_back({sub, [args, what] { return RunReport(what, *args); }});
  }
  for (const char* name : {"project", "rebuild"}) {
    const bool rebuild = std::string(name) == "rebuild";
    CLI::App* sub =
        app.add_subcommand(name, rebuild ? "drop the projections and replay the whole ledger"
                                         : "bring the projections up to the ledger's end");
    sub->add_option("--data", args->data_dir, "ledger directory")->required();
    sub->add_flag("--quiet", args->quiet, "no progress on stderr");
    sub->add_option("--batch", args->batch_entries, "ledger entries per durable batch")
        ->check(CLI::Range(1, 1000000));
    commands->push_back({sub, [args, rebuild] { return RunProject(*args, rebuild); }});
  }
}

}  // namespace gpuledger::cli
