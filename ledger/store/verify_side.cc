#include "ledger/store/verify_side.h"

#include <rocksdb/db.h>

#include <cstring>
#include <memory>

#include "ledger/store/ledger_format.h"
#include "schemas/event_generated.h"
#include "schemas/ledger_entry_generated.h"

namespace gpuledger {
namespace {

bool Problem(VerifyReport* report, std::string problem) {
  report->ok = false;
  report->problem = std::move(problem);
  return false;
}

}  // namespace

bool VerifySideRecords(const Ledger::Impl& impl, char tag, uint64_t count, VerifyReport* report) {
  const std::string kind = tag == format::kTagReject ? "reject" : "duplicate";
  rocksdb::ReadOptions options;
  options.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(impl.db->NewIterator(options));
  Sha256 sha;
  Hash256 chain{};
  uint64_t seq = 0;
  for (it->Seek(std::string(1, tag)); it->Valid() && it->key()[0] == tag; it->Next(), ++seq) {
    const std::string label = kind + " record " + std::to_string(seq);
    if (it->key().ToStringView() != format::IndexKey(tag, seq))
      return Problem(report, label + " is missing");
    std::string_view v = it->value().ToStringView();
    if (v.size() < format::kSideChainBytes) return Problem(report, label + " is truncated");
    std::string_view record = v.substr(0, v.size() - format::kSideChainBytes);
    chain = ChainHash(sha, chain, LeafHash(sha, record));
    if (std::memcmp(chain.data(), v.data() + record.size(), chain.size()) != 0) {
      return Problem(report, label + ": its bytes or its side-chain hash were changed");
    }
    bool decodes =
        tag == format::kTagReject ? DecodeReject(record).ok() : DecodeDuplicate(record).ok();
    if (!decodes) return Problem(report, label + " does not decode");
  }
  if (!it->status().ok()) return Problem(report, kind + " scan: " + it->status().ToString());
  if (seq != count) {
    return Problem(report, "the store holds " + std::to_string(seq) + " " + kind +
                               " records, the ledger counts " + std::to_string(count));
  }
  (tag == format::kTagReject ? report->rejects_checked : report->duplicates_checked) = seq;
  return true;
}

void StateReplay::Put(std::string key, std::string value, uint64_t made_by) {
  expected_.insert_or_assign(std::move(key), Expected{std::move(value), made_by});
}

bool StateReplay::Apply(uint64_t index, std::string_view bytes, std::string* problem) {
  const auto* entry =
      flatbuffers::GetRoot<fb::LedgerEntry>(bytes.data());  // verified by the caller
  const fb::Event* ev = entry->event_nested_root();
  if (!MakesIntakeState(static_cast<EventType>(ev->data_type()))) return true;
  switch (ev->data_type()) {
    case fb::Payload::ContractRegistered: {
      const auto* d = ev->data_as_ContractRegistered();
      ContractState c{index, d->max_gpus_per_allocation(), true, d->csp_id()->str()};
      contracts_[d->contract_id()->str()] = c;
      Put(format::StateKey(format::kStateContract, d->contract_id()->string_view()), c.Encode(),
          index);
      return true;
    }
    case fb::Payload::AllocationGranted: {
      const auto* d = ev->data_as_AllocationGranted();
      const ContractState& c = contracts_[d->contract_id()->str()];
      AllocationState a{index, c.registered_index, true, d->contract_id()->str(), c.csp_id};
      allocations_[d->allocation_id()->str()] = a;
      Put(format::StateKey(format::kStateAllocation, d->allocation_id()->string_view()), a.Encode(),
          index);
      return true;
    }
    case fb::Payload::PeriodClosed: {
      std::string v;
      format::PutU64(&v, index);
      Put(format::StateKey(format::kStateClosed,
                           ev->data_as_PeriodClosed()->month()->string_view()),
          v, index);
      return true;
    }
    case fb::Payload::EventVoided:
      break;
    default:
      return true;  // capacity, usage, releases: no intake state
  }
  // A void: its target is the voiding source's own event of that id (the dedup index).
  std::string target_value;
  std::string key = format::DedupKey(ev->source()->string_view(),
                                     ev->data_as_EventVoided()->event_id()->string_view());
  DedupValue target;
  if (!impl_.db->Get(rocksdb::ReadOptions(), key, &target_value).ok() ||
      !DedupValue::Decode(target_value, &target)) {
    *problem = "the event voided by entry " + std::to_string(index) + " is not in the dedup index";
    return false;
  }
  std::string marker;
  format::PutU64(&marker, index);
  Put(format::VoidedKey(target.index), marker, index);
  if (target.type == EventType::kContractRegistered) {
    auto it = contracts_.find(target.key);
    if (it != contracts_.end() && it->second.registered_index == target.index) {
      it->second.live = false;
      Put(format::StateKey(format::kStateContract, target.key), it->second.Encode(), index);
    }
  } else if (target.type == EventType::kAllocationGranted) {
    auto it = allocations_.find(target.key);
    if (it != allocations_.end() && it->second.granted_index == target.index) {
      it->second.live = false;
      Put(format::StateKey(format::kStateAllocation, target.key), it->second.Encode(), index);
    }
  } else if (target.type == EventType::kPeriodClosed) {
    auto it = expected_.find(format::StateKey(format::kStateClosed, target.key));
    if (it != expected_.end() && it->second.value.size() == 8 &&
        format::GetU64(it->second.value.data()) == target.index) {
      expected_.erase(it);
    }
  }
  return true;
}

bool StateReplay::Compare(VerifyReport* report) {
  rocksdb::ReadOptions options;
  options.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(impl_.db->NewIterator(options));
  auto want = expected_.begin();
  uint64_t checked = 0;
  for (it->Seek(std::string(1, format::kTagState));
       it->Valid() && it->key()[0] == format::kTagState; it->Next()) {
    std::string_view key = it->key().ToStringView();
    if (want == expected_.end() || key < want->first) {
      return Problem(report, "an intake state record is stored that no entry made");
    }
    if (key != want->first) {
      report->bad_index = want->second.made_by;
      return Problem(report, "the intake state record made by entry " +
                                 std::to_string(want->second.made_by) + " is missing");
    }
    if (it->value().ToStringView() != want->second.value) {
      report->bad_index = want->second.made_by;
      return Problem(report, "the intake state record made by entry " +
                                 std::to_string(want->second.made_by) +
                                 " disagrees with a replay of the ledger");
    }
    ++want;
    ++checked;
  }
  if (!it->status().ok()) return Problem(report, "state scan: " + it->status().ToString());
  if (want != expected_.end()) {
    report->bad_index = want->second.made_by;
    return Problem(report, "the intake state record made by entry " +
                               std::to_string(want->second.made_by) + " is missing");
  }
  report->state_records_checked = checked;
  return true;
}

}  // namespace gpuledger
