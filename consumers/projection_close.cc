// Closing a month (spec section 7): every live contract active in the month has its figures
// frozen as computed from the entries before the close, with the close's index (the size of
// that ledger prefix) and the prefix's Merkle root, so anyone can recompute them.
#include <algorithm>
#include <vector>

#include "consumers/projection_apply.h"
#include "schemas/event_generated.h"

namespace gpuledger::proj {

Figures MonthFigures(const ContractRec& c, const MonthSums& sums, int64_t month_start,
                     int64_t month_end) {
  const int64_t inside = std::max<int64_t>(
      0, std::min(c.period_end, month_end) - std::max(c.period_start, month_start));
  Figures f;
  f.committed = c.committed_gpus * inside;  // whole hours: committed_gpus x 3600 per hour
  f.delivered = sums.delivered;
  f.payable = sums.payable;
  f.shortfall = f.committed - f.payable;
  return f;
}

Status Applier::ApplyClose(uint64_t index, const fb::Event& event) {
  const fb::PeriodClosed* d = event.data_as_PeriodClosed();
  if (d == nullptr || d->month() == nullptr)
    return Status::Corruption("period.closed without data");
  const std::string month = d->month()->str();
  int64_t month_start = 0, month_end = 0;
  if (!MonthBounds(month, &month_start, &month_end)) {
    return Status::Corruption("period.closed of a bad month at " + std::to_string(index));
  }
  if (Status s = Flush(); !s.ok()) return s;  // the figures of every entry before the close
  auto root = ledger_->RootAt(index);
  if (!root.ok()) return root.status();
  CloseRec close{
      index, std::string(reinterpret_cast<const char*>(root.value().data()), root.value().size())};
  store_->Put(NameKey(kTagClosed, month), Encode(close));
  std::vector<uint64_t> live;
  Status s = store_->ScanPrefix(std::string(1, kTagLiveContract), [&](auto, auto value) {
    live.push_back(Reader(value).U64());
    return true;
  });
  if (!s.ok()) return s;
  for (uint64_t inst : live) {
    FrozenRec frozen;
    if (Status r = Read(IndexKey(kTagContract, inst), &frozen.terms); !r.ok()) return r;
    if (frozen.terms.period_end <= month_start || frozen.terms.period_start >= month_end) continue;
    MonthSums sums;
    auto v = store_->Get(MonthKey(kTagMonthSums, inst, month));
    if (!v.ok()) return v.status();
    if (v.value() && !Decode(*v.value(), &sums)) return Status::Corruption("projections: sums");
    frozen.figures = MonthFigures(frozen.terms, sums, month_start, month_end);
    store_->Put(MonthNameKey(kTagFrozen, month, frozen.terms.contract_id), Encode(frozen));
  }
  closed_[month] = index;
  return Status::Ok();  // a close has no footprint: it is never late itself
}

}  // namespace gpuledger::proj
