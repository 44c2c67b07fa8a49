// `report anomalies`: the stored rows of section 6, and gpu_double_claimed rows assembled
// from the per-hour double-claim segments into maximal contiguous ranges.
#include <algorithm>
#include <map>
#include <tuple>
#include <unordered_map>

#include "consumers/projections/projection_apply.h"
#include "consumers/projections/projection_format.h"
#include "consumers/projections/projection_impl.h"
#include "consumers/projections/projection_read.h"
#include "gpuledger/projections.h"

namespace gpuledger {
namespace {

using proj::DoubleSegment;
using proj::Reader;
using proj::Store;

// gpu, contract instance, contract instance -> a maximal range and its last event.
using DoubleId = std::tuple<std::string, uint64_t, uint64_t>;

Status AddSegments(std::string_view key, std::string_view value,
                   std::map<DoubleId, std::vector<DoubleSegment>>* ranges) {
  Reader r(key.substr(proj::kIndexKeyBytes));
  std::string gpu(r.Str());
  const uint64_t c1 = r.U64(), c2 = r.U64();
  std::vector<DoubleSegment> segs;
  if (!r.Done() || !proj::Decode(value, &segs)) {
    return Status::Corruption("projections: double-claim record " + HexOf(key));
  }
  auto& out = (*ranges)[{gpu, c1, c2}];
  for (const DoubleSegment& seg : segs) {
    if (!out.empty() && out.back().end == seg.start) {
      out.back().end = seg.end;
      out.back().last_index = std::max(out.back().last_index, seg.last_index);
    } else {
      out.push_back(seg);
    }
  }
  return Status::Ok();
}

// Extends a range that touches a month's edge into the hours beyond it (`step` -1 or +1).
Status Extend(const Store& store, const DoubleId& id, DoubleSegment* range, int step) {
  const auto& [gpu, c1, c2] = id;
  for (;;) {
    const int64_t hour = step < 0 ? range->start - proj::kHourSeconds : range->end;
    if (step < 0 ? range->start != proj::HourOf(range->start)
                 : range->end != proj::HourOf(range->end))
      return Status::Ok();
    auto v = store.Get(proj::DoubleKey(hour, gpu, c1, c2));
    if (!v.ok()) return v.status();
    std::vector<DoubleSegment> segs;
    if (!v.value()) return Status::Ok();
    if (!proj::Decode(*v.value(), &segs) || segs.empty()) {
      return Status::Corruption("projections: double-claim record");
    }
    const DoubleSegment& edge = step < 0 ? segs.back() : segs.front();
    if (step < 0 ? edge.end != range->start : edge.start != range->end) return Status::Ok();
    if (step < 0) range->start = edge.start;
    if (step > 0) range->end = edge.end;
    range->last_index = std::max(range->last_index, edge.last_index);
  }
}

Result<std::string> ContractIdOf(const Store& store, uint64_t inst) {
  proj::ContractRec c;
  bool found = false;
  Status s = proj::ReadRecord(store, proj::IndexKey(proj::kTagContract, inst), &c, &found);
  if (!s.ok()) return s;
  if (!found) return Status::Corruption("projections: contract " + std::to_string(inst));
  return c.contract_id;
}

Status DoubleRows(const Store& store, std::string_view month, std::vector<AnomalyRow>* rows) {
  int64_t ms = 0, me = 0;
  const bool one_month = !month.empty() && proj::MonthBounds(month, &ms, &me);
  std::map<DoubleId, std::vector<DoubleSegment>> ranges;
  Status failed;
  auto add = [&](std::string_view key, std::string_view value) {
    failed = AddSegments(key, value, &ranges);
    return failed.ok();
  };
  Status s = one_month ? store.Scan(proj::HourPrefix(proj::kTagDouble, ms),
                                    proj::HourPrefix(proj::kTagDouble, me), add)
                       : store.ScanPrefix(std::string(1, proj::kTagDouble), add);
  if (!s.ok()) return s;
  if (!failed.ok()) return failed;
  for (auto& [id, segs] : ranges) {
    auto a = ContractIdOf(store, std::get<1>(id));
    auto b = ContractIdOf(store, std::get<2>(id));
    if (!a.ok()) return a.status();
    if (!b.ok()) return b.status();
    for (DoubleSegment& range : segs) {
      if (one_month && range.start == ms) s = Extend(store, id, &range, -1);
      if (s.ok() && one_month && range.end == me) s = Extend(store, id, &range, +1);
      if (!s.ok()) return s;
      AnomalyRow row;
      row.kind = std::string(proj::AnomalyKindName(proj::AnomalyKind::kGpuDoubleClaimed));
      row.event_index = range.last_index;
      row.contract_ids = {a.value(), b.value()};
      std::sort(row.contract_ids.begin(), row.contract_ids.end());
      row.gpu_uuid = std::get<0>(id);
      row.start = range.start, row.end = range.end;
      rows->push_back(std::move(row));
    }
  }
  return Status::Ok();
}

AnomalyRow FromStored(uint64_t index, const proj::AnomalyRec& rec) {
  using proj::AnomalyKind;
  AnomalyRow row;
  row.kind = std::string(proj::AnomalyKindName(rec.kind));
  row.event_index = index;
  row.allocation_id = rec.allocation_id, row.contract_id = rec.contract_id;
  row.month = rec.month;
  if (rec.kind != AnomalyKind::kLateForClosedPeriod) row.start = rec.start, row.end = rec.end;
  if (rec.kind == AnomalyKind::kUsageOverReported) {
    row.gpu_seconds = rec.gpu_seconds, row.max_gpu_seconds = rec.max_gpu_seconds;
  }
  if (rec.kind == AnomalyKind::kUsageOutsideAllocation) {
    row.window_start = rec.window_start, row.window_end = rec.window_end;
  }
  return row;
}

Status StoredRows(const Store& store, std::string_view month, std::vector<AnomalyRow>* rows,
                  std::vector<uint64_t>* others) {
  std::vector<std::string> keys;  // 'y' keys of the month, read after the scan
  std::string bad;
  auto take = [&](std::string_view key, std::string_view value) {
    proj::AnomalyRec rec;
    if (key.size() != proj::kAnomalyKeyBytes || !proj::Decode(value, &rec)) {
      bad = HexOf(key);
      return false;
    }
    rows->push_back(FromStored(Reader(key.substr(1)).U64(), rec));
    others->push_back(rec.other_index);
    return true;
  };
  Status s;
  if (month.empty()) {
    s = store.ScanPrefix(std::string(1, proj::kTagAnomaly), take);
  } else {
    const std::string prefix = std::string(1, proj::kTagAnomalyMonth).append(month);
    s = store.ScanPrefix(prefix, [&](auto key, auto) {
      keys.emplace_back(key.substr(prefix.size()));
      return true;
    });
    for (size_t i = 0; s.ok() && bad.empty() && i < keys.size(); ++i) {
      auto v = store.Get(keys[i]);
      if (!v.ok()) return v.status();
      if (!v.value()) return Status::Corruption("projections: anomaly " + HexOf(keys[i]));
      take(keys[i], *v.value());
    }
  }
  if (!s.ok()) return s;
  if (!bad.empty()) return Status::Corruption("projections: anomaly record " + bad);
  return Status::Ok();
}

// Fills event_id and source (and other_event_id) from the ledger's entries.
Status Resolve(const Ledger& ledger, std::vector<AnomalyRow>* rows,
               const std::vector<uint64_t>& others) {
  std::unordered_map<uint64_t, std::pair<std::string, std::string>> cache;
  auto lookup = [&](uint64_t index) -> Result<std::pair<std::string, std::string>> {
    auto it = cache.find(index);
    if (it != cache.end()) return it->second;
    auto entry = ledger.ReadEntry(index);
    if (!entry.ok()) return entry.status();
    return cache[index] = {entry->id, entry->source};
  };
  for (size_t i = 0; i < rows->size(); ++i) {
    AnomalyRow& row = (*rows)[i];
    auto own = lookup(row.event_index);
    if (!own.ok()) return own.status();
    row.event_id = own->first, row.source = own->second;
    if (i < others.size() && others[i] != UINT64_MAX) {
      auto other = lookup(others[i]);
      if (!other.ok()) return other.status();
      row.other_event_id = other->first;
    }
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<AnomalyRow>> Projections::Anomalies(const Ledger& ledger,
                                                       std::string_view month) const {
  if (!month.empty()) {
    auto bounds = SettlementMonthBounds(month);
    if (!bounds.ok()) return bounds.status();
  }
  std::vector<AnomalyRow> rows;
  std::vector<uint64_t> others;
  if (Status s = StoredRows(*impl_->store, month, &rows, &others); !s.ok()) return s;
  if (Status s = DoubleRows(*impl_->store, month, &rows); !s.ok()) return s;
  if (Status s = Resolve(ledger, &rows, others); !s.ok()) return s;
  auto order = [](const AnomalyRow& r) {
    return std::tie(r.event_id, r.source, r.kind, r.event_index, r.start, r.end, r.other_event_id,
                    r.gpu_uuid, r.contract_ids, r.month);
  };
  std::sort(rows.begin(), rows.end(),
            [&](const AnomalyRow& a, const AnomalyRow& b) { return order(a) < order(b); });
  return rows;
}

}  // namespace gpuledger
