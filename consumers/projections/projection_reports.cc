// Reading the projections: settlement, usage and anomaly rows of a month (spec sections
// 5-8). Reads only; the caller catches up first.
#include <algorithm>
#include <map>
#include <tuple>

#include "consumers/projections/projection_apply.h"
#include "consumers/projections/projection_format.h"
#include "consumers/projections/projection_impl.h"
#include "consumers/projections/projection_read.h"
#include "gpuledger/projections.h"

namespace gpuledger {
namespace {

using proj::Reader;
using proj::Store;

SettlementFigures Money(const proj::Figures& f, const proj::ContractRec& terms) {
  SettlementFigures m;
  m.committed_gpu_seconds = f.committed;
  m.delivered_gpu_seconds = f.delivered;
  m.payable_gpu_seconds = f.payable;
  m.shortfall_gpu_seconds = f.shortfall;
  // Floors of non-negative quantities: integer division truncates, which is the floor here.
  m.capacity_amount_krw = Krw{f.payable} * terms.price_krw_per_gpu_hour / proj::kHourSeconds;
  m.penalty_krw = Krw{f.shortfall} * terms.penalty_krw_per_gpu_hour / proj::kHourSeconds;
  m.net_krw = m.capacity_amount_krw - m.penalty_krw;
  return m;
}

ContractTerms Terms(const proj::ContractRec& c) {
  return ContractTerms{c.contract_id,
                       c.csp_id,
                       c.programme,
                       c.gpu_model,
                       c.committed_gpus,
                       c.period_start,
                       c.period_end,
                       c.price_krw_per_gpu_hour,
                       c.penalty_krw_per_gpu_hour};
}

Status CurrentRows(const Store& store, std::string_view month, int64_t ms, int64_t me,
                   std::map<std::string, SettlementRow>* rows) {
  auto live = proj::LiveInstances(store, proj::kTagLiveContract);
  if (!live.ok()) return live.status();
  for (const auto& [contract_id, inst] : live.value()) {
    proj::ContractRec c;
    bool found = false;
    if (Status s = proj::ReadRecord(store, proj::IndexKey(proj::kTagContract, inst), &c, &found);
        !s.ok())
      return s;
    if (!found) return Status::Corruption("projections: live contract " + contract_id);
    if (c.period_end <= ms || c.period_start >= me) continue;
    auto figures = proj::StoredFigures(store, inst, c, month);
    if (!figures.ok()) return figures.status();
    SettlementRow& row = (*rows)[contract_id];
    row.contract_id = contract_id, row.csp_id = c.csp_id, row.month = std::string(month);
    row.terms = Terms(c);
    row.current = Money(figures.value(), c);
  }
  return Status::Ok();
}

Status FrozenRows(const Store& store, std::string_view month,
                  std::map<std::string, SettlementRow>* rows) {
  proj::CloseRec close;
  bool closed = false;
  Status s = proj::ReadRecord(store, proj::NameKey(proj::kTagClosed, month), &close, &closed);
  if (!s.ok() || !closed) return s;
  std::string bad;
  const std::string prefix = proj::MonthNameKey(proj::kTagFrozen, month, "");
  s = store.ScanPrefix(prefix, [&](auto key, auto value) {
    proj::FrozenRec frozen;
    if (!proj::Decode(value, &frozen)) bad = HexOf(key);
    SettlementRow& row = (*rows)[std::string(key.substr(prefix.size()))];
    if (row.contract_id.empty()) {  // not active now: its current side is zero
      row.contract_id = frozen.terms.contract_id, row.csp_id = frozen.terms.csp_id;
      row.month = std::string(month), row.terms = Terms(frozen.terms);
    }
    row.frozen = Money(frozen.figures, frozen.terms);
    return bad.empty();
  });
  if (!s.ok()) return s;
  if (!bad.empty()) return Status::Corruption("projections: frozen record " + bad);
  for (auto& [id, row] : *rows) {
    row.closed = true;
    row.adjustment = row.current - row.frozen;
    row.closed_at_tree_size = close.index;
    std::copy(close.root.begin(), close.root.end(), row.closed_at_root.begin());
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<SettlementRow>> Projections::Settlement(std::string_view month) const {
  auto bounds = SettlementMonthBounds(month);
  if (!bounds.ok()) return bounds.status();
  std::map<std::string, SettlementRow> rows;
  const Store& store = *impl_->store;
  if (Status s = CurrentRows(store, month, bounds->first, bounds->second, &rows); !s.ok()) return s;
  if (Status s = FrozenRows(store, month, &rows); !s.ok()) return s;
  std::vector<SettlementRow> out;
  for (auto& [id, row] : rows) out.push_back(std::move(row));
  return out;
}

Result<bool> Projections::IsClosed(std::string_view month) const {
  auto v = impl_->store->Get(proj::NameKey(proj::kTagClosed, month));
  if (!v.ok()) return v.status();
  return v.value().has_value();
}

Result<std::vector<UsageRow>> Projections::Usage(std::string_view month) const {
  auto bounds = SettlementMonthBounds(month);
  if (!bounds.ok()) return bounds.status();
  const auto [ms, me] = bounds.value();
  const Store& store = *impl_->store;
  auto live = proj::LiveInstances(store, proj::kTagLiveAlloc);
  if (!live.ok()) return live.status();
  std::vector<UsageRow> out;
  for (const auto& [allocation_id, inst] : live.value()) {
    proj::AllocationRec a;
    bool found = false;
    Status s = proj::ReadRecord(store, proj::IndexKey(proj::kTagAllocation, inst), &a, &found);
    if (!s.ok()) return s;
    if (!found) return Status::Corruption("projections: live allocation " + allocation_id);
    const int64_t inside = std::min(a.window_end(), me) - std::max(a.start, ms);
    if (inside <= 0) continue;
    UsageRow row{a.allocation_id, a.contract_id, a.user_id, std::string(month), a.gpus * inside, 0};
    auto v = store.Get(proj::MonthKey(proj::kTagUsed, inst, month));
    if (!v.ok()) return v.status();
    if (v.value() && !proj::DecodeI64(*v.value(), &row.used_gpu_seconds)) {
      return Status::Corruption("projections: used record of " + allocation_id);
    }
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace gpuledger
