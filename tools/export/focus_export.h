// The FinOps FOCUS export of a settlement month (`gpuledger export focus`, docs/focus.md):
// a FOCUS 1.2 Cost and Usage dataset as CSV, from the rows of `report settlement`.
// Pure functions, integer arithmetic only (no floating point anywhere).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "gpuledger/projections.h"
#include "gpuledger/status.h"
#include "tools/export/csv.h"

namespace gpuledger {

// The FOCUS version written, and the applicability criteria the dataset meets: what to pass
// to focus-validator as --validate-version and --applicability-criteria.
inline constexpr std::string_view kFocusVersion = "1.2";
inline constexpr std::string_view kFocusApplicabilityCriteria =
    "ACCOUNT_NAMING_SUPPORTED,BILLING_BASED_ON_PROVISIONED_RESOURCES_SUPPORTED,"
    "COMMITMENT_DISCOUNT_SUPPORTED,NEGOTIATED_PRICING_SUPPORTED,"
    "RESOURCE_TYPE_ASSIGNMENT_SUPPORTED,SUB_ACCOUNT_SUPPORTED,USAGE_MEASUREMENT_SUPPORTED";

// GPU-hours are GPU-seconds / 3600, written with at most this many decimals: exact when the
// GPU-seconds are a multiple of 9 (then 4 decimals suffice), else rounded half away from zero.
inline constexpr int kFocusHourDecimals = 9;

// Writes the header and the FOCUS rows of `rows` (the settlement of `month`, "YYYY-MM") to
// `out`. Per contract: a Usage row for the payable capacity, a Usage row with
// CommitmentDiscountStatus "Unused" for the shortfall, a Credit row for the penalty; for a
// closed month these carry the figures frozen at the close, and rows with ChargeClass
// "Correction" carry a non-zero adjustment. Fails on a bad month or a failed stream.
[[nodiscard]] Status WriteFocusCsv(const std::vector<SettlementRow>& rows, std::string_view month,
                                   std::ostream& out);
// Number of data rows (header excluded) WriteFocusCsv writes for `rows`.
size_t FocusRowCount(const std::vector<SettlementRow>& rows);

// Building blocks, public for the tests.
// GPU-seconds as GPU-hours, a decimal with at least one fractional digit ("1.5", "2.0").
std::string FocusGpuHoursText(int64_t gpu_seconds);
// `units` x 10^-decimals as a decimal with at least one fractional digit, no exponent.
std::string FocusDecimalText(Krw units, int decimals);

}  // namespace gpuledger
