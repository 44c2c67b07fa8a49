// What an entry touches, for a tamper report (SettlementReplay::Touches, replay.h).
#include <flatbuffers/flatbuffers.h>

#include <algorithm>

#include "schemas/event_generated.h"
#include "tools/verify/replay.h"
#include "tools/verify/replay_state.h"

namespace gpuledger::verify {
namespace {

using State = SettlementReplay::State;

// A kept event (contract, grant or close) as a void's target.
EntryTouches TouchesOfKept(const State& st, State::Kind kind, uint64_t pos) {
  EntryTouches t;
  switch (kind) {
    case State::Kind::kContract: {
      const ContractInstance& c = st.contracts[pos];
      t.contract_ids.insert(c.contract_id);
      AddMonths(c.period_start, c.period_end, &t.months);
      break;
    }
    case State::Kind::kAllocation: {
      const AllocationInstance& a = st.allocations[pos];
      t.contract_ids.insert(a.contract_id);
      AddMonths(a.start, a.end, &t.months);
      break;
    }
    case State::Kind::kClose:
      t.months.insert(st.closes[pos].month);
      break;
    case State::Kind::kVoid:  // voids are never voided
      break;
  }
  return t;
}

// Every kind but a void (whose target is looked up by the callers).
EntryTouches TouchesOfEvent(const State& st, uint64_t index, const fb::Event& event) {
  EntryTouches t;
  switch (event.data_type()) {
    case fb::Payload::ContractRegistered: {
      const auto* d = event.data_as_ContractRegistered();
      t.contract_ids.emplace(View(d->contract_id()));
      AddMonths(d->period_start(), d->period_end(), &t.months);
      break;
    }
    case fb::Payload::CapacityReported: {
      const auto* d = event.data_as_CapacityReported();
      t.contract_ids.emplace(View(d->contract_id()));
      int64_t start = d->interval_start(), end = d->interval_end();
      // Only the part inside the contract's period counts; an unknown contract (the
      // intake would not have accepted it) leaves the whole interval named.
      if (auto c = st.ContractBefore(View(d->contract_id()), index)) {
        start = std::max(start, st.contracts[*c].period_start);
        end = std::min(end, st.contracts[*c].period_end);
      }
      AddMonths(start, end, &t.months);
      break;
    }
    case fb::Payload::AllocationGranted: {
      const auto* d = event.data_as_AllocationGranted();
      t.contract_ids.emplace(View(d->contract_id()));
      AddMonths(d->start(), d->end(), &t.months);
      break;
    }
    case fb::Payload::AllocationReleased: {
      const auto* d = event.data_as_AllocationReleased();
      if (auto a = st.AllocationBefore(View(d->allocation_id()), index)) {
        const AllocationInstance& grant = st.allocations[*a];
        t.contract_ids.insert(grant.contract_id);
        AddMonths(std::max(grant.start, std::min(grant.end, d->at())), grant.end, &t.months);
      }
      break;
    }
    case fb::Payload::UsageReported: {
      const auto* d = event.data_as_UsageReported();
      if (auto a = st.AllocationBefore(View(d->allocation_id()), index)) {
        t.contract_ids.insert(st.allocations[*a].contract_id);
      }
      AddMonths(d->interval_start(), d->interval_end(), &t.months);
      break;
    }
    case fb::Payload::PeriodClosed: {
      int64_t start = 0, end = 0;
      const std::string_view month = View(event.data_as_PeriodClosed()->month());
      if (MonthBounds(month, &start, &end)) t.months.emplace(month);
      break;
    }
    case fb::Payload::EventVoided:
    case fb::Payload::NONE:
      break;
  }
  return t;
}

}  // namespace

EntryTouches SettlementReplay::Touches(uint64_t index, const fb::Event& event) const {
  const State& st = *state_;
  if (event.data_type() != fb::Payload::EventVoided) return TouchesOfEvent(st, index, event);
  const std::string target =
      EventKey(View(event.source()), View(event.data_as_EventVoided()->event_id()));
  if (auto it = st.kept.find(target); it != st.kept.end()) {
    return TouchesOfKept(st, it->second.first, it->second.second);
  }
  if (auto it = st.void_targets.find(target); it != st.void_targets.end()) return it->second;
  return {};
}

EntryTouches SettlementReplay::Touches(const fb::Event& event) const {
  const State& st = *state_;
  uint64_t index = st.size;
  if (auto it = st.kept.find(EventKey(View(event.source()), View(event.id())));
      it != st.kept.end()) {
    const uint64_t pos = it->second.second;
    switch (it->second.first) {
      case State::Kind::kContract:
        index = st.contracts[pos].index;
        break;
      case State::Kind::kAllocation:
        index = st.allocations[pos].index;
        break;
      case State::Kind::kClose:
        index = st.closes[pos].index;
        break;
      case State::Kind::kVoid:
        index = pos;
        break;
    }
  }
  return Touches(index, event);
}

Status SettlementReplay::ResolveVoidTargets(const EventSource& source) {
  State& st = *state_;
  std::unordered_map<std::string, EntryTouches> resolved;
  uint64_t seen = 0;
  Status s = source([&](uint64_t index, const fb::Event& event) -> Status {
    if (index != seen++)
      return Status::Corruption("entry " + std::to_string(index) + ": out of order");
    const auto type = event.data_type();
    if (type != fb::Payload::CapacityReported && type != fb::Payload::UsageReported &&
        type != fb::Payload::AllocationReleased) {
      return Status::Ok();
    }
    std::string key = EventKey(View(event.source()), View(event.id()));
    if (st.voided.count(key) != 0) resolved[std::move(key)] = TouchesOfEvent(st, index, event);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  st.void_targets = std::move(resolved);
  return Status::Ok();
}

}  // namespace gpuledger::verify
