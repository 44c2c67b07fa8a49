// FOCUS 1.2 export of a settlement month; the mapping is explained in docs/focus.md.
#include "tools/export/focus_export.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <optional>

#include "gpuledger/types.h"

namespace gpuledger {
namespace {

// FOCUS columns first, then the x_ custom ones (FOCUS ColumnHandling wants them last).
enum Col : size_t {
  kBillingAccountId,
  kBillingAccountName,
  kBillingCurrency,
  kBillingPeriodStart,
  kBillingPeriodEnd,
  kBilledCost,
  kChargeCategory,
  kChargeClass,
  kChargeDescription,
  kChargeFrequency,
  kChargePeriodStart,
  kChargePeriodEnd,
  kCommitmentDiscountCategory,
  kCommitmentDiscountId,
  kCommitmentDiscountName,
  kCommitmentDiscountQuantity,
  kCommitmentDiscountStatus,
  kCommitmentDiscountType,
  kCommitmentDiscountUnit,
  kConsumedQuantity,
  kConsumedUnit,
  kContractedCost,
  kContractedUnitPrice,
  kEffectiveCost,
  kInvoiceId,
  kInvoiceIssuerName,
  kListCost,
  kListUnitPrice,
  kPricingCategory,
  kPricingQuantity,
  kPricingUnit,
  kProviderName,
  kPublisherName,
  kResourceId,
  kResourceName,
  kResourceType,
  kServiceCategory,
  kServiceName,
  kServiceSubcategory,
  kSubAccountId,
  kSubAccountName,
  kXContractId,
  kXProgramme,
  kXGpuModel,
  kXCommittedGpus,
  kXSettlementMonth,
  kXGpuSeconds,
  kXKrwPerGpuHour,
  kXClosedAtTreeSize,
  kXClosedAtRoot,
  kColumnCount
};

constexpr std::array<std::string_view, kColumnCount> kColumnNames = {
    "BillingAccountId",
    "BillingAccountName",
    "BillingCurrency",
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "BilledCost",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargeFrequency",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "CommitmentDiscountCategory",
    "CommitmentDiscountId",
    "CommitmentDiscountName",
    "CommitmentDiscountQuantity",
    "CommitmentDiscountStatus",
    "CommitmentDiscountType",
    "CommitmentDiscountUnit",
    "ConsumedQuantity",
    "ConsumedUnit",
    "ContractedCost",
    "ContractedUnitPrice",
    "EffectiveCost",
    "InvoiceId",
    "InvoiceIssuerName",
    "ListCost",
    "ListUnitPrice",
    "PricingCategory",
    "PricingQuantity",
    "PricingUnit",
    "ProviderName",
    "PublisherName",
    "ResourceId",
    "ResourceName",
    "ResourceType",
    "ServiceCategory",
    "ServiceName",
    "ServiceSubcategory",
    "SubAccountId",
    "SubAccountName",
    "x_ContractId",
    "x_Programme",
    "x_GpuModel",
    "x_CommittedGpus",
    "x_SettlementMonth",
    "x_GpuSeconds",
    "x_KrwPerGpuHour",
    "x_ClosedAtTreeSize",
    "x_ClosedAtRoot",
};

// A FOCUS row: std::nullopt is NULL (an empty CSV field).
using Line = std::array<std::optional<std::string>, kColumnCount>;

constexpr std::string_view kGpuHours = "GPU-Hours";
constexpr std::string_view kContractType = "GPU capacity contract";
constexpr int64_t kSecondsPerHour = 3600;

Krw Pow10(int n) {
  Krw p = 1;
  for (int i = 0; i < n; ++i) p *= 10;
  return p;
}

// GPU-seconds as GPU-hours scaled by 10^kFocusHourDecimals, rounded half away from zero.
// 10^9 / 3600 is not whole, so the division is done on the scaled remainder.
Krw ScaledGpuHours(int64_t gpu_seconds) {
  const bool negative = gpu_seconds < 0;
  const Krw magnitude = negative ? -static_cast<Krw>(gpu_seconds) : static_cast<Krw>(gpu_seconds);
  const Krw scale = Pow10(kFocusHourDecimals);
  const Krw whole = magnitude / kSecondsPerHour;
  const Krw fraction = (magnitude % kSecondsPerHour * scale * 2 + kSecondsPerHour) /
                       (2 * kSecondsPerHour);  // half away from zero
  const Krw scaled = whole * scale + fraction;
  return negative ? -scaled : scaled;
}

std::string KrwDecimal(Krw amount) { return FocusDecimalText(amount, 0); }

// What one FOCUS row of a contract carries; the rest follows from the contract.
enum class Kind { kUsed, kUnused, kCredit };
struct Charge {
  Kind kind = Kind::kUsed;
  bool correction = false;
  int64_t gpu_seconds = 0;  // payable (kUsed) or shortfall (kUnused)
  Krw billed_krw = 0;
};

struct MonthBounds {
  std::string month;
  int64_t start = 0, end = 0;
};

void FillContract(const SettlementRow& row, const MonthBounds& m, Line* line) {
  const ContractTerms& t = row.terms;
  const std::string& csp = row.csp_id.empty() ? t.csp_id : row.csp_id;
  Line& l = *line;
  l[kBillingAccountId] = "ministry";
  l[kBillingAccountName] = "ministry";
  l[kBillingCurrency] = "KRW";
  l[kBillingPeriodStart] = FormatRfc3339Utc(m.start);
  l[kBillingPeriodEnd] = FormatRfc3339Utc(m.end);
  // The charge covers the hours of the month inside the contract period.
  int64_t start = std::max(m.start, t.period_start), end = std::min(m.end, t.period_end);
  if (start >= end) {  // no terms (never for a contract active in the month): the month
    start = m.start;
    end = m.end;
  }
  l[kChargePeriodStart] = FormatRfc3339Utc(start);
  l[kChargePeriodEnd] = FormatRfc3339Utc(end);
  l[kCommitmentDiscountCategory] = "Usage";
  l[kCommitmentDiscountId] = row.contract_id;
  l[kCommitmentDiscountName] = row.contract_id;
  l[kCommitmentDiscountType] = std::string(kContractType);
  l[kInvoiceIssuerName] = csp;
  l[kProviderName] = csp;
  l[kPublisherName] = csp;
  l[kResourceId] = row.contract_id;
  l[kResourceName] = row.contract_id;
  l[kResourceType] = std::string(kContractType);
  l[kServiceCategory] = "Compute";
  l[kServiceName] = "GPU leasing programme";
  l[kServiceSubcategory] = "Other (Compute)";
  if (!t.programme.empty()) l[kSubAccountId] = l[kSubAccountName] = t.programme;
  l[kXContractId] = row.contract_id;
  if (!t.programme.empty()) l[kXProgramme] = t.programme;
  if (!t.gpu_model.empty()) l[kXGpuModel] = t.gpu_model;
  l[kXCommittedGpus] = std::to_string(t.committed_gpus);
  l[kXSettlementMonth] = m.month;
  if (row.closed) {
    l[kXClosedAtTreeSize] = std::to_string(row.closed_at_tree_size);
    l[kXClosedAtRoot] = HexOf(row.closed_at_root);
  }
}

std::string Description(const SettlementRow& row, const Charge& c, const std::string& month) {
  const char* what = c.kind == Kind::kUsed     ? "Payable GPU capacity"
                     : c.kind == Kind::kUnused ? "Unused committed GPU capacity (shortfall)"
                                               : "Shortfall penalty";
  std::string text = c.correction ? "Adjustment after the close: " : "";
  text += what;
  text += " of contract " + row.contract_id + " in KST month " + month;
  return text;
}

Line MakeLine(const SettlementRow& row, const MonthBounds& m, const Charge& c) {
  Line l;
  FillContract(row, m, &l);
  l[kChargeDescription] = Description(row, c, m.month);
  if (c.correction) l[kChargeClass] = "Correction";
  l[kInvoiceId] = *l[kProviderName] + "/" + m.month + (c.correction ? "/adjustment" : "");
  l[kBilledCost] = l[kEffectiveCost] = KrwDecimal(c.billed_krw);
  if (c.kind == Kind::kCredit) {
    // A credit is unrelated to a unit price: FOCUS wants its list and contracted costs equal
    // to the billed cost.
    l[kChargeCategory] = "Credit";
    l[kChargeFrequency] = "One-Time";
    l[kListCost] = l[kContractedCost] = l[kBilledCost];
    l[kXKrwPerGpuHour] = std::to_string(row.terms.penalty_krw_per_gpu_hour);
    return l;
  }
  const int64_t price = row.terms.price_krw_per_gpu_hour;
  const std::string hours = FocusGpuHoursText(c.gpu_seconds);
  l[kChargeCategory] = "Usage";
  l[kChargeFrequency] = "Usage-Based";
  l[kCommitmentDiscountStatus] = c.kind == Kind::kUsed ? "Used" : "Unused";
  // focus-validator 2.2.1 requires CommitmentDiscountQuantity to be null on corrections.
  if (!c.correction) l[kCommitmentDiscountQuantity] = hours;
  if (!c.correction) l[kCommitmentDiscountUnit] = std::string(kGpuHours);
  if (c.kind == Kind::kUsed) l[kConsumedQuantity] = hours;
  if (c.kind == Kind::kUsed) l[kConsumedUnit] = std::string(kGpuHours);
  l[kPricingCategory] = "Committed";
  l[kPricingQuantity] = hours;
  l[kPricingUnit] = std::string(kGpuHours);
  // There is no public price list: the list price is the contract's price. The list and
  // contracted costs are the exact products of that price and the written quantity.
  l[kListUnitPrice] = l[kContractedUnitPrice] = KrwDecimal(price);
  l[kListCost] = l[kContractedCost] =
      FocusDecimalText(price * ScaledGpuHours(c.gpu_seconds), kFocusHourDecimals);
  l[kXGpuSeconds] = std::to_string(c.gpu_seconds);
  l[kXKrwPerGpuHour] = std::to_string(price);
  return l;
}

// The charges of one contract: for a closed month the frozen figures (what the close
// invoiced), then the corrections that bring them to the current figures.
std::vector<Charge> Charges(const SettlementRow& row) {
  std::vector<Charge> charges;
  const SettlementFigures& f = row.closed ? row.frozen : row.current;
  charges.push_back({Kind::kUsed, false, f.payable_gpu_seconds, f.capacity_amount_krw});
  if (f.shortfall_gpu_seconds != 0) {
    charges.push_back({Kind::kUnused, false, f.shortfall_gpu_seconds, 0});
  }
  if (f.penalty_krw != 0) charges.push_back({Kind::kCredit, false, 0, -f.penalty_krw});
  if (!row.closed) return charges;
  const SettlementFigures& a = row.adjustment;
  if (a.payable_gpu_seconds != 0 || a.capacity_amount_krw != 0) {
    charges.push_back({Kind::kUsed, true, a.payable_gpu_seconds, a.capacity_amount_krw});
  }
  if (a.shortfall_gpu_seconds != 0) {
    charges.push_back({Kind::kUnused, true, a.shortfall_gpu_seconds, 0});
  }
  if (a.penalty_krw != 0) charges.push_back({Kind::kCredit, true, 0, -a.penalty_krw});
  return charges;
}

void WriteLine(const Line& line, std::ostream& out) {
  for (size_t i = 0; i < kColumnCount; ++i) {
    if (i != 0) out << ',';
    if (line[i]) out << CsvField(*line[i]);
  }
  out << '\n';
}

}  // namespace

std::string FocusDecimalText(Krw units, int decimals) {
  // The digits of |units| (KrwText of a non-negative amount), padded to have a whole part.
  std::string digits = KrwText(units);
  const bool negative = !digits.empty() && digits[0] == '-';
  if (negative) digits.erase(0, 1);
  const size_t places = static_cast<size_t>(decimals);
  if (digits.size() <= places) digits.insert(0, places + 1 - digits.size(), '0');
  const size_t point = digits.size() - places;
  size_t fraction_end = digits.size();
  while (fraction_end > point + 1 && digits[fraction_end - 1] == '0') --fraction_end;
  std::string text;
  text.reserve(fraction_end + 3);
  if (negative) text.push_back('-');
  text.append(digits, 0, point);
  text.push_back('.');  // always: keeps the column typed Decimal when read back
  if (fraction_end == point) {
    text.push_back('0');
  } else {
    text.append(digits, point, fraction_end - point);
  }
  return text;
}

std::string FocusGpuHoursText(int64_t gpu_seconds) {
  return FocusDecimalText(ScaledGpuHours(gpu_seconds), kFocusHourDecimals);
}

size_t FocusRowCount(const std::vector<SettlementRow>& rows) {
  size_t n = 0;
  for (const SettlementRow& row : rows) n += Charges(row).size();
  return n;
}

Status WriteFocusCsv(const std::vector<SettlementRow>& rows, std::string_view month,
                     std::ostream& out) {
  auto bounds = SettlementMonthBounds(month);
  if (!bounds.ok()) return bounds.status();
  const MonthBounds m{std::string(month), bounds->first, bounds->second};
  for (size_t i = 0; i < kColumnCount; ++i) out << (i == 0 ? "" : ",") << kColumnNames[i];
  out << '\n';
  for (const SettlementRow& row : rows) {
    for (const Charge& charge : Charges(row)) WriteLine(MakeLine(row, m, charge), out);
  }
  out.flush();
  if (!out) return Status::IOError("cannot write the FOCUS CSV");
  return Status::Ok();
}

}  // namespace gpuledger
