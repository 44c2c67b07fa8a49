// Applying one ledger entry: decode it and dispatch on its type (projection_apply.h).
#include "consumers/projections/projection_apply.h"

#include <flatbuffers/flatbuffers.h>
#include <fmt/core.h>

#include <algorithm>

#include "gpuledger/assert.h"
#include "schemas/event_generated.h"
#include "schemas/ledger_entry_generated.h"

namespace gpuledger::proj {
namespace {

Status Missing(uint64_t index, std::string_view what) {
  return Status::Corruption("entry " + std::to_string(index) + ": " + std::string(what));
}

}  // namespace

const fb::Event* EventOf(std::string_view stored) {
  flatbuffers::Verifier verifier(reinterpret_cast<const uint8_t*>(stored.data()), stored.size());
  if (!fb::VerifyLedgerEntryBuffer(verifier)) return nullptr;
  return fb::GetLedgerEntry(stored.data())->event_nested_root();
}

namespace {
bool IsHot(std::string_view key) {
  return !key.empty() && (key[0] == kTagContract || key[0] == kTagAllocation ||
                          key[0] == kTagLiveContract || key[0] == kTagLiveAlloc);
}
}  // namespace

Result<std::optional<std::string>> Applier::GetHot(std::string_view key) const {
  if (!IsHot(key)) return store_->Get(key);
  auto it = hot_.find(std::string(key));
  if (it != hot_.end()) return it->second;
  auto v = store_->Get(key);
  if (!v.ok()) return v;
  if (hot_.size() >= kHotKeysMax) hot_.clear();
  hot_.emplace(std::string(key), v.value());
  return v;
}

void Applier::PutHot(std::string_view key, std::string_view value) {
  GPULEDGER_ASSERT(IsHot(key), "only hot keys go through the hot cache");
  store_->Put(key, value);
  if (hot_.size() >= kHotKeysMax) hot_.clear();
  hot_[std::string(key)] = std::string(value);
}

void Applier::DeleteHot(std::string_view key) {
  GPULEDGER_ASSERT(IsHot(key), "only hot keys go through the hot cache");
  store_->Delete(key);
  hot_[std::string(key)] = std::nullopt;
}

Result<std::optional<uint64_t>> Applier::GetIndex(std::string_view key) const {
  auto v = GetHot(key);
  if (!v.ok()) return v.status();
  if (!v.value()) return std::optional<uint64_t>();
  Reader r(*v.value());
  uint64_t index = r.U64();
  if (!r.Done()) return Status::Corruption("projections: index record " + HexOf(key));
  return std::optional<uint64_t>(index);
}

Status Applier::Load() {
  closed_.clear();
  dirty_hours_.clear();
  std::string bad;
  Status s = store_->ScanPrefix(std::string(1, kTagClosed), [&](auto key, auto value) {
    CloseRec rec;
    if (key.size() != 1 + kMonthBytes || !Decode(value, &rec)) {
      bad = HexOf(key);
      return false;
    }
    closed_[std::string(key.substr(1))] = rec.index;
    return true;
  });
  if (!s.ok()) return s;
  if (!bad.empty()) return Status::Corruption("projections: closed month record " + bad);
  return Status::Ok();
}

template <typename Rec>
Status Applier::Live(uint64_t index, char tag, std::string_view name, uint64_t* inst, Rec* rec) {
  auto live = GetIndex(NameKey(tag, name));
  if (!live.ok()) return live.status();
  if (!live.value()) return Missing(index, fmt::format("'{}' is not live", name));
  *inst = *live.value();
  return Read(IndexKey(tag == kTagLiveContract ? kTagContract : kTagAllocation, *inst), rec);
}

void Applier::PutLive(char tag, std::string_view name, uint64_t inst) {
  Writer w;
  w.U64(inst);
  PutHot(NameKey(tag, name), w.str());
}

Status Applier::Apply(uint64_t index, std::string_view stored) {
  const fb::Event* event = EventOf(stored);
  if (event == nullptr) return Missing(index, "not a LedgerEntry with a typed event");
  return ApplyEvent(index, *event);
}

Status Applier::ApplyEvent(uint64_t index, const fb::Event& event) {
  switch (event.data_type()) {
    case fb::Payload::ContractRegistered:
      return ApplyContract(index, event);
    case fb::Payload::CapacityReported:
      return ApplyCapacity(index, event);
    case fb::Payload::AllocationGranted:
      return ApplyGrant(index, event);
    case fb::Payload::AllocationReleased:
      return ApplyRelease(index, event);
    case fb::Payload::UsageReported:
      return ApplyUsage(index, event);
    case fb::Payload::PeriodClosed:
      return ApplyClose(index, event);
    case fb::Payload::EventVoided:
      return ApplyVoid(index, event);
    default:
      return Missing(index, "unknown payload type");
  }
}

Status Applier::ApplyContract(uint64_t index, const fb::Event& event) {
  const fb::ContractRegistered* d = event.data_as_ContractRegistered();
  if (d == nullptr) return Missing(index, "contract.registered without data");
  ContractRec c{std::string(View(d->contract_id())),
                std::string(View(d->csp_id())),
                std::string(View(d->programme())),
                std::string(View(d->gpu_model())),
                d->committed_gpus(),
                d->period_start(),
                d->period_end(),
                d->price_krw_per_gpu_hour(),
                d->penalty_krw_per_gpu_hour(),
                true};
  PutHot(IndexKey(kTagContract, index), Encode(c));
  PutLive(kTagLiveContract, c.contract_id, index);
  return LateRows(index, {c.period_start, c.period_end});
}

Status Applier::ApplyCapacity(uint64_t index, const fb::Event& event) {
  const fb::CapacityReported* d = event.data_as_CapacityReported();
  if (d == nullptr) return Missing(index, "capacity.reported without data");
  uint64_t inst = 0;
  ContractRec c;
  if (Status s = Live(index, kTagLiveContract, View(d->contract_id()), &inst, &c); !s.ok()) {
    return s;
  }
  const int64_t start = d->interval_start(), end = d->interval_end();
  if (start < c.period_start || end > c.period_end) {
    AnomalyRec row;
    row.kind = AnomalyKind::kCapacityOutsideContract;
    row.contract_id = c.contract_id;
    row.start = start, row.end = end;
    if (Status s = PutAnomaly(index, row, 0); !s.ok()) return s;
  }
  const int64_t a = std::max(start, c.period_start), b = std::min(end, c.period_end);
  if (a >= b) {  // no claims: listed so that a void of the contract finds its row
    store_->Put(PairKey(kTagOutside, inst, index), "");
    return Status::Ok();
  }
  if (Status s = AddClaims(index, inst, a, b, event); !s.ok()) return s;
  return LateRows(index, {a, b});
}

Status Applier::ApplyGrant(uint64_t index, const fb::Event& event) {
  const fb::AllocationGranted* d = event.data_as_AllocationGranted();
  if (d == nullptr) return Missing(index, "allocation.granted without data");
  uint64_t inst = 0;
  ContractRec c;
  if (Status s = Live(index, kTagLiveContract, View(d->contract_id()), &inst, &c); !s.ok()) {
    return s;
  }
  AllocationRec a;
  a.allocation_id = View(d->allocation_id()), a.contract_id = View(d->contract_id());
  a.user_id = View(d->user_id()), a.contract_inst = inst;
  a.gpus = d->gpus(), a.start = d->start(), a.end = d->end();
  PutHot(IndexKey(kTagAllocation, index), Encode(a));
  PutLive(kTagLiveAlloc, a.allocation_id, index);
  return LateRows(index, {a.start, a.end});
}

Status Applier::ApplyRelease(uint64_t index, const fb::Event& event) {
  const fb::AllocationReleased* d = event.data_as_AllocationReleased();
  if (d == nullptr) return Missing(index, "allocation.released without data");
  uint64_t alloc_inst = 0;
  AllocationRec a;
  if (Status s = Live(index, kTagLiveAlloc, View(d->allocation_id()), &alloc_inst, &a); !s.ok()) {
    return s;
  }
  const int64_t at = d->at();
  store_->Put(PairKey(kTagRelease, alloc_inst, index), EncodeI64(at));
  if (at < a.release_at) {
    a.release_at = at;
    PutHot(IndexKey(kTagAllocation, alloc_inst), Encode(a));
    if (Status s = RecomputeAllocation(alloc_inst); !s.ok()) return s;
  }
  // The footprint is what the release takes away from the granted window.
  return LateRows(index, {std::max(a.start, std::min(a.end, at)), a.end});
}

Status Applier::ApplyUsage(uint64_t index, const fb::Event& event) {
  const fb::UsageReported* d = event.data_as_UsageReported();
  if (d == nullptr) return Missing(index, "usage.reported without data");
  uint64_t alloc_inst = 0;
  AllocationRec a;
  if (Status s = Live(index, kTagLiveAlloc, View(d->allocation_id()), &alloc_inst, &a); !s.ok()) {
    return s;
  }
  const int64_t start = d->interval_start(), end = d->interval_end(), gs = d->gpu_seconds();
  // Overlaps are looked for before this event's own key is staged.
  if (Status s = UsageAnomalies(index, a, alloc_inst, start, end, gs); !s.ok()) return s;
  store_->Put(UsageKey(alloc_inst, start, index), Encode(UsageRec{end, gs}));
  if (Status s = AddUsed(a, alloc_inst, start, end, gs, +1); !s.ok()) return s;
  return LateRows(index, {start, end});
}

Status Applier::ApplyVoid(uint64_t index, const fb::Event& event) {
  const fb::EventVoided* d = event.data_as_EventVoided();
  if (d == nullptr) return Missing(index, "event.voided without data");
  auto target = ledger_->IndexOf(View(event.source()), View(d->event_id()));
  if (!target.ok()) return target.status();
  if (!target.value() || *target.value() >= index) {
    return Missing(index, "the voided event is not an earlier entry");
  }
  auto stored = ledger_->ReadStored(*target.value());
  if (!stored.ok()) return stored.status();
  const fb::Event* voided = EventOf(stored.value());
  if (voided == nullptr) return Missing(*target.value(), "not a LedgerEntry with a typed event");
  Footprint footprint;
  if (Status s = Undo(*target.value(), *voided, &footprint); !s.ok()) return s;
  // A void is never voided itself (intake check 9); its footprint is the voided event's.
  return LateRows(index, footprint);
}

}  // namespace gpuledger::proj
