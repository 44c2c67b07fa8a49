// Delivered GPU-seconds of a month, hour by hour (replay_deliver.h).
#include "tools/verify/replay_deliver.h"

#include <algorithm>
#include <utility>

namespace gpuledger::verify {

uint32_t GpuLists::Intern(std::string_view uuid) {
  if (auto it = ids_.find(uuid); it != ids_.end()) return it->second;
  const auto id = static_cast<uint32_t>(ids_.size());
  ids_.emplace(std::string(uuid), id);
  return id;
}

uint32_t GpuLists::Add(uint32_t contract, const std::vector<uint32_t>& ids) {
  auto last = last_by_contract_.find(contract);
  if (last != last_by_contract_.end() && lists_[last->second] == ids) return last->second;
  lists_.push_back(ids);
  const auto id = static_cast<uint32_t>(lists_.size() - 1);
  last_by_contract_[contract] = id;
  return id;
}

namespace {

constexpr int64_t kWindowSeconds = 24 * kHourSeconds;  // a whole number of hours

struct Piece {
  uint32_t gpu = 0, slot = 0;
  int64_t start = 0, end = 0;
};

class Delivery {
 public:
  Delivery(int64_t month_start, int64_t month_end, const GpuLists& lists, size_t rows)
      : month_start_(month_start), lists_(lists) {
    const auto hours = static_cast<size_t>((month_end - month_start) / kHourSeconds);
    totals_.assign(rows, {std::vector<int64_t>(hours + 1), std::vector<int64_t>(hours + 1)});
    seen_.assign(lists.gpus(), 0), shared_.assign(lists.gpus(), 0);
    owner_.assign(lists.gpus(), 0), info_.resize(lists.lists());
  }
  // `in`: the claims of one window, clipped to it.
  void Window(std::vector<RowClaim>* in);
  std::vector<HourTotals> Take() { return std::move(totals_); }

 private:
  // What a list holds in this window: how many of its GPUs no other row lists, and the
  // GPUs that another row lists too.
  struct ListInfo {
    uint32_t stamp = 0;
    int64_t own = 0;
    std::vector<uint32_t> shared;
  };
  void MarkShared(const std::vector<RowClaim>& in);
  const ListInfo& Info(uint32_t list);
  void AddSegment(uint32_t slot, int64_t start, int64_t end, int64_t gpus);
  void SweepGpu(const Piece* begin, const Piece* end);
  bool Shared(uint32_t gpu) const { return shared_[gpu] == stamp_; }

  int64_t month_start_;
  const GpuLists& lists_;
  std::vector<HourTotals> totals_;
  uint32_t stamp_ = 0;  // this window's marks in seen_ and shared_
  std::vector<uint32_t> seen_, shared_, owner_;
  std::vector<ListInfo> info_;
  std::vector<Piece> pieces_;
};

void Delivery::AddSegment(uint32_t slot, int64_t start, int64_t end, int64_t gpus) {
  HourTotals& h = totals_[slot];
  const int64_t first = (start - month_start_) / kHourSeconds;
  const int64_t last = (end - month_start_) / kHourSeconds;  // the hour `end` falls in
  const auto at = [](int64_t hour) { return static_cast<size_t>(hour); };
  if (first == last) {
    h.partial[at(first)] += gpus * (end - start);
    return;
  }
  h.partial[at(first)] += gpus * (month_start_ + (first + 1) * kHourSeconds - start);
  h.whole_diff[at(first + 1)] += gpus;
  h.whole_diff[at(last)] -= gpus;
  h.partial[at(last)] += gpus * (end - (month_start_ + last * kHourSeconds));
}

void Delivery::MarkShared(const std::vector<RowClaim>& in) {
  ++stamp_;
  std::vector<std::pair<uint32_t, uint32_t>> lists;  // (slot, list): few distinct
  for (const RowClaim& c : in) lists.emplace_back(c.slot, c.list);
  std::sort(lists.begin(), lists.end());
  lists.erase(std::unique(lists.begin(), lists.end()), lists.end());
  for (const auto& [slot, list] : lists) {
    for (uint32_t g : lists_.List(list)) {
      if (seen_[g] != stamp_) {
        seen_[g] = stamp_, owner_[g] = slot;
      } else if (owner_[g] != slot) {
        shared_[g] = stamp_;
      }
    }
  }
}

const Delivery::ListInfo& Delivery::Info(uint32_t list) {
  ListInfo& info = info_[list];
  if (info.stamp == stamp_) return info;
  info.stamp = stamp_, info.own = 0, info.shared.clear();
  for (uint32_t g : lists_.List(list)) {
    if (Shared(g)) {
      info.shared.push_back(g);
    } else {
      ++info.own;
    }
  }
  return info;
}

void Delivery::Window(std::vector<RowClaim>* in) {
  MarkShared(*in);
  std::sort(in->begin(), in->end(), [](const RowClaim& a, const RowClaim& b) {
    return a.slot != b.slot ? a.slot < b.slot : a.start < b.start;
  });
  pieces_.clear();
  for (size_t i = 0; i < in->size();) {
    size_t j = i;
    bool disjoint = true;
    for (int64_t reach = INT64_MIN; j < in->size() && (*in)[j].slot == (*in)[i].slot; ++j) {
      disjoint = disjoint && (*in)[j].start >= reach;
      reach = std::max(reach, (*in)[j].end);
    }
    for (size_t k = i; k < j; ++k) {
      const RowClaim& c = (*in)[k];
      const ListInfo& info = Info(c.list);
      // Disjoint claims: every GPU-second of a GPU no other row lists counts once.
      if (disjoint && info.own > 0) AddSegment(c.slot, c.start, c.end, info.own);
      for (uint32_t g : lists_.List(c.list)) {
        if (!disjoint && !Shared(g)) pieces_.push_back({g, c.slot, c.start, c.end});
      }
      for (uint32_t g : info.shared) pieces_.push_back({g, c.slot, c.start, c.end});
    }
    i = j;
  }
  std::sort(pieces_.begin(), pieces_.end(), [](const Piece& a, const Piece& b) {
    return a.gpu != b.gpu ? a.gpu < b.gpu : a.start < b.start;
  });
  for (size_t i = 0; i < pieces_.size();) {
    size_t j = i;
    while (j < pieces_.size() && pieces_[j].gpu == pieces_[i].gpu) ++j;
    SweepGpu(pieces_.data() + i, pieces_.data() + j);
    i = j;
  }
}

// One GPU's pieces (sorted by start): seconds covered by exactly one row's pieces are
// delivered for it; seconds covered by two or more rows count for none.
void Delivery::SweepGpu(const Piece* begin, const Piece* end) {
  struct Edge {
    int64_t t;
    uint32_t slot;
    int delta;
  };
  std::vector<Edge> edges;
  for (const Piece* p = begin; p != end; ++p) {
    edges.push_back({p->start, p->slot, +1});
    edges.push_back({p->end, p->slot, -1});
  }
  std::sort(edges.begin(), edges.end(), [](const Edge& a, const Edge& b) { return a.t < b.t; });
  std::vector<std::pair<uint32_t, int>> covering;  // row -> pieces covering (few rows share)
  int64_t prev = edges.front().t;
  for (size_t i = 0; i < edges.size();) {
    const int64_t t = edges[i].t;
    if (t > prev && covering.size() == 1) AddSegment(covering.front().first, prev, t, 1);
    for (; i < edges.size() && edges[i].t == t; ++i) {
      auto it = std::find_if(covering.begin(), covering.end(),
                             [&](const auto& c) { return c.first == edges[i].slot; });
      if (it == covering.end()) it = covering.insert(covering.end(), {edges[i].slot, 0});
      if ((it->second += edges[i].delta) == 0) covering.erase(it);
    }
    prev = t;
  }
}

}  // namespace

std::vector<HourTotals> Deliver(int64_t month_start, int64_t month_end,
                                std::vector<RowClaim> claims, const GpuLists& lists, size_t rows) {
  Delivery delivery(month_start, month_end, lists, rows);
  std::sort(claims.begin(), claims.end(),
            [](const RowClaim& a, const RowClaim& b) { return a.start < b.start; });
  std::vector<const RowClaim*> active;
  std::vector<RowClaim> in;
  size_t next = 0;
  for (int64_t ws = month_start; ws < month_end; ws += kWindowSeconds) {
    const int64_t we = std::min(ws + kWindowSeconds, month_end);
    for (; next < claims.size() && claims[next].start < we; ++next) active.push_back(&claims[next]);
    std::erase_if(active, [&](const RowClaim* c) { return c->end <= ws; });
    in.clear();
    for (const RowClaim* c : active) {
      in.push_back({c->slot, c->list, std::max(c->start, ws), std::min(c->end, we)});
    }
    delivery.Window(&in);
  }
  return delivery.Take();
}

}  // namespace gpuledger::verify
