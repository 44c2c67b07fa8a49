// Delivered GPU-seconds of one settlement month, hour by hour, from capacity claims
// (spec section 5): for each GPU, the seconds covered by exactly one row's claims count
// for that row (the union of its intervals); seconds covered by two or more rows' claims
// count for none. Private to tools/verify (replay_settle.cc).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace gpuledger::verify {

inline constexpr int64_t kHourSeconds = 3600;

// Interned GPU UUIDs, and the lists of them that reports carry. A contract's reports
// usually repeat its previous list, which is then shared rather than stored again.
class GpuLists {
 public:
  uint32_t Intern(std::string_view uuid);
  // Stores `ids` (interned) as the list of a report of `contract`; returns its list id.
  uint32_t Add(uint32_t contract, const std::vector<uint32_t>& ids);
  const std::vector<uint32_t>& List(uint32_t id) const { return lists_[id]; }
  size_t lists() const { return lists_.size(); }
  size_t gpus() const { return ids_.size(); }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::unordered_map<std::string, uint32_t, Hash, std::equal_to<>> ids_;
  std::vector<std::vector<uint32_t>> lists_;
  std::unordered_map<uint32_t, uint32_t> last_by_contract_;
};

// A capacity claim of one row in one month: [start, end) inside the month and the period.
struct RowClaim {
  uint32_t slot = 0, list = 0;  // slot: the row
  int64_t start = 0, end = 0;
};

// Delivered seconds of one row: partial hours directly, whole hours as a difference array
// (so a claim of many hours costs O(1), not one step per hour). Index: hour of the month.
struct HourTotals {
  std::vector<int64_t> partial, whole_diff;  // hours + 1 each
  int64_t DeliveredIn(size_t hour, int64_t whole_hours) const {
    return partial[hour] + whole_hours * kHourSeconds;
  }
};

// Computes the month [month_start, month_end) a window (a day) at a time: hours are
// independent, so only one window's claims are expanded to GPUs at once. Within a window,
// a row whose claims do not overlap in time counts its GPUs that no other row lists
// without looking at them one by one; only GPUs that two rows list, or rows with
// overlapping claims, are swept GPU by GPU.
std::vector<HourTotals> Deliver(int64_t month_start, int64_t month_end,
                                std::vector<RowClaim> claims, const GpuLists& lists, size_t rows);

}  // namespace gpuledger::verify
