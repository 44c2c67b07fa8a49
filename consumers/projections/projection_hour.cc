// Delivered GPU-seconds of one clock hour and its double claims (projection_hour.h).
#include "consumers/projections/projection_hour.h"

#include <algorithm>

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
                 std::map<uint64_t, int64_t>* delivered, DoubleSegments* doubles) {
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

// Every (GPU, piece) of `claims` whose GPU `take` accepts, sorted by GPU then start.
template <typename Take>
std::vector<std::pair<uint32_t, Piece>> PiecesByGpu(const std::vector<const HourClaim*>& claims,
                                                    Take take) {
  std::vector<std::pair<uint32_t, Piece>> out;
  for (const HourClaim* c : claims) {
    for (uint32_t g : *c->gpus) {
      if (take(g)) out.push_back({g, {c->contract, c->start, c->end, c->index}});
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : a.second.start < b.second.start;
  });
  return out;
}

// Calls fn(gpu, pieces) for each GPU's run of pieces.
template <typename Fn>
void ForEachGpu(const std::vector<std::pair<uint32_t, Piece>>& listed, Fn fn) {
  std::vector<Piece> pieces;
  for (size_t i = 0; i < listed.size();) {
    const uint32_t gpu = listed[i].first;
    pieces.clear();
    for (; i < listed.size() && listed[i].first == gpu; ++i) pieces.push_back(listed[i].second);
    fn(gpu, pieces);
  }
}

}  // namespace

GpuLists::List GpuLists::Remember(uint64_t index, uint64_t contract,
                                  const std::vector<std::string_view>& uuids) {
  auto last = last_by_contract_.find(contract);
  if (last != last_by_contract_.end() && last->second->size() == uuids.size() &&
      std::equal(uuids.begin(), uuids.end(), last->second->begin(),
                 [&](std::string_view u, uint32_t id) { return u == *names_[id]; })) {
    return by_event_[index] = last->second;
  }
  auto ids = std::make_shared<std::vector<uint32_t>>();
  ids->reserve(uuids.size());
  for (std::string_view u : uuids) {
    auto [it, added] = ids_.try_emplace(std::string(u), static_cast<uint32_t>(names_.size()));
    if (added) names_.push_back(&it->first);
    ids->push_back(it->second);
  }
  last_by_contract_[contract] = ids;
  return by_event_[index] = std::move(ids);
}

GpuLists::List GpuLists::Find(uint64_t index) const {
  auto it = by_event_.find(index);
  return it == by_event_.end() ? nullptr : it->second;
}

void GpuLists::Clear() {
  by_event_.clear();
  last_by_contract_.clear();
  ids_.clear();
  names_.clear();
}

void HourComputer::Compute(const std::vector<HourClaim>& claims, const GpuLists& lists,
                           HourResult* out) {
  out->delivered.clear();
  out->doubles.clear();
  if (seen_.size() < lists.ids()) {
    seen_.resize(lists.ids(), 0), shared_.resize(lists.ids(), 0), owner_.resize(lists.ids(), 0);
  }
  if (++stamp_ == 0) {  // wrapped: old stamps could collide
    std::fill(seen_.begin(), seen_.end(), 0), std::fill(shared_.begin(), shared_.end(), 0);
    stamp_ = 1;
  }
  // 1. GPUs listed by more than one contract in this hour.
  for (const HourClaim& c : claims) {
    for (uint32_t g : *c.gpus) {
      if (seen_[g] != stamp_) {
        seen_[g] = stamp_, owner_[g] = c.contract;
      } else if (owner_[g] != c.contract) {
        shared_[g] = stamp_;
      }
    }
  }
  auto is_shared = [&](uint32_t g) { return shared_[g] == stamp_; };
  // 2. Each contract's own GPUs. Its reports usually follow each other without overlapping
  // in time: then every listed GPU-second counts once, with no per-GPU work.
  std::vector<const HourClaim*> order;
  for (const HourClaim& c : claims) order.push_back(&c);
  std::sort(order.begin(), order.end(), [](const HourClaim* a, const HourClaim* b) {
    return std::tie(a->contract, a->start) < std::tie(b->contract, b->start);
  });
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    bool disjoint = true;
    for (int64_t reach = INT64_MIN; j < order.size() && order[j]->contract == order[i]->contract;
         ++j) {
      disjoint = disjoint && order[j]->start >= reach;
      reach = std::max(reach, order[j]->end);
    }
    const std::vector<const HourClaim*> group(order.begin() + i, order.begin() + j);
    int64_t& delivered = out->delivered[order[i]->contract];
    if (disjoint) {
      for (const HourClaim* c : group) {
        const auto own = std::count_if(c->gpus->begin(), c->gpus->end(),
                                       [&](uint32_t g) { return !is_shared(g); });
        delivered += own * (c->end - c->start);
      }
    } else {
      ForEachGpu(
          PiecesByGpu(group, [&](uint32_t g) { return !is_shared(g); }),
          [&](uint32_t, const std::vector<Piece>& pieces) { delivered += UnionSeconds(pieces); });
    }
    i = j;
  }
  // 3. Shared GPUs: swept second by second boundary.
  ForEachGpu(PiecesByGpu(order, is_shared), [&](uint32_t gpu, const std::vector<Piece>& pieces) {
    SweepShared(lists.Name(gpu), pieces, &out->delivered, &out->doubles);
  });
}

}  // namespace gpuledger::proj
