// Report rows as one table that prints as JSON (an array of objects) or CSV (a header row
// with the same names), so both formats always carry the same fields (spec section 8).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gpuledger/projections.h"

namespace gpuledger {

struct Cell {
  std::string json;     // JSON text of the value
  std::string csv;      // CSV text (unquoted)
  bool present = true;  // absent cells are left out of JSON and empty in CSV
};
Cell StrCell(std::string_view s);
Cell IntCell(int64_t v);
Cell KrwCell(Krw v);
Cell TimeCell(int64_t unix_seconds);               // RFC 3339 UTC with Z
Cell ListCell(const std::vector<std::string>& v);  // JSON array; CSV joined with ';'
Cell AbsentCell();

class Table {
 public:
  Table() = default;
  // Column names; "group.field" is field `field` of a nested object `group` in JSON and
  // column `group_field` in CSV. A group's columns must be adjacent.
  explicit Table(std::vector<std::string> columns) : columns_(std::move(columns)) {}
  void AddRow(std::vector<Cell> cells);
  std::string Json() const;  // "[\n{...},\n{...}\n]\n": one row per line
  std::string Csv() const;   // RFC 4180, CRLF-free: "\n" line ends

 private:
  std::vector<std::string> columns_;
  std::vector<std::vector<Cell>> rows_;
};

Table SettlementTable(const std::vector<SettlementRow>& rows, bool closed);
Table UsageTable(const std::vector<UsageRow>& rows);
Table AnomalyTable(const std::vector<AnomalyRow>& rows);

}  // namespace gpuledger
