#include "tools/bench/bench_events.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <iterator>

#include "ledger/audit/rfc3339.h"

namespace gpuledger::bench {
namespace {

constexpr int64_t kSlotSeconds = 600;  // usage reports cover at most one 10-minute slot

const char* const kCsps[] = {"kt-cloud", "naver-cloud", "nhn-cloud", "kakao-enterprise"};
const char* const kModels[] = {"NVIDIA-H100-SXM5-80GB", "NVIDIA-A100-SXM4-80GB",
                               "NVIDIA-H200-SXM-141GB"};
const char* const kRegions[] = {"kr-central-1", "kr-central-2", "kr-south-1"};
constexpr uint64_t kCspCount = std::size(kCsps);

// About one allocation per 4000 usage reports (a month of 10-minute slots), 4..256. Each
// report moves its allocation on by 2 slots on average, so with 256 allocations the reports
// of more than about 5.5M events run past the one-year period (at 10M, 35% of them would end
// after the allocations do: accepted, but each a usage_outside_allocation anomaly). From
// 5.12M on there is one allocation per 20000 events instead (~40000 slots each, plus the
// random start, inside the year's 52560). Below 5.14M the count, and so every event, is
// what it always was.
uint64_t GrantCount(uint64_t n, uint64_t contracts) {
  constexpr uint64_t kEventsPerGrantMax = 20000;
  const uint64_t grants_max = std::max<uint64_t>(256, n / kEventsPerGrantMax);
  const uint64_t grants = std::clamp<uint64_t>(n / 4000, kCspCount, grants_max);
  return std::min(grants, n - contracts);
}

std::string RandomHex(std::mt19937_64& rng, size_t digits) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s(digits, '0');
  for (char& c : s) c = kDigits[rng() & 15];
  return s;
}

void Append(std::string* out, const char* buf, int len) {
  if (len < 0) return;  // snprintf cannot fail on these formats
  out->append(buf, static_cast<size_t>(len));
}

}  // namespace

BenchEventStream::BenchEventStream(uint64_t n, uint64_t seed)
    : n_(n),
      contracts_(std::min<uint64_t>(kCspCount, n)),
      grants_(GrantCount(n, contracts_)),
      rng_(seed),
      period_start_(FormatRfc3339Utc(kBenchPeriodStartSeconds)),
      period_end_(FormatRfc3339Utc(kBenchPeriodEndSeconds)) {
  allocations_.reserve(grants_);
}

// A fresh distribution per draw, as the one-shot generator always did: the draws (and so
// the events for a seed) stay the same.
int64_t BenchEventStream::Uniform(int64_t lo, int64_t hi) {
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
}

uint64_t BenchEventStream::Next(std::string* out, uint64_t lines_max) {
  const uint64_t end = n_ - next_ < lines_max ? n_ : next_ + lines_max;
  const uint64_t first = next_;
  for (; next_ < end; ++next_) {
    if (next_ < contracts_) {
      AppendContract(next_, out);
    } else if (next_ < contracts_ + grants_) {
      AppendGrant(next_ - contracts_, out);
    } else {
      AppendUsage(next_ - contracts_ - grants_, out);
    }
  }
  return next_ - first;
}

void BenchEventStream::AppendContract(uint64_t c, std::string* out) {
  char buf[2048];
  int len = std::snprintf(
      buf, sizeof(buf),
      R"({"specversion":"1.0","id":"c-%04)" PRIu64
      R"(","source":"ministry","type":"io.gpuledger.contract.registered.v1","time":"2025-12-15T09:00:00Z","subject":"contract/C-%s","datacontenttype":"application/json","data":{"contract_id":"C-%s","csp_id":"%s","programme":"ai-research","gpu_model":"%s","committed_gpus":1024,"period_start":"%s","period_end":"%s","price_krw_per_gpu_hour":3200,"penalty_krw_per_gpu_hour":4800,"max_gpus_per_allocation":16}})"
      "\n",
      c, kCsps[c], kCsps[c], kCsps[c], kModels[c % std::size(kModels)], period_start_.c_str(),
      period_end_.c_str());
  Append(out, buf, len);
}

void BenchEventStream::AppendGrant(uint64_t a, std::string* out) {
  Allocation alloc;
  const char* csp = kCsps[a % kCspCount];
  alloc.id = "A-" + std::to_string(10000 + a);
  alloc.csp = csp;
  alloc.gpus = Uniform(1, 16);
  alloc.next_slot = Uniform(0, 30 * 144);  // start within the first month
  char buf[2048];
  int len = std::snprintf(
      buf, sizeof(buf),
      R"({"specversion":"1.0","id":"g-%06)" PRIu64
      R"(","source":"ministry","type":"io.gpuledger.allocation.granted.v1","time":"2025-12-20T09:00:00Z","subject":"alloc/%s","datacontenttype":"application/json","data":{"allocation_id":"%s","contract_id":"C-%s","user_id":"U-%05)" PRIu64
      R"(","gpus":%)" PRId64 R"(,"start":"%s","end":"%s"}})"
      "\n",
      a, alloc.id.c_str(), alloc.id.c_str(), csp, 20000 + a, alloc.gpus, period_start_.c_str(),
      period_end_.c_str());
  Append(out, buf, len);
  allocations_.push_back(std::move(alloc));
}

void BenchEventStream::AppendUsage(uint64_t u, std::string* out) {
  Allocation& a =
      allocations_[static_cast<size_t>(Uniform(0, static_cast<int64_t>(allocations_.size()) - 1))];
  const int64_t slot_start = kBenchPeriodStartSeconds + a.next_slot * kSlotSeconds;
  a.next_slot += Uniform(1, 3);
  const int64_t offset = Uniform(0, 119);
  const int64_t start = slot_start + offset;
  const int64_t end = start + Uniform(60, kSlotSeconds - offset);  // inside the slot's hour
  const int64_t reported = end + Uniform(5, 300);
  const std::string t_start = FormatRfc3339Utc(start);
  const std::string t_end = FormatRfc3339Utc(end);
  const std::string t_time = FormatRfc3339Utc(reported);
  const std::string trace = RandomHex(rng_, 32), span = RandomHex(rng_, 16);
  // The meter draws are arguments: their order of evaluation is unspecified, but it is the
  // order the one-shot generator always had with this compiler.
  char buf[2048];
  int len = std::snprintf(
      buf, sizeof(buf),
      R"({"specversion":"1.0","id":"u-%010)" PRIu64
      R"(","source":"csp/%s","type":"io.gpuledger.usage.reported.v1","time":"%s","subject":"alloc/%s","datacontenttype":"application/json","dataschema":"https://gpuledger.example/schemas/usage.v1","traceparent":"00-%s-%s-01","data":{"allocation_id":"%s","interval_start":"%s","interval_end":"%s","gpu_seconds":%)" PRId64
      R"(,"gpu_model":"%s","region":"%s","meter":{"sm_util_pct":%)" PRId64
      R"(,"mem_util_pct":%)" PRId64 R"(,"power_w_avg":%)" PRId64
      R"(},"collector":"dcgm-exporter/3.3.5"}})"
      "\n",
      u, a.csp.c_str(), t_time.c_str(), a.id.c_str(), trace.c_str(), span.c_str(), a.id.c_str(),
      t_start.c_str(), t_end.c_str(), (end - start) * a.gpus, kModels[u % std::size(kModels)],
      kRegions[u % std::size(kRegions)], Uniform(0, 100), Uniform(0, 100), Uniform(80, 700));
  Append(out, buf, len);
}

std::string GenerateEvents(uint64_t n, uint64_t seed, uint64_t* usage_events) {
  BenchEventStream stream(n, seed);
  std::string out;
  out.reserve(n * 640);
  stream.Next(&out, n);
  *usage_events = stream.usage_events();
  return out;
}

}  // namespace gpuledger::bench
