// Closing a month (spec section 7): every live contract active in the month has its figures
// frozen as computed from the entries before the close, with the close's index (the size of
// that ledger prefix) and the prefix's Merkle root, so anyone can recompute them.
#include <algorithm>
#include <vector>

#include "consumers/projections/projection_apply.h"
#include "consumers/projections/projection_read.h"
#include "schemas/event_generated.h"

namespace gpuledger::proj {

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
  auto live = LiveInstances(*store_, kTagLiveContract);
  if (!live.ok()) return live.status();
  for (const auto& [contract_id, inst] : live.value()) {
    FrozenRec frozen;
    if (Status r = Read(IndexKey(kTagContract, inst), &frozen.terms); !r.ok()) return r;
    if (frozen.terms.period_end <= month_start || frozen.terms.period_start >= month_end) continue;
    auto figures = StoredFigures(*store_, inst, frozen.terms, month);
    if (!figures.ok()) return figures.status();
    frozen.figures = figures.value();
    store_->Put(MonthNameKey(kTagFrozen, month, contract_id), Encode(frozen));
  }
  closed_[month] = index;
  return Status::Ok();  // a close has no footprint: it is never late itself
}

}  // namespace gpuledger::proj
