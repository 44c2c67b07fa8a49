#include "tests/ledger/intake_rules_fixture.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gpuledger/ledger.h"
#include "gpuledger/types.h"

namespace gpuledger::intake_rules_test {

using ::testing::AssertionFailure;
using ::testing::AssertionSuccess;

J MakeEvent(std::string_view name, std::string_view source, std::string_view id, J data) {
  J e;
  e["specversion"] = "1.0";
  e["id"] = id;
  e["source"] = source;
  e["type"] = TypeName(name);
  e["time"] = "2026-04-01T00:10:00Z";
  e["datacontenttype"] = "application/json";
  e["data"] = std::move(data);
  return e;
}

std::string DumpWithRaw(const J& e, std::string_view raw) {
  std::string s = e.dump();
  const std::string marker = "\"@RAW@\"";
  const size_t pos = s.find(marker);
  EXPECT_NE(pos, std::string::npos) << "no @RAW@ marker in " << s;
  if (pos == std::string::npos) return s;
  s.replace(pos, marker.size(), raw);
  return s;
}

std::string Printable(std::string_view message) {
  std::string out;
  for (unsigned char c : message.substr(0, 600)) {
    if (c < 0x20 || c == 0x7F || c == 0xFF || c == 0xFE) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (message.size() > 600) out += "...";
  return out;
}

std::string Describe(const Judgement& j) {
  std::string s(OutcomeName(j.outcome));
  if (!j.reason.empty()) s += " " + std::string(j.reason);
  if (!j.detail.empty()) s += " (" + j.detail + ")";
  return s;
}

void IntakeRulesTest::Open() {
  LedgerOptions options;
  options.sync_writes = false;
  auto opened = Ledger::Open(dir_.Sub("ledger"), options);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  ledger_ = std::move(opened.value());
}

Judgement IntakeRulesTest::SubmitRaw(std::string_view message,
                                     const std::vector<std::string>* bound,
                                     const Origin* origin_in) {
  Origin origin;
  if (origin_in != nullptr) {
    origin = *origin_in;
  } else {
    origin.kind = Origin::Kind::kFile;
    origin.file = "rules.jsonl";
    origin.line = ++line_;
  }
  auto judged = ledger_->Submit(message, origin, bound);
  if (!judged.ok()) {
    ADD_FAILURE() << "Submit failed: " << judged.status().ToString();
    return Judgement{Outcome::kRejected, "submit-error", judged.status().ToString(), 0};
  }
  return std::move(judged.value());
}

AssertionResult IntakeRulesTest::JudgedRaw(std::string_view message, Outcome want,
                                           std::string_view want_reason,
                                           const std::vector<std::string>* bound) {
  Judgement j = SubmitRaw(message, bound);
  if (j.outcome == want && j.reason == want_reason) return AssertionSuccess();
  return AssertionFailure() << "expected " << OutcomeName(want) << (want_reason.empty() ? "" : " ")
                            << want_reason << ", got " << Describe(j)
                            << "\n  message: " << Printable(message);
}

J IntakeRulesTest::Contract(const std::string& contract_id, const std::string& csp_id,
                            int64_t max_gpus_per_allocation) {
  J d;
  d["contract_id"] = contract_id;
  d["csp_id"] = csp_id;
  d["programme"] = "ai-research";
  d["gpu_model"] = "H100-SXM5-80GB";
  d["committed_gpus"] = 8;
  d["period_start"] = "2026-04-01T00:00:00Z";
  d["period_end"] = "2026-07-01T00:00:00Z";
  d["price_krw_per_gpu_hour"] = 3000;
  d["penalty_krw_per_gpu_hour"] = 1500;
  d["max_gpus_per_allocation"] = max_gpus_per_allocation;
  return MakeEvent("contract.registered", kMinistry, NewId("reg"), d);
}

J IntakeRulesTest::Capacity(const std::string& contract_id, const std::string& source) {
  J d;
  d["contract_id"] = contract_id;
  d["interval_start"] = "2026-04-01T00:00:00Z";
  d["interval_end"] = "2026-04-01T01:00:00Z";
  d["gpu_uuids"] = J::array({"GPU-0001", "GPU-0002"});
  return MakeEvent("capacity.reported", source, NewId("cap"), d);
}

J IntakeRulesTest::Grant(const std::string& allocation_id, const std::string& contract_id,
                         int64_t gpus) {
  J d;
  d["allocation_id"] = allocation_id;
  d["contract_id"] = contract_id;
  d["user_id"] = "U-kaist";
  d["gpus"] = gpus;
  d["start"] = "2026-04-01T00:00:00Z";
  d["end"] = "2026-05-01T00:00:00Z";
  return MakeEvent("allocation.granted", kMinistry, NewId("grant"), d);
}

J IntakeRulesTest::Release(const std::string& allocation_id, const std::string& source) {
  J d;
  d["allocation_id"] = allocation_id;
  d["at"] = "2026-04-20T00:00:00Z";
  return MakeEvent("allocation.released", source, NewId("rel"), d);
}

J IntakeRulesTest::Usage(const std::string& allocation_id, const std::string& source) {
  J d;
  d["allocation_id"] = allocation_id;
  d["interval_start"] = "2026-04-01T00:00:00Z";
  d["interval_end"] = "2026-04-01T00:10:00Z";
  d["gpu_seconds"] = 1200;
  return MakeEvent("usage.reported", source, NewId("use"), d);
}

J IntakeRulesTest::Close(const std::string& month) {
  J d;
  d["month"] = month;
  return MakeEvent("period.closed", kMinistry, NewId("close"), d);
}

J IntakeRulesTest::Void(const std::string& event_id, const std::string& source) {
  J d;
  d["event_id"] = event_id;
  d["reason"] = "sent in error";
  return MakeEvent("event.voided", source, NewId("void"), d);
}

std::string IntakeRulesTest::FreshMonth() {
  const int m = months_++;
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%04d-%02d", 2030 + m / 12, m % 12 + 1);
  return buf;
}

void IntakeRulesTest::Seed() {
  ASSERT_TRUE(Accepts(Contract("C-1", "kt-cloud", 4)));
  ASSERT_TRUE(Accepts(Contract("C-2", "naver-cloud", 8)));
  J a1 = Grant("A-1", "C-1");
  grant_a1_id_ = a1["id"].get<std::string>();
  ASSERT_TRUE(Accepts(a1));
  ASSERT_TRUE(Accepts(Grant("A-2", "C-2")));
  ASSERT_NO_FATAL_FAILURE(Commit());
}

std::vector<IntakeRulesTest::TypeCase> IntakeRulesTest::Types() {
  return {
      {"contract.registered", [this] { return Contract(NewId("C")); }},
      {"capacity.reported", [this] { return Capacity(); }},
      {"allocation.granted", [this] { return Grant(NewId("A")); }},
      {"allocation.released", [this] { return Release(); }},
      {"usage.reported", [this] { return Usage(); }},
      {"period.closed", [this] { return Close(FreshMonth()); }},
      {"event.voided",
       [this] {
         J target = Capacity();
         EXPECT_TRUE(Accepts(target));
         return Void(target["id"].get<std::string>(), kKt);
       }},
  };
}

}  // namespace gpuledger::intake_rules_test
