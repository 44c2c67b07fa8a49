#include "consumers/projections/projection_read.h"

#include <algorithm>

#include "consumers/projections/projection_apply.h"  // MonthBounds

namespace gpuledger::proj {

Result<std::vector<std::pair<std::string, uint64_t>>> LiveInstances(const Store& store, char tag) {
  std::vector<std::pair<std::string, uint64_t>> out;
  bool bad = false;
  Status s = store.ScanPrefix(std::string(1, tag), [&](auto key, auto value) {
    Reader r(value);
    out.emplace_back(std::string(key.substr(1)), r.U64());
    bad = !r.Done();
    return !bad;
  });
  if (!s.ok()) return s;
  if (bad) return Status::Corruption("projections: live instance of " + out.back().first);
  return out;
}

Result<Figures> StoredFigures(const Store& store, uint64_t inst, const ContractRec& c,
                              std::string_view month) {
  int64_t month_start = 0, month_end = 0;
  if (!MonthBounds(month, &month_start, &month_end)) {
    return Status::InvalidArgument("not a month: " + std::string(month));
  }
  MonthSums sums;
  bool found = false;
  Status s = ReadRecord(store, MonthKey(kTagMonthSums, inst, month), &sums, &found);
  if (!s.ok()) return s;
  const int64_t inside = std::max<int64_t>(
      0, std::min(c.period_end, month_end) - std::max(c.period_start, month_start));
  Figures f;
  f.committed = c.committed_gpus * inside;  // whole hours: committed_gpus x 3600 per hour
  f.delivered = sums.delivered;
  f.payable = sums.payable;
  f.shortfall = f.committed - f.payable;
  return f;
}

}  // namespace gpuledger::proj
