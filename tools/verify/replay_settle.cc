// The settlement of spec sections 5 and 7, recomputed from capacity reports
// (SettlementReplay::Settle, replay.h).
//
// Memory: one pass over the source keeps, of each capacity report that counts for some
// wanted (month, prefix), its contract, clipped interval, GPU list and a bit per want; GPU
// UUIDs are interned and a contract's repeated list is stored once. Each want's delivered
// seconds are then computed by replay_deliver.cc, a day of the month at a time.
#include <flatbuffers/flatbuffers.h>

#include <algorithm>

#include "schemas/event_generated.h"
#include "tools/verify/replay.h"
#include "tools/verify/replay_deliver.h"
#include "tools/verify/replay_state.h"

namespace gpuledger::verify {
namespace {

constexpr size_t kWantsPerPass = 64;  // one bit each in Claim::wants

using State = SettlementReplay::State;
using Want = SettlementReplay::Want;

// A capacity report as it counts: its interval clipped to its contract's period.
struct Claim {
  uint32_t contract = 0, list = 0;
  int64_t start = 0, end = 0;
  uint64_t wants = 0;  // bit w: live at want w's prefix and inside its month
};

struct Plan {
  Want want;
  int64_t month_start = 0, month_end = 0;
};

// Whether report `index` (void index `voided_at`, contract `c`, clipped [start, end))
// counts for `plan`: it and its contract are live at the prefix, and it meets the month.
bool Counts(const Plan& plan, uint64_t index, uint64_t voided_at, const ContractInstance& c,
            int64_t start, int64_t end) {
  const uint64_t prefix = plan.want.prefix_size;
  return index < prefix && voided_at >= prefix && c.LiveAt(prefix) && start < plan.month_end &&
         end > plan.month_start;
}

Status CollectClaims(const State& st, const EventSource& source, const std::vector<Plan>& plans,
                     GpuLists* lists, std::vector<Claim>* claims) {
  uint64_t seen = 0;
  std::vector<uint32_t> ids;
  Status s = source([&](uint64_t index, const fb::Event& event) -> Status {
    if (index != seen++ || index >= st.size) {
      return Status::Corruption("entry " + std::to_string(index) +
                                ": not the entries Load was shown");
    }
    if (event.data_type() != fb::Payload::CapacityReported) return Status::Ok();
    const auto* d = event.data_as_CapacityReported();
    // The contract it was sent for: the latest registration of its id before it.
    const auto pos = st.ContractBefore(View(d->contract_id()), index);
    if (!pos) return Status::Ok();
    const ContractInstance& c = st.contracts[*pos];
    const int64_t start = std::max(d->interval_start(), c.period_start);
    const int64_t end = std::min(d->interval_end(), c.period_end);
    if (start >= end) return Status::Ok();
    const uint64_t voided_at =
        st.voided.empty() ? kNeverVoided
                          : st.VoidIndexOf(EventKey(View(event.source()), View(event.id())));
    uint64_t wants = 0;
    for (size_t w = 0; w < plans.size(); ++w) {
      if (Counts(plans[w], index, voided_at, c, start, end)) wants |= uint64_t{1} << w;
    }
    if (wants == 0) return Status::Ok();
    ids.clear();
    if (d->gpu_uuids() != nullptr) {
      for (const flatbuffers::String* u : *d->gpu_uuids()) ids.push_back(lists->Intern(View(u)));
    }
    claims->push_back({*pos, lists->Add(*pos, ids), start, end, wants});
    return Status::Ok();
  });
  if (s.ok() && seen != st.size) {
    return Status::Corruption("the source gave " + std::to_string(seen) + " entries, Load saw " +
                              std::to_string(st.size));
  }
  return s;
}

// The seven figures of contract `c` in `plan`'s month from its hour totals.
Figures FiguresOf(const ContractInstance& c, const Plan& plan, const HourTotals& h) {
  const int64_t ms = plan.month_start;
  const int64_t first = (std::max(ms, c.period_start) - ms) / kHourSeconds;
  const int64_t last = (std::min(plan.month_end, c.period_end) - ms) / kHourSeconds;
  const int64_t committed_per_hour = c.committed_gpus * kHourSeconds;
  Figures f;
  int64_t whole = 0;
  for (int64_t hour = 0; hour < last; ++hour) {
    whole += h.whole_diff[static_cast<size_t>(hour)];
    if (hour < first) continue;
    const int64_t delivered = h.DeliveredIn(static_cast<size_t>(hour), whole);
    f.committed_gpu_seconds += committed_per_hour;
    f.delivered_gpu_seconds += delivered;
    f.payable_gpu_seconds += std::min(delivered, committed_per_hour);
    f.shortfall_gpu_seconds += std::max<int64_t>(0, committed_per_hour - delivered);
  }
  // Both factors are >= 0, so truncating division is the floor.
  f.capacity_amount_krw = Krw{f.payable_gpu_seconds} * c.price_krw_per_gpu_hour / kHourSeconds;
  f.penalty_krw = Krw{f.shortfall_gpu_seconds} * c.penalty_krw_per_gpu_hour / kHourSeconds;
  f.net_krw = f.capacity_amount_krw - f.penalty_krw;
  return f;
}

std::vector<StatementRow> SettleOne(const State& st, const Plan& plan, uint64_t bit,
                                    const std::vector<Claim>& claims, const GpuLists& lists) {
  // Rows: the contracts live at the prefix whose period meets the month, by contract_id.
  std::vector<uint32_t> row_contracts;
  for (uint32_t pos = 0; pos < st.contracts.size(); ++pos) {
    const ContractInstance& c = st.contracts[pos];
    if (c.LiveAt(plan.want.prefix_size) && c.period_start < plan.month_end &&
        c.period_end > plan.month_start) {
      row_contracts.push_back(pos);
    }
  }
  std::sort(row_contracts.begin(), row_contracts.end(), [&](uint32_t a, uint32_t b) {
    return st.contracts[a].contract_id < st.contracts[b].contract_id;
  });
  std::vector<int32_t> slot_of(st.contracts.size(), -1);
  for (size_t i = 0; i < row_contracts.size(); ++i) {
    slot_of[row_contracts[i]] = static_cast<int32_t>(i);
  }
  std::vector<RowClaim> in_month;
  for (const Claim& c : claims) {
    if ((c.wants & bit) == 0) continue;
    in_month.push_back({static_cast<uint32_t>(slot_of[c.contract]), c.list,
                        std::max(c.start, plan.month_start), std::min(c.end, plan.month_end)});
  }
  const std::vector<HourTotals> totals =
      Deliver(plan.month_start, plan.month_end, std::move(in_month), lists, row_contracts.size());
  std::vector<StatementRow> rows;
  for (size_t i = 0; i < row_contracts.size(); ++i) {
    const ContractInstance& c = st.contracts[row_contracts[i]];
    rows.push_back({c.contract_id, c.csp_id, FiguresOf(c, plan, totals[i])});
  }
  return rows;
}

}  // namespace

Result<std::map<Want, std::vector<StatementRow>>> SettlementReplay::Settle(
    const EventSource& source, const std::vector<Want>& wants) const {
  const State& st = *state_;
  std::vector<Plan> all;
  for (const Want& want : std::set<Want>(wants.begin(), wants.end())) {
    Plan plan{want};
    if (!MonthBounds(want.month, &plan.month_start, &plan.month_end)) {
      return Status::InvalidArgument("not a month: " + want.month);
    }
    if (want.prefix_size > st.size) {
      return Status::InvalidArgument("prefix " + std::to_string(want.prefix_size) +
                                     " is beyond the " + std::to_string(st.size) + " entries");
    }
    all.push_back(std::move(plan));
  }
  std::map<Want, std::vector<StatementRow>> out;
  // At most 64 wants a pass (one bit each); more wants read the source again.
  for (size_t first = 0; first < all.size(); first += kWantsPerPass) {
    const std::vector<Plan> plans(
        all.begin() + static_cast<long>(first),
        all.begin() + static_cast<long>(std::min(all.size(), first + kWantsPerPass)));
    GpuLists lists;
    std::vector<Claim> claims;
    Status s = CollectClaims(st, source, plans, &lists, &claims);
    if (!s.ok()) return s;
    for (size_t w = 0; w < plans.size(); ++w) {
      out[plans[w].want] = SettleOne(st, plans[w], uint64_t{1} << w, claims, lists);
    }
  }
  return out;
}

}  // namespace gpuledger::verify
