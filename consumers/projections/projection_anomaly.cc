// Anomaly rows (spec section 6) and closing a month (section 7). Each row is stored once
// under its event ('y') and indexed under every month its [start, end) meets, or under
// its month for late_for_closed_period ('z'), so `report anomalies --month` reads only
// that month's rows.
#include <algorithm>
#include <vector>

#include "consumers/projections/projection_apply.h"
#include "consumers/projections/projection_read.h"
#include "gpuledger/projections.h"

namespace gpuledger::proj {
namespace {

// The months a row is listed under.
std::vector<std::string> RowMonths(const AnomalyRec& row) {
  if (row.kind == AnomalyKind::kLateForClosedPeriod) return {row.month};
  std::vector<std::string> months;
  for (int64_t t = row.start; t < row.end;) {
    std::string month = MonthOf(t);
    int64_t start = 0, end = 0;
    MonthBounds(month, &start, &end);
    months.push_back(std::move(month));
    t = end;
  }
  return months;
}

// "YYYY-MM" -> a number that orders months, for the late rows' key tail.
uint64_t MonthNumber(std::string_view month) {
  uint64_t n = 0;
  for (char ch : month) {
    if (ch != '-') n = n * 10 + static_cast<uint64_t>(ch - '0');
  }
  return n;
}

}  // namespace

Status Applier::PutAnomaly(uint64_t index, const AnomalyRec& row, uint64_t tail) {
  const std::string key = AnomalyKey(index, row.kind, tail);
  store_->Put(key, Encode(row));
  for (const std::string& month : RowMonths(row)) store_->Put(AnomalyMonthKey(month, key), "");
  return Status::Ok();
}

Status Applier::DeleteAnomaly(uint64_t index, AnomalyKind kind, uint64_t tail) {
  const std::string key = AnomalyKey(index, kind, tail);
  AnomalyRec row;
  bool found = false;
  if (Status s = ReadRecord(*store_, key, &row, &found); !s.ok() || !found) return s;
  for (const std::string& month : RowMonths(row)) store_->Delete(AnomalyMonthKey(month, key));
  store_->Delete(key);
  return Status::Ok();
}

Status Applier::DeleteAnomalies(uint64_t index) {
  std::vector<std::string> keys;
  Status s = store_->ScanPrefix(IndexKey(kTagAnomaly, index), [&](auto key, auto) {
    keys.emplace_back(key);
    return true;
  });
  if (!s.ok()) return s;
  for (const std::string& key : keys) {
    if (key.size() != kAnomalyKeyBytes) return Status::Corruption("projections: " + HexOf(key));
    Reader r(std::string_view(key).substr(kIndexKeyBytes));
    const auto kind = static_cast<AnomalyKind>(r.U8());
    if (Status d = DeleteAnomaly(index, kind, r.U64()); !d.ok()) return d;
  }
  return Status::Ok();
}

Status Applier::LateRows(uint64_t index, Footprint footprint) {
  if (footprint.start >= footprint.end || closed_.empty()) return Status::Ok();
  // Only the closed months between the footprint's first and last month: the cost does not
  // grow with the number of months closed so far.
  const auto last = closed_.upper_bound(MonthOf(footprint.end - 1));
  for (auto it = closed_.lower_bound(MonthOf(footprint.start)); it != last; ++it) {
    const auto& [month, close_index] = *it;
    if (close_index >= index) continue;
    AnomalyRec row;
    row.kind = AnomalyKind::kLateForClosedPeriod;
    row.month = month;
    if (Status s = PutAnomaly(index, row, MonthNumber(month)); !s.ok()) return s;
  }
  return Status::Ok();
}

Status Applier::DeleteLateRows(std::string_view month) {
  std::vector<std::string> keys;
  const std::string prefix = std::string(1, kTagAnomalyMonth).append(month);
  Status s = store_->ScanPrefix(prefix, [&](auto key, auto) {
    std::string_view row_key = key.substr(prefix.size());
    if (row_key.size() == kAnomalyKeyBytes &&
        static_cast<uint8_t>(row_key[kIndexKeyBytes]) ==
            static_cast<uint8_t>(AnomalyKind::kLateForClosedPeriod)) {
      keys.emplace_back(row_key);
    }
    return true;
  });
  if (!s.ok()) return s;
  for (const std::string& key : keys) {
    Reader r(key.substr(1));
    const uint64_t index = r.U64();
    r.U8();
    if (Status d = DeleteAnomaly(index, AnomalyKind::kLateForClosedPeriod, r.U64()); !d.ok()) {
      return d;
    }
  }
  return Status::Ok();
}

}  // namespace gpuledger::proj
