// Delivered GPU-seconds of one clock hour (spec section 5), from the hour's capacity claims:
// per GPU, the seconds covered by exactly one contract count for it (the union: a GPU listed
// twice counts once); seconds covered by two or more contracts are double claims, kept as
// segments per pair of contracts. Pure computation; private to consumers/.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "consumers/projections/projection_format.h"

namespace gpuledger::proj {

// GPU UUIDs interned as small ids for one batch, and the capacity events' lists of them.
// A contract's reports mostly list the GPUs of its previous report: that list is compared
// and shared rather than hashed again. Cleared at the end of every batch.
class GpuLists {
 public:
  using List = std::shared_ptr<const std::vector<uint32_t>>;
  List Remember(uint64_t index, uint64_t contract, const std::vector<std::string_view>& uuids);
  List Find(uint64_t index) const;  // nullptr if not remembered in this batch
  std::string_view Name(uint32_t id) const { return *names_[id]; }
  size_t ids() const { return names_.size(); }
  void Clear();

 private:
  std::unordered_map<uint64_t, List> by_event_;
  std::unordered_map<uint64_t, List> last_by_contract_;
  std::unordered_map<std::string, uint32_t> ids_;
  std::vector<const std::string*> names_;  // id -> UUID (keys of ids_)
};

struct HourClaim {
  uint64_t index = 0;  // the capacity event
  uint64_t contract = 0;
  int64_t start = 0, end = 0;  // inside the hour
  const std::vector<uint32_t>* gpus = nullptr;
};

// Double-claim segments of one hour by (GPU UUID, contract inst, contract inst).
using DoubleSegments =
    std::map<std::tuple<std::string_view, uint64_t, uint64_t>, std::vector<DoubleSegment>>;

struct HourResult {
  std::map<uint64_t, int64_t> delivered;  // contract inst -> GPU-seconds
  DoubleSegments doubles;                 // views into the GpuLists' names
};

class HourComputer {
 public:
  void Compute(const std::vector<HourClaim>& claims, const GpuLists& lists, HourResult* out);

 private:
  // Per GPU id, stamped with the hour's generation so that nothing is cleared per hour.
  std::vector<uint32_t> seen_, shared_;
  std::vector<uint64_t> owner_;
  uint32_t stamp_ = 0;
};

}  // namespace gpuledger::proj
