// Undoing an event (spec section 5: voided events are treated as if never sent, and so are
// events that refer to a voided contract or allocation). Nothing is ever redone: a voided
// contract or allocation id registered again is a new instance, and voids are not voided.
#include <algorithm>
#include <utility>
#include <vector>

#include "consumers/projection_apply.h"

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

uint64_t TrailingIndex(std::string_view key) {
  Reader r(key.substr(key.size() - 8));
  return r.U64();
}

}  // namespace

Status Applier::Undo(uint64_t index) {
  EventRec rec;
  if (Status s = Read(IndexKey(kTagEvent, index), &rec); !s.ok()) return s;
  if (!rec.applied) return Status::Ok();  // already undone with its contract or allocation
  rec.applied = false;
  store_->Put(IndexKey(kTagEvent, index), Encode(rec));
  if (Status s = DeleteAnomalies(index); !s.ok()) return s;
  switch (rec.kind) {
    case EventKind::kContract: return UndoContract(index);
    case EventKind::kCapacity: return UndoCapacity(index, rec);
    case EventKind::kGrant: return UndoGrant(index);
    case EventKind::kRelease: return UndoRelease(index, rec);
    case EventKind::kUsage: return UndoUsage(index, rec);
    case EventKind::kClose: return UndoClose(rec);
    case EventKind::kVoid: break;
  }
  return Status::Corruption("projections: a void of a void at " + std::to_string(index));
}

Status Applier::UndoContract(uint64_t inst) {
  ContractRec c;
  if (Status s = Read(IndexKey(kTagContract, inst), &c); !s.ok()) return s;
  c.live = false;
  store_->Put(IndexKey(kTagContract, inst), Encode(c));
  auto live = GetIndex(NameKey(kTagLiveContract, c.contract_id));
  if (!live.ok()) return live.status();
  if (live.value() == inst) store_->Delete(NameKey(kTagLiveContract, c.contract_id));
  // Its capacity reports and grants (and through them usage and releases) go with it. Their
  // month sums drain to zero when the changed hours are recomputed.
  auto deps = Collect(*store_, IndexKey(kTagDependent, inst));
  if (!deps.ok()) return deps.status();
  for (const auto& [key, value] : deps.value()) {
    if (Status s = Undo(TrailingIndex(key)); !s.ok()) return s;
  }
  return Status::Ok();
}

Status Applier::UndoCapacity(uint64_t index, const EventRec& rec) {
  store_->Delete(PairKey(kTagDependent, rec.ref, index));
  return DeleteClaims(index, rec.a, rec.b);
}

Status Applier::UndoGrant(uint64_t inst) {
  AllocationRec a;
  if (Status s = Read(IndexKey(kTagAllocation, inst), &a); !s.ok()) return s;
  a.live = false;
  store_->Put(IndexKey(kTagAllocation, inst), Encode(a));
  store_->Delete(PairKey(kTagDependent, a.contract_inst, inst));
  auto live = GetIndex(NameKey(kTagLiveAlloc, a.allocation_id));
  if (!live.ok()) return live.status();
  if (live.value() == inst) store_->Delete(NameKey(kTagLiveAlloc, a.allocation_id));
  // Usage and releases of the allocation: as if never sent.
  for (char tag : {kTagUsage, kTagRelease}) {
    auto items = Collect(*store_, IndexKey(tag, inst));
    if (!items.ok()) return items.status();
    for (const auto& [key, value] : items.value()) {
      const uint64_t index = TrailingIndex(key);
      EventRec rec;
      if (Status s = Read(IndexKey(kTagEvent, index), &rec); !s.ok()) return s;
      rec.applied = false;
      store_->Put(IndexKey(kTagEvent, index), Encode(rec));
      if (Status s = DeleteAnomalies(index); !s.ok()) return s;
      store_->Delete(key);
    }
  }
  auto used = Collect(*store_, IndexKey(kTagUsed, inst));
  if (!used.ok()) return used.status();
  for (const auto& [key, value] : used.value()) store_->Delete(key);
  return Status::Ok();
}

Status Applier::UndoRelease(uint64_t index, const EventRec& rec) {
  const uint64_t alloc_inst = rec.ref;
  store_->Delete(PairKey(kTagRelease, alloc_inst, index));
  AllocationRec a;
  if (Status s = Read(IndexKey(kTagAllocation, alloc_inst), &a); !s.ok()) return s;
  if (!a.live) return Status::Ok();
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
  store_->Put(IndexKey(kTagAllocation, alloc_inst), Encode(a));
  return RecomputeAllocation(alloc_inst);
}

Status Applier::UndoUsage(uint64_t index, const EventRec& rec) {
  const uint64_t alloc_inst = rec.ref;
  AllocationRec a;
  if (Status s = Read(IndexKey(kTagAllocation, alloc_inst), &a); !s.ok()) return s;
  auto usage = store_->Get(UsageKey(alloc_inst, rec.a, index));
  if (!usage.ok()) return usage.status();
  UsageRec u;
  if (!usage.value() || !Decode(*usage.value(), &u)) {
    return Status::Corruption("projections: usage record of entry " + std::to_string(index));
  }
  store_->Delete(UsageKey(alloc_inst, rec.a, index));
  if (Status s = AddUsed(a, alloc_inst, rec.a, rec.b, u.gpu_seconds, -1); !s.ok()) return s;
  // Rows of later usage events that overlapped this one go too (its own went in Undo).
  std::vector<uint64_t> later;
  Status s = store_->Scan(UsagePrefix(alloc_inst, rec.a - kHourSeconds),
                          UsagePrefix(alloc_inst, rec.b), [&](auto key, auto) {
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

Status Applier::UndoClose(const EventRec& rec) {
  const std::string& month = rec.text;
  store_->Delete(NameKey(kTagClosed, month));
  auto frozen = Collect(*store_, MonthNameKey(kTagFrozen, month, ""));
  if (!frozen.ok()) return frozen.status();
  for (const auto& [key, value] : frozen.value()) store_->Delete(key);
  closed_.erase(month);
  return DeleteLateRows(month);
}

}  // namespace gpuledger::proj
