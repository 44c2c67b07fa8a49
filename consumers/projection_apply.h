// The Applier turns ledger entries, in index order, into the projections' state (spec
// sections 5-7): contracts and allocations, capacity claims per clock hour, delivered
// GPU-seconds per contract and hour, month sums, usage, anomaly rows and closed months.
// Everything goes through the Store's batch; the caller commits it with the applied index.
//
// Why hours: delivered(h) of every contract depends only on the capacity claims inside h
// (the per-GPU union and cross-contract double claims are per second), so an event changes
// only the hours it covers. Changed hours are recomputed once per batch (Flush), which makes
// applying a batch O(batch), not O(history). Private to consumers/. Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "consumers/projection_format.h"
#include "consumers/projection_store.h"
#include "gpuledger/ledger.h"
#include "gpuledger/status.h"

namespace gpuledger::fb {
struct Event;
}

namespace gpuledger::proj {

class Applier {
 public:
  // `ledger` gives the Merkle root at a close; both must outlive the Applier.
  Applier(Store* store, const Ledger* ledger) : store_(store), ledger_(ledger) {}

  // Reads what the applier keeps in memory (the closed months) from the store.
  [[nodiscard]] Status Load();
  // Applies the entry at `index` (its stored LedgerEntry bytes).
  [[nodiscard]] Status Apply(uint64_t index, std::string_view stored);
  // Recomputes the hours changed since the last Flush. Call before committing a batch.
  [[nodiscard]] Status Flush();

 private:
  struct Envelope {
    uint64_t index = 0;
    std::string_view source, id;
  };
  Status ApplyEvent(const Envelope& env, const fb::Event& event);
  Status ApplyContract(const Envelope& env, const fb::Event& event);
  Status ApplyCapacity(const Envelope& env, const fb::Event& event);
  Status ApplyGrant(const Envelope& env, const fb::Event& event);
  Status ApplyRelease(const Envelope& env, const fb::Event& event);
  Status ApplyUsage(const Envelope& env, const fb::Event& event);
  Status ApplyClose(const Envelope& env, const fb::Event& event);
  Status ApplyVoid(const Envelope& env, const fb::Event& event);
  // Registers an applied event: its record, (source, id) for voids, late rows.
  Status Register(const Envelope& env, const EventRec& rec);

  // --- undo (projection_undo.cc) ---
  Status Undo(uint64_t index);
  Status UndoContract(uint64_t inst);
  Status UndoCapacity(uint64_t index, const EventRec& rec);
  Status UndoGrant(uint64_t inst);
  Status UndoRelease(uint64_t index, const EventRec& rec);
  Status UndoUsage(uint64_t index, const EventRec& rec);
  Status UndoClose(const EventRec& rec);

  // --- capacity (projection_capacity.cc) ---
  Status AddClaims(uint64_t index, uint64_t contract, int64_t start, int64_t end,
                   const std::vector<std::string>& gpus);
  Status DeleteClaims(uint64_t index, int64_t start, int64_t end);
  Status RecomputeHour(int64_t hour);
  Status ApplyCellChange(int64_t hour, uint64_t contract, int64_t before, int64_t after);

  // --- usage (projection_usage.cc) ---
  // Adds (sign +1) or removes (-1) one usage event's contribution to its month's sum.
  Status AddUsed(const AllocationRec& alloc, uint64_t alloc_inst, int64_t start, int64_t end,
                 int64_t gpu_seconds, int sign);
  Status UsageAnomalies(uint64_t index, const AllocationRec& alloc, uint64_t alloc_inst,
                        int64_t start, int64_t end, int64_t gpu_seconds);
  Status OutsideRow(uint64_t index, const AllocationRec& alloc, int64_t start, int64_t end);
  // The window changed: recompute the allocation's used sums and outside rows.
  Status RecomputeAllocation(uint64_t alloc_inst);

  // --- anomaly rows (projection_anomaly.cc) ---
  Status PutAnomaly(uint64_t index, const AnomalyRec& row, uint64_t tail);
  Status DeleteAnomaly(uint64_t index, AnomalyKind kind, uint64_t tail);
  Status DeleteAnomalies(uint64_t index);  // every row of this event
  Status LateRows(uint64_t index, int64_t start, int64_t end);
  Status DeleteLateRows(std::string_view month);

  // --- reads ---
  Result<std::optional<uint64_t>> GetIndex(std::string_view key) const;
  template <typename Rec>
  Status Read(std::string_view key, Rec* out) const;  // Corruption if absent or bad

  Store* store_;
  const Ledger* ledger_;
  std::map<std::string, uint64_t> closed_;  // live closes: month -> the close's index
  std::set<int64_t> dirty_hours_;           // hours whose claims changed since Flush
};

// "YYYY-MM" of the KST month containing t, and month bounds (projections.cc).
std::string MonthOf(int64_t unix_seconds);
bool MonthBounds(std::string_view month, int64_t* start, int64_t* end);
// Floor to the clock hour.
inline int64_t HourOf(int64_t t) {
  int64_t r = t % kHourSeconds;
  return r < 0 ? t - r - kHourSeconds : t - r;
}

template <typename Rec>
Status Applier::Read(std::string_view key, Rec* out) const {
  auto v = store_->Get(key);
  if (!v.ok()) return v.status();
  if (!v.value() || !Decode(*v.value(), out)) {
    return Status::Corruption("projections: record " + HexOf(key) + " is missing or damaged");
  }
  return Status::Ok();
}

// The four GPU-second figures of contract `c` for the month [month_start, month_end) from
// its stored month sums: committed(h) summed over the month's hours inside the period, and
// shortfall = committed - payable (payable never exceeds committed hour by hour).
Figures MonthFigures(const ContractRec& c, const MonthSums& sums, int64_t month_start,
                     int64_t month_end);

}  // namespace gpuledger::proj
