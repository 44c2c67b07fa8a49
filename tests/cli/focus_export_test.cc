// The FOCUS export: WriteFocusCsv on hand-made settlement rows (exact amounts, which rows
// appear), and the whole `gpuledger export focus` of a simulated, closed and then adjusted
// month checked by the FinOps Foundation's focus-validator (ops/install-focus-validator.sh).
#include "tools/export/focus_export.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/test_util.h"

namespace gpuledger {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

// --- CSV reading (RFC 4180, enough for what WriteFocusCsv writes) ----------------------

using CsvRow = std::map<std::string, std::string>;  // column -> field ("" is NULL)

std::vector<std::string> SplitCsvLine(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
      fields.back() += '"';
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  return fields;
}

struct Csv {
  std::vector<std::string> header;
  std::vector<CsvRow> rows;
};

Csv ParseCsv(const std::string& text) {
  Csv csv;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> fields = SplitCsvLine(line);
    if (csv.header.empty()) {
      csv.header = fields;
      continue;
    }
    EXPECT_EQ(fields.size(), csv.header.size()) << line;
    CsvRow row;
    for (size_t i = 0; i < fields.size() && i < csv.header.size(); ++i) {
      row[csv.header[i]] = fields[i];
    }
    csv.rows.push_back(row);
  }
  return csv;
}

Csv Export(const std::vector<SettlementRow>& rows, std::string_view month = "2026-04") {
  std::ostringstream out;
  Status s = WriteFocusCsv(rows, month, out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  Csv csv = ParseCsv(out.str());
  EXPECT_EQ(csv.rows.size(), FocusRowCount(rows));
  return csv;
}

// KRW decimals as written ("-12.0") back to integers, without floating point.
Krw KrwOf(const std::string& text) {
  EXPECT_TRUE(text.size() > 2 && text.substr(text.size() - 2) == ".0") << text;
  Krw v = 0;
  bool negative = !text.empty() && text[0] == '-';
  for (size_t i = negative ? 1 : 0; i < text.size() && text[i] != '.'; ++i) {
    v = v * 10 + (text[i] - '0');
  }
  return negative ? -v : v;
}

// --- hand-made rows ----------------------------------------------------------------------

constexpr int64_t kApr1Kst = 1774969200;  // 2026-03-31T15:00:00Z
constexpr int64_t kMay1Kst = 1777561200;  // 2026-04-30T15:00:00Z

SettlementFigures Figures(int64_t committed, int64_t delivered, int64_t price, int64_t penalty) {
  SettlementFigures f;
  f.committed_gpu_seconds = committed;
  f.delivered_gpu_seconds = delivered;
  f.payable_gpu_seconds = std::min(committed, delivered);
  f.shortfall_gpu_seconds = committed - f.payable_gpu_seconds;
  f.capacity_amount_krw = static_cast<Krw>(f.payable_gpu_seconds) * price / 3600;
  f.penalty_krw = static_cast<Krw>(f.shortfall_gpu_seconds) * penalty / 3600;
  f.net_krw = f.capacity_amount_krw - f.penalty_krw;
  return f;
}

SettlementRow Row(const std::string& contract_id, SettlementFigures current) {
  SettlementRow r;
  r.contract_id = contract_id;
  r.csp_id = "kt-cloud";
  r.month = "2026-04";
  r.current = current;
  r.terms = {contract_id,      "kt-cloud",       "hpc-industry", "H200-141GB", 2,
             kApr1Kst + 86400, kMay1Kst + 86400, 4200,           6300};
  return r;
}

std::vector<CsvRow> Select(const Csv& csv, const std::string& category, bool correction) {
  std::vector<CsvRow> out;
  for (const CsvRow& r : csv.rows) {
    if (r.at("ChargeCategory") == category && (r.at("ChargeClass") == "Correction") == correction) {
      out.push_back(r);
    }
  }
  return out;
}

TEST(FocusExport, NumbersAreExactDecimals) {
  EXPECT_EQ(FocusGpuHoursText(0), "0.0");
  EXPECT_EQ(FocusGpuHoursText(3600), "1.0");
  EXPECT_EQ(FocusGpuHoursText(5400), "1.5");
  EXPECT_EQ(FocusGpuHoursText(9), "0.0025");       // a multiple of 9 seconds: exact
  EXPECT_EQ(FocusGpuHoursText(1), "0.000277778");  // 1/3600 rounded to 9 decimals
  EXPECT_EQ(FocusGpuHoursText(-7), "-0.001944444");
  EXPECT_EQ(FocusGpuHoursText(1800 * 5 - 1), "2.499722222");
  EXPECT_EQ(FocusDecimalText(-5, 0), "-5.0");
  EXPECT_EQ(FocusDecimalText(1234500, 4), "123.45");
  EXPECT_EQ(FocusDecimalText(7, 9), "0.000000007");
  // Beyond 64 bits: 10^30 KRW.
  Krw big = 1;
  for (int i = 0; i < 30; ++i) big *= 10;
  EXPECT_EQ(FocusDecimalText(big, 0), "1" + std::string(30, '0') + ".0");
  EXPECT_EQ(FormatRfc3339Utc(kApr1Kst), "2026-03-31T15:00:00Z");
  EXPECT_EQ(FormatRfc3339Utc(kMay1Kst + 3661), "2026-04-30T16:01:01Z");
  EXPECT_EQ(CsvField("a,b\"c"), "\"a,b\"\"c\"");
  EXPECT_EQ(CsvField("plain"), "plain");
}

TEST(FocusExport, HeaderHasTheMandatoryFocusColumns) {
  Csv csv = Export({});
  EXPECT_TRUE(csv.rows.empty());
  std::set<std::string> header(csv.header.begin(), csv.header.end());
  // The columns FOCUS 1.2 requires, and those of the features the export claims.
  std::istringstream required(
      "BilledCost BillingAccountId BillingAccountName BillingCurrency BillingPeriodStart "
      "BillingPeriodEnd ChargeCategory ChargeClass ChargeDescription ChargePeriodStart "
      "ChargePeriodEnd CommitmentDiscountId CommitmentDiscountStatus ConsumedQuantity "
      "ConsumedUnit ContractedCost ContractedUnitPrice EffectiveCost InvoiceIssuerName ListCost "
      "ListUnitPrice PricingQuantity PricingUnit ProviderName PublisherName ServiceCategory "
      "ServiceName");
  for (std::string column; required >> column;) {
    EXPECT_TRUE(header.count(column)) << column;
  }
}

TEST(FocusExport, OpenMonthUsageUnusedAndCredit) {
  // 2 GPUs committed for the 29 days of the month inside the period; 1000 GPU-seconds short.
  const int64_t committed = 2 * 29 * 86400;
  SettlementRow row = Row("C-1", Figures(committed, committed - 1000, 4200, 6300));
  row.adjustment.penalty_krw = 99;  // ignored: the month is not closed
  Csv csv = Export({row});
  ASSERT_EQ(csv.rows.size(), 3u);
  const CsvRow used = Select(csv, "Usage", false).at(0);
  EXPECT_EQ(used.at("CommitmentDiscountStatus"), "Used");
  EXPECT_EQ(used.at("ConsumedQuantity"), FocusGpuHoursText(committed - 1000));
  EXPECT_EQ(used.at("ConsumedUnit"), "GPU-Hours");
  EXPECT_EQ(used.at("PricingQuantity"), used.at("ConsumedQuantity"));
  // floor((5011200 - 1000) x 4200 / 3600) = 5845233 (and 1/3 KRW dropped).
  EXPECT_EQ(used.at("BilledCost"), "5845233.0");
  EXPECT_EQ(used.at("EffectiveCost"), "5845233.0");
  EXPECT_EQ(used.at("ContractedUnitPrice"), "4200.0");
  // The written quantity 1391.722222222 (rounded) x 4200, exactly.
  EXPECT_EQ(used.at("PricingQuantity"), "1391.722222222");
  EXPECT_EQ(used.at("ContractedCost"), "5845233.3333324");
  EXPECT_EQ(used.at("ListCost"), used.at("ContractedCost"));
  EXPECT_EQ(used.at("ChargeClass"), "");
  EXPECT_EQ(used.at("BillingPeriodStart"), "2026-03-31T15:00:00Z");
  EXPECT_EQ(used.at("BillingPeriodEnd"), "2026-04-30T15:00:00Z");
  EXPECT_EQ(used.at("ChargePeriodStart"), "2026-04-01T15:00:00Z");  // the contract starts later
  EXPECT_EQ(used.at("ProviderName"), "kt-cloud");
  EXPECT_EQ(used.at("BillingCurrency"), "KRW");
  const CsvRow unused = Select(csv, "Usage", false).at(1);
  EXPECT_EQ(unused.at("CommitmentDiscountStatus"), "Unused");
  EXPECT_EQ(unused.at("PricingQuantity"), FocusGpuHoursText(1000));
  EXPECT_EQ(unused.at("ConsumedQuantity"), "");
  EXPECT_EQ(unused.at("BilledCost"), "0.0");
  const CsvRow credit = Select(csv, "Credit", false).at(0);
  EXPECT_EQ(credit.at("BilledCost"), "-1750.0");  // floor(1000 x 6300 / 3600) = 1750
  EXPECT_EQ(credit.at("ListCost"), "-1750.0");
  EXPECT_EQ(credit.at("PricingQuantity"), "");
  Krw total = 0;
  for (const CsvRow& r : csv.rows) total += KrwOf(r.at("BilledCost"));
  EXPECT_EQ(total, row.current.net_krw);
}

TEST(FocusExport, FullDeliveryHasNoUnusedOrCreditRow) {
  Csv csv = Export({Row("C-1", Figures(7200, 9000, 4200, 6300))});
  ASSERT_EQ(csv.rows.size(), 1u);
  EXPECT_EQ(csv.rows[0].at("BilledCost"), "8400.0");
  EXPECT_EQ(csv.rows[0].at("PricingQuantity"), "2.0");
}

TEST(FocusExport, ClosedMonthWithoutAdjustmentHasNoCorrection) {
  SettlementRow row = Row("C-1", Figures(7200, 3600, 4200, 6300));
  row.closed = true;
  row.frozen = row.current;
  row.closed_at_tree_size = 42;
  Csv csv = Export({row});
  ASSERT_EQ(csv.rows.size(), 3u);
  for (const CsvRow& r : csv.rows) {
    EXPECT_EQ(r.at("ChargeClass"), "");
    EXPECT_EQ(r.at("x_ClosedAtTreeSize"), "42");
  }
}

TEST(FocusExport, ClosedMonthAdjustmentBecomesCorrectionRows) {
  // Frozen at the close: 1 of 2 GPU-hours delivered. Now: 1.5 (a late capacity report).
  SettlementRow row = Row("C-1", Figures(7200, 5400, 4200, 6300));
  row.closed = true;
  row.frozen = Figures(7200, 3600, 4200, 6300);
  row.adjustment = row.current - row.frozen;
  SettlementRow other = Row("C-2", Figures(7200, 7200, 1000, 1000));
  other.closed = true;
  other.frozen = other.current;
  Csv csv = Export({row, other});
  // The frozen figures as invoiced at the close...
  const CsvRow used = Select(csv, "Usage", false).at(0);
  EXPECT_EQ(used.at("BilledCost"), "4200.0");
  EXPECT_EQ(Select(csv, "Credit", false).at(0).at("BilledCost"), "-6300.0");
  // ...then the adjustment: +0.5 GPU-hour payable, -0.5 short, 3150 KRW less penalty.
  std::vector<CsvRow> used_fix = Select(csv, "Usage", true);
  ASSERT_EQ(used_fix.size(), 2u);
  EXPECT_EQ(used_fix[0].at("CommitmentDiscountStatus"), "Used");
  EXPECT_EQ(used_fix[0].at("BilledCost"), "2100.0");
  EXPECT_EQ(used_fix[0].at("PricingQuantity"), "0.5");
  EXPECT_EQ(used_fix[0].at("CommitmentDiscountQuantity"), "");
  EXPECT_EQ(used_fix[1].at("CommitmentDiscountStatus"), "Unused");
  EXPECT_EQ(used_fix[1].at("PricingQuantity"), "-0.5");
  std::vector<CsvRow> credit_fix = Select(csv, "Credit", true);
  ASSERT_EQ(credit_fix.size(), 1u);
  EXPECT_EQ(credit_fix[0].at("BilledCost"), "3150.0");
  for (const CsvRow& r : csv.rows) {
    if (r.at("ChargeClass") == "Correction") {
      EXPECT_EQ(r.at("x_ContractId"), "C-1");  // C-2 has no adjustment
      EXPECT_EQ(r.at("InvoiceId"), "kt-cloud/2026-04/adjustment");
    }
  }
  Krw total = 0;
  for (const CsvRow& r : csv.rows) {
    if (r.at("x_ContractId") == "C-1") total += KrwOf(r.at("BilledCost"));
  }
  EXPECT_EQ(total, row.current.net_krw);  // frozen + adjustment = current
}

TEST(FocusExport, IdsAreQuotedAndBadMonthsRefused) {
  Csv csv = Export({Row("C,\"1\"", Figures(3600, 3600, 1, 1))});
  ASSERT_EQ(csv.rows.size(), 1u);
  EXPECT_EQ(csv.rows[0].at("CommitmentDiscountId"), "C,\"1\"");
  std::ostringstream out;
  EXPECT_EQ(WriteFocusCsv({}, "2026-13", out).code(), Status::Code::kInvalidArgument);
}

// --- focus-validator on the CLI's export ------------------------------------------------

std::string FocusVenv() {
  if (const char* env = std::getenv("GPULEDGER_FOCUS_VENV"); env && *env) return env;
#ifdef GPULEDGER_FOCUS_VENV
  return GPULEDGER_FOCUS_VENV;
#else
  const char* cache = std::getenv("GPULEDGER_CACHE");
  const char* home = std::getenv("HOME");
  std::string base = cache && *cache ? cache : std::string(home ? home : "") + "/.cache/gpuledger";
  return base + "/focusvenv";
#endif
}

// The venv's site-packages holding focus_validator: 2.2.1 reads its currency codes from the
// relative path focus_validator/rules/currency_codes.csv, so it must run from there.
std::string ValidatorPackageDir(const std::string& venv) {
  std::error_code ec;
  for (const auto& lib : fs::directory_iterator(venv + "/lib", ec)) {
    fs::path site = lib.path() / "site-packages";
    if (fs::exists(site / "focus_validator" / "rules" / "currency_codes.csv")) {
      return site.string();
    }
  }
  return {};
}

// The validator's local rule model of FOCUS kFocusVersion (2.2.1: model-1.2.0.1.json).
std::string ModelPath(const std::string& site) {
  const std::string prefix = "model-" + std::string(kFocusVersion) + ".";
  std::error_code ec;
  for (const auto& f : fs::directory_iterator(site + "/focus_validator/rules", ec)) {
    const std::string name = f.path().filename().string();
    if (name.rfind(prefix, 0) == 0 && f.path().extension() == ".json") return f.path().string();
  }
  return {};
}

// Runs argv[0] in `dir` with stdout and stderr to `log`; returns its exit status.
int RunIn(const std::string& dir, const std::vector<std::string>& args, const std::string& log) {
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<std::string> copy = args;
    std::vector<char*> argv;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (chdir(dir.c_str()) != 0) _exit(126);
    if (!freopen(log.c_str(), "w", stdout) || dup2(fileno(stdout), 2) < 0) _exit(126);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// focus-validator's unittest XML: rule id -> "pass", "fail" or "skip".
std::map<std::string, std::string> RuleOutcomes(const std::string& xml) {
  std::map<std::string, std::string> outcomes;
  const std::string open = "<testcase name=\"";
  for (size_t at = xml.find(open); at != std::string::npos; at = xml.find(open, at + 1)) {
    size_t name_end = xml.find_first_of(" \"", at + open.size());
    std::string id = xml.substr(at + open.size(), name_end - at - open.size());
    size_t tag_end = xml.find('>', at);
    std::string body;
    if (tag_end != std::string::npos && xml[tag_end - 1] != '/') {
      body = xml.substr(tag_end, xml.find("</testcase>", tag_end) - tag_end);
    }
    std::string& outcome = outcomes[id];
    if (body.find("<failure") != std::string::npos || body.find("<error") != std::string::npos) {
      outcome = "fail";
    } else if (body.find("<skipped") != std::string::npos) {
      outcome = "skip";
    } else {
      outcome = "pass";
    }
  }
  return outcomes;
}

// Rules that are one alternative of an OR of other rules, mapped to that OR's rule. The
// validator reports every alternative on its own, so with InvoiceId present for every row
// "InvoiceId MUST be null" (C-004) fails while its parent "C-004 or C-005" (C-003) passes.
std::map<std::string, std::string> OrAlternatives(const std::string& model_path) {
  std::map<std::string, std::string> parent_of;
  std::ifstream in(model_path);
  nlohmann::json model = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!model.is_object() || !model.contains("ModelRules")) return parent_of;
  for (const auto& [id, rule] : model["ModelRules"].items()) {
    const nlohmann::json& req = rule["ValidationCriteria"]["Requirement"];
    if (req.value("CheckFunction", "") != "OR") continue;
    for (const auto& item : req["Items"]) {
      if (item.value("CheckFunction", "") == "CheckModelRule") {
        parent_of[item.value("ModelRuleId", "")] = id;
      }
    }
  }
  return parent_of;
}

// A late capacity report for the first simulated contract, accepted after the close: it
// changes the closed month's figures (an hour of 3 GPUs, and 7 seconds of one GPU so that
// the GPU-hours are not exact decimals).
constexpr char kLateCapacity[] =
    R"({"specversion":"1.0","id":"late-cap-1","source":"csp/kt-cloud","type":"io.gpuledger.capacity.reported.v1","time":"2026-04-10T02:00:00Z","data":{"contract_id":"kt-cloud-2026-04-c1","interval_start":"2026-04-10T00:00:00Z","interval_end":"2026-04-10T01:00:00Z","gpu_uuids":["GPU-late-0","GPU-late-1","GPU-late-2"]}}
{"specversion":"1.0","id":"late-cap-2","source":"csp/kt-cloud","type":"io.gpuledger.capacity.reported.v1","time":"2026-04-10T02:00:00Z","data":{"contract_id":"kt-cloud-2026-04-c1","interval_start":"2026-04-10T01:00:00Z","interval_end":"2026-04-10T01:00:07Z","gpu_uuids":["GPU-late-0"]}}
)";

// Simulates 3 days of April (the month is closed at their end), adds the late report,
// exports, and returns the CSV's path.
std::string ExportAdjustedMonth(const TempDir& dir) {
  using testing::RunCli;
  const std::string data = dir.Sub("data"), events = dir.Sub("events.jsonl");
  auto sim = RunCli({"simulate", "--seed", "7", "--days", "3", "--out", events});
  EXPECT_EQ(sim.exit_code, 0) << sim.err;
  auto ingest = RunCli({"ingest", "--quiet", "--data", data, events});
  EXPECT_EQ(ingest.exit_code, 0) << ingest.err;
  testing::WriteFile(dir.Sub("late.jsonl"), kLateCapacity);
  auto late = RunCli({"ingest", "--quiet", "--data", data, dir.Sub("late.jsonl")});
  EXPECT_EQ(late.exit_code, 0) << late.err;
  EXPECT_NE(late.out.find("\"accepted\":2"), std::string::npos) << late.out;
  const std::string csv = dir.Sub("focus.csv");
  auto exp =
      RunCli({"export", "focus", "--quiet", "--data", data, "--month", "2026-04", "--out", csv});
  EXPECT_EQ(exp.exit_code, 0) << exp.err;
  auto summary = nlohmann::json::parse(exp.out, nullptr, false);
  EXPECT_EQ(summary.value("month", ""), "2026-04") << exp.out;
  EXPECT_GT(summary.value("rows", 0), 0) << exp.out;
  return csv;
}

TEST(FocusExportCli, UsageErrorsAndBadMonths) {
  TempDir dir;
  auto missing = testing::RunCli({"export", "focus", "--data", dir.Sub("d")});
  EXPECT_EQ(missing.exit_code, 2) << missing.err;
  auto bad = testing::RunCli(
      {"export", "focus", "--data", dir.Sub("d"), "--month", "2026-4", "--out", dir.Sub("x")});
  EXPECT_EQ(bad.exit_code, 1) << bad.err;
  EXPECT_FALSE(fs::exists(dir.Sub("x")));
}

// What focus-validator said about one CSV.
struct Verdict {
  int exit_code = -1;
  size_t rules = 0;  // reported: passed, failed or skipped
  int passed = 0, excused = 0;
  std::vector<std::string> failed;  // every failed rule but the excused OR alternatives
  std::string log;
};

class FocusValidator : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string venv = FocusVenv();
    validator_ = venv + "/bin/focus-validator";
    site_ = ValidatorPackageDir(venv);
    ASSERT_TRUE(fs::exists(validator_) && !site_.empty())
        << "no focus-validator 2.x in " << venv
        << ": run ops/install-focus-validator.sh (it needs a Python >= 3.12)";
    model_ = ModelPath(site_);
    ASSERT_FALSE(model_.empty()) << "this focus-validator has no local FOCUS " << kFocusVersion
                                 << " model in " << site_
                                 << "; ops/install-focus-validator.sh installs one that has";
  }

  Verdict Validate(const std::string& csv) {
    Verdict v;
    const std::string xml = dir_.Sub("report.xml"), log = dir_.Sub("validator.log");
    fs::remove(xml);
    v.exit_code = RunIn(
        site_,
        {validator_, "--data-file", csv, "--validate-version", std::string(kFocusVersion),
         "--block-download", "--applicability-criteria", std::string(kFocusApplicabilityCriteria),
         "--output-type", "unittest", "--output-destination", xml},
        log);
    v.log = testing::ReadFile(log);
    std::map<std::string, std::string> outcomes = RuleOutcomes(testing::ReadFile(xml));
    std::map<std::string, std::string> parent_of = OrAlternatives(model_);
    EXPECT_FALSE(parent_of.empty()) << "cannot read " << model_;
    v.rules = outcomes.size();
    for (const auto& [id, outcome] : outcomes) {
      v.passed += outcome == "pass";
      if (outcome != "fail") continue;
      auto parent = parent_of.find(id);
      if (parent != parent_of.end() && outcomes[parent->second] == "pass") {
        ++v.excused;  // an alternative its OR did not need
        continue;
      }
      v.failed.push_back(id);
    }
    return v;
  }

  TempDir dir_;
  std::string validator_, site_, model_;
};

TEST_F(FocusValidator, ExportOfAClosedAndAdjustedMonthPassesEveryRule) {
  const std::string csv = ExportAdjustedMonth(dir_);
  const std::string text = testing::ReadFile(csv);
  ASSERT_NE(text.find(",Correction,"), std::string::npos) << "no correction rows";
  ASSERT_NE(text.find(",Credit,"), std::string::npos) << "no credit rows";
  Verdict v = Validate(csv);
  // The validator exits 0 even when rules fail: the verdict is in the report.
  ASSERT_EQ(v.exit_code, 0) << v.log;
  EXPECT_TRUE(v.failed.empty()) << ::testing::PrintToString(v.failed) << "\n" << text;
  EXPECT_GE(v.passed, 100) << "the validator checked too few rules\n" << v.log;
  EXPECT_LE(v.excused, 1);  // only InvoiceId-C-004-C (see OrAlternatives)
  std::cout << "focus-validator: " << v.rules << " rules, " << v.passed << " passed, "
            << v.failed.size() << " failed, " << v.excused << " failed OR alternatives\n";
}

// The harness itself: a row without BillingCurrency must be caught, so that a change in the
// report's format cannot make the test above pass by reading nothing. (Not an unknown
// ChargeCategory: 2.2.1 passes an allowed-values OR when any row has an allowed value.)
TEST_F(FocusValidator, SeesABrokenDataset) {
  std::string text = testing::ReadFile(ExportAdjustedMonth(dir_));
  const size_t at = text.find(",KRW,");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 5, ",,");
  const std::string broken = dir_.Sub("broken.csv");
  testing::WriteFile(broken, text);
  Verdict v = Validate(broken);
  ASSERT_EQ(v.exit_code, 0) << v.log;
  EXPECT_NE(std::find(v.failed.begin(), v.failed.end(), "BillingCurrency-C-004-M"), v.failed.end())
      << ::testing::PrintToString(v.failed);
}

}  // namespace
}  // namespace gpuledger
