// Synthetic usage-heavy event streams for the benchmarks (bench_ingest, bench_audit): one
// contract.registered per CSP, then allocation.granted, then ~600-byte usage.reported
// events from csp/<id> with distinct ids, spread over allocations and time so that every
// one is accepted. Usage events carry the spec example's fields plus the optional and
// extension attributes and extra data fields a real exporter sends (ignored, but parsed,
// canonicalised, hashed and stored).
//
// Thread-safety: a BenchEventStream is used by one thread.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace gpuledger::bench {

// The contracts' period: 2026-01-01T00:00:00Z to 2027-01-01T00:00:00Z.
inline constexpr int64_t kBenchPeriodStartSeconds = 1767225600;
inline constexpr int64_t kBenchPeriodEndSeconds = 1798761600;

// The same N events as GenerateEvents, a chunk at a time, so that 10 million events need
// not be held in memory at once.
class BenchEventStream {
 public:
  BenchEventStream(uint64_t n, uint64_t seed);
  // Appends the next up to `lines_max` events (JSON Lines, each ending in '\n') to `*out`;
  // returns how many it appended (0 once all N are out).
  uint64_t Next(std::string* out, uint64_t lines_max);
  uint64_t size() const { return n_; }
  uint64_t emitted() const { return next_; }
  bool done() const { return next_ == n_; }
  uint64_t usage_events() const { return n_ - contracts_ - grants_; }

 private:
  struct Allocation {
    std::string id, csp;
    int64_t gpus = 1;
    int64_t next_slot = 0;  // the next 10-minute slot (since the period start) to report
  };
  int64_t Uniform(int64_t lo, int64_t hi);
  void AppendContract(uint64_t c, std::string* out);
  void AppendGrant(uint64_t a, std::string* out);
  void AppendUsage(uint64_t u, std::string* out);

  uint64_t n_;
  uint64_t contracts_;
  uint64_t grants_;
  uint64_t next_ = 0;  // events emitted so far
  std::mt19937_64 rng_;
  std::string period_start_, period_end_;
  std::vector<Allocation> allocations_;
};

// All N events in one string; `*usage_events` is how many are usage.reported.
std::string GenerateEvents(uint64_t n, uint64_t seed, uint64_t* usage_events);

}  // namespace gpuledger::bench
