// Events and record helpers shared by the CloudEvents Kafka binding tests. Header-only.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gpuledger/cloudevents_kafka.h"

namespace gpuledger::testing {

// The spec's section 2 example, and its `data` as a binary-mode record carries it.
inline constexpr std::string_view kSpecExample =
    R"({"specversion":"1.0","id":"u-000001","source":"csp/kt-cloud",)"
    R"("type":"io.gpuledger.usage.reported.v1","time":"2026-04-01T00:10:00Z",)"
    R"("subject":"alloc/A-0001","datacontenttype":"application/json","data":{"allocation_id":)"
    R"("A-0001","interval_start":"2026-04-01T00:00:00Z","interval_end":"2026-04-01T00:10:00Z",)"
    R"("gpu_seconds":4800}})";
inline constexpr std::string_view kSpecExampleData =
    R"({"allocation_id":"A-0001","interval_start":"2026-04-01T00:00:00Z",)"
    R"("interval_end":"2026-04-01T00:10:00Z","gpu_seconds":4800})";

inline std::string Event(std::string_view type, std::string_view source, std::string_view id,
                         std::string_view data, std::string_view extra = "") {
  return R"({"specversion":"1.0","id":")" + std::string(id) + R"(","source":")" +
         std::string(source) + R"(","type":"io.gpuledger.)" + std::string(type) +
         R"(.v1","time":"2026-04-01T00:10:00Z",)" + std::string(extra) +
         R"("datacontenttype":"application/json","data":)" + std::string(data) + "}";
}

// One valid event of each type of spec section 3, in an order a fresh ledger accepts.
inline std::vector<std::string> SevenEvents() {
  return {
      Event("contract.registered", "ministry", "reg-1",
            R"({"contract_id":"C-1","csp_id":"kt-cloud","programme":"ai-research",)"
            R"("gpu_model":"H100","committed_gpus":8,"period_start":"2026-04-01T00:00:00Z",)"
            R"("period_end":"2026-07-01T00:00:00Z","price_krw_per_gpu_hour":3000,)"
            R"("penalty_krw_per_gpu_hour":1500,"max_gpus_per_allocation":4})",
            R"("dataschema":"https://example.org/contract.json",)"),
      Event("capacity.reported", "csp/kt-cloud", "cap-1",
            R"({"contract_id":"C-1","interval_start":"2026-04-01T00:00:00Z",)"
            R"("interval_end":"2026-04-01T01:00:00Z","gpu_uuids":["GPU-1","GPU-\"2\""]})"),
      Event("allocation.granted", "ministry", "grant-1",
            R"({"allocation_id":"A-1","contract_id":"C-1","user_id":"U-kaist","gpus":2,)"
            R"("start":"2026-04-01T00:00:00Z","end":"2026-05-01T00:00:00Z"})"),
      Event("usage.reported", "csp/kt-cloud", "use-1",
            R"({"allocation_id":"A-1","interval_start":"2026-04-01T00:00:00Z",)"
            R"("interval_end":"2026-04-01T00:10:00Z","gpu_seconds":1200})",
            R"("subject":"alloc/A-1",)"),
      Event("allocation.released", "csp/kt-cloud", "rel-1",
            R"({"allocation_id":"A-1","at":"2026-04-20T00:00:00Z"})"),
      Event("period.closed", "ministry", "close-1", R"({"month":"2026-04"})"),
      Event("event.voided", "csp/kt-cloud", "void-1",
            R"({"event_id":"cap-1","reason":"sent in error \u00e9 \n"})"),
  };
}

inline std::vector<KafkaHeader> ToHeaders(const KafkaRecordOut& record) {
  std::vector<KafkaHeader> out;
  for (const auto& [key, value] : record.headers) out.push_back({key, value});
  return out;
}

inline std::optional<std::string> HeaderValue(const KafkaRecordOut& record, std::string_view key) {
  for (const auto& [k, v] : record.headers) {
    if (k == key) return v;
  }
  return std::nullopt;
}

}  // namespace gpuledger::testing
