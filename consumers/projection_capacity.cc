// Capacity: claims per clock hour and the delivered GPU-seconds they give (spec section 5).
// For each GPU in an hour, the seconds covered by exactly one contract's live claims count
// as delivered for it (the union: a GPU listed twice counts once); seconds covered by two or
// more contracts are double claims, delivered for none, and kept as segments per pair of
// contracts for the gpu_double_claimed rows.
#include <algorithm>
#include <map>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "consumers/projection_apply.h"
#include "schemas/event_generated.h"

namespace gpuledger::proj {
namespace {

struct Piece {
  uint64_t contract = 0;
  int64_t start = 0, end = 0;
  uint64_t index = 0;  // the capacity event
};


// Length of the union of [start, end) pieces (sorted by start).
int64_t UnionSeconds(const std::vector<Piece>& pieces) {
  int64_t total = 0, cur_start = 0, cur_end = INT64_MIN;
  for (const Piece& p : pieces) {
    if (p.start > cur_end) {
      if (cur_end > cur_start) total += cur_end - cur_start;
      cur_start = p.start, cur_end = p.end;
    } else {
      cur_end = std::max(cur_end, p.end);
    }
  }
  if (cur_end > cur_start) total += cur_end - cur_start;
  return total;
}

// One GPU's pieces in one hour, claimed by two or more contracts: sweeps the boundaries.
void SweepShared(std::string_view gpu, const std::vector<Piece>& pieces,
                 std::map<uint64_t, int64_t>* delivered,
                 DoubleSegments* doubles) {
  std::vector<int64_t> points;
  for (const Piece& p : pieces) points.push_back(p.start), points.push_back(p.end);
  std::sort(points.begin(), points.end());
  points.erase(std::unique(points.begin(), points.end()), points.end());
  std::vector<uint64_t> covering;
  std::map<std::pair<uint64_t, uint64_t>, std::vector<DoubleSegment>> local;
  for (size_t i = 0; i + 1 < points.size(); ++i) {
    const int64_t t0 = points[i], t1 = points[i + 1];
    covering.clear();
    for (const Piece& p : pieces) {
      if (p.start <= t0 && p.end >= t1) covering.push_back(p.contract);
    }
    std::sort(covering.begin(), covering.end());
    covering.erase(std::unique(covering.begin(), covering.end()), covering.end());
    if (covering.size() == 1) (*delivered)[covering[0]] += t1 - t0;
    for (size_t x = 0; covering.size() > 1 && x < covering.size(); ++x) {
      for (size_t y = x + 1; y < covering.size(); ++y) {
        auto& segs = local[{covering[x], covering[y]}];
        if (!segs.empty() && segs.back().end == t0) {
          segs.back().end = t1;
        } else {
          segs.push_back({t0, t1, 0});
        }
      }
    }
  }
  // The last live capacity event of either contract overlapping each segment.
  for (auto& [pair, segs] : local) {
    for (DoubleSegment& seg : segs) {
      for (const Piece& p : pieces) {
        const bool of_pair = p.contract == pair.first || p.contract == pair.second;
        if (of_pair && p.start < seg.end && p.end > seg.start) {
          seg.last_index = std::max(seg.last_index, p.index);
        }
      }
    }
    (*doubles)[{gpu, pair.first, pair.second}] = std::move(segs);
  }
}

}  // namespace

void Applier::RememberGpus(uint64_t index, const fb::Event& event) {
  std::vector<uint32_t>& ids = batch_gpus_[index];
  const fb::CapacityReported* d = event.data_as_CapacityReported();
  if (d == nullptr || d->gpu_uuids() == nullptr) return;
  ids.reserve(d->gpu_uuids()->size());
  for (const flatbuffers::String* g : *d->gpu_uuids()) {
    auto [it, added] = gpu_ids_.try_emplace(g->str(), static_cast<uint32_t>(gpu_names_.size()));
    if (added) gpu_names_.push_back(&it->first);
    ids.push_back(it->second);
  }
}

Result<const std::vector<uint32_t>*> Applier::GpusOf(uint64_t index) {
  auto it = batch_gpus_.find(index);
  if (it != batch_gpus_.end()) return &it->second;
  // A claim applied in an earlier batch: its GPU list is in the ledger.
  auto stored = ledger_->ReadStored(index);
  if (!stored.ok()) return stored.status();
  const fb::Event* event = EventOf(stored.value());
  if (event == nullptr || event->data_as_CapacityReported() == nullptr) {
    return Status::Corruption("projections: claim of entry " + std::to_string(index) +
                              ", which is not a capacity report");
  }
  RememberGpus(index, *event);
  return &batch_gpus_[index];
}

Status Applier::AddClaims(uint64_t index, uint64_t contract, int64_t start, int64_t end,
                          const fb::Event& event) {
  RememberGpus(index, event);
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
  batch_gpus_.clear();
  gpu_ids_.clear();
  gpu_names_.clear();
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
  // Every (GPU, claim) of the hour, grouped by GPU.
  std::vector<std::pair<uint32_t, Piece>> listed;
  for (const auto& [index, c] : claims) {
    auto gpus = GpusOf(index);
    if (!gpus.ok()) return gpus.status();
    for (uint32_t gpu : *gpus.value()) listed.push_back({gpu, {c.contract_inst, c.start, c.end, index}});
  }
  std::sort(listed.begin(), listed.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : a.second.start < b.second.start;
  });
  std::map<uint64_t, int64_t> delivered;
  DoubleSegments doubles;
  std::vector<Piece> pieces;
  for (size_t i = 0; i < listed.size();) {
    const uint32_t gpu = listed[i].first;
    pieces.clear();
    bool one_contract = true;
    for (; i < listed.size() && listed[i].first == gpu; ++i) {
      pieces.push_back(listed[i].second);
      one_contract = one_contract && pieces.back().contract == pieces.front().contract;
    }
    if (one_contract) {
      delivered[pieces.front().contract] += UnionSeconds(pieces);
    } else {
      SweepShared(*gpu_names_[gpu], pieces, &delivered, &doubles);
    }
  }
  if (Status c = WriteCells(hour, delivered); !c.ok()) return c;
  return WriteDoubles(hour, doubles);
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
  auto v = store_->Get(key);
  if (!v.ok()) return v.status();
  if (v.value() && !Decode(*v.value(), &sums)) {
    return Status::Corruption("projections: month sums " + HexOf(key));
  }
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
