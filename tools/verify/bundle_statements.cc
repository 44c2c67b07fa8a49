// Closed-month statements: each recomputed by the verifier's own settlement (replay.h) from
// the ledger prefix it claims, and compared figure by figure.
#include <map>

#include "ledger/audit/bundle_format.h"
#include "tools/verify/bundle_check_impl.h"
#include "tools/verify/bundle_reader.h"
#include "tools/verify/exact_json.h"

namespace gpuledger::verify {
namespace {

inline constexpr const char* kFigureNames[] = {"committed_gpu_seconds",
                                               "delivered_gpu_seconds",
                                               "payable_gpu_seconds",
                                               "shortfall_gpu_seconds",
                                               "capacity_amount_krw",
                                               "penalty_krw",
                                               "net_krw"};
static_assert(std::size(kFigureNames) == 7, "spec section 5 has seven figures");

std::vector<std::string> FigureTexts(const Figures& f) {
  return {std::to_string(f.committed_gpu_seconds),
          std::to_string(f.delivered_gpu_seconds),
          std::to_string(f.payable_gpu_seconds),
          std::to_string(f.shortfall_gpu_seconds),
          KrwDecimal(f.capacity_amount_krw),
          KrwDecimal(f.penalty_krw),
          KrwDecimal(f.net_krw)};
}

Result<ParsedStatement> ParseStatement(const std::string& file, const std::string& text) {
  auto doc = ParseExactJson(text);
  if (!doc.ok()) return doc.status();
  const nlohmann::json& d = doc.value();
  ParsedStatement st;
  st.file = file;
  if (!d.is_object() || d.value("format", "") != bundle::kStatementFormat) {
    return Status::InvalidArgument("not a " + std::string(bundle::kStatementFormat));
  }
  if (!d.contains("month") || !d["month"].is_string() || !d.contains("closed_at_tree_size") ||
      !d["closed_at_tree_size"].is_number_unsigned() || !d.contains("closed_at_root") ||
      !d["closed_at_root"].is_string() || !d.contains("rows") || !d["rows"].is_array()) {
    return Status::InvalidArgument("month, closed_at_tree_size, closed_at_root or rows missing");
  }
  st.month = d["month"];
  st.closed_at_tree_size = d["closed_at_tree_size"];
  if (!FromHex(d["closed_at_root"].get<std::string>(), &st.closed_at_root)) {
    return Status::InvalidArgument("closed_at_root is not 64 hex digits");
  }
  st.rows = d["rows"];
  return st;
}

BundleFailure StatementFailure(const ParsedStatement& st, const char* check, std::string contract,
                               std::string expected, std::string found, std::string detail) {
  BundleFailure f{check,
                  st.closed_at_tree_size,
                  st.closed_at_tree_size,
                  st.file,
                  std::move(expected),
                  std::move(found),
                  std::move(detail),
                  {},
                  {st.month}};
  if (!contract.empty()) f.contracts.insert(std::move(contract));
  return f;
}

// Row by row, figure by figure; returns whether all agreed.
bool CompareRows(Context& ctx, const ParsedStatement& st, const std::vector<StatementRow>& rows) {
  std::map<std::string, const nlohmann::json*> stated;
  bool ok = true;
  for (const nlohmann::json& row : st.rows) {
    if (!row.is_object() || !row.contains("contract_id") || !row["contract_id"].is_string()) {
      ok = false;
      AddFailure(ctx, StatementFailure(st, "statement_format", "", "", row.dump(),
                                       "a row without a contract_id"));
      continue;
    }
    const std::string id = row["contract_id"];
    // A second row for one contract would let a reader take the wrong one.
    if (!stated.emplace(id, &row).second) {
      ok = false;
      AddFailure(ctx, StatementFailure(st, "statement_row_extra", id, "one row", "two rows",
                                       "contract " + id + " has more than one row"));
    }
    if (row.value("month", "") != st.month) {
      ok = false;
      AddFailure(ctx, StatementFailure(st, "statement_figure", id, st.month, row.value("month", ""),
                                       "month of " + id));
    }
  }
  for (const StatementRow& row : rows) {
    auto it = stated.find(row.contract_id);
    if (it == stated.end()) {
      ok = false;
      AddFailure(ctx, StatementFailure(
                          st, "statement_row_missing", row.contract_id, "a row", "none",
                          "contract " + row.contract_id + " was active in the month at the close"));
      continue;
    }
    const nlohmann::json& r = *it->second;
    const std::vector<std::string> expected = FigureTexts(row.figures);
    for (size_t i = 0; i < expected.size(); ++i) {
      std::optional<std::string> found =
          r.contains(kFigureNames[i]) ? IntegerText(r[kFigureNames[i]]) : std::nullopt;
      if (found && *found == expected[i]) continue;
      ok = false;
      AddFailure(ctx, StatementFailure(st, "statement_figure", row.contract_id, expected[i],
                                       found.value_or("(missing)"),
                                       std::string(kFigureNames[i]) + " of contract " +
                                           row.contract_id + " in " + st.month));
    }
    if (r.value("csp_id", "") != row.csp_id) {
      ok = false;
      AddFailure(ctx, StatementFailure(st, "statement_figure", row.contract_id, row.csp_id,
                                       r.value("csp_id", ""), "csp_id of " + row.contract_id));
    }
    stated.erase(it);
  }
  for (const auto& [id, row] : stated) {
    ok = false;
    AddFailure(ctx, StatementFailure(st, "statement_row_extra", id, "none", "a row",
                                     "contract " + id +
                                         " was not active in the month at the "
                                         "close"));
  }
  return ok;
}

bool EntriesMatchSignedRoots(const Context& ctx) {
  for (const BundleFailure& f : ctx.report.failures) {
    if (f.check == "checkpoint_root" || f.check.rfind("entry_", 0) == 0) return false;
  }
  return true;
}

// Which statements must be there. The auditor's --month names one month; else a bundle
// exported for one month (its manifest's `month`) must hold that one, and any other closed
// month without a statement is a warning the report shows; else every month closed within
// the bundle must have its statement, so an operator cannot leave an inconvenient month out.
void CheckStatementsDue(Context& ctx, const std::map<std::string, uint64_t>& closes) {
  const std::string& due = ctx.options.month.empty() ? ctx.manifest_month : ctx.options.month;
  for (const auto& [month, index] : closes) {
    bool stated = false;
    for (const ParsedStatement& st : ctx.statements) stated = stated || st.month == month;
    if (stated) continue;
    const std::string what = "month " + month + " is closed by entry " + std::to_string(index) +
                             " but the bundle has no statement of it";
    if (!due.empty() && due != month) {
      ctx.report.warnings.push_back(what + " (the bundle was exported for " + due + " only)");
      continue;
    }
    AddFailure(ctx, {"statement_missing",
                     index,
                     index,
                     std::string(bundle::kStatementsDir),
                     "a statement of " + month,
                     "none",
                     what,
                     {},
                     {month}});
  }
  if (!due.empty() && !closes.count(due)) {
    AddFailure(ctx, {"statement_missing",
                     {},
                     {},
                     std::string(bundle::kStatementsDir),
                     "a closed month " + due,
                     "not closed",
                     "month " + due + " is not closed within the bundle",
                     {},
                     {due}});
  }
}

}  // namespace

void ReadStatements(Context& ctx) {
  const std::string dir = ctx.options.dir + "/" + std::string(bundle::kStatementsDir);
  auto names = ListFiles(dir, bundle::kStatementFilesMax);
  if (!names.ok()) {
    AddFailure(ctx, {"statement_format",
                     {},
                     {},
                     std::string(bundle::kStatementsDir),
                     "",
                     "",
                     names.status().message(),
                     {},
                     {}});
    return;
  }
  for (const std::string& name : names.value()) {
    const std::string file = std::string(bundle::kStatementsDir) + "/" + name;
    auto text = ReadSmallFile(dir + "/" + name, bundle::kStatementBytesMax);
    auto st =
        text.ok() ? ParseStatement(file, text.value()) : Result<ParsedStatement>(text.status());
    if (!st.ok()) {
      AddFailure(ctx, {"statement_format", {}, {}, file, "", "", st.status().message(), {}, {}});
      continue;
    }
    if (name != st->month + ".json") {
      AddFailure(ctx, {"statement_format",
                       {},
                       {},
                       file,
                       st->month + ".json",
                       name,
                       "the file name is not the statement's month",
                       {},
                       {st->month}});
      continue;
    }
    ctx.sizes_wanted.insert(st->closed_at_tree_size);
    ctx.statements.push_back(std::move(st.value()));
  }
}

void CheckStatements(Context& ctx, const SettlementReplay* replay) {
  std::vector<SettlementReplay::Want> wants;
  const std::map<std::string, uint64_t> closes =
      replay ? replay->ClosedMonths(ctx.count) : std::map<std::string, uint64_t>();
  for (const ParsedStatement& st : ctx.statements) {
    ctx.report.statements.push_back(
        {st.file, st.month, st.closed_at_tree_size, st.rows.size(), true});
    StatementResult& result = ctx.report.statements.back();
    auto root = ctx.roots.find(st.closed_at_tree_size);
    if (st.closed_at_tree_size >= ctx.count || root == ctx.roots.end() ||
        root->second != st.closed_at_root) {
      result.ok = false;
      BundleFailure f = StatementFailure(
          st, "statement_root", "", root == ctx.roots.end() ? "" : ToHex(root->second),
          ToHex(st.closed_at_root), "closed_at_root is not the root of the ledger prefix");
      // When a signed root failed too, the entries are at fault, not the statement: the
      // checkpoints name them, and the close's index would point at the wrong place.
      if (!EntriesMatchSignedRoots(ctx)) f.index.reset();
      AddFailure(ctx, std::move(f));
    }
    if (replay == nullptr) {
      ctx.report.warnings.push_back(st.file + " was not recomputed: the entries did not verify");
      continue;
    }
    auto close = closes.find(st.month);
    if (close == closes.end() || close->second != st.closed_at_tree_size) {
      result.ok = false;
      AddFailure(ctx, StatementFailure(
                          st, "statement_close", "",
                          close == closes.end() ? "no live close" : std::to_string(close->second),
                          std::to_string(st.closed_at_tree_size),
                          "the ledger's live period.closed of " + st.month +
                              " is not at closed_at_tree_size"));
      continue;
    }
    wants.push_back({st.month, st.closed_at_tree_size});
  }
  if (replay == nullptr) return;
  CheckStatementsDue(ctx, closes);
  if (wants.empty()) return;
  auto settled = replay->Settle(SettleSource(ctx), wants);
  if (!settled.ok()) {
    AddFailure(ctx, {"replay", {}, {}, "", "", "", settled.status().message(), {}, {}});
    return;
  }
  for (size_t i = 0; i < ctx.statements.size(); ++i) {
    const ParsedStatement& st = ctx.statements[i];
    auto rows = settled->find({st.month, st.closed_at_tree_size});
    if (rows == settled->end()) continue;  // failed before recomputation
    if (!CompareRows(ctx, st, rows->second)) ctx.report.statements[i].ok = false;
  }
}

}  // namespace gpuledger::verify
