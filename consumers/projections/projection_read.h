// Reading the projections' records: shared by the Applier (while it applies entries) and
// the reports. Private to consumers/.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "consumers/projections/projection_format.h"
#include "consumers/projections/projection_store.h"
#include "gpuledger/status.h"
#include "gpuledger/types.h"

namespace gpuledger::proj {

// The record stored at `key`, decoded into *out; *found says whether there was one.
// Corruption if a stored value does not decode.
template <typename Rec>
Status ReadRecord(const Store& store, std::string_view key, Rec* out, bool* found) {
  auto v = store.Get(key);
  if (!v.ok()) return v.status();
  *found = v.value().has_value();
  if (*found && !Decode(*v.value(), out)) {
    return Status::Corruption("projections: record " + HexOf(key) + " is damaged");
  }
  return Status::Ok();
}

// The live contracts (tag k) or allocations (tag l): (name, instance), in name order.
Result<std::vector<std::pair<std::string, uint64_t>>> LiveInstances(const Store& store, char tag);

// The four GPU-second figures of contract `c` (instance `inst`) for `month` as stored now:
// committed(h) summed over the month's hours inside the period, delivered and payable from
// the month sums, shortfall = committed - payable (payable never exceeds committed hour by
// hour). Zero if the period does not meet the month.
Result<Figures> StoredFigures(const Store& store, uint64_t inst, const ContractRec& c,
                              std::string_view month);

}  // namespace gpuledger::proj
