// SettlementReplay: loading the small state, closed months and what an entry touches
// (replay.h). The settlement itself is in replay_settle.cc.
#include "tools/verify/replay.h"

#include <flatbuffers/flatbuffers.h>

#include <algorithm>
#include <cstdio>

#include "ledger/audit/rfc3339.h"
#include "schemas/event_generated.h"
#include "tools/verify/replay_state.h"

namespace gpuledger::verify {
namespace {

constexpr int64_t kKstOffsetSeconds = 9 * 3600;

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Year and month of a day count since 1970-01-01 (Howard Hinnant's civil_from_days),
// written here rather than borrowed so that the verifier's month arithmetic is its own.
int64_t MonthNumberOfDays(int64_t days) {
  days += 719468;
  const int64_t era = FloorDiv(days, 146097);
  const int64_t doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return year * 12 + (month - 1);
}

Status Bad(uint64_t index, const std::string& what) {
  return Status::Corruption("entry " + std::to_string(index) + ": " + what);
}

}  // namespace

int64_t MonthNumberOf(int64_t unix_seconds) {
  return MonthNumberOfDays(FloorDiv(unix_seconds + kKstOffsetSeconds, 86400));
}

std::string MonthText(int64_t month_number) {
  char text[48];  // room for any two 64-bit numbers
  std::snprintf(text, sizeof text, "%04lld-%02lld",
                static_cast<long long>(FloorDiv(month_number, 12)),
                static_cast<long long>(month_number - FloorDiv(month_number, 12) * 12 + 1));
  return text;
}

int64_t MonthStart(int64_t month_number) {
  const int64_t year = FloorDiv(month_number, 12);
  const auto month = static_cast<unsigned>(month_number - year * 12 + 1);
  return DaysFromCivil(year, month, 1) * 86400 - kKstOffsetSeconds;
}

// A tamper report names at most this many months of one footprint: a forged entry may
// claim a period of millions of years.
constexpr int64_t kFootprintMonthsMax = 1200;

void AddMonths(int64_t start, int64_t end, std::set<std::string>* months) {
  if (start >= end) return;
  const int64_t first = MonthNumberOf(start);
  const int64_t last = std::min(MonthNumberOf(end - 1), first + kFootprintMonthsMax - 1);
  for (int64_t m = first; m <= last; ++m) {
    months->insert(MonthText(m));
  }
}

bool MonthBounds(std::string_view month, int64_t* start, int64_t* end) {
  if (month.size() != 7 || month[4] != '-') return false;
  int64_t year = 0, mon = 0;
  for (size_t i : {0, 1, 2, 3, 5, 6}) {
    if (month[i] < '0' || month[i] > '9') return false;
    (i < 4 ? year : mon) = (i < 4 ? year : mon) * 10 + (month[i] - '0');
  }
  if (mon < 1 || mon > 12) return false;
  const int64_t number = year * 12 + mon - 1;
  *start = MonthStart(number);
  *end = MonthStart(number + 1);
  return true;
}

std::string KrwDecimal(Krw value) {
  // Digits of the magnitude, taken from a negative value so that the minimum fits too.
  std::string digits;
  Krw v = value < 0 ? value : -value;
  do {
    digits.push_back(static_cast<char>('0' - static_cast<int>(v % 10)));
    v /= 10;
  } while (v != 0);
  if (value < 0) digits.push_back('-');
  std::reverse(digits.begin(), digits.end());
  return digits;
}

std::optional<uint32_t> SettlementReplay::State::ContractBefore(std::string_view id,
                                                                uint64_t before) const {
  auto it = contracts_by_id.find(std::string(id));
  if (it == contracts_by_id.end()) return std::nullopt;
  std::optional<uint32_t> found;
  for (uint32_t pos : it->second) {
    if (contracts[pos].index >= before) break;
    found = pos;
  }
  return found;
}

std::optional<uint32_t> SettlementReplay::State::AllocationBefore(std::string_view id,
                                                                  uint64_t before) const {
  auto it = allocations_by_id.find(std::string(id));
  if (it == allocations_by_id.end()) return std::nullopt;
  std::optional<uint32_t> found;
  for (uint32_t pos : it->second) {
    if (allocations[pos].index >= before) break;
    found = pos;
  }
  return found;
}

SettlementReplay::SettlementReplay() : state_(std::make_unique<State>()) {}
SettlementReplay::~SettlementReplay() = default;
uint64_t SettlementReplay::size() const { return state_->size; }

namespace {

// Keeps one entry's share of the small state. Voids come after their targets, so a void of
// a contract or close marks it at once; other targets are only remembered by key.
Status KeepEntry(SettlementReplay::State* st, uint64_t index, const fb::Event& event) {
  using Kind = SettlementReplay::State::Kind;
  const std::string_view source = View(event.source());
  switch (event.data_type()) {
    case fb::Payload::ContractRegistered: {
      const auto* d = event.data_as_ContractRegistered();
      ContractInstance c{index,
                         kNeverVoided,
                         std::string(View(d->contract_id())),
                         std::string(View(d->csp_id())),
                         d->committed_gpus(),
                         d->period_start(),
                         d->period_end(),
                         d->price_krw_per_gpu_hour(),
                         d->penalty_krw_per_gpu_hour()};
      const auto pos = static_cast<uint32_t>(st->contracts.size());
      st->contracts_by_id[c.contract_id].push_back(pos);
      st->contracts.push_back(std::move(c));
      st->kept[EventKey(source, View(event.id()))] = {Kind::kContract, pos};
      return Status::Ok();
    }
    case fb::Payload::AllocationGranted: {
      const auto* d = event.data_as_AllocationGranted();
      const auto pos = static_cast<uint32_t>(st->allocations.size());
      st->allocations_by_id[std::string(View(d->allocation_id()))].push_back(pos);
      st->allocations.push_back({index, std::string(View(d->contract_id())), d->start(), d->end()});
      st->kept[EventKey(source, View(event.id()))] = {Kind::kAllocation, pos};
      return Status::Ok();
    }
    case fb::Payload::PeriodClosed: {
      const auto pos = static_cast<uint32_t>(st->closes.size());
      st->closes.push_back(
          {index, kNeverVoided, std::string(View(event.data_as_PeriodClosed()->month()))});
      st->kept[EventKey(source, View(event.id()))] = {Kind::kClose, pos};
      return Status::Ok();
    }
    case fb::Payload::EventVoided: {
      const std::string target = EventKey(source, View(event.data_as_EventVoided()->event_id()));
      // A second void of one event is rejected by the intake; the first is the one.
      if (!st->voided.emplace(target, index).second) return Status::Ok();
      auto it = st->kept.find(target);
      if (it != st->kept.end() && it->second.first == Kind::kContract) {
        st->contracts[it->second.second].voided_at = index;
      } else if (it != st->kept.end() && it->second.first == Kind::kClose) {
        st->closes[it->second.second].voided_at = index;
      }
      st->kept[EventKey(source, View(event.id()))] = {Kind::kVoid, index};
      return Status::Ok();
    }
    case fb::Payload::CapacityReported:
    case fb::Payload::UsageReported:
    case fb::Payload::AllocationReleased:
      return Status::Ok();
    case fb::Payload::NONE:
      break;
  }
  return Bad(index, "event without a known payload");
}

}  // namespace

Result<std::unique_ptr<SettlementReplay>> SettlementReplay::Load(const EventSource& source) {
  std::unique_ptr<SettlementReplay> replay(new SettlementReplay());
  State* st = replay->state_.get();
  Status s = source([&](uint64_t index, const fb::Event& event) -> Status {
    if (index != st->size)
      return Bad(index, "out of order (expected " + std::to_string(st->size) + ")");
    Status kept = KeepEntry(st, index, event);
    if (!kept.ok()) return kept;
    ++st->size;
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return replay;
}

std::map<std::string, uint64_t> SettlementReplay::ClosedMonths(uint64_t prefix_size) const {
  std::map<std::string, uint64_t> closed;
  for (const CloseRecord& close : state_->closes) {
    // At most one close of a month is live at a time (the intake's rule): a later live
    // one, if the ledger broke that rule, is the one that stands.
    if (close.index < prefix_size && close.voided_at >= prefix_size) {
      closed[close.month] = close.index;
    }
  }
  return closed;
}

}  // namespace gpuledger::verify
