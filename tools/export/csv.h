// RFC 4180 CSV fields, for every CSV the CLI writes (reports, the FOCUS export).
#pragma once

#include <string>
#include <string_view>

namespace gpuledger {

// `value` as one CSV field: quoted (with quotes doubled) only if it holds a comma, a quote
// or a line break.
inline std::string CsvField(std::string_view value) {
  if (value.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(value);
  std::string quoted = "\"";
  for (char ch : value) {
    if (ch == '"') quoted += '"';
    quoted += ch;
  }
  return quoted + "\"";
}

}  // namespace gpuledger
