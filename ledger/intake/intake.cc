// The intake (spec section 4): every message ends accepted, duplicate or rejected, judged by
// checks 1-9 in the spec's order. Checks that need no ledger state are in event_parse.cc and
// event_data.cc; this file holds checks 2 and 7-9 and stages what each outcome writes.
#include <cstring>

#include "gpuledger/assert.h"
#include "ledger/store/ledger_format.h"
#include "ledger/store/ledger_impl.h"

namespace gpuledger {
namespace {

// The effect an accepted event has on the intake state, decided while judging it.
struct StateEffects {
  std::optional<ContractState> contract;      // contract.registered
  std::optional<AllocationState> allocation;  // allocation.granted
  std::string key;                            // DedupValue::key
  std::optional<DedupValue> void_target;      // event.voided
};

class StateChecks {
 public:
  StateChecks(const StateView& state, const Envelope& env) : state_(state), env_(env) {}

  // Checks 7, 8, 9. Returns a failure, or nullopt with *effects filled; an I/O error is
  // returned as the Status.
  Result<std::optional<CheckFailure>> Run(EventType type, const EventData& data,
                                          StateEffects* effects);

 private:
  Result<std::optional<ContractState>> LoadContract(std::string_view id) const;
  Result<std::optional<AllocationState>> LoadAllocation(std::string_view id) const;
  std::optional<CheckFailure> CspOwns(std::string_view csp_id, std::string_view what) const;
  Result<std::optional<CheckFailure>> LiveContract(std::string_view id, ContractState* out) const;
  Result<std::optional<CheckFailure>> LiveAllocation(std::string_view id,
                                                     AllocationState* out) const;
  Result<std::optional<CheckFailure>> Void(const EventVoidedData& d, StateEffects* effects);

  const StateView& state_;
  const Envelope& env_;
};

Result<std::optional<ContractState>> StateChecks::LoadContract(std::string_view id) const {
  auto v = state_.Get(format::StateKey(format::kStateContract, id));
  if (!v.ok()) return v.status();
  if (!v.value()) return std::optional<ContractState>();
  ContractState c;
  if (!ContractState::Decode(*v.value(), &c))
    return Status::Corruption("contract state of " + Quote(id));
  return std::optional<ContractState>(std::move(c));
}

Result<std::optional<AllocationState>> StateChecks::LoadAllocation(std::string_view id) const {
  auto v = state_.Get(format::StateKey(format::kStateAllocation, id));
  if (!v.ok()) return v.status();
  if (!v.value()) return std::optional<AllocationState>();
  AllocationState a;
  if (!AllocationState::Decode(*v.value(), &a))
    return Status::Corruption("allocation state of " + Quote(id));
  return std::optional<AllocationState>(std::move(a));
}

// Check 8: a CSP may refer only to its own contracts and the allocations on them.
std::optional<CheckFailure> StateChecks::CspOwns(std::string_view csp_id,
                                                 std::string_view what) const {
  auto own = CspIdOfSource(env_.source);
  if (own && *own != csp_id) {
    return CheckFailed(
        reason::kUnauthorizedSource,
        std::string(what) + " belongs to CSP " + Quote(csp_id) + ", not to " + Quote(env_.source));
  }
  return std::nullopt;
}

// Check 7 (unknown or voided contract) then check 8 (another CSP's contract).
Result<std::optional<CheckFailure>> StateChecks::LiveContract(std::string_view id,
                                                              ContractState* out) const {
  auto c = LoadContract(id);
  if (!c.ok()) return c.status();
  if (!c.value())
    return std::optional(CheckFailed(reason::kInvalidReference, "unknown contract " + Quote(id)));
  if (!c.value()->live)
    return std::optional(
        CheckFailed(reason::kInvalidReference, "contract " + Quote(id) + " is voided"));
  *out = *c.value();
  return CspOwns(out->csp_id, "contract " + Quote(id));
}

// An allocation is live while its grant is not voided and the contract registration it was
// granted on is live (a voided contract takes its allocations with it).
Result<std::optional<CheckFailure>> StateChecks::LiveAllocation(std::string_view id,
                                                                AllocationState* out) const {
  auto a = LoadAllocation(id);
  if (!a.ok()) return a.status();
  if (!a.value())
    return std::optional(CheckFailed(reason::kInvalidReference, "unknown allocation " + Quote(id)));
  if (!a.value()->live)
    return std::optional(
        CheckFailed(reason::kInvalidReference, "allocation " + Quote(id) + " is voided"));
  auto c = LoadContract(a.value()->contract_id);
  if (!c.ok()) return c.status();
  if (!c.value() || !c.value()->live ||
      c.value()->registered_index != a.value()->contract_registered_index) {
    return std::optional(CheckFailed(reason::kInvalidReference,
                                     "allocation " + Quote(id) + " is on contract " +
                                         Quote(a.value()->contract_id) + ", which is voided"));
  }
  *out = *a.value();
  return CspOwns(out->csp_id, "allocation " + Quote(id));
}

Result<std::optional<CheckFailure>> StateChecks::Void(const EventVoidedData& d,
                                                      StateEffects* effects) {
  auto own = state_.Get(format::DedupKey(env_.source, d.event_id));
  if (!own.ok()) return own.status();
  if (!own.value()) {
    auto others = state_.AnyWithPrefix(format::DedupPrefix(d.event_id));
    if (!others.ok()) return others.status();
    if (!others.value())
      return std::optional(
          CheckFailed(reason::kInvalidReference, "no accepted event has id " + Quote(d.event_id)));
    return std::optional(CheckFailed(
        reason::kUnauthorizedSource,
        "event " + Quote(d.event_id) + " was sent by another source; a source voids only its own"));
  }
  DedupValue target;
  if (!DedupValue::Decode(*own.value(), &target))
    return Status::Corruption("dedup value of " + Quote(d.event_id));
  if (target.type == EventType::kEventVoided) {
    return std::optional(
        CheckFailed(reason::kInvalidValue, "event " + Quote(d.event_id) + " is itself a void"));
  }
  auto voided = state_.Get(format::VoidedKey(target.index));
  if (!voided.ok()) return voided.status();
  if (voided.value())
    return std::optional(
        CheckFailed(reason::kInvalidValue, "event " + Quote(d.event_id) + " is already voided"));
  effects->void_target = std::move(target);
  return std::optional<CheckFailure>();
}

Result<std::optional<CheckFailure>> StateChecks::Run(EventType type, const EventData& data,
                                                     StateEffects* fx) {
  using R = Result<std::optional<CheckFailure>>;
  switch (type) {
    case EventType::kContractRegistered: {
      const auto& d = std::get<ContractRegisteredData>(data);
      auto c = LoadContract(d.contract_id);
      if (!c.ok()) return c.status();
      if (c.value() && c.value()->live) {
        return R(std::optional(CheckFailed(
            reason::kInvalidValue, "contract " + Quote(d.contract_id) + " is already registered")));
      }
      fx->contract = ContractState{0, d.max_gpus_per_allocation, true, d.csp_id};
      fx->key = d.contract_id;
      return R(std::nullopt);
    }
    case EventType::kCapacityReported: {
      ContractState c;
      return LiveContract(std::get<CapacityReportedData>(data).contract_id, &c);
    }
    case EventType::kAllocationGranted: {
      const auto& d = std::get<AllocationGrantedData>(data);
      ContractState c;
      auto f = LiveContract(d.contract_id, &c);
      if (!f.ok() || f.value()) return f;
      if (d.gpus > c.max_gpus_per_allocation) {
        return R(std::optional(CheckFailed(reason::kInvalidValue,
                                           "gpus " + std::to_string(d.gpus) +
                                               " exceeds the contract's max_gpus_per_allocation " +
                                               std::to_string(c.max_gpus_per_allocation))));
      }
      AllocationState existing;
      auto live = LiveAllocation(d.allocation_id, &existing);
      if (!live.ok()) return live.status();
      if (!live.value()) {  // no failure: the allocation id is live
        return R(std::optional(
            CheckFailed(reason::kInvalidValue,
                        "allocation " + Quote(d.allocation_id) + " is already granted")));
      }
      fx->allocation = AllocationState{0, c.registered_index, true, d.contract_id, c.csp_id};
      fx->key = d.allocation_id;
      return R(std::nullopt);
    }
    case EventType::kAllocationReleased: {
      AllocationState a;
      return LiveAllocation(std::get<AllocationReleasedData>(data).allocation_id, &a);
    }
    case EventType::kUsageReported: {
      AllocationState a;
      return LiveAllocation(std::get<UsageReportedData>(data).allocation_id, &a);
    }
    case EventType::kPeriodClosed: {
      const auto& d = std::get<PeriodClosedData>(data);
      auto closed = state_.Get(format::StateKey(format::kStateClosed, d.month));
      if (!closed.ok()) return closed.status();
      if (closed.value())
        return R(std::optional(
            CheckFailed(reason::kInvalidValue, "month " + Quote(d.month) + " is already closed")));
      fx->key = d.month;
      return R(std::nullopt);
    }
    case EventType::kEventVoided:
      return Void(std::get<EventVoidedData>(data), fx);
  }
  return R(std::nullopt);
}

}  // namespace

Judgement Ledger::Impl::StageReject(std::string_view reason_code, const std::string& detail_in,
                                    std::string_view message, const Origin& origin) {
  std::string detail = detail_in;
  std::string_view kept = message.substr(0, format::kMessageBytesMax);
  if (kept.size() < message.size()) {
    detail += " (the first " + std::to_string(kept.size()) + " bytes are kept)";
  }
  std::string_view record =
      encoder.EncodeReject(working.rejects, Now(), origin, reason_code, detail, kept);
  StageSideRecord(format::kTagReject, working.rejects, record, &working.reject_chain);
  ++working.rejects;
  ++staged_messages;
  staged_bytes += record.size();
  staged_anything = true;
  return Judgement{Outcome::kRejected, reason_code, std::move(detail), 0};
}

void Ledger::Impl::StageSideRecord(char tag, uint64_t seq, std::string_view record,
                                   Hash256* chain) {
  *chain = ChainHash(sha, *chain, LeafHash(sha, record));
  std::string value(record);
  value.append(reinterpret_cast<const char*>(chain->data()), chain->size());
  state->batch()->Put(format::IndexKey(tag, seq), value);
}

void Ledger::Impl::StageEntry(std::string_view entry_bytes, const Hash256& leaf) {
  const uint64_t index = working.size;
  // Index continuity: the entry staged is the one after the last staged, in flight or durable.
  GPULEDGER_ASSERT(index >= inflight.size && inflight.size >= committed.size,
                   "staged entry " + std::to_string(index) + " after in-flight size " +
                       std::to_string(inflight.size) + " and durable size " +
                       std::to_string(committed.size));
  // `leaf` was computed from `entry_bytes` by the Preparer; verify recomputes every leaf.
  Hash256 chain = ChainHash(sha, working.chain, leaf);
  rocksdb::WriteBatch* batch = state->batch();
  batch->Put(format::IndexKey(format::kTagEntry, index),
             rocksdb::Slice(entry_bytes.data(), entry_bytes.size()));
  char hashes[format::kHashesValueBytes];
  std::memcpy(hashes, leaf.data(), 32);
  std::memcpy(hashes + 32, chain.data(), 32);
  batch->Put(format::IndexKey(format::kTagHashes, index), rocksdb::Slice(hashes, sizeof(hashes)));
  working.frontier.Append(sha, leaf, [batch](const SubtreeNode& node) {
    batch->Put(format::NodeKey(node.level, node.index),
               rocksdb::Slice(reinterpret_cast<const char*>(node.hash.data()), node.hash.size()));
  });
  working.chain = chain;
  ++working.size;
  ++staged_messages;
  staged_bytes += entry_bytes.size() + 128;
  staged_anything = true;
  GPULEDGER_ASSERT(working.frontier.size() == working.size && working.size == index + 1,
                   "after staging entry " + std::to_string(index) + " the frontier covers " +
                       std::to_string(working.frontier.size()) + " entries, the tip " +
                       std::to_string(working.size));
}

Result<Judgement> Ledger::Impl::Submit(std::string_view message, const Origin& origin,
                                       const Prepared& prepared) {
  if (prepared.envelope_failure) {
    return StageReject(prepared.envelope_failure->reason, prepared.envelope_failure->detail,
                       message, origin);
  }
  const Envelope& env = prepared.envelope;
  const Hash256& content = prepared.content;
  // Check 2: (source, id) of an accepted event.
  const std::string dedup_key = format::DedupKey(env.source, env.id);
  auto prior = state->Get(dedup_key);
  if (!prior.ok()) return prior.status();
  if (prior.value()) {
    DedupValue p;
    if (!DedupValue::Decode(*prior.value(), &p))
      return Status::Corruption("dedup value of " + Quote(env.id));
    if (p.content != content) {
      return StageReject(reason::kConflictingDuplicate,
                         "(source, id) " + Quote(env.source) + ", " + Quote(env.id) +
                             " was accepted as entry " + std::to_string(p.index) +
                             " with different content",
                         message, origin);
    }
    sha.Update(message);
    std::string_view record =
        encoder.EncodeDuplicate(working.duplicates, Now(), origin, p.index, sha.Final());
    StageSideRecord(format::kTagDuplicate, working.duplicates, record, &working.duplicate_chain);
    ++working.duplicates;
    ++staged_messages;
    staged_bytes += record.size();
    staged_anything = true;
    return Judgement{
        Outcome::kDuplicate, {}, "same content as entry " + std::to_string(p.index), p.index};
  }
  // Checks 3-6 ran in the Preparer.
  if (prepared.failure)
    return StageReject(prepared.failure->reason, prepared.failure->detail, message, origin);
  const EventType type = prepared.type;
  const EventData& data = prepared.data;
  StateEffects fx;
  auto verdict = StateChecks(*state, env).Run(type, data, &fx);
  if (!verdict.ok()) return verdict.status();
  if (verdict.value()) {
    return StageReject(verdict.value()->reason, verdict.value()->detail, message, origin);
  }
  // Accepted: the entry, its hashes and nodes, the dedup claim and the state effects.
  const uint64_t index = working.size;
  StageEntry(prepared.entry_bytes, prepared.leaf);
  state->Put(dedup_key, DedupValue{index, content, type, fx.key}.Encode());
  if (fx.contract) {
    fx.contract->registered_index = index;
    state->Put(format::StateKey(format::kStateContract, fx.key), fx.contract->Encode());
  }
  if (fx.allocation) {
    fx.allocation->granted_index = index;
    state->Put(format::StateKey(format::kStateAllocation, fx.key), fx.allocation->Encode());
  }
  if (type == EventType::kPeriodClosed) {
    std::string v;
    format::PutU64(&v, index);
    state->Put(format::StateKey(format::kStateClosed, fx.key), v);
  }
  if (fx.void_target) {
    if (Status s = ApplyVoid(*fx.void_target, index); !s.ok()) return s;
  }
  return Judgement{Outcome::kAccepted, {}, {}, index};
}

}  // namespace gpuledger
