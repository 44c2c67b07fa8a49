// Usage per allocation and month (spec section 5) and the usage anomalies of section 6.
#include <algorithm>
#include <map>
#include <vector>

#include "consumers/projections/projection_apply.h"
#include "gpuledger/projections.h"

namespace gpuledger::proj {
namespace {

// floor(min(gpu_seconds, gpus x L) x I / L): L the interval's length, I its seconds inside
// the active window. 128-bit: gpu_seconds x I can exceed 64 bits under the intake's bounds.
int64_t UsedSeconds(const AllocationRec& a, int64_t start, int64_t end, int64_t gpu_seconds) {
  const int64_t length = end - start;
  const int64_t inside = std::min(end, a.window_end()) - std::max(start, a.start);
  if (length <= 0 || inside <= 0) return 0;
  const Krw capped = std::min<Krw>(gpu_seconds, Krw{a.gpus} * length);
  return static_cast<int64_t>(capped * inside / length);
}

struct UsageItem {
  uint64_t index = 0;
  int64_t start = 0;
  UsageRec rec;
};

// The allocation's usage records with keys in [lower, upper), in (start, index) order.
Status ScanUsage(const Store& store, const std::string& lower, const std::string& upper,
                 std::vector<UsageItem>* out) {
  std::string bad;
  Status s = store.Scan(lower, upper, [&](auto key, auto value) {
    UsageItem item;
    Reader r(key.substr(kIndexKeyBytes));
    item.start = r.I64(), item.index = r.U64();
    if (!r.Done() || !Decode(value, &item.rec)) bad = HexOf(key);
    out->push_back(item);
    return bad.empty();
  });
  if (!s.ok()) return s;
  if (!bad.empty()) return Status::Corruption("projections: usage record " + bad);
  return Status::Ok();
}

}  // namespace

Status Applier::AddUsed(const AllocationRec& alloc, uint64_t alloc_inst, int64_t start, int64_t end,
                        int64_t gpu_seconds, int sign) {
  const int64_t used = UsedSeconds(alloc, start, end, gpu_seconds);
  if (used == 0) return Status::Ok();
  const std::string key = MonthKey(kTagUsed, alloc_inst, MonthOf(start));
  int64_t sum = 0;
  auto v = store_->Get(key);
  if (!v.ok()) return v.status();
  if (v.value() && !DecodeI64(*v.value(), &sum)) {
    return Status::Corruption("projections: used record " + HexOf(key));
  }
  sum += sign * used;
  if (sum == 0) {
    store_->Delete(key);  // absent means zero (batching-independent state)
  } else {
    store_->Put(key, EncodeI64(sum));
  }
  return Status::Ok();
}

Status Applier::OutsideRow(uint64_t index, const AllocationRec& a, int64_t start, int64_t end) {
  if (start >= a.start && end <= a.window_end()) return Status::Ok();
  AnomalyRec row;
  row.kind = AnomalyKind::kUsageOutsideAllocation;
  row.allocation_id = a.allocation_id, row.contract_id = a.contract_id;
  row.start = start, row.end = end;
  row.window_start = a.start, row.window_end = a.window_end();
  return PutAnomaly(index, row, 0);
}

Status Applier::UsageAnomalies(uint64_t index, const AllocationRec& a, uint64_t alloc_inst,
                               int64_t start, int64_t end, int64_t gpu_seconds) {
  const Krw max_gpu_seconds = Krw{a.gpus} * (end - start);
  if (gpu_seconds > max_gpu_seconds) {
    AnomalyRec row;
    row.kind = AnomalyKind::kUsageOverReported;
    row.allocation_id = a.allocation_id, row.contract_id = a.contract_id;
    row.start = start, row.end = end, row.gpu_seconds = gpu_seconds;
    row.max_gpu_seconds = static_cast<int64_t>(max_gpu_seconds);
    if (Status s = PutAnomaly(index, row, 0); !s.ok()) return s;
  }
  if (Status s = OutsideRow(index, a, start, end); !s.ok()) return s;
  // Earlier usage of the allocation overlapping this one: a usage interval lasts at most an
  // hour (it ends by the next whole hour), so they start at most an hour before.
  std::vector<UsageItem> nearby;
  Status s = ScanUsage(*store_, UsagePrefix(alloc_inst, start - kHourSeconds),
                       UsagePrefix(alloc_inst, end), &nearby);
  if (!s.ok()) return s;
  for (const UsageItem& other : nearby) {
    if (other.rec.end <= start) continue;
    AnomalyRec row;
    row.kind = AnomalyKind::kUsageOverlap;
    row.other_index = other.index;
    row.allocation_id = a.allocation_id, row.contract_id = a.contract_id;
    row.start = std::max(start, other.start), row.end = std::min(end, other.rec.end);
    if (Status p = PutAnomaly(index, row, other.index); !p.ok()) return p;
  }
  return Status::Ok();
}

Status Applier::RecomputeAllocation(uint64_t alloc_inst) {
  AllocationRec a;
  if (Status s = Read(IndexKey(kTagAllocation, alloc_inst), &a); !s.ok()) return s;
  std::vector<UsageItem> items;
  const std::string prefix = IndexKey(kTagUsage, alloc_inst);
  Status s = ScanUsage(*store_, prefix, PrefixEnd(prefix), &items);
  if (!s.ok()) return s;
  std::vector<std::string> old_used;
  s = store_->ScanPrefix(IndexKey(kTagUsed, alloc_inst), [&](auto key, auto) {
    old_used.emplace_back(key);
    return true;
  });
  if (!s.ok()) return s;
  for (const std::string& key : old_used) store_->Delete(key);
  std::map<std::string, int64_t> used;
  for (const UsageItem& item : items) {
    used[MonthOf(item.start)] += UsedSeconds(a, item.start, item.rec.end, item.rec.gpu_seconds);
    Status d = DeleteAnomaly(item.index, AnomalyKind::kUsageOutsideAllocation, 0);
    if (!d.ok()) return d;
    if (Status o = OutsideRow(item.index, a, item.start, item.rec.end); !o.ok()) return o;
  }
  for (const auto& [month, sum] : used) {
    if (sum != 0) store_->Put(MonthKey(kTagUsed, alloc_inst, month), EncodeI64(sum));
  }
  return Status::Ok();
}

}  // namespace gpuledger::proj
