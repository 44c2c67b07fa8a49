// Applying one ledger entry: decode it and dispatch on its type (projection_apply.h).
#include "consumers/projection_apply.h"

#include <flatbuffers/flatbuffers.h>

#include <algorithm>

#include "schemas/event_generated.h"
#include "schemas/ledger_entry_generated.h"

namespace gpuledger::proj {
namespace {

std::string_view View(const flatbuffers::String* s) {
  return s == nullptr ? std::string_view() : std::string_view(s->data(), s->size());
}

Status Missing(uint64_t index, std::string_view what) {
  return Status::Corruption("entry " + std::to_string(index) + ": " + std::string(what));
}

}  // namespace

Result<std::optional<uint64_t>> Applier::GetIndex(std::string_view key) const {
  auto v = store_->Get(key);
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

Status Applier::Apply(uint64_t index, std::string_view stored) {
  flatbuffers::Verifier verifier(reinterpret_cast<const uint8_t*>(stored.data()), stored.size());
  if (!fb::VerifyLedgerEntryBuffer(verifier)) return Missing(index, "not a LedgerEntry");
  const fb::LedgerEntry* entry = fb::GetLedgerEntry(stored.data());
  const fb::Event* event = entry->event_nested_root();
  if (event == nullptr) return Missing(index, "no typed event");
  Envelope env{index, View(event->source()), View(event->id())};
  return ApplyEvent(env, *event);
}

Status Applier::ApplyEvent(const Envelope& env, const fb::Event& event) {
  switch (event.data_type()) {
    case fb::Payload::ContractRegistered: return ApplyContract(env, event);
    case fb::Payload::CapacityReported: return ApplyCapacity(env, event);
    case fb::Payload::AllocationGranted: return ApplyGrant(env, event);
    case fb::Payload::AllocationReleased: return ApplyRelease(env, event);
    case fb::Payload::UsageReported: return ApplyUsage(env, event);
    case fb::Payload::PeriodClosed: return ApplyClose(env, event);
    case fb::Payload::EventVoided: return ApplyVoid(env, event);
    default: return Missing(env.index, "unknown payload type");
  }
}

Status Applier::Register(const Envelope& env, const EventRec& rec) {
  store_->Put(IndexKey(kTagEvent, env.index), Encode(rec));
  Writer w;
  w.U64(env.index);
  store_->Put(EventIdKey(env.source, env.id), w.str());
  return LateRows(env.index, rec.start, rec.end);
}

Status Applier::ApplyContract(const Envelope& env, const fb::Event& event) {
  const fb::ContractRegistered* d = event.data_as_ContractRegistered();
  if (d == nullptr) return Missing(env.index, "contract.registered without data");
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
  store_->Put(IndexKey(kTagContract, env.index), Encode(c));
  Writer inst;
  inst.U64(env.index);
  store_->Put(NameKey(kTagLiveContract, c.contract_id), inst.str());
  EventRec rec{EventKind::kContract, true, env.index, c.period_start, c.period_end, 0, 0, {}};
  return Register(env, rec);
}

Status Applier::ApplyCapacity(const Envelope& env, const fb::Event& event) {
  const fb::CapacityReported* d = event.data_as_CapacityReported();
  if (d == nullptr) return Missing(env.index, "capacity.reported without data");
  auto inst = GetIndex(NameKey(kTagLiveContract, View(d->contract_id())));
  if (!inst.ok()) return inst.status();
  if (!inst.value()) return Missing(env.index, "its contract is not live in the projections");
  ContractRec c;
  if (Status s = Read(IndexKey(kTagContract, *inst.value()), &c); !s.ok()) return s;
  const int64_t start = d->interval_start(), end = d->interval_end();
  if (start < c.period_start || end > c.period_end) {
    AnomalyRec row;
    row.kind = AnomalyKind::kCapacityOutsideContract;
    row.contract_id = c.contract_id;
    row.start = start, row.end = end;
    if (Status s = PutAnomaly(env.index, row, 0); !s.ok()) return s;
  }
  EventRec rec{EventKind::kCapacity, true, *inst.value(), 0, 0, 0, 0, {}};
  const int64_t a = std::max(start, c.period_start), b = std::min(end, c.period_end);
  if (a < b) {
    std::vector<std::string> gpus;
    if (d->gpu_uuids() != nullptr) {
      gpus.reserve(d->gpu_uuids()->size());
      for (const flatbuffers::String* g : *d->gpu_uuids()) gpus.emplace_back(View(g));
    }
    if (Status s = AddClaims(env.index, *inst.value(), a, b, gpus); !s.ok()) return s;
    store_->Put(PairKey(kTagDependent, *inst.value(), env.index), "");
    rec.start = rec.a = a, rec.end = rec.b = b;
  }
  return Register(env, rec);
}

Status Applier::ApplyGrant(const Envelope& env, const fb::Event& event) {
  const fb::AllocationGranted* d = event.data_as_AllocationGranted();
  if (d == nullptr) return Missing(env.index, "allocation.granted without data");
  auto inst = GetIndex(NameKey(kTagLiveContract, View(d->contract_id())));
  if (!inst.ok()) return inst.status();
  if (!inst.value()) return Missing(env.index, "its contract is not live in the projections");
  AllocationRec a;
  a.allocation_id = View(d->allocation_id()), a.contract_id = View(d->contract_id());
  a.user_id = View(d->user_id()), a.contract_inst = *inst.value();
  a.gpus = d->gpus(), a.start = d->start(), a.end = d->end();
  store_->Put(IndexKey(kTagAllocation, env.index), Encode(a));
  Writer w;
  w.U64(env.index);
  store_->Put(NameKey(kTagLiveAlloc, a.allocation_id), w.str());
  store_->Put(PairKey(kTagDependent, a.contract_inst, env.index), "");
  EventRec rec{EventKind::kGrant, true, a.contract_inst, a.start, a.end, 0, 0, {}};
  return Register(env, rec);
}

Status Applier::ApplyRelease(const Envelope& env, const fb::Event& event) {
  const fb::AllocationReleased* d = event.data_as_AllocationReleased();
  if (d == nullptr) return Missing(env.index, "allocation.released without data");
  auto inst = GetIndex(NameKey(kTagLiveAlloc, View(d->allocation_id())));
  if (!inst.ok()) return inst.status();
  if (!inst.value()) return Missing(env.index, "its allocation is not live in the projections");
  const uint64_t alloc_inst = *inst.value();
  AllocationRec a;
  if (Status s = Read(IndexKey(kTagAllocation, alloc_inst), &a); !s.ok()) return s;
  const int64_t at = d->at();
  store_->Put(PairKey(kTagRelease, alloc_inst, env.index), EncodeI64(at));
  // The footprint is what the release takes away from the granted window.
  EventRec rec{EventKind::kRelease, true, alloc_inst, std::max(a.start, std::min(a.end, at)),
               a.end, at, 0, {}};
  if (at < a.release_at) {
    a.release_at = at;
    store_->Put(IndexKey(kTagAllocation, alloc_inst), Encode(a));
    if (Status s = RecomputeAllocation(alloc_inst); !s.ok()) return s;
  }
  return Register(env, rec);
}

Status Applier::ApplyUsage(const Envelope& env, const fb::Event& event) {
  const fb::UsageReported* d = event.data_as_UsageReported();
  if (d == nullptr) return Missing(env.index, "usage.reported without data");
  auto inst = GetIndex(NameKey(kTagLiveAlloc, View(d->allocation_id())));
  if (!inst.ok()) return inst.status();
  if (!inst.value()) return Missing(env.index, "its allocation is not live in the projections");
  const uint64_t alloc_inst = *inst.value();
  AllocationRec a;
  if (Status s = Read(IndexKey(kTagAllocation, alloc_inst), &a); !s.ok()) return s;
  const int64_t start = d->interval_start(), end = d->interval_end(), gs = d->gpu_seconds();
  // Overlaps are looked for before this event's own key is staged.
  if (Status s = UsageAnomalies(env.index, a, alloc_inst, start, end, gs); !s.ok()) return s;
  store_->Put(UsageKey(alloc_inst, start, env.index), Encode(UsageRec{end, gs}));
  if (Status s = AddUsed(a, alloc_inst, start, end, gs, +1); !s.ok()) return s;
  EventRec rec{EventKind::kUsage, true, alloc_inst, start, end, start, end, {}};
  return Register(env, rec);
}

Status Applier::ApplyVoid(const Envelope& env, const fb::Event& event) {
  const fb::EventVoided* d = event.data_as_EventVoided();
  if (d == nullptr) return Missing(env.index, "event.voided without data");
  auto target = GetIndex(EventIdKey(env.source, View(d->event_id())));
  if (!target.ok()) return target.status();
  if (!target.value()) return Missing(env.index, "the voided event is unknown to the projections");
  EventRec voided;
  if (Status s = Read(IndexKey(kTagEvent, *target.value()), &voided); !s.ok()) return s;
  if (Status s = Undo(*target.value()); !s.ok()) return s;
  // A void is never voided itself (intake check 9), so it needs no record of its own; its
  // footprint is the voided event's.
  return LateRows(env.index, voided.start, voided.end);
}

}  // namespace gpuledger::proj
