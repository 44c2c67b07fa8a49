// Report tables: field names and their order are a stable contract (spec section 8,
// README.md "Using it"). Change them only by adding.
#include "tools/export/report_table.h"

#include <nlohmann/json.hpp>
#include <optional>

#include "gpuledger/assert.h"
#include "gpuledger/types.h"
#include "tools/export/csv.h"

namespace gpuledger {
namespace {

constexpr const char* kFigureNames[] = {"committed_gpu_seconds",
                                        "delivered_gpu_seconds",
                                        "payable_gpu_seconds",
                                        "shortfall_gpu_seconds",
                                        "capacity_amount_krw",
                                        "penalty_krw",
                                        "net_krw"};

void AddFigures(const SettlementFigures& f, std::vector<Cell>* cells) {
  cells->push_back(IntCell(f.committed_gpu_seconds));
  cells->push_back(IntCell(f.delivered_gpu_seconds));
  cells->push_back(IntCell(f.payable_gpu_seconds));
  cells->push_back(IntCell(f.shortfall_gpu_seconds));
  cells->push_back(KrwCell(f.capacity_amount_krw));
  cells->push_back(KrwCell(f.penalty_krw));
  cells->push_back(KrwCell(f.net_krw));
}

std::string GroupOf(std::string_view column) {
  size_t dot = column.find('.');
  return dot == std::string_view::npos ? std::string() : std::string(column.substr(0, dot));
}

std::string Quoted(std::string_view s) {
  return nlohmann::json(std::string(s))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Cell Optional(const std::optional<int64_t>& v, bool time) {
  if (!v) return AbsentCell();
  return time ? TimeCell(*v) : IntCell(*v);
}

Cell OptionalStr(const std::string& s) { return s.empty() ? AbsentCell() : StrCell(s); }

}  // namespace

Cell StrCell(std::string_view s) { return {Quoted(s), std::string(s), true}; }
Cell IntCell(int64_t v) { return {std::to_string(v), std::to_string(v), true}; }
Cell KrwCell(Krw v) { return {KrwText(v), KrwText(v), true}; }
Cell TimeCell(int64_t t) { return StrCell(FormatRfc3339Utc(t)); }
Cell AbsentCell() { return {"", "", false}; }
Cell ListCell(const std::vector<std::string>& v) {
  Cell c{"[", "", true};
  for (size_t i = 0; i < v.size(); ++i) {
    // Appended piece by piece: `"," + std::string` trips GCC 12's -Wrestrict at -O3.
    if (i) c.json += ',', c.csv += ';';
    c.json += Quoted(v[i]);
    c.csv += v[i];
  }
  c.json += "]";
  return c;
}

void Table::AddRow(std::vector<Cell> cells) {
  GPULEDGER_ASSERT(cells.size() == columns_.size(), "a row has one cell per column");
  rows_.push_back(std::move(cells));
}

std::string Table::Json() const {
  std::string out = "[";
  for (size_t r = 0; r < rows_.size(); ++r) {
    out += r ? ",\n{" : "\n{";
    std::string group;   // the nested object open now ("" if none)
    bool comma = false;  // a value precedes at the current level
    for (size_t c = 0; c < columns_.size(); ++c) {
      const Cell& cell = rows_[r][c];
      const std::string g = GroupOf(columns_[c]);
      if (g != group && !group.empty()) out += "}", group.clear(), comma = true;
      if (!cell.present) continue;
      if (g != group) {
        out += std::string(comma ? "," : "") + Quoted(g) + ":{";
        group = g, comma = false;
      }
      const std::string name = g.empty() ? columns_[c] : columns_[c].substr(g.size() + 1);
      out += std::string(comma ? "," : "") + Quoted(name) + ":" + cell.json;
      comma = true;
    }
    out += group.empty() ? "}" : "}}";
  }
  return out + (rows_.empty() ? "]\n" : "\n]\n");
}

std::string Table::Csv() const {
  std::string out;
  for (size_t c = 0; c < columns_.size(); ++c) {
    std::string name = columns_[c];
    if (size_t dot = name.find('.'); dot != std::string::npos) name[dot] = '_';
    if (c) out += ',';
    out += CsvField(name);
  }
  out += "\n";
  for (const auto& row : rows_) {
    for (size_t c = 0; c < row.size(); ++c) {
      if (c) out += ',';
      out += CsvField(row[c].csv);
    }
    out += "\n";
  }
  return out;
}

Table SettlementTable(const std::vector<SettlementRow>& rows, bool closed) {
  std::vector<std::string> columns = {"contract_id", "csp_id", "month"};
  for (const char* f : kFigureNames) columns.push_back(f);
  if (closed) {
    for (const char* group : {"frozen", "adjustment"}) {
      for (const char* f : kFigureNames) columns.push_back(std::string(group) + "." + f);
    }
    columns.push_back("closed_at_tree_size");
    columns.push_back("closed_at_root");
  }
  Table table(columns);
  for (const SettlementRow& row : rows) {
    std::vector<Cell> cells = {StrCell(row.contract_id), StrCell(row.csp_id), StrCell(row.month)};
    AddFigures(row.current, &cells);
    if (closed) {
      AddFigures(row.frozen, &cells);
      AddFigures(row.adjustment, &cells);
      cells.push_back(IntCell(static_cast<int64_t>(row.closed_at_tree_size)));
      cells.push_back(StrCell(HexOf(row.closed_at_root)));
    }
    table.AddRow(std::move(cells));
  }
  return table;
}

Table UsageTable(const std::vector<UsageRow>& rows) {
  Table table({"allocation_id", "contract_id", "user_id", "month", "granted_gpu_seconds",
               "used_gpu_seconds"});
  for (const UsageRow& row : rows) {
    table.AddRow({StrCell(row.allocation_id), StrCell(row.contract_id), StrCell(row.user_id),
                  StrCell(row.month), IntCell(row.granted_gpu_seconds),
                  IntCell(row.used_gpu_seconds)});
  }
  return table;
}

// Every kind's fields in one header; a row carries the fields of its kind (spec section 6).
Table AnomalyTable(const std::vector<AnomalyRow>& rows) {
  Table table({"kind", "event_id", "source", "other_event_id", "allocation_id", "contract_id",
               "contract_ids", "gpu_uuid", "start", "end", "gpu_seconds", "max_gpu_seconds",
               "window_start", "window_end", "month"});
  for (const AnomalyRow& row : rows) {
    table.AddRow({StrCell(row.kind), StrCell(row.event_id), StrCell(row.source),
                  OptionalStr(row.other_event_id), OptionalStr(row.allocation_id),
                  OptionalStr(row.contract_id),
                  row.contract_ids.empty() ? AbsentCell() : ListCell(row.contract_ids),
                  OptionalStr(row.gpu_uuid), Optional(row.start, true), Optional(row.end, true),
                  Optional(row.gpu_seconds, false), Optional(row.max_gpu_seconds, false),
                  Optional(row.window_start, true), Optional(row.window_end, true),
                  OptionalStr(row.month)});
  }
  return table;
}

}  // namespace gpuledger
