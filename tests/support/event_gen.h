// A small deterministic generator of JSON Lines event files for the tests (tamper, crash):
// one contract registered by "ministry" for CSP "kt-cloud", a few allocations on it, then
// many usage.reported events from "csp/kt-cloud", with exact duplicates, conflicting
// duplicates, events on an unknown allocation, malformed lines and blank lines mixed in.
// Every line's outcome (spec section 4) is known by construction and returned in a summary.
//
// Header-only (inline) so that tests need no CMake change; same seed, same bytes, on every
// platform (its own PRNG, no <random> distributions).
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace gpuledger::testing {

// The expected outcome of one physical line of a generated file.
enum class GenOutcome : uint8_t {
  kBlank,  // white space only: skipped, not counted
  kAccepted,
  kDuplicate,             // same (source, id) and content as an accepted line
  kConflictingDuplicate,  // rejected: same (source, id) as an accepted line, other content
  kMalformed,             // rejected: check 1
  kInvalidReference,      // rejected: usage on an allocation that was never granted
};

struct GenSummary {
  uint64_t physical_lines = 0;  // lines in the file (each ends with '\n')
  uint64_t blank = 0;
  uint64_t accepted = 0;
  uint64_t duplicate = 0;
  uint64_t conflicting_duplicate = 0;
  uint64_t malformed = 0;
  uint64_t invalid_reference = 0;
  std::vector<GenOutcome> outcomes;  // per physical line, 0-based (line n is outcomes[n-1])

  uint64_t rejected() const { return conflicting_duplicate + malformed + invalid_reference; }
  uint64_t non_blank() const { return accepted + duplicate + rejected(); }
  // Reason code -> count, as in the ingest output's "rejected_by_reason".
  std::map<std::string, uint64_t> rejected_by_reason() const {
    std::map<std::string, uint64_t> m;
    if (conflicting_duplicate) m["conflicting_duplicate"] = conflicting_duplicate;
    if (malformed) m["malformed"] = malformed;
    if (invalid_reference) m["invalid_reference"] = invalid_reference;
    return m;
  }
};

// Counts of the first `lines` physical lines (a durable prefix of an interrupted ingest).
struct GenPrefixCounts {
  uint64_t accepted = 0, duplicate = 0, rejected = 0, blank = 0;
};
inline GenPrefixCounts CountPrefix(const GenSummary& s, uint64_t lines) {
  GenPrefixCounts c;
  for (uint64_t i = 0; i < lines && i < s.outcomes.size(); ++i) {
    switch (s.outcomes[i]) {
      case GenOutcome::kBlank:
        ++c.blank;
        break;
      case GenOutcome::kAccepted:
        ++c.accepted;
        break;
      case GenOutcome::kDuplicate:
        ++c.duplicate;
        break;
      default:
        ++c.rejected;
        break;
    }
  }
  return c;
}

namespace event_gen_detail {

// SplitMix64: tiny, fully specified, identical everywhere.
class Prng {
 public:
  explicit Prng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  uint64_t Below(uint64_t n) { return n == 0 ? 0 : Next() % n; }  // bias irrelevant here

 private:
  uint64_t state_;
};

inline std::string Rfc3339(int64_t unix_seconds) {
  using namespace std::chrono;
  sys_seconds tp{seconds(unix_seconds)};
  auto day = floor<days>(tp);
  year_month_day ymd(day);
  hh_mm_ss hms(tp - day);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

inline std::string Seq(const char* prefix, uint64_t n) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%s%08llu", prefix, static_cast<unsigned long long>(n));
  return buf;
}

inline std::string UsageLine(const std::string& id, const std::string& allocation, int64_t start,
                             int64_t end, int64_t gpu_seconds) {
  return "{\"specversion\":\"1.0\",\"id\":\"" + id +
         "\",\"source\":\"csp/kt-cloud\",\"type\":\"io.gpuledger.usage.reported.v1\",\"time\":\"" +
         Rfc3339(end) + "\",\"subject\":\"alloc/" + allocation +
         "\",\"datacontenttype\":\"application/json\",\"data\":{\"allocation_id\":\"" + allocation +
         "\",\"interval_start\":\"" + Rfc3339(start) + "\",\"interval_end\":\"" + Rfc3339(end) +
         "\",\"gpu_seconds\":" + std::to_string(gpu_seconds) + "}}";
}

}  // namespace event_gen_detail

// The contract and the allocations the generator writes first.
inline constexpr const char* kGenContractId = "C-KT-0001";
inline constexpr int kGenAllocations = 8;
inline constexpr int64_t kGenPeriodStart = 1775001600;  // 2026-04-01T00:00:00Z

// Generates `lines` physical lines (each ending in '\n'); fills *summary if given.
// With lines >= 1 + kGenAllocations the first lines are the contract and the grants (all
// accepted); every later line is a usage report or one of the mixed-in oddities.
inline std::string GenerateJsonl(uint64_t lines, uint64_t seed, GenSummary* summary = nullptr) {
  using namespace event_gen_detail;
  Prng rng(seed ^ 0x67706C6564676572ull);
  GenSummary s;
  std::string out;
  out.reserve(lines * 340);
  struct Accepted {
    std::string line, id, allocation;
    int64_t start, end, gpu_seconds;
  };
  std::vector<Accepted> usage;  // accepted usage reports, for duplicates
  auto emit = [&](const std::string& line, GenOutcome o) {
    out += line;
    out += '\n';
    s.outcomes.push_back(o);
    switch (o) {
      case GenOutcome::kBlank:
        ++s.blank;
        break;
      case GenOutcome::kAccepted:
        ++s.accepted;
        break;
      case GenOutcome::kDuplicate:
        ++s.duplicate;
        break;
      case GenOutcome::kConflictingDuplicate:
        ++s.conflicting_duplicate;
        break;
      case GenOutcome::kMalformed:
        ++s.malformed;
        break;
      case GenOutcome::kInvalidReference:
        ++s.invalid_reference;
        break;
    }
  };
  const int64_t period_end = kGenPeriodStart + 366 * 86400;  // whole hours
  std::vector<int64_t> alloc_gpus;
  std::vector<int64_t> alloc_next;  // next interval start per allocation
  uint64_t n = 0;
  if (n < lines) {
    emit(
        std::string("{\"specversion\":\"1.0\",\"id\":\"c-0001\",\"source\":\"ministry\",") +
            "\"type\":\"io.gpuledger.contract.registered.v1\",\"time\":\"2026-03-20T00:00:00Z\"," +
            "\"datacontenttype\":\"application/json\",\"data\":{\"contract_id\":\"" +
            kGenContractId +
            "\",\"csp_id\":\"kt-cloud\",\"programme\":\"ai-research\",\"gpu_model\":\"H100-80G\"," +
            "\"committed_gpus\":64,\"period_start\":\"" + Rfc3339(kGenPeriodStart) +
            "\",\"period_end\":\"" + Rfc3339(period_end) +
            "\",\"price_krw_per_gpu_hour\":2500,\"penalty_krw_per_gpu_hour\":1000," +
            "\"max_gpus_per_allocation\":16}}",
        GenOutcome::kAccepted);
    ++n;
  }
  for (int a = 0; a < kGenAllocations && n < lines; ++a, ++n) {
    int64_t gpus = 1 + static_cast<int64_t>(rng.Below(16));
    alloc_gpus.push_back(gpus);
    alloc_next.push_back(kGenPeriodStart);
    std::string alloc = Seq("A-", a + 1);
    emit(std::string("{\"specversion\":\"1.0\",\"id\":\"") + Seq("g-", a + 1) +
             "\",\"source\":\"ministry\",\"type\":\"io.gpuledger.allocation.granted.v1\"," +
             "\"time\":\"2026-03-25T00:00:00Z\",\"data\":{\"allocation_id\":\"" + alloc +
             "\",\"contract_id\":\"" + kGenContractId + "\",\"user_id\":\"" + Seq("user-", a % 5) +
             "\",\"gpus\":" + std::to_string(gpus) + ",\"start\":\"" + Rfc3339(kGenPeriodStart) +
             "\",\"end\":\"" + Rfc3339(period_end) + "\"}}",
         GenOutcome::kAccepted);
  }
  // Each is `malformed` (check 1); the ids are never accepted, so they claim nothing.
  static const char* const kMalformed[] = {
      "{not json",
      "[1,2,3]",
      "\"just a string\"",
      // type, time and data missing
      "{\"specversion\":\"1.0\",\"id\":\"m-x\",\"source\":\"csp/kt-cloud\"}",
      // specversion not "1.0"
      "{\"specversion\":\"0.3\",\"id\":\"m-y\",\"source\":\"csp/kt-cloud\","
      "\"type\":\"io.gpuledger.usage.reported.v1\",\"time\":\"2026-04-01T00:10:00Z\",\"data\":{}}",
      // empty id
      "{\"specversion\":\"1.0\",\"id\":\"\",\"source\":\"csp/kt-cloud\","
      "\"type\":\"io.gpuledger.usage.reported.v1\",\"time\":\"2026-04-01T00:10:00Z\",\"data\":{}}",
      // repeated key
      "{\"specversion\":\"1.0\",\"id\":\"m-z\",\"id\":\"m-z\",\"source\":\"csp/kt-cloud\","
      "\"type\":\"io.gpuledger.usage.reported.v1\",\"time\":\"2026-04-01T00:10:00Z\",\"data\":{}}",
      // time not RFC 3339
      "{\"specversion\":\"1.0\",\"id\":\"m-w\",\"source\":\"csp/kt-cloud\","
      "\"type\":\"io.gpuledger.usage.reported.v1\",\"time\":\"yesterday\",\"data\":{}}",
      // not UTF-8
      "{\"specversion\":\"1.0\",\"id\":\"m-\xff\xfe\",\"source\":\"csp/kt-cloud\"}",
      // data not an object
      "{\"specversion\":\"1.0\",\"id\":\"m-v\",\"source\":\"csp/kt-cloud\","
      "\"type\":\"io.gpuledger.usage.reported.v1\",\"time\":\"2026-04-01T00:10:00Z\",\"data\":[]}",
  };
  constexpr size_t kMalformedKinds = sizeof(kMalformed) / sizeof(kMalformed[0]);
  uint64_t next_usage = 1;
  while (n < lines) {
    uint64_t roll = rng.Below(1000);
    if (roll < 5) {  // 0.5%: blank line
      emit(roll < 2 ? "" : "  \t ", GenOutcome::kBlank);
    } else if (roll < 35 && !usage.empty()) {  // 3%: exact duplicate of an accepted report
      emit(usage[rng.Below(usage.size())].line, GenOutcome::kDuplicate);
    } else if (roll < 50 && !usage.empty()) {  // 1.5%: same id, other gpu_seconds
      const Accepted& u = usage[rng.Below(usage.size())];
      int64_t other = u.gpu_seconds + 1 + static_cast<int64_t>(rng.Below(5));
      emit(UsageLine(u.id, u.allocation, u.start, u.end, other), GenOutcome::kConflictingDuplicate);
    } else if (roll < 62) {  // 1.2%: malformed
      emit(kMalformed[rng.Below(kMalformedKinds)], GenOutcome::kMalformed);
    } else if (roll < 67 && n + 1 < lines) {
      // 0.5%: a usage report on an allocation never granted, with the id the next valid
      // report then uses: a rejected message claims no id (spec section 4).
      std::string id = Seq("u-", next_usage);
      emit(UsageLine(id, "A-NOT-GRANTED", kGenPeriodStart, kGenPeriodStart + 600, 60),
           GenOutcome::kInvalidReference);
    } else {
      size_t a = rng.Below(alloc_gpus.size());  // non-empty: the header is complete here
      int64_t start = alloc_next[a];
      int64_t len = 60 * (1 + static_cast<int64_t>(rng.Below(10)));  // 1-10 min, within the hour
      if ((start % 3600) + len > 3600) len = 3600 - start % 3600;
      alloc_next[a] = start + len;
      uint64_t max_gpu_seconds = static_cast<uint64_t>(alloc_gpus[a] * len);
      int64_t gpu_seconds = static_cast<int64_t>(rng.Below(max_gpu_seconds + 1));
      Accepted u{{}, Seq("u-", next_usage++), Seq("A-", a + 1), start, start + len, gpu_seconds};
      u.line = UsageLine(u.id, u.allocation, u.start, u.end, u.gpu_seconds);
      emit(u.line, GenOutcome::kAccepted);
      usage.push_back(std::move(u));
    }
    ++n;
  }
  s.physical_lines = n;
  if (summary) *summary = std::move(s);
  return out;
}

}  // namespace gpuledger::testing
