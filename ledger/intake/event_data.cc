// Checks 5 (data fields present, of the right JSON type) and 6 (value rules) of spec
// section 4, for each payload of section 3. All of check 5 runs before any of check 6, so
// that a missing field is `malformed` even when another field's value is also bad.
#include <algorithm>
#include <array>
#include <unordered_set>

#include "ledger/audit/rfc3339.h"
#include "ledger/intake/event_parse.h"

namespace gpuledger {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

constexpr std::array<std::string_view, 3> kProgrammes = {"hpc-industry", "ai-research", "gov-gpu"};
// Upper bounds of "a number out of range" (check 6), chosen so that any month's settlement
// arithmetic stays exact in 128-bit intermediates. Written down in docs/intake.md.
constexpr int64_t kGpuCountMax = 10'000'000;
constexpr int64_t kKrwPerGpuHourMax = 1'000'000'000'000;
constexpr int64_t kGpuSecondsMax = 1'000'000'000'000'000;
constexpr int64_t kHourSeconds = 3600;

int64_t FloorHour(int64_t t) {
  int64_t r = t % kHourSeconds;
  return r < 0 ? t - r - kHourSeconds : t - r;
}

// Reads the fields of `data`, remembering the first check-5 failure and the first value
// problem found while reading (an integer beyond int64), which check 6 reports in turn.
class DataReader {
 public:
  // `big_integers`: the message held integer tokens beyond 64 bits, which the parser
  // holds as doubles; an integral double of magnitude >= 2^63 in an integer field is then
  // such an integer, out of range.
  DataReader(object data, bool big_integers) : data_(data), big_integers_(big_integers) {}

  void String(std::string_view name, std::string* out) {
    element e;
    if (!Get(name, &e)) return;
    if (e.type() != element_type::STRING) return TypeFail(name, "a string");
    *out = std::string(e.get_string().value_unsafe());
  }
  // Timestamps are strings here; their RFC 3339 form is a value rule (check 6).
  void Time(std::string_view name, int64_t* out) {
    std::string text;
    String(name, &text);
    if (type_failure_) return;
    TimeParse tp = ParseRfc3339(text, out);
    if (tp == TimeParse::kInvalid) {
      ValueFail("data." + std::string(name) + " '" + text + "' is not an RFC 3339 date-time");
    } else if (tp == TimeParse::kFractional) {
      ValueFail("data." + std::string(name) + " '" + text + "' has fractional seconds");
    }
  }
  void Int(std::string_view name, int64_t* out) {
    element e;
    if (!Get(name, &e)) return;
    if (e.type() == element_type::INT64) {
      *out = e.get_int64().value_unsafe();
    } else if (e.type() == element_type::UINT64 || (big_integers_ && IsHugeIntegral(e))) {
      ValueFail("data." + std::string(name) + " is out of range");
    } else {
      TypeFail(name, "a JSON integer");
    }
  }
  void StringList(std::string_view name, std::vector<std::string>* out) {
    element e;
    if (!Get(name, &e)) return;
    if (e.type() != element_type::ARRAY) return TypeFail(name, "a list of strings");
    simdjson::dom::array array = e.get_array().value_unsafe();
    for (element item : array) {
      if (item.type() != element_type::STRING) return TypeFail(name, "a list of strings");
      out->emplace_back(item.get_string().value_unsafe());
    }
  }
  void Id(std::string_view name, std::string* out) {
    String(name, out);
    if (!type_failure_ && out->empty()) ValueFail("data." + std::string(name) + " is empty");
  }
  void Range(std::string_view name, int64_t v, int64_t lo, int64_t hi) {
    if (v < lo || v > hi) {
      ValueFail("data." + std::string(name) + " = " + std::to_string(v) + " is outside [" +
                std::to_string(lo) + ", " + std::to_string(hi) + "]");
    }
  }
  void Ordered(std::string_view a, int64_t va, std::string_view b, int64_t vb) {
    if (va >= vb) ValueFail("data." + std::string(a) + " must be before data." + std::string(b));
  }
  void ValueFail(std::string detail) {
    if (!value_failure_) value_failure_ = CheckFailure{reason::kInvalidValue, std::move(detail)};
  }
  bool reading_ok() const { return !type_failure_; }
  std::optional<CheckFailure> Result() const {
    return type_failure_ ? type_failure_ : value_failure_;
  }

 private:
  bool Get(std::string_view name, element* e) {
    if (type_failure_) return false;
    if (data_.at_key(name).get(*e) == simdjson::SUCCESS) return true;
    type_failure_ = CheckFailure{reason::kMalformed, "data." + std::string(name) + " is missing"};
    return false;
  }
  void TypeFail(std::string_view name, std::string_view what) {
    type_failure_ = CheckFailure{reason::kMalformed,
                                 "data." + std::string(name) + " is not " + std::string(what)};
  }

  static bool IsHugeIntegral(element e) {
    if (e.type() != element_type::DOUBLE) return false;
    double v = e.get_double().value_unsafe();
    constexpr double kTwoTo63 = 9223372036854775808.0;
    // Every double this large is integral; -2^63 itself only arises from a token below it
    // (an int64 token would have parsed as one).
    return v >= kTwoTo63 || v <= -kTwoTo63;
  }

  object data_;
  bool big_integers_;
  std::optional<CheckFailure> type_failure_;
  std::optional<CheckFailure> value_failure_;
};

// Each reader records values in field order; value rules that relate fields run after
// all reads, and only when every field was of the right type.
void ReadContract(DataReader& r, ContractRegisteredData* d) {
  r.Id("contract_id", &d->contract_id);
  r.Id("csp_id", &d->csp_id);
  r.String("programme", &d->programme);
  r.Id("gpu_model", &d->gpu_model);
  r.Int("committed_gpus", &d->committed_gpus);
  r.Time("period_start", &d->period_start);
  r.Time("period_end", &d->period_end);
  r.Int("price_krw_per_gpu_hour", &d->price_krw_per_gpu_hour);
  r.Int("penalty_krw_per_gpu_hour", &d->penalty_krw_per_gpu_hour);
  r.Int("max_gpus_per_allocation", &d->max_gpus_per_allocation);
  if (!r.reading_ok()) return;
  if (std::find(kProgrammes.begin(), kProgrammes.end(), d->programme) == kProgrammes.end()) {
    r.ValueFail("data.programme '" + d->programme + "' is not a known programme");
  }
  r.Range("committed_gpus", d->committed_gpus, 1, kGpuCountMax);
  if (FloorHour(d->period_start) != d->period_start || FloorHour(d->period_end) != d->period_end) {
    r.ValueFail("the contract period must start and end on whole UTC hours");
  }
  r.Ordered("period_start", d->period_start, "period_end", d->period_end);
  r.Range("price_krw_per_gpu_hour", d->price_krw_per_gpu_hour, 0, kKrwPerGpuHourMax);
  r.Range("penalty_krw_per_gpu_hour", d->penalty_krw_per_gpu_hour, 0, kKrwPerGpuHourMax);
  r.Range("max_gpus_per_allocation", d->max_gpus_per_allocation, 1, kGpuCountMax);
}

void ReadCapacity(DataReader& r, CapacityReportedData* d) {
  r.Id("contract_id", &d->contract_id);
  r.Time("interval_start", &d->interval_start);
  r.Time("interval_end", &d->interval_end);
  r.StringList("gpu_uuids", &d->gpu_uuids);
  if (!r.reading_ok()) return;
  r.Ordered("interval_start", d->interval_start, "interval_end", d->interval_end);
  std::unordered_set<std::string_view> seen;
  for (const std::string& uuid : d->gpu_uuids) {
    if (uuid.empty()) return r.ValueFail("data.gpu_uuids holds an empty string");
    if (!seen.insert(uuid).second) {
      return r.ValueFail("data.gpu_uuids lists '" + uuid + "' more than once");
    }
  }
}

void ReadGrant(DataReader& r, AllocationGrantedData* d) {
  r.Id("allocation_id", &d->allocation_id);
  r.Id("contract_id", &d->contract_id);
  r.Id("user_id", &d->user_id);
  r.Int("gpus", &d->gpus);
  r.Time("start", &d->start);
  r.Time("end", &d->end);
  if (!r.reading_ok()) return;
  r.Range("gpus", d->gpus, 1, kGpuCountMax);
  r.Ordered("start", d->start, "end", d->end);
}

void ReadRelease(DataReader& r, AllocationReleasedData* d) {
  r.Id("allocation_id", &d->allocation_id);
  r.Time("at", &d->at);
}

void ReadUsage(DataReader& r, UsageReportedData* d) {
  r.Id("allocation_id", &d->allocation_id);
  r.Time("interval_start", &d->interval_start);
  r.Time("interval_end", &d->interval_end);
  r.Int("gpu_seconds", &d->gpu_seconds);
  if (!r.reading_ok()) return;
  r.Ordered("interval_start", d->interval_start, "interval_end", d->interval_end);
  if (d->interval_end > FloorHour(d->interval_start) + kHourSeconds) {
    r.ValueFail("the usage interval crosses an hour boundary");
  }
  r.Range("gpu_seconds", d->gpu_seconds, 0, kGpuSecondsMax);
}

bool IsMonth(std::string_view m) {
  if (m.size() != 7 || m[4] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6}) {
    if (m[i] < '0' || m[i] > '9') return false;
  }
  int month = (m[5] - '0') * 10 + (m[6] - '0');
  return month >= 1 && month <= 12;
}

void ReadClose(DataReader& r, PeriodClosedData* d) {
  r.String("month", &d->month);
  if (r.reading_ok() && !IsMonth(d->month)) {
    r.ValueFail("data.month '" + d->month + "' is not a month YYYY-MM");
  }
}

void ReadVoid(DataReader& r, EventVoidedData* d) {
  r.Id("event_id", &d->event_id);
  r.String("reason", &d->reason);
}

}  // namespace

std::optional<CheckFailure> EventParser::ParseData(const Envelope& env, EventType type,
                                                   EventData* out) {
  object root = root_.get_object().value_unsafe();
  object data = root["data"].get_object().value_unsafe();
  DataReader r(data, big_integers_);
  switch (type) {
    case EventType::kContractRegistered:
      ReadContract(r, &out->emplace<ContractRegisteredData>());
      break;
    case EventType::kCapacityReported:
      ReadCapacity(r, &out->emplace<CapacityReportedData>());
      break;
    case EventType::kAllocationGranted:
      ReadGrant(r, &out->emplace<AllocationGrantedData>());
      break;
    case EventType::kAllocationReleased:
      ReadRelease(r, &out->emplace<AllocationReleasedData>());
      break;
    case EventType::kUsageReported:
      ReadUsage(r, &out->emplace<UsageReportedData>());
      break;
    case EventType::kPeriodClosed:
      ReadClose(r, &out->emplace<PeriodClosedData>());
      break;
    case EventType::kEventVoided:
      ReadVoid(r, &out->emplace<EventVoidedData>());
      break;
  }
  if (auto f = r.Result()) return f;
  if (env.time_fractional) {
    return CheckFailure{reason::kInvalidValue,
                        "time '" + env.time_text + "' has fractional seconds"};
  }
  return std::nullopt;
}

}  // namespace gpuledger
