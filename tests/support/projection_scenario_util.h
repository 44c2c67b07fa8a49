// Helpers for the projection tests (settlement_rules_test.cc, projection_property_test.cc):
// builders of valid JSON Lines events (spec section 3), running `gpuledger ingest` and
// `gpuledger report ...` through the CLI, and small time helpers. They know the external
// contract only (shared/spec/events.md), nothing of the projection engine.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gpuledger::testing {

using Json = nlohmann::json;

// "YYYY-MM-DDTHH:MM:SSZ" <-> Unix seconds (UTC). ParseUtc returns false on any other form.
bool ParseUtc(std::string_view text, int64_t* unix_seconds);
int64_t Utc(std::string_view text);  // ADD_FAILUREs and returns 0 on a bad form
std::string UtcText(int64_t unix_seconds);
// The KST settlement month ("YYYY-MM") of Unix second t, and a month's [start, end).
std::string KstMonthOf(int64_t unix_seconds);
std::pair<int64_t, int64_t> KstMonthBounds(std::string_view month);

inline constexpr const char* kMinistrySource = "ministry";

// The seven settlement figures of spec section 5, in spec order (report field names).
inline constexpr const char* kFigureNames[7] = {"committed_gpu_seconds",
                                                "delivered_gpu_seconds",
                                                "payable_gpu_seconds",
                                                "shortfall_gpu_seconds",
                                                "capacity_amount_krw",
                                                "penalty_krw",
                                                "net_krw"};
// The fields of each anomaly kind of spec section 6 (besides kind, event_id, source).
const std::map<std::string, std::vector<std::string>>& AnomalyFields();
inline std::string CspSource(std::string_view csp_id) { return "csp/" + std::string(csp_id); }

// One structured-mode CloudEvent of type io.gpuledger.<name>.v1.
Json MakeEvent(std::string_view name, std::string_view source, std::string_view id, Json data);

// Valid events of each type. Times are RFC 3339 strings.
Json ContractEvent(std::string_view id, std::string_view contract_id, std::string_view csp_id,
                   int64_t committed_gpus, std::string_view period_start,
                   std::string_view period_end, int64_t price_krw_per_gpu_hour,
                   int64_t penalty_krw_per_gpu_hour, int64_t max_gpus_per_allocation = 4);
// Sent by csp/<csp_id>.
Json CapacityEvent(std::string_view id, std::string_view csp_id, std::string_view contract_id,
                   std::string_view interval_start, std::string_view interval_end,
                   const std::vector<std::string>& gpu_uuids);
Json GrantEvent(std::string_view id, std::string_view allocation_id, std::string_view contract_id,
                std::string_view user_id, int64_t gpus, std::string_view start,
                std::string_view end);
Json ReleaseEvent(std::string_view id, std::string_view source, std::string_view allocation_id,
                  std::string_view at);
// Sent by csp/<csp_id>.
Json UsageEvent(std::string_view id, std::string_view csp_id, std::string_view allocation_id,
                std::string_view interval_start, std::string_view interval_end,
                int64_t gpu_seconds);
Json CloseEvent(std::string_view id, std::string_view month);
Json VoidEvent(std::string_view id, std::string_view source, std::string_view event_id);

// Writes `events` (one JSON line each) to `file` and runs `gpuledger ingest --data DIR FILE`.
// Succeeds only if the CLI exits 0 and every line is accepted (no duplicate, no rejected);
// *out receives the ingest output object.
::testing::AssertionResult IngestAllAccepted(const std::string& data_dir, const std::string& file,
                                             const std::vector<Json>& events, Json* out = nullptr);
::testing::AssertionResult IngestTextAllAccepted(const std::string& data_dir,
                                                 const std::string& file, const std::string& text,
                                                 size_t lines, Json* out = nullptr);

// Runs `gpuledger report <kind> --data DIR [--month M] --format json` and parses the output.
// `month` empty: no --month. Succeeds only on exit 0 with a JSON array on stdout.
::testing::AssertionResult ReportJson(const std::string& data_dir, std::string_view kind,
                                      std::string_view month, Json* out);

// A CSV document (RFC 4180: quoted fields with "" escapes) as rows of fields.
std::vector<std::vector<std::string>> ParseCsv(std::string_view text);

}  // namespace gpuledger::testing
