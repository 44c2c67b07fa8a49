// Projections: opening, catching up with the ledger batch by batch, and KST months.
#include "gpuledger/projections.h"

#include <fmt/core.h>

#include <chrono>
#include <filesystem>

#include "consumers/projections/projection_apply.h"
#include "consumers/projections/projection_format.h"
#include "consumers/projections/projection_impl.h"
#include "consumers/projections/projection_store.h"
#include "gpuledger/assert.h"

namespace gpuledger {

namespace proj {

// KST is UTC+9 all year (no daylight saving): a KST month starts at 15:00 UTC the day
// before its first day.
constexpr int64_t kKstOffsetSeconds = 9 * 3600;
constexpr int64_t kDaySeconds = 86400;

std::string MonthOf(int64_t unix_seconds) {
  const int64_t local = unix_seconds + kKstOffsetSeconds;
  int64_t days = local / kDaySeconds;
  if (local % kDaySeconds < 0) --days;
  std::chrono::year_month_day ymd{std::chrono::sys_days(std::chrono::days(days))};
  return fmt::format("{:04}-{:02}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()));
}

bool MonthBounds(std::string_view month, int64_t* start, int64_t* end) {
  if (month.size() != kMonthBytes || month[4] != '-') return false;
  int year = 0;
  unsigned mon = 0;
  for (size_t i = 0; i < kMonthBytes; ++i) {
    if (i == 4) continue;
    if (month[i] < '0' || month[i] > '9') return false;
    if (i < 4) year = year * 10 + (month[i] - '0');
    if (i > 4) mon = mon * 10 + static_cast<unsigned>(month[i] - '0');
  }
  if (mon < 1 || mon > 12) return false;
  using std::chrono::sys_days;
  const std::chrono::year_month first{std::chrono::year(year), std::chrono::month(mon)};
  const auto next = first + std::chrono::months(1);
  *start = sys_days(first / 1).time_since_epoch().count() * kDaySeconds - kKstOffsetSeconds;
  *end = sys_days(next / 1).time_since_epoch().count() * kDaySeconds - kKstOffsetSeconds;
  return true;
}

}  // namespace proj

Result<std::pair<int64_t, int64_t>> SettlementMonthBounds(std::string_view month) {
  int64_t start = 0, end = 0;
  if (!proj::MonthBounds(month, &start, &end)) {
    return Status::InvalidArgument(
        fmt::format("'{}' is not a month: expected YYYY-MM with MM 01-12", month));
  }
  return std::make_pair(start, end);
}

std::string KrwText(Krw amount) {
  const bool negative = amount < 0;
  __extension__ typedef unsigned __int128 Magnitude;
  Magnitude v = negative ? -static_cast<Magnitude>(amount) : static_cast<Magnitude>(amount);
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  } while (v != 0);
  return negative ? "-" + digits : digits;
}

SettlementFigures operator+(const SettlementFigures& a, const SettlementFigures& b) {
  SettlementFigures s;
  s.committed_gpu_seconds = a.committed_gpu_seconds + b.committed_gpu_seconds;
  s.delivered_gpu_seconds = a.delivered_gpu_seconds + b.delivered_gpu_seconds;
  s.payable_gpu_seconds = a.payable_gpu_seconds + b.payable_gpu_seconds;
  s.shortfall_gpu_seconds = a.shortfall_gpu_seconds + b.shortfall_gpu_seconds;
  s.capacity_amount_krw = a.capacity_amount_krw + b.capacity_amount_krw;
  s.penalty_krw = a.penalty_krw + b.penalty_krw;
  s.net_krw = a.net_krw + b.net_krw;
  return s;
}

SettlementFigures operator-(const SettlementFigures& a, const SettlementFigures& b) {
  SettlementFigures d;
  d.committed_gpu_seconds = a.committed_gpu_seconds - b.committed_gpu_seconds;
  d.delivered_gpu_seconds = a.delivered_gpu_seconds - b.delivered_gpu_seconds;
  d.payable_gpu_seconds = a.payable_gpu_seconds - b.payable_gpu_seconds;
  d.shortfall_gpu_seconds = a.shortfall_gpu_seconds - b.shortfall_gpu_seconds;
  d.capacity_amount_krw = a.capacity_amount_krw - b.capacity_amount_krw;
  d.penalty_krw = a.penalty_krw - b.penalty_krw;
  d.net_krw = a.net_krw - b.net_krw;
  return d;
}

Projections::Projections(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Projections::~Projections() = default;

static std::string StorePath(const std::string& data_dir) { return data_dir + "/projections"; }

Result<std::unique_ptr<Projections>> Projections::Open(const std::string& data_dir,
                                                       const ProjectionOptions& options) {
  auto store = proj::Store::Open(StorePath(data_dir));
  if (!store.ok()) return store.status();
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->store = std::move(store.value());
  auto version = impl->store->Get(proj::MetaKey(proj::kMetaVersion));
  if (!version.ok()) return version.status();
  if (!version.value()) {
    proj::Writer w;
    w.U64(proj::kFormatVersion);
    impl->store->Put(proj::MetaKey(proj::kMetaVersion), w.str());
    if (Status s = impl->store->Commit(options.sync_writes); !s.ok()) return s;
  } else if (proj::Reader(*version.value()).U64() != proj::kFormatVersion) {
    return Status::InvalidArgument(
        "the projections were written by another format version: run `gpuledger rebuild`");
  }
  auto applied = impl->store->Get(proj::MetaKey(proj::kMetaApplied));
  if (!applied.ok()) return applied.status();
  if (applied.value()) impl->applied = proj::Reader(*applied.value()).U64();
  return std::unique_ptr<Projections>(new Projections(std::move(impl)));
}

Status Projections::Drop(const std::string& data_dir) {
  const std::string path = StorePath(data_dir);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return Status::Ok();
  if (Status s = proj::Store::Destroy(path); !s.ok()) return s;
  std::filesystem::remove_all(path, ec);
  if (ec) return Status::IOError("cannot remove " + path + ": " + ec.message());
  return Status::Ok();
}

uint64_t Projections::applied() const { return impl_->applied; }

// One batch: entries from applied() until the entry or byte bound, their changed hours
// recomputed, and the new applied index, written as one WriteBatch.
static Status CatchUpBatch(Projections::Impl* impl, const Ledger& ledger, proj::Applier* applier,
                           uint64_t total) {
  const uint64_t first = impl->applied;
  const uint64_t end =
      std::min(total, first + std::max<uint64_t>(1, impl->options.batch_entries_max));
  uint64_t next = first;
  Status s =
      ledger.ScanEntries(first, end, [&](uint64_t index, std::string_view stored) -> Result<bool> {
        // Applied-index continuity: entries are applied once each, in index order.
        GPULEDGER_ASSERT(index == next, "the projections expected entry " + std::to_string(next) +
                                            ", the scan gave " + std::to_string(index));
        if (Status a = applier->Apply(index, stored); !a.ok()) return a;
        next = index + 1;
        return impl->store->staged_bytes() < impl->options.batch_bytes_max;  // else: batch full
      });
  if (!s.ok()) return s;
  // A scan that returned ok gave at least one entry (a gap is a Corruption status): every
  // batch advances, so CatchUp ends.
  GPULEDGER_ASSERT(next > first && next <= end, "a projections batch from entry " +
                                                    std::to_string(first) + " ended at " +
                                                    std::to_string(next));
  if (Status f = applier->Flush(); !f.ok()) return f;
  proj::Writer w;
  w.U64(next);
  impl->store->Put(proj::MetaKey(proj::kMetaApplied), w.str());
  if (Status c = impl->store->Commit(impl->options.sync_writes); !c.ok()) return c;
  impl->applied = next;
  return Status::Ok();
}

Status Projections::CatchUp(const Ledger& ledger, const ProgressFn& progress) {
  const uint64_t total = ledger.size();
  if (impl_->applied > total) {
    return Status::Corruption(fmt::format(
        "the projections have applied {} entries but the ledger has {}: run `gpuledger rebuild`",
        impl_->applied, total));
  }
  proj::Applier applier(impl_->store.get(), &ledger);
  if (Status s = applier.Load(); !s.ok()) return s;
  while (impl_->applied < total) {
    if (Status s = CatchUpBatch(impl_.get(), ledger, &applier, total); !s.ok()) {
      impl_->store->Abandon();
      return s;
    }
    if (progress) progress(impl_->applied, total);
  }
  return Status::Ok();
}

Status Projections::Dump(
    const std::function<void(std::string_view key, std::string_view value)>& fn) const {
  return impl_->store->Scan("", "", [&](auto key, auto value) {
    fn(key, value);
    return true;
  });
}

}  // namespace gpuledger
