#include "tests/support/projection_scenario_util.h"

#include <chrono>
#include <cstdio>
#include <string>

#include "tests/support/event_gen.h"
#include "tests/support/test_util.h"

namespace gpuledger::testing {

namespace {

bool Digits(std::string_view s, size_t pos, size_t n, int* value) {
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (i >= s.size() || s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *value = v;
  return true;
}

int64_t DaysFromCivil(int y, int m, int d) {
  using namespace std::chrono;
  return sys_days(year{y} / month{static_cast<unsigned>(m)} / day{static_cast<unsigned>(d)})
      .time_since_epoch()
      .count();
}

std::string Trimmed(const std::string& s) {
  std::string t = s;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
  return t;
}

}  // namespace

bool ParseUtc(std::string_view s, int64_t* unix_seconds) {
  // 0123456789012345678901
  // YYYY-MM-DDTHH:MM:SSZ
  if (s.size() != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
      s[16] != ':' || s[19] != 'Z') {
    return false;
  }
  int y, mo, d, h, mi, se;
  if (!Digits(s, 0, 4, &y) || !Digits(s, 5, 2, &mo) || !Digits(s, 8, 2, &d) ||
      !Digits(s, 11, 2, &h) || !Digits(s, 14, 2, &mi) || !Digits(s, 17, 2, &se)) {
    return false;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59) return false;
  const std::chrono::year_month_day ymd{std::chrono::year{y} /
                                        std::chrono::month{static_cast<unsigned>(mo)} /
                                        std::chrono::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return false;
  *unix_seconds = DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
  return true;
}

int64_t Utc(std::string_view text) {
  int64_t t = 0;
  if (!ParseUtc(text, &t)) ADD_FAILURE() << "not a UTC time: " << text;
  return t;
}

std::string UtcText(int64_t unix_seconds) { return event_gen_detail::Rfc3339(unix_seconds); }

const std::map<std::string, std::vector<std::string>>& AnomalyFields() {
  static const std::map<std::string, std::vector<std::string>> fields = {
      {"gpu_double_claimed", {"contract_ids", "gpu_uuid", "start", "end"}},
      {"usage_over_reported",
       {"allocation_id", "contract_id", "start", "end", "gpu_seconds", "max_gpu_seconds"}},
      {"usage_outside_allocation",
       {"allocation_id", "contract_id", "start", "end", "window_start", "window_end"}},
      {"usage_overlap", {"other_event_id", "allocation_id", "contract_id", "start", "end"}},
      {"capacity_outside_contract", {"contract_id", "start", "end"}},
      {"late_for_closed_period", {"month"}},
  };
  return fields;
}

std::string KstMonthOf(int64_t unix_seconds) {
  return UtcText(unix_seconds + 9 * 3600).substr(0, 7);
}

std::pair<int64_t, int64_t> KstMonthBounds(std::string_view month) {
  int y = 0, m = 0;
  if (month.size() != 7 || month[4] != '-' || !Digits(month, 0, 4, &y) ||
      !Digits(month, 5, 2, &m) || m < 1 || m > 12) {
    ADD_FAILURE() << "not a month: " << month;
    return {0, 0};
  }
  const int ny = m == 12 ? y + 1 : y, nm = m == 12 ? 1 : m + 1;
  return {DaysFromCivil(y, m, 1) * 86400 - 9 * 3600, DaysFromCivil(ny, nm, 1) * 86400 - 9 * 3600};
}

Json MakeEvent(std::string_view name, std::string_view source, std::string_view id, Json data) {
  Json e;
  e["specversion"] = "1.0";
  e["id"] = id;
  e["source"] = source;
  e["type"] = "io.gpuledger." + std::string(name) + ".v1";
  e["time"] = "2026-04-01T00:00:00Z";
  e["datacontenttype"] = "application/json";
  e["data"] = std::move(data);
  return e;
}

Json ContractEvent(std::string_view id, std::string_view contract_id, std::string_view csp_id,
                   int64_t committed_gpus, std::string_view period_start,
                   std::string_view period_end, int64_t price_krw_per_gpu_hour,
                   int64_t penalty_krw_per_gpu_hour, int64_t max_gpus_per_allocation) {
  Json d;
  d["contract_id"] = contract_id;
  d["csp_id"] = csp_id;
  d["programme"] = "ai-research";
  d["gpu_model"] = "H100-SXM5-80GB";
  d["committed_gpus"] = committed_gpus;
  d["period_start"] = period_start;
  d["period_end"] = period_end;
  d["price_krw_per_gpu_hour"] = price_krw_per_gpu_hour;
  d["penalty_krw_per_gpu_hour"] = penalty_krw_per_gpu_hour;
  d["max_gpus_per_allocation"] = max_gpus_per_allocation;
  return MakeEvent("contract.registered", kMinistrySource, id, std::move(d));
}

Json CapacityEvent(std::string_view id, std::string_view csp_id, std::string_view contract_id,
                   std::string_view interval_start, std::string_view interval_end,
                   const std::vector<std::string>& gpu_uuids) {
  Json d;
  d["contract_id"] = contract_id;
  d["interval_start"] = interval_start;
  d["interval_end"] = interval_end;
  d["gpu_uuids"] = Json::array();
  for (const auto& g : gpu_uuids) d["gpu_uuids"].push_back(g);
  return MakeEvent("capacity.reported", CspSource(csp_id), id, std::move(d));
}

Json GrantEvent(std::string_view id, std::string_view allocation_id, std::string_view contract_id,
                std::string_view user_id, int64_t gpus, std::string_view start,
                std::string_view end) {
  Json d;
  d["allocation_id"] = allocation_id;
  d["contract_id"] = contract_id;
  d["user_id"] = user_id;
  d["gpus"] = gpus;
  d["start"] = start;
  d["end"] = end;
  return MakeEvent("allocation.granted", kMinistrySource, id, std::move(d));
}

Json ReleaseEvent(std::string_view id, std::string_view source, std::string_view allocation_id,
                  std::string_view at) {
  Json d;
  d["allocation_id"] = allocation_id;
  d["at"] = at;
  return MakeEvent("allocation.released", source, id, std::move(d));
}

Json UsageEvent(std::string_view id, std::string_view csp_id, std::string_view allocation_id,
                std::string_view interval_start, std::string_view interval_end,
                int64_t gpu_seconds) {
  Json d;
  d["allocation_id"] = allocation_id;
  d["interval_start"] = interval_start;
  d["interval_end"] = interval_end;
  d["gpu_seconds"] = gpu_seconds;
  return MakeEvent("usage.reported", CspSource(csp_id), id, std::move(d));
}

Json CloseEvent(std::string_view id, std::string_view month) {
  Json d;
  d["month"] = month;
  return MakeEvent("period.closed", kMinistrySource, id, std::move(d));
}

Json VoidEvent(std::string_view id, std::string_view source, std::string_view event_id) {
  Json d;
  d["event_id"] = event_id;
  d["reason"] = "sent in error";
  return MakeEvent("event.voided", source, id, std::move(d));
}

::testing::AssertionResult IngestTextAllAccepted(const std::string& data_dir,
                                                 const std::string& file, const std::string& text,
                                                 size_t lines, Json* out) {
  WriteFile(file, text);
  CommandResult r = RunCli({"ingest", "--data", data_dir, file});
  if (r.exit_code != 0) {
    return ::testing::AssertionFailure()
           << "ingest exited " << r.exit_code << "\nstdout: " << r.out << "\nstderr: " << r.err;
  }
  Json j = Json::parse(Trimmed(r.out), nullptr, false);
  if (!j.is_object()) return ::testing::AssertionFailure() << "ingest printed: " << r.out;
  if (out != nullptr) *out = j;
  if (j.value("accepted", -1) != static_cast<int64_t>(lines) || j.value("duplicate", -1) != 0 ||
      j.value("rejected", -1) != 0) {
    return ::testing::AssertionFailure()
           << "expected all " << lines << " lines accepted, ingest printed: " << r.out;
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult IngestAllAccepted(const std::string& data_dir, const std::string& file,
                                             const std::vector<Json>& events, Json* out) {
  std::string text;
  for (const auto& e : events) text += e.dump() + "\n";
  return IngestTextAllAccepted(data_dir, file, text, events.size(), out);
}

::testing::AssertionResult ReportJson(const std::string& data_dir, std::string_view kind,
                                      std::string_view month, Json* out) {
  std::vector<std::string> args = {"report", std::string(kind), "--data", data_dir};
  if (!month.empty()) {
    args.push_back("--month");
    args.emplace_back(month);
  }
  args.push_back("--format");
  args.push_back("json");
  CommandResult r = RunCli(args);
  if (r.exit_code != 0) {
    return ::testing::AssertionFailure()
           << "report " << kind << " " << month << " exited " << r.exit_code
           << "\nstdout: " << r.out << "\nstderr: " << r.err;
  }
  Json j = Json::parse(Trimmed(r.out), nullptr, false);
  if (!j.is_array()) {
    return ::testing::AssertionFailure()
           << "report " << kind << " " << month << " did not print a JSON array: " << r.out;
  }
  *out = std::move(j);
  return ::testing::AssertionSuccess();
}

std::vector<std::vector<std::string>> ParseCsv(std::string_view text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false, any = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        field += c;
      }
      continue;
    }
    if (c == '"') {
      quoted = true;
      any = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
      any = true;
    } else if (c == '\r') {
      // part of a CRLF line end
    } else if (c == '\n') {
      if (any || !field.empty()) {
        row.push_back(std::move(field));
        rows.push_back(std::move(row));
      }
      row.clear();
      field.clear();
      any = false;
    } else {
      field += c;
      any = true;
    }
  }
  if (any || !field.empty()) {
    row.push_back(std::move(field));
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace gpuledger::testing
