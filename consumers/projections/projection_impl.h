// Projections::Impl, shared by projections.cc (catch-up) and projection_reports.cc.
#pragma once

#include <cstdint>
#include <memory>

#include "consumers/projections/projection_store.h"
#include "gpuledger/projections.h"

namespace gpuledger {

struct Projections::Impl {
  ProjectionOptions options;
  std::unique_ptr<proj::Store> store;
  uint64_t applied = 0;  // the next ledger index to apply (committed with the state)
};

}  // namespace gpuledger
