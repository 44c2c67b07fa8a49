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

#include <flatbuffers/flatbuffers.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "consumers/projections/projection_format.h"
#include "consumers/projections/projection_hour.h"
#include "consumers/projections/projection_store.h"
#include "gpuledger/ledger.h"
#include "gpuledger/status.h"

namespace gpuledger::fb {
struct Event;
}

namespace gpuledger::proj {

// A FlatBuffers string as a view; a missing one (an optional field) is empty. The one
// copy for the projections; gpuledger-verify's replay (tools/verify/replay_state.h) has its own, as
// it shares no code with the other side.
inline std::string_view View(const flatbuffers::String* s) {
  return s == nullptr ? std::string_view() : std::string_view(s->data(), s->size());
}

class Applier {
 public:
  // `ledger` gives voided events and GPU lists back, and the Merkle root at a close; both
  // must outlive the Applier.
  Applier(Store* store, const Ledger* ledger) : store_(store), ledger_(ledger) {}

  // Reads what the applier keeps in memory (the closed months) from the store.
  [[nodiscard]] Status Load();
  // Applies the entry at `index` (its stored LedgerEntry bytes).
  [[nodiscard]] Status Apply(uint64_t index, std::string_view stored);
  // Recomputes the hours changed since the last Flush and forgets the batch's GPU lists.
  // Call before committing a batch.
  [[nodiscard]] Status Flush();

 private:
  struct Footprint {  // an event's time footprint (spec section 6); empty if start >= end
    int64_t start = 0, end = 0;
  };
  Status ApplyEvent(uint64_t index, const fb::Event& event);
  Status ApplyContract(uint64_t index, const fb::Event& event);
  Status ApplyCapacity(uint64_t index, const fb::Event& event);
  Status ApplyGrant(uint64_t index, const fb::Event& event);
  Status ApplyRelease(uint64_t index, const fb::Event& event);
  Status ApplyUsage(uint64_t index, const fb::Event& event);
  Status ApplyClose(uint64_t index, const fb::Event& event);
  Status ApplyVoid(uint64_t index, const fb::Event& event);

  // --- undo (projection_undo.cc) ---
  // Undoes the event at `index` if it is still live, giving its footprint (empty if it
  // was not live: voiding it changes nothing). Undoing is idempotent.
  Status Undo(uint64_t index, const fb::Event& event, Footprint* footprint);
  Status UndoContract(uint64_t inst);
  Status UndoCapacityClaims(uint64_t index, int64_t start, int64_t end);
  Status UndoGrant(uint64_t inst);
  Status UndoRelease(uint64_t index, uint64_t alloc_inst);
  Status UndoUsage(uint64_t index, uint64_t alloc_inst, int64_t start, int64_t end);
  Status UndoClose(std::string_view month);
  // The instance live for `name` (k or l) if it is older than `index`: the one an event at
  // `index` referred to, unless that was voided (then nullopt).
  Result<std::optional<uint64_t>> OriginalInstance(char tag, std::string_view name,
                                                   uint64_t index) const;

  // --- capacity (projection_capacity.cc) ---
  Status AddClaims(uint64_t index, uint64_t contract, int64_t start, int64_t end,
                   const fb::Event& event);
  Status RecomputeHour(int64_t hour);
  Status WriteCells(int64_t hour, const std::map<uint64_t, int64_t>& delivered);
  Status WriteDoubles(int64_t hour, const DoubleSegments& doubles);
  Status ApplyCellChange(int64_t hour, uint64_t contract, int64_t before, int64_t after);
  // The GPU ids (interned for this batch) that the capacity event at `index` lists.
  Result<GpuLists::List> GpusOf(uint64_t index, uint64_t contract);
  GpuLists::List RememberGpus(uint64_t index, uint64_t contract, const fb::Event& event);

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
  Status LateRows(uint64_t index, Footprint footprint);
  Status DeleteLateRows(std::string_view month);

  // --- reads ---
  // Contracts and allocations (tags c, a, k, l) are read for nearly every event: they are
  // cached, and every write of them goes through PutHot/DeleteHot to keep the cache exact.
  Result<std::optional<std::string>> GetHot(std::string_view key) const;
  void PutHot(std::string_view key, std::string_view value);
  void DeleteHot(std::string_view key);
  Result<std::optional<uint64_t>> GetIndex(std::string_view key) const;
  // The live instance named `name` (tag k or l) and its record; Corruption if none, since
  // the intake accepted an event that refers to it.
  template <typename Rec>
  Status Live(uint64_t index, char tag, std::string_view name, uint64_t* inst, Rec* rec);
  void PutLive(char tag, std::string_view name, uint64_t inst);
  template <typename Rec>
  Status Read(std::string_view key, Rec* out) const;  // Corruption if absent or bad

  Store* store_;
  const Ledger* ledger_;
  std::map<std::string, uint64_t> closed_;  // live closes: month -> the close's index
  std::set<int64_t> dirty_hours_;           // hours whose claims changed since Flush
  // This batch's GPU lists, GPU UUIDs interned as small ids, so that recomputing an hour
  // works on integers. Cleared by Flush: bounded by one batch.
  GpuLists gpus_;
  HourComputer hour_;
  static constexpr size_t kHotKeysMax = 1 << 16;  // the cache is dropped whole when full
  mutable std::unordered_map<std::string, std::optional<std::string>> hot_;
};

// The typed event of a stored LedgerEntry (FlatBuffers-verified, the nested event too);
// nullptr if the bytes are not one. Points into `stored`.
const fb::Event* EventOf(std::string_view stored);

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
  auto v = GetHot(key);
  if (!v.ok()) return v.status();
  if (!v.value() || !Decode(*v.value(), out)) {
    return Status::Corruption("projections: record " + HexOf(key) + " is missing or damaged");
  }
  return Status::Ok();
}

}  // namespace gpuledger::proj
