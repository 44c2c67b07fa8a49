// Encoding of the intake state records (ledger_format.h) and the effects of a void.
#include <cstring>

#include "ledger/store/ledger_format.h"
#include "ledger/store/ledger_impl.h"

namespace gpuledger {

using format::GetStr;
using format::GetU64;
using format::PutStr;
using format::PutU64;

std::string ContractState::Encode() const {
  std::string v;
  PutU64(&v, registered_index);
  PutU64(&v, static_cast<uint64_t>(max_gpus_per_allocation));
  v.push_back(live ? 1 : 0);
  PutStr(&v, csp_id);
  return v;
}

bool ContractState::Decode(std::string_view b, ContractState* out) {
  if (b.size() < 17) return false;
  out->registered_index = GetU64(b.data());
  out->max_gpus_per_allocation = static_cast<int64_t>(GetU64(b.data() + 8));
  out->live = b[16] != 0;
  size_t pos = 17;
  std::string_view csp;
  if (!GetStr(b, &pos, &csp) || pos != b.size()) return false;
  out->csp_id = std::string(csp);
  return true;
}

std::string AllocationState::Encode() const {
  std::string v;
  PutU64(&v, granted_index);
  PutU64(&v, contract_registered_index);
  v.push_back(live ? 1 : 0);
  PutStr(&v, contract_id);
  PutStr(&v, csp_id);
  return v;
}

bool AllocationState::Decode(std::string_view b, AllocationState* out) {
  if (b.size() < 17) return false;
  out->granted_index = GetU64(b.data());
  out->contract_registered_index = GetU64(b.data() + 8);
  out->live = b[16] != 0;
  size_t pos = 17;
  std::string_view contract, csp;
  if (!GetStr(b, &pos, &contract) || !GetStr(b, &pos, &csp) || pos != b.size()) return false;
  out->contract_id = std::string(contract);
  out->csp_id = std::string(csp);
  return true;
}

std::string DedupValue::Encode() const {
  std::string v;
  PutU64(&v, index);
  v.append(reinterpret_cast<const char*>(content.data()), content.size());
  v.push_back(static_cast<char>(type));
  PutStr(&v, key);
  return v;
}

bool DedupValue::Decode(std::string_view b, DedupValue* out) {
  if (b.size() < format::kDedupValueBytesMin) return false;
  out->index = GetU64(b.data());
  std::memcpy(out->content.data(), b.data() + 8, 32);
  uint8_t t = static_cast<uint8_t>(b[40]);
  if (t < 1 || t > kEventTypeCount) return false;
  out->type = static_cast<EventType>(t);
  size_t pos = 41;
  std::string_view key;
  if (!GetStr(b, &pos, &key) || pos != b.size()) return false;
  out->key = std::string(key);
  return true;
}

Status Ledger::Impl::ApplyVoid(const DedupValue& target, uint64_t void_index) {
  std::string marker;
  PutU64(&marker, void_index);
  state->Put(format::VoidedKey(target.index), marker);
  char kind = 0;
  switch (target.type) {
    case EventType::kContractRegistered:
      kind = format::kStateContract;
      break;
    case EventType::kAllocationGranted:
      kind = format::kStateAllocation;
      break;
    case EventType::kPeriodClosed:
      kind = format::kStateClosed;
      break;
    default:
      return Status::Ok();  // voiding other events changes figures, not intake state
  }
  const std::string key = format::StateKey(kind, target.key);
  auto current = state->Get(key);
  if (!current.ok()) return current.status();
  if (!current.value())
    return Status::Corruption("state of voided entry " + std::to_string(target.index) +
                              " is missing");
  const std::string& v = *current.value();
  if (kind == format::kStateClosed) {
    // Only the live close of the month re-opens it (a month has at most one live close).
    if (v.size() == 8 && GetU64(v.data()) == target.index) state->Erase(key);
    return Status::Ok();
  }
  if (kind == format::kStateContract) {
    ContractState c;
    if (!ContractState::Decode(v, &c)) return Status::Corruption("contract state " + target.key);
    if (c.registered_index == target.index) {
      c.live = false;
      state->Put(key, c.Encode());
    }
    return Status::Ok();
  }
  AllocationState a;
  if (!AllocationState::Decode(v, &a)) return Status::Corruption("allocation state " + target.key);
  if (a.granted_index == target.index) {
    a.live = false;
    state->Put(key, a.Encode());
  }
  return Status::Ok();
}

}  // namespace gpuledger
