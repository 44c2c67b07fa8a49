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

namespace gpuledger::proj {
namespace {

struct Piece {
  uint64_t contract = 0;
  int64_t start = 0, end = 0;
  uint64_t index = 0;  // the capacity event
};

using PairKeyT = std::tuple<std::string_view, uint64_t, uint64_t>;  // gpu, contract, contract

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
                 std::map<PairKeyT, std::vector<DoubleSegment>>* doubles) {
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

Status Applier::AddClaims(uint64_t index, uint64_t contract, int64_t start, int64_t end,
                          const std::vector<std::string>& gpus) {
  ClaimRec claim{contract, 0, 0, gpus};
  for (int64_t hour = HourOf(start); hour < end; hour += kHourSeconds) {
    claim.start = std::max(start, hour);
    claim.end = std::min(end, hour + kHourSeconds);
    store_->Put(ClaimKey(hour, index), Encode(claim));
    dirty_hours_.insert(hour);
  }
  return Status::Ok();
}

Status Applier::DeleteClaims(uint64_t index, int64_t start, int64_t end) {
  for (int64_t hour = HourOf(start); hour < end; hour += kHourSeconds) {
    store_->Delete(ClaimKey(hour, index));
    dirty_hours_.insert(hour);
  }
  return Status::Ok();
}

Status Applier::Flush() {
  for (int64_t hour : dirty_hours_) {
    if (Status s = RecomputeHour(hour); !s.ok()) return s;
  }
  dirty_hours_.clear();
  return Status::Ok();
}

Status Applier::RecomputeHour(int64_t hour) {
  std::vector<std::pair<uint64_t, ClaimRec>> claims;
  std::string bad;
  Status s = store_->ScanPrefix(HourPrefix(kTagClaim, hour), [&](auto key, auto value) {
    ClaimRec c;
    if (key.size() != 1 + 8 + 8 || !Decode(value, &c)) bad = HexOf(key);
    claims.emplace_back(Reader(key.substr(9)).U64(), std::move(c));
    return bad.empty();
  });
  if (!s.ok()) return s;
  if (!bad.empty()) return Status::Corruption("projections: claim record " + bad);
  std::unordered_map<std::string_view, std::vector<Piece>> by_gpu;
  for (const auto& [index, c] : claims) {
    for (const std::string& gpu : c.gpu_uuids) {
      by_gpu[gpu].push_back({c.contract_inst, c.start, c.end, index});
    }
  }
  std::map<uint64_t, int64_t> delivered;
  std::map<PairKeyT, std::vector<DoubleSegment>> doubles;
  for (auto& [gpu, pieces] : by_gpu) {
    std::sort(pieces.begin(), pieces.end(),
              [](const Piece& a, const Piece& b) { return a.start < b.start; });
    const bool one_contract = std::all_of(pieces.begin(), pieces.end(), [&](const Piece& p) {
      return p.contract == pieces.front().contract;
    });
    if (one_contract) {
      delivered[pieces.front().contract] += UnionSeconds(pieces);
    } else {
      SweepShared(gpu, pieces, &delivered, &doubles);
    }
  }
  // Cells: write the changes, and carry them into the month sums.
  std::map<uint64_t, int64_t> before;
  s = store_->ScanPrefix(HourPrefix(kTagCell, hour), [&](auto key, auto value) {
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
  // Double-claim segments of the hour: replaced whole.
  std::vector<std::string> old_doubles;
  s = store_->ScanPrefix(HourPrefix(kTagDouble, hour), [&](auto key, auto) {
    old_doubles.emplace_back(key);
    return true;
  });
  if (!s.ok()) return s;
  for (const std::string& key : old_doubles) store_->Delete(key);
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
