// The auditor's bundle (`gpuledger export bundle`, docs/bundle.md): the entries up to a
// signed checkpoint, the checkpoints, their public keys and the closed months' frozen
// statements, written as ledger/audit/bundle_format.h lays them out, for gpuledger-verify.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gpuledger/ledger.h"
#include "gpuledger/projections.h"
#include "gpuledger/status.h"
#include "gpuledger/types.h"

namespace gpuledger {

// The projections of the ledger, caught up with it, that the statements are read from.
// ExportBundle calls it at most once, and only when the bundle holds a closed month's
// statement (after the entries are written); the projections must stay open until
// ExportBundle returns.
using BundleProjectionsFn = std::function<Result<Projections*>()>;

// Writes the audit bundle of `ledger` to the new directory `out` (which must not exist or be
// empty; a failed export leaves none): entries up to its latest checkpoint, or to a new one
// signed with `signer_key_texts` (texts of `gpuledger keygen` key files) when given; only
// `month`'s statement when not empty. Reports the entries written to `progress` (may be
// null). Returns the summary `export bundle` prints.
[[nodiscard]] Result<nlohmann::ordered_json> ExportBundle(
    Ledger& ledger, const BundleProjectionsFn& projections, const std::string& out,
    const std::string& month, const std::vector<std::string>& signer_key_texts,
    const ProgressFn& progress);

}  // namespace gpuledger
