// Undoing an event (spec section 5: voided events are treated as if never sent, and so are
// events that refer to a voided contract or allocation). Nothing is ever redone: a voided
// contract or allocation id registered again is a new instance, and voids are not voided.
// Undoing is idempotent, so an event that went with its contract may be voided later.
#include <algorithm>
#include <utility>
#include <vector>

#include "consumers/projections/projection_apply.h"
#include "consumers/projections/projection_read.h"
#include "schemas/event_generated.h"

namespace gpuledger::proj {
namespace {

// The keys (and values) of a prefix, collected first: the batch must not change under a
// scan of it.
Result<std::vector<std::pair<std::string, std::string>>> Collect(const Store& store,
                                                                 std::string_view prefix) {
  std::vector<std::pair<std::string, std::string>> out;
  Status s = store.ScanPrefix(prefix, [&](auto key, auto value) {
    out.emplace_back(std::string(key), std::string(value));
    return true;
  });
  if (!s.ok()) return s;
  return out;
}

uint64_t TrailingIndex(std::string_view key) { return Reader(key.substr(key.size() - 8)).U64(); }

}  // namespace

Result<std::optional<uint64_t>> Applier::OriginalInstance(char tag, std::string_view name,
                                                          uint64_t index) const {
  auto live = GetIndex(NameKey(tag, name));
  if (!live.ok() || !live.value() || *live.value() < index) return live;
  return std::optional<uint64_t>();  // registered again after the event: the original is gone
}

Status Applier::Undo(uint64_t index, const fb::Event& event, Footprint* footprint) {
  *footprint = {};
  switch (event.data_type()) {
    case fb::Payload::ContractRegistered: {
      ContractRec c;
      if (Status s = Read(IndexKey(kTagContract, index), &c); !s.ok() || !c.live) return s;
      *footprint = {c.period_start, c.period_end};
      return UndoContract(index);
    }
    case fb::Payload::CapacityReported: {
      const auto* d = event.data_as_CapacityReported();
      auto inst = OriginalInstance(kTagLiveContract, View(d->contract_id()), index);
      if (!inst.ok() || !inst.value()) return inst.status();
      ContractRec c;
      if (Status s = Read(IndexKey(kTagContract, *inst.value()), &c); !s.ok()) return s;
      const int64_t a = std::max(d->interval_start(), c.period_start);
      const int64_t b = std::min(d->interval_end(), c.period_end);
      store_->Delete(PairKey(kTagOutside, *inst.value(), index));
      if (a < b) *footprint = {a, b};
      if (Status s = DeleteAnomalies(index); !s.ok()) return s;
      return a < b ? UndoCapacityClaims(index, a, b) : Status::Ok();
    }
    case fb::Payload::AllocationGranted: {
      AllocationRec a;
      if (Status s = Read(IndexKey(kTagAllocation, index), &a); !s.ok() || !a.live) return s;
      *footprint = {a.start, a.end};
      return UndoGrant(index);
    }
    case fb::Payload::AllocationReleased: {
      const auto* d = event.data_as_AllocationReleased();
      auto inst = OriginalInstance(kTagLiveAlloc, View(d->allocation_id()), index);
      if (!inst.ok() || !inst.value()) return inst.status();
      AllocationRec a;
      if (Status s = Read(IndexKey(kTagAllocation, *inst.value()), &a); !s.ok()) return s;
      *footprint = {std::max(a.start, std::min(a.end, d->at())), a.end};
      return UndoRelease(index, *inst.value());
    }
    case fb::Payload::UsageReported: {
      const auto* d = event.data_as_UsageReported();
      auto inst = OriginalInstance(kTagLiveAlloc, View(d->allocation_id()), index);
      if (!inst.ok() || !inst.value()) return inst.status();
      auto usage = store_->Get(UsageKey(*inst.value(), d->interval_start(), index));
      if (!usage.ok() || !usage.value()) return usage.status();
      *footprint = {d->interval_start(), d->interval_end()};
      return UndoUsage(index, *inst.value(), d->interval_start(), d->interval_end());
    }
    case fb::Payload::PeriodClosed: {
      const std::string month(View(event.data_as_PeriodClosed()->month()));
      auto it = closed_.find(month);
      return it != closed_.end() && it->second == index ? UndoClose(month) : Status::Ok();
    }
    default:
      break;
  }
  return Status::Corruption("projections: entry " + std::to_string(index) + " cannot be voided");
}

Status Applier::UndoContract(uint64_t inst) {
  ContractRec c;
  if (Status s = Read(IndexKey(kTagContract, inst), &c); !s.ok()) return s;
  c.live = false;
  PutHot(IndexKey(kTagContract, inst), Encode(c));
  DeleteHot(NameKey(kTagLiveContract, c.contract_id));
  if (Status s = DeleteAnomalies(inst); !s.ok()) return s;
  // Its capacity reports: claims in the hours of its period, and those wholly outside.
  for (int64_t hour = HourOf(c.period_start); hour < c.period_end; hour += kHourSeconds) {
    auto claims = Collect(*store_, HourPrefix(kTagClaim, hour));
    if (!claims.ok()) return claims.status();
    for (const auto& [key, value] : claims.value()) {
      ClaimRec claim;
      if (!Decode(value, &claim)) return Status::Corruption("projections: claim " + HexOf(key));
      if (claim.contract_inst != inst) continue;
      store_->Delete(key);
      dirty_hours_.insert(hour);
      if (Status s = DeleteAnomalies(TrailingIndex(key)); !s.ok()) return s;
    }
  }
  auto outside = Collect(*store_, IndexKey(kTagOutside, inst));
  if (!outside.ok()) return outside.status();
  for (const auto& [key, value] : outside.value()) {
    store_->Delete(key);
    if (Status s = DeleteAnomalies(TrailingIndex(key)); !s.ok()) return s;
  }
  // Its live allocations (and through them usage and releases). The month sums drain to
  // zero when the changed hours are recomputed.
  auto allocations = LiveInstances(*store_, kTagLiveAlloc);
  if (!allocations.ok()) return allocations.status();
  for (const auto& [allocation_id, alloc_inst] : allocations.value()) {
    AllocationRec a;
    if (Status s = Read(IndexKey(kTagAllocation, alloc_inst), &a); !s.ok()) return s;
    if (a.contract_inst != inst) continue;
    if (Status s = UndoGrant(alloc_inst); !s.ok()) return s;
  }
  return Status::Ok();
}

Status Applier::UndoCapacityClaims(uint64_t index, int64_t start, int64_t end) {
  for (int64_t hour = HourOf(start); hour < end; hour += kHourSeconds) {
    store_->Delete(ClaimKey(hour, index));
    dirty_hours_.insert(hour);
  }
  return Status::Ok();
}

Status Applier::UndoGrant(uint64_t inst) {
  AllocationRec a;
  if (Status s = Read(IndexKey(kTagAllocation, inst), &a); !s.ok()) return s;
  a.live = false;
  PutHot(IndexKey(kTagAllocation, inst), Encode(a));
  DeleteHot(NameKey(kTagLiveAlloc, a.allocation_id));
  if (Status s = DeleteAnomalies(inst); !s.ok()) return s;
  // Usage and releases of the allocation: as if never sent.
  for (char tag : {kTagUsage, kTagRelease, kTagUsed}) {
    auto items = Collect(*store_, IndexKey(tag, inst));
    if (!items.ok()) return items.status();
    for (const auto& [key, value] : items.value()) {
      store_->Delete(key);
      if (tag == kTagUsed) continue;
      if (Status s = DeleteAnomalies(TrailingIndex(key)); !s.ok()) return s;
    }
  }
  return Status::Ok();
}

Status Applier::UndoRelease(uint64_t index, uint64_t alloc_inst) {
  store_->Delete(PairKey(kTagRelease, alloc_inst, index));
  if (Status s = DeleteAnomalies(index); !s.ok()) return s;
  AllocationRec a;
  if (Status s = Read(IndexKey(kTagAllocation, alloc_inst), &a); !s.ok()) return s;
  // The earliest live release wins again; with none left the granted window is restored.
  int64_t earliest = INT64_MAX;
  std::string bad;
  Status s = store_->ScanPrefix(IndexKey(kTagRelease, alloc_inst), [&](auto key, auto value) {
    int64_t at = 0;
    if (!DecodeI64(value, &at)) bad = HexOf(key);
    earliest = std::min(earliest, at);
    return bad.empty();
  });
  if (!s.ok()) return s;
  if (!bad.empty()) return Status::Corruption("projections: release record " + bad);
  if (earliest == a.release_at) return Status::Ok();
  a.release_at = earliest;
  PutHot(IndexKey(kTagAllocation, alloc_inst), Encode(a));
  return RecomputeAllocation(alloc_inst);
}

Status Applier::UndoUsage(uint64_t index, uint64_t alloc_inst, int64_t start, int64_t end) {
  AllocationRec a;
  if (Status s = Read(IndexKey(kTagAllocation, alloc_inst), &a); !s.ok()) return s;
  auto usage = store_->Get(UsageKey(alloc_inst, start, index));
  if (!usage.ok()) return usage.status();
  UsageRec u;
  if (!usage.value() || !Decode(*usage.value(), &u)) {
    return Status::Corruption("projections: usage record of entry " + std::to_string(index));
  }
  store_->Delete(UsageKey(alloc_inst, start, index));
  if (Status s = AddUsed(a, alloc_inst, start, end, u.gpu_seconds, -1); !s.ok()) return s;
  if (Status s = DeleteAnomalies(index); !s.ok()) return s;
  // Rows of later usage events that overlapped this one go too.
  std::vector<uint64_t> later;
  Status s = store_->Scan(UsagePrefix(alloc_inst, start - kHourSeconds),
                          UsagePrefix(alloc_inst, end), [&](auto key, auto) {
                            uint64_t other = TrailingIndex(key);
                            if (other > index) later.push_back(other);
                            return true;
                          });
  if (!s.ok()) return s;
  for (uint64_t other : later) {
    if (Status d = DeleteAnomaly(other, AnomalyKind::kUsageOverlap, index); !d.ok()) return d;
  }
  return Status::Ok();
}

Status Applier::UndoClose(std::string_view month) {
  store_->Delete(NameKey(kTagClosed, month));
  auto frozen = Collect(*store_, MonthNameKey(kTagFrozen, month, ""));
  if (!frozen.ok()) return frozen.status();
  for (const auto& [key, value] : frozen.value()) store_->Delete(key);
  closed_.erase(std::string(month));
  return DeleteLateRows(month);
}

}  // namespace gpuledger::proj
