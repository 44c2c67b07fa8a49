// Capacity: claims per clock hour, and recomputing an hour's delivered cells, month sums and
// double-claim segments when its claims changed (the computation: projection_hour.cc).
#include <algorithm>
#include <map>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "consumers/projections/projection_apply.h"
#include "consumers/projections/projection_read.h"
#include "schemas/event_generated.h"

namespace gpuledger::proj {

GpuLists::List Applier::RememberGpus(uint64_t index, uint64_t contract, const fb::Event& event) {
  std::vector<std::string_view> uuids;
  const fb::CapacityReported* d = event.data_as_CapacityReported();
  if (d != nullptr && d->gpu_uuids() != nullptr) {
    uuids.reserve(d->gpu_uuids()->size());
    for (const flatbuffers::String* g : *d->gpu_uuids()) uuids.emplace_back(g->data(), g->size());
  }
  return gpus_.Remember(index, contract, uuids);
}

Result<GpuLists::List> Applier::GpusOf(uint64_t index, uint64_t contract) {
  if (GpuLists::List list = gpus_.Find(index)) return list;
  // A claim applied in an earlier batch: its GPU list is in the ledger.
  auto stored = ledger_->ReadStored(index);
  if (!stored.ok()) return stored.status();
  const fb::Event* event = EventOf(stored.value());
  if (event == nullptr || event->data_as_CapacityReported() == nullptr) {
    return Status::Corruption("projections: claim of entry " + std::to_string(index) +
                              ", which is not a capacity report");
  }
  return RememberGpus(index, contract, *event);
}

Status Applier::AddClaims(uint64_t index, uint64_t contract, int64_t start, int64_t end,
                          const fb::Event& event) {
  RememberGpus(index, contract, event);
  for (int64_t hour = HourOf(start); hour < end; hour += kHourSeconds) {
    const ClaimRec part{contract, std::max(start, hour), std::min(end, hour + kHourSeconds)};
    store_->Put(ClaimKey(hour, index), Encode(part));
    dirty_hours_.insert(hour);
  }
  return Status::Ok();
}

Status Applier::Flush() {
  for (int64_t hour : dirty_hours_) {
    if (Status s = RecomputeHour(hour); !s.ok()) return s;
  }
  dirty_hours_.clear();
  gpus_.Clear();
  return Status::Ok();
}

Status Applier::RecomputeHour(int64_t hour) {
  std::vector<std::pair<uint64_t, ClaimRec>> claims;
  std::string bad;
  Status s = store_->ScanPrefix(HourPrefix(kTagClaim, hour), [&](auto key, auto value) {
    ClaimRec c;
    if (key.size() != 1 + 8 + 8 || !Decode(value, &c)) bad = HexOf(key);
    claims.emplace_back(Reader(key.substr(9)).U64(), c);
    return bad.empty();
  });
  if (!s.ok()) return s;
  if (!bad.empty()) return Status::Corruption("projections: claim record " + bad);
  std::vector<GpuLists::List> lists;  // keeps every claim's list alive for the computation
  std::vector<HourClaim> hour_claims;
  for (const auto& [index, c] : claims) {
    auto gpus = GpusOf(index, c.contract_inst);
    if (!gpus.ok()) return gpus.status();
    lists.push_back(gpus.value());
    hour_claims.push_back({index, c.contract_inst, c.start, c.end, lists.back().get()});
  }
  HourResult result;
  hour_.Compute(hour_claims, gpus_, &result);
  if (Status c = WriteCells(hour, result.delivered); !c.ok()) return c;
  return WriteDoubles(hour, result.doubles);
}
// Writes the hour's delivered cells that changed, and carries the changes into month sums.
Status Applier::WriteCells(int64_t hour, const std::map<uint64_t, int64_t>& delivered) {
  std::map<uint64_t, int64_t> before;
  std::string bad;
  Status s = store_->ScanPrefix(HourPrefix(kTagCell, hour), [&](auto key, auto value) {
    int64_t v = 0;
    if (key.size() != 1 + 8 + 8 || !DecodeI64(value, &v)) bad = HexOf(key);
    before[Reader(key.substr(9)).U64()] = v;
    return bad.empty();
  });
  if (!s.ok()) return s;
  if (!bad.empty()) return Status::Corruption("projections: cell record " + bad);
  for (const auto& [contract, value] : delivered) before.try_emplace(contract, 0);
  for (const auto& [contract, old_value] : before) {
    auto it = delivered.find(contract);
    const int64_t new_value = it == delivered.end() ? 0 : it->second;
    if (new_value == old_value) continue;
    if (Status c = ApplyCellChange(hour, contract, old_value, new_value); !c.ok()) return c;
  }
  return Status::Ok();
}

// The hour's double-claim segments, replaced whole.
Status Applier::WriteDoubles(int64_t hour, const DoubleSegments& doubles) {
  std::vector<std::string> old_keys;
  Status s = store_->ScanPrefix(HourPrefix(kTagDouble, hour), [&](auto key, auto) {
    old_keys.emplace_back(key);
    return true;
  });
  if (!s.ok()) return s;
  for (const std::string& key : old_keys) store_->Delete(key);
  for (const auto& [key, segs] : doubles) {
    store_->Put(DoubleKey(hour, std::get<0>(key), std::get<1>(key), std::get<2>(key)),
                Encode(segs));
  }
  return Status::Ok();
}

Status Applier::ApplyCellChange(int64_t hour, uint64_t contract, int64_t before, int64_t after) {
  ContractRec c;
  if (Status s = Read(IndexKey(kTagContract, contract), &c); !s.ok()) return s;
  const int64_t committed = c.committed_gpus * kHourSeconds;
  const std::string key = MonthKey(kTagMonthSums, contract, MonthOf(hour));
  MonthSums sums;
  bool found = false;
  if (Status s = ReadRecord(*store_, key, &sums, &found); !s.ok()) return s;
  sums.delivered += after - before;
  sums.payable += std::min(after, committed) - std::min(before, committed);
  if (after == 0) {
    store_->Delete(CellKey(hour, contract));
  } else {
    store_->Put(CellKey(hour, contract), EncodeI64(after));
  }
  // Absent means zero, so that the stored state does not depend on how entries were batched.
  if (sums.delivered == 0 && sums.payable == 0) {
    store_->Delete(key);
  } else {
    store_->Put(key, Encode(sums));
  }
  return Status::Ok();
}

}  // namespace gpuledger::proj
