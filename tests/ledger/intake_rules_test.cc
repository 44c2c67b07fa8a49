// The intake rules of the external contract (shared/spec/events.md sections 1-4), checked
// through the public API only: Ledger::Open on a temporary directory, Submit, Commit,
// Abandon, reopen. Every validation rule and every reason code has a case that passes and a
// case that fails; each message is built from a valid base event of its type with one
// thing changed.
//
// Tests marked `// SPEC-DISAGREEMENT` assert the spec's answer where the implementation
// (at the time of writing) gives another; they fail until the implementation is fixed.
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "gpuledger/ledger.h"
#include "gpuledger/types.h"
#include "tests/test_util.h"

namespace gpuledger {
namespace {

using J = nlohmann::ordered_json;
using ::testing::AssertionFailure;
using ::testing::AssertionResult;
using ::testing::AssertionSuccess;

constexpr const char* kMinistry = "ministry";
constexpr const char* kKt = "csp/kt-cloud";        // owns contract C-1 and allocation A-1
constexpr const char* kNaver = "csp/naver-cloud";  // owns contract C-2 and allocation A-2

// The names of section 3.
const std::vector<std::string> kTypeNames = {
    "contract.registered", "capacity.reported", "allocation.granted", "allocation.released",
    "usage.reported",      "period.closed",     "event.voided"};

// Data fields holding timestamps (strings whose RFC 3339 form is a value rule).
const std::vector<std::string> kTimeFields = {
    "period_start", "period_end", "interval_start", "interval_end", "start", "end", "at"};

std::string TypeName(std::string_view name) { return "io.gpuledger." + std::string(name) + ".v1"; }

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

// The JSON string "@RAW@" in `e` (there must be exactly one) replaced by the text `raw`:
// for what nlohmann::json cannot produce (NaN, repeated keys, huge integers, 1.0e1).
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

std::string Repeat(std::string_view unit, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += unit;
  return s;
}

class IntakeRulesTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    LedgerOptions options;
    options.sync_writes = false;
    auto opened = Ledger::Open(dir_.Sub("ledger"), options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    ledger_ = std::move(opened.value());
  }
  void Reopen() {
    ledger_.reset();
    Open();
  }
  void Commit() {
    Status s = ledger_->Commit();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  void CommitAndReopen() {
    Commit();
    Reopen();
  }

  Judgement SubmitRaw(std::string_view message, const std::vector<std::string>* bound = nullptr,
                      const Origin* origin_in = nullptr) {
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

  AssertionResult JudgedRaw(std::string_view message, Outcome want, std::string_view want_reason,
                            const std::vector<std::string>* bound = nullptr) {
    Judgement j = SubmitRaw(message, bound);
    if (j.outcome == want && j.reason == want_reason) return AssertionSuccess();
    return AssertionFailure() << "expected " << OutcomeName(want)
                              << (want_reason.empty() ? "" : " ") << want_reason << ", got "
                              << Describe(j) << "\n  message: " << Printable(message);
  }
  AssertionResult AcceptsRaw(std::string_view m) { return JudgedRaw(m, Outcome::kAccepted, ""); }
  AssertionResult Accepts(const J& e) { return AcceptsRaw(e.dump()); }
  AssertionResult RejectsRaw(std::string_view reason, std::string_view m) {
    return JudgedRaw(m, Outcome::kRejected, reason);
  }
  AssertionResult Rejects(std::string_view reason, const J& e) {
    return RejectsRaw(reason, e.dump());
  }
  AssertionResult DuplicateRaw(std::string_view m) { return JudgedRaw(m, Outcome::kDuplicate, ""); }
  AssertionResult Duplicate(const J& e) { return DuplicateRaw(e.dump()); }

  std::string NewId(std::string_view prefix) {
    return std::string(prefix) + "-" + std::to_string(++ids_);
  }

  // --- valid base events, each with a fresh CloudEvents id ---
  J Contract(const std::string& contract_id, const std::string& csp_id = "kt-cloud",
             int64_t max_gpus_per_allocation = 4) {
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
  J Capacity(const std::string& contract_id = "C-1", const std::string& source = kKt) {
    J d;
    d["contract_id"] = contract_id;
    d["interval_start"] = "2026-04-01T00:00:00Z";
    d["interval_end"] = "2026-04-01T01:00:00Z";
    d["gpu_uuids"] = J::array({"GPU-0001", "GPU-0002"});
    return MakeEvent("capacity.reported", source, NewId("cap"), d);
  }
  J Grant(const std::string& allocation_id, const std::string& contract_id = "C-1",
          int64_t gpus = 2) {
    J d;
    d["allocation_id"] = allocation_id;
    d["contract_id"] = contract_id;
    d["user_id"] = "U-kaist";
    d["gpus"] = gpus;
    d["start"] = "2026-04-01T00:00:00Z";
    d["end"] = "2026-05-01T00:00:00Z";
    return MakeEvent("allocation.granted", kMinistry, NewId("grant"), d);
  }
  J Release(const std::string& allocation_id = "A-1", const std::string& source = kKt) {
    J d;
    d["allocation_id"] = allocation_id;
    d["at"] = "2026-04-20T00:00:00Z";
    return MakeEvent("allocation.released", source, NewId("rel"), d);
  }
  J Usage(const std::string& allocation_id = "A-1", const std::string& source = kKt) {
    J d;
    d["allocation_id"] = allocation_id;
    d["interval_start"] = "2026-04-01T00:00:00Z";
    d["interval_end"] = "2026-04-01T00:10:00Z";
    d["gpu_seconds"] = 1200;
    return MakeEvent("usage.reported", source, NewId("use"), d);
  }
  J Close(const std::string& month) {
    J d;
    d["month"] = month;
    return MakeEvent("period.closed", kMinistry, NewId("close"), d);
  }
  J Void(const std::string& event_id, const std::string& source) {
    J d;
    d["event_id"] = event_id;
    d["reason"] = "sent in error";
    return MakeEvent("event.voided", source, NewId("void"), d);
  }
  // A month not closed yet in this test (2030-01, 2030-02, ...).
  std::string FreshMonth() {
    const int m = months_++;
    char buf[16];
    std::snprintf(buf, sizeof(buf), "%04d-%02d", 2030 + m / 12, m % 12 + 1);
    return buf;
  }

  // Committed state most tests start from: contract C-1 of kt-cloud (max 4 GPUs per
  // allocation) with allocation A-1, contract C-2 of naver-cloud with allocation A-2.
  void Seed() {
    ASSERT_TRUE(Accepts(Contract("C-1", "kt-cloud", 4)));
    ASSERT_TRUE(Accepts(Contract("C-2", "naver-cloud", 8)));
    J a1 = Grant("A-1", "C-1");
    grant_a1_id_ = a1["id"].get<std::string>();
    ASSERT_TRUE(Accepts(a1));
    ASSERT_TRUE(Accepts(Grant("A-2", "C-2")));
    ASSERT_NO_FATAL_FAILURE(Commit());
  }

  // One valid event of each type (after Seed). event.voided: accepts a fresh capacity
  // report first and voids it.
  struct TypeCase {
    std::string name;
    std::function<J()> make;
  };
  std::vector<TypeCase> Types() {
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

  gpuledger::testing::TempDir dir_;
  std::unique_ptr<Ledger> ledger_;
  uint64_t line_ = 0;
  int ids_ = 0;
  int months_ = 0;
  std::string grant_a1_id_;  // the CloudEvents id of Seed's grant of A-1
};

// =========================================================================================
// Check 1: malformed envelope.
// =========================================================================================
class IntakeEnvelopeTest : public IntakeRulesTest {};

TEST_F(IntakeEnvelopeTest, EveryTypeFromAPermittedSourceIsAccepted) {
  Seed();
  for (auto& t : Types()) {
    SCOPED_TRACE(t.name);
    EXPECT_TRUE(Accepts(t.make()));
  }
  // Both sources that may send allocation.released and event.voided.
  EXPECT_TRUE(Accepts(Release("A-1", kMinistry)));
  J grant = Grant("A-77");
  ASSERT_TRUE(Accepts(grant));
  EXPECT_TRUE(Accepts(Void(grant["id"].get<std::string>(), kMinistry)));
}

TEST_F(IntakeEnvelopeTest, NotUtf8IsMalformed) {
  Seed();
  J e = Usage();
  e["subject"] = "@RAW@";
  EXPECT_TRUE(RejectsRaw(reason::kMalformed, DumpWithRaw(e,
                                                         "\"alloc/\xFF"
                                                         "A-1\"")));
  // Also in an ignored extra data field, and as a truncated multi-byte sequence.
  J e2 = Usage();
  e2["data"]["note"] = "@RAW@";
  EXPECT_TRUE(RejectsRaw(reason::kMalformed, DumpWithRaw(e2, "\"\xEA\xB0\"")));
  EXPECT_TRUE(RejectsRaw(reason::kMalformed, DumpWithRaw(e2, "\"\xC0\xAF\"")));  // overlong
  // An encoded surrogate (ED A0 80), and a lone surrogate escape, which decodes to no
  // Unicode character (I-JSON, which RFC 8785 canonicalisation requires, forbids it).
  EXPECT_TRUE(RejectsRaw(reason::kMalformed, DumpWithRaw(e2, "\"\xED\xA0\x80\"")));
  EXPECT_TRUE(RejectsRaw(reason::kMalformed, DumpWithRaw(e2, "\"\\ud800\"")));
  // The same messages in valid UTF-8 (Korean text) are accepted.
  EXPECT_TRUE(AcceptsRaw(DumpWithRaw(e, "\"alloc/\xEA\xB0\x80-A-1\"")));
  EXPECT_TRUE(AcceptsRaw(DumpWithRaw(e2, "\"\xEA\xB0\x80\"")));
}

TEST_F(IntakeEnvelopeTest, NotJsonIsMalformed) {
  Seed();
  const std::string good = Usage().dump();
  EXPECT_TRUE(RejectsRaw(reason::kMalformed, "not json"));
  EXPECT_TRUE(RejectsRaw(reason::kMalformed, good.substr(0, good.size() - 1)));  // truncated
  EXPECT_TRUE(RejectsRaw(reason::kMalformed, good + " x"));                      // trailing text
  EXPECT_TRUE(RejectsRaw(reason::kMalformed, good + good));                      // two values
  EXPECT_TRUE(RejectsRaw(reason::kMalformed, "{'specversion':'1.0'}"));
  EXPECT_TRUE(RejectsRaw(reason::kMalformed, ""));
  // An unescaped control character inside a string.
  J ctl = Usage();
  ctl["subject"] = "@RAW@";
  EXPECT_TRUE(RejectsRaw(reason::kMalformed, DumpWithRaw(ctl, "\"a\tb\"")));
  EXPECT_TRUE(AcceptsRaw(DumpWithRaw(ctl, "\"a\\tb\"")));
  // Trailing comma.
  J e = Usage();
  std::string s = e.dump();
  s.insert(s.size() - 1, ",");
  EXPECT_TRUE(RejectsRaw(reason::kMalformed, s));
  EXPECT_TRUE(AcceptsRaw(good));
}

TEST_F(IntakeEnvelopeTest, JsonThatIsNotAnObjectIsMalformed) {
  Seed();
  J e = Usage();
  EXPECT_TRUE(RejectsRaw(reason::kMalformed, "[" + e.dump() + "]"));
  EXPECT_TRUE(RejectsRaw(reason::kMalformed, J(e.dump()).dump()));  // the event as a string
  EXPECT_TRUE(RejectsRaw(reason::kMalformed, "\"hello\""));
  EXPECT_TRUE(RejectsRaw(reason::kMalformed, "42"));
  EXPECT_TRUE(RejectsRaw(reason::kMalformed, "null"));
  EXPECT_TRUE(RejectsRaw(reason::kMalformed, "true"));
  EXPECT_TRUE(Accepts(e));
}

TEST_F(IntakeEnvelopeTest, NanAndInfinityAreMalformed) {
  Seed();
  for (const char* raw : {"NaN", "Infinity", "-Infinity", "nan", "inf"}) {
    SCOPED_TRACE(raw);
    J e = Usage();
    e["data"]["extra"] = "@RAW@";
    EXPECT_TRUE(RejectsRaw(reason::kMalformed, DumpWithRaw(e, raw)));
    J top = Usage();
    top["x-extension"] = "@RAW@";
    EXPECT_TRUE(RejectsRaw(reason::kMalformed, DumpWithRaw(top, raw)));
  }
  J e = Usage();
  e["data"]["extra"] = "@RAW@";
  EXPECT_TRUE(AcceptsRaw(DumpWithRaw(e, "1.5e300")));
}

TEST_F(IntakeEnvelopeTest, RepeatedKeyIsMalformed) {
  Seed();
  // Top level: "id" twice with the same value, "source" and "data" twice with different ones.
  J e = Usage();
  const std::string id = e["id"].get<std::string>();
  for (const std::string& repeat :
       {"\"id\":\"" + id + "\",", std::string("\"source\":\"csp/naver-cloud\","),
        std::string("\"data\":{},")}) {
    SCOPED_TRACE(repeat);
    std::string s = e.dump();
    s.insert(1, repeat);
    EXPECT_TRUE(RejectsRaw(reason::kMalformed, s));
  }
  EXPECT_TRUE(Accepts(e));
  // Inside data (the same value twice, and different values).
  J d = Usage();
  d["data"]["x"] = "@RAW@";
  EXPECT_TRUE(RejectsRaw(reason::kMalformed, DumpWithRaw(d, "1,\"gpu_seconds\":1200")));
  EXPECT_TRUE(RejectsRaw(reason::kMalformed, DumpWithRaw(d, "1,\"gpu_seconds\":5")));
  // Deeper, in an ignored extension object.
  J deep = Usage();
  deep["data"]["meta"] = "@RAW@";
  EXPECT_TRUE(RejectsRaw(reason::kMalformed, DumpWithRaw(deep, R"({"k":1,"k":1})")));
  EXPECT_TRUE(RejectsRaw(reason::kMalformed, DumpWithRaw(deep, R"([{"k":1,"k":2}])")));
  // Distinct keys in every object: accepted.
  EXPECT_TRUE(AcceptsRaw(DumpWithRaw(deep, R"([{"k":1,"K":2}])")));
  EXPECT_TRUE(AcceptsRaw(DumpWithRaw(d, "1,\"y\":2")));
}

TEST_F(IntakeEnvelopeTest, RequiredAttributeMissingOrNotAStringIsMalformed) {
  Seed();
  for (const char* attr : {"specversion", "id", "source", "type", "time"}) {
    SCOPED_TRACE(attr);
    J missing = Usage();
    missing.erase(attr);
    EXPECT_TRUE(Rejects(reason::kMalformed, missing));
    for (J wrong : {J(1), J(1.0), J(true), J(nullptr), J::array({"x"}), J::object()}) {
      SCOPED_TRACE(wrong.dump());
      J e = Usage();
      e[attr] = wrong;
      EXPECT_TRUE(Rejects(reason::kMalformed, e));
    }
  }
  // specversion 1.0 as a JSON number.
  J num = Usage();
  num["specversion"] = "@RAW@";
  EXPECT_TRUE(RejectsRaw(reason::kMalformed, DumpWithRaw(num, "1.0")));
  EXPECT_TRUE(Accepts(Usage()));
}

TEST_F(IntakeEnvelopeTest, DataMissingOrNotAnObjectIsMalformed) {
  Seed();
  J missing = Usage();
  missing.erase("data");
  EXPECT_TRUE(Rejects(reason::kMalformed, missing));
  for (J wrong : {J("{}"), J(1), J(true), J(nullptr), J::array(), J::array({Usage()["data"]})}) {
    SCOPED_TRACE(wrong.dump());
    J e = Usage();
    e["data"] = wrong;
    EXPECT_TRUE(Rejects(reason::kMalformed, e));
  }
  // data as a JSON string holding the object (a common producer mistake).
  J stringified = Usage();
  stringified["data"] = stringified["data"].dump();
  EXPECT_TRUE(Rejects(reason::kMalformed, stringified));
  EXPECT_TRUE(Accepts(Usage()));
}

TEST_F(IntakeEnvelopeTest, SpecversionMustBe1_0) {
  Seed();
  for (const char* v : {"0.3", "1", "1.0.0", "1.1", "2.0", "", " 1.0", "1.0 "}) {
    SCOPED_TRACE(v);
    J e = Usage();
    e["specversion"] = v;
    EXPECT_TRUE(Rejects(reason::kMalformed, e));
  }
  J e = Usage();
  e["specversion"] = "1.0";
  EXPECT_TRUE(Accepts(e));
}

TEST_F(IntakeEnvelopeTest, IdLengthCountsCharacters) {
  Seed();
  auto with_id = [&](const std::string& id) {
    J e = Usage();
    e["id"] = id;
    return e;
  };
  EXPECT_TRUE(Rejects(reason::kMalformed, with_id("")));
  EXPECT_TRUE(Accepts(with_id("x")));
  EXPECT_TRUE(Accepts(with_id(Repeat("a", 128))));
  EXPECT_TRUE(Rejects(reason::kMalformed, with_id(Repeat("b", 129))));
  // 128 Hangul syllables are 384 bytes but 128 characters.
  EXPECT_TRUE(Accepts(with_id(Repeat("\xEA\xB0\x80", 128))));                      // 가 x 128
  EXPECT_TRUE(Rejects(reason::kMalformed, with_id(Repeat("\xEB\x82\x98", 129))));  // 나 x 129
  // Characters outside the BMP (4 bytes, 2 UTF-16 units) count as one character each.
  EXPECT_TRUE(Accepts(with_id(Repeat("\xF0\x9F\x98\x80", 128))));
  EXPECT_TRUE(Rejects(reason::kMalformed, with_id(Repeat("\xF0\x9F\x98\x81", 129))));
  // Written as \u escapes in the JSON text: counted after decoding (128 characters).
  J escaped = Usage();
  escaped["id"] = "@RAW@";
  EXPECT_TRUE(AcceptsRaw(DumpWithRaw(escaped, "\"" + Repeat("\\uB2E4", 128) + "\"")));
}

TEST_F(IntakeEnvelopeTest, EmptySourceIsMalformed) {
  Seed();
  J e = Usage();
  e["source"] = "";
  EXPECT_TRUE(Rejects(reason::kMalformed, e));
  EXPECT_TRUE(Accepts(Usage()));
}

TEST_F(IntakeEnvelopeTest, TimeMustBeAnRfc3339DateTime) {
  Seed();
  for (const char* t : {"2026-04-01 00:00:00Z",
                        "2026-04-01T00:00:60Z",
                        "2026-06-30T23:59:60Z",
                        "2026-04-01T00:00:00",
                        "2026-04-01",
                        "00:00:00Z",
                        "2026-04-01T00:00Z",
                        "2026-4-01T00:00:00Z",
                        "2026-04-1T00:00:00Z",
                        "2026-04-01T0:00:00Z",
                        "2026-13-01T00:00:00Z",
                        "2026-02-29T00:00:00Z",
                        "2026-04-31T00:00:00Z",
                        "2026-04-01T24:00:00Z",
                        "2026-04-01T00:60:00Z",
                        "2026-04-01T00:00:00+0900",
                        "2026-04-01T00:00:00+09",
                        "2026-04-01T00:00:00 Z",
                        "2026-04-01T00:00:00UTC",
                        "2026-04-01T00:00:00.Z",
                        "1775001600",
                        "",
                        "2026-04-01T00:00:00Z "}) {
    SCOPED_TRACE(t);
    J e = Usage();
    e["time"] = t;
    EXPECT_TRUE(Rejects(reason::kMalformed, e));
  }
  for (const char* t :
       {"2026-04-01T00:10:00Z", "2026-04-01t00:10:00z", "2026-04-01t00:10:00Z",
        "2026-04-01T00:10:00z", "2026-04-01T09:10:00+09:00", "2026-03-31T19:10:00-05:00",
        "2026-04-01T00:10:00+00:00", "2026-04-01T00:10:00-00:00", "2028-02-29T00:00:00Z"}) {
    SCOPED_TRACE(t);
    J e = Usage();
    e["time"] = t;
    EXPECT_TRUE(Accepts(e));
  }
}

TEST_F(IntakeEnvelopeTest, OptionalAttributesMustBeStringsWhenPresent) {
  Seed();
  for (const char* attr : {"subject", "datacontenttype", "dataschema"}) {
    SCOPED_TRACE(attr);
    for (J wrong : {J(1), J(true), J(nullptr), J::array({"x"}), J::object()}) {
      SCOPED_TRACE(wrong.dump());
      J e = Usage();
      e[attr] = wrong;
      EXPECT_TRUE(Rejects(reason::kMalformed, e));
    }
    J absent = Usage();
    absent.erase(attr);
    EXPECT_TRUE(Accepts(absent));
    J empty = Usage();
    empty[attr] = "";
    EXPECT_TRUE(Accepts(empty));
    J present = Usage();
    present[attr] =
        attr == std::string("dataschema") ? "https://gpuledger.io/schemas/usage.json" : "alloc/A-1";
    EXPECT_TRUE(Accepts(present));
  }
}

TEST_F(IntakeEnvelopeTest, UnknownAttributesAndDataFieldsAreIgnored) {
  Seed();
  J e = Usage();
  e["partitionkey"] = "A-1";
  e["traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  e["x-number"] = 7;
  e["x-object"] = J::object({{"nested", J::array({1, "two", nullptr})}});
  e["data"]["note"] = "re-sent after outage";
  e["data"]["extra_numbers"] = J::array({1.5, -2, 0});
  e["data"]["meta"] = nullptr;
  EXPECT_TRUE(Accepts(e));
  J c = Contract("C-extra");
  c["data"]["region"] = "kr-central-1";
  c["data"]["contact"] = J::object({{"name", "김철수"}});
  EXPECT_TRUE(Accepts(c));
}

// =========================================================================================
// Check 2: duplicates.
// =========================================================================================
class IntakeDuplicateTest : public IntakeRulesTest {};

TEST_F(IntakeDuplicateTest, SameSourceIdAndContentIsDuplicate) {
  Seed();
  const uint64_t before = ledger_->size();
  J e = Usage();
  Judgement first = SubmitRaw(e.dump());
  ASSERT_EQ(first.outcome, Outcome::kAccepted) << Describe(first);
  Judgement again = SubmitRaw(e.dump());
  EXPECT_EQ(again.outcome, Outcome::kDuplicate) << Describe(again);
  EXPECT_TRUE(again.reason.empty());
  EXPECT_EQ(again.index, first.index);
  Commit();
  EXPECT_EQ(ledger_->size(), before + 1);  // not appended again
  EXPECT_EQ(ledger_->stats().duplicates, 1u);
  EXPECT_EQ(ledger_->stats().rejects, 0u);
}

TEST_F(IntakeDuplicateTest, DuplicateSurvivesCommitAndReopen) {
  Seed();
  J e = Usage();
  Judgement first = SubmitRaw(e.dump());
  ASSERT_EQ(first.outcome, Outcome::kAccepted) << Describe(first);
  CommitAndReopen();
  Judgement again = SubmitRaw(e.dump());
  EXPECT_EQ(again.outcome, Outcome::kDuplicate) << Describe(again);
  EXPECT_EQ(again.index, first.index);
  J changed = e;
  changed["data"]["gpu_seconds"] = 1201;
  EXPECT_TRUE(Rejects(reason::kConflictingDuplicate, changed));
  CommitAndReopen();
  EXPECT_TRUE(Duplicate(e));
  EXPECT_TRUE(Rejects(reason::kConflictingDuplicate, changed));
}

TEST_F(IntakeDuplicateTest, CanonicalEqualityIgnoresKeyOrderWhitespaceAndNumberSpelling) {
  Seed();
  J e = Usage();
  e["x-extension"] = "@RAW@";
  ASSERT_TRUE(AcceptsRaw(DumpWithRaw(e, "10")));
  // Same content, keys in another order, with white space.
  std::string reordered =
      "{ \"data\" : { \"gpu_seconds\" : 1200 ,\n \"interval_end\" : \"" +
      e["data"]["interval_end"].get<std::string>() + "\", \"interval_start\":\"" +
      e["data"]["interval_start"].get<std::string>() +
      "\", \"allocation_id\":\"A-1\"},\t\"x-extension\": 10, \"time\":\"" +
      e["time"].get<std::string>() + "\", \"type\":\"" + e["type"].get<std::string>() +
      "\", \"source\":\"" + kKt + "\", \"id\":\"" + e["id"].get<std::string>() +
      "\", \"datacontenttype\":\"application/json\", \"specversion\":\"1.0\" }";
  EXPECT_TRUE(DuplicateRaw(reordered));
  // Numbers equal as IEEE-754 doubles are the same content (RFC 8785 3.2.2.3).
  for (const char* spelling : {"1.0e1", "10.0", "1E1", "100e-1", "10.000000"}) {
    SCOPED_TRACE(spelling);
    EXPECT_TRUE(DuplicateRaw(DumpWithRaw(e, spelling)));
  }
  // String escapes that decode to the same characters are the same content.
  std::string escaped = DumpWithRaw(e, "10");
  const std::string alloc = "\"allocation_id\":\"A-1\"";
  escaped.replace(escaped.find(alloc), alloc.size(), "\"allocation_id\":\"\\u0041-\\u0031\"");
  EXPECT_TRUE(DuplicateRaw(escaped));
  // A different number is different content, even in an ignored field.
  EXPECT_TRUE(RejectsRaw(reason::kConflictingDuplicate, DumpWithRaw(e, "11")));
  EXPECT_TRUE(RejectsRaw(reason::kConflictingDuplicate, DumpWithRaw(e, "\"10\"")));
}

TEST_F(IntakeDuplicateTest, DifferentContentIsConflictingDuplicate) {
  Seed();
  J e = Usage();
  ASSERT_TRUE(Accepts(e));
  J gpu = e;
  gpu["data"]["gpu_seconds"] = 1199;
  EXPECT_TRUE(Rejects(reason::kConflictingDuplicate, gpu));
  J extra = e;  // an ignored extra data field still is content
  extra["data"]["note"] = "x";
  EXPECT_TRUE(Rejects(reason::kConflictingDuplicate, extra));
  J subject = e;  // an optional attribute
  subject["subject"] = "alloc/A-1";
  EXPECT_TRUE(Rejects(reason::kConflictingDuplicate, subject));
  J no_dct = e;  // an attribute removed
  no_dct.erase("datacontenttype");
  EXPECT_TRUE(Rejects(reason::kConflictingDuplicate, no_dct));
  J time = e;  // the same instant written another way is different content
  time["time"] = "2026-04-01T09:10:00+09:00";
  EXPECT_TRUE(Rejects(reason::kConflictingDuplicate, time));
  // A conflicting duplicate is rejected, not appended: the original still stands.
  Commit();
  EXPECT_EQ(ledger_->size(), 5u);  // Seed's 4 and e
  EXPECT_EQ(ledger_->stats().rejects, 5u);
  EXPECT_TRUE(Duplicate(e));
}

TEST_F(IntakeDuplicateTest, SameIdFromAnotherSourceIsNotADuplicate) {
  Seed();
  J kt = Usage("A-1", kKt);
  kt["id"] = "shared-id-1";
  ASSERT_TRUE(Accepts(kt));
  J naver = Usage("A-2", kNaver);
  naver["id"] = "shared-id-1";
  EXPECT_TRUE(Accepts(naver));
  J ministry = Release("A-1", kMinistry);
  ministry["id"] = "shared-id-1";
  EXPECT_TRUE(Accepts(ministry));
  // Byte-identical content except the source: judged afresh, not as a duplicate (here
  // check 8: A-1 is kt-cloud's allocation, not kt-cloud-2's).
  J same = kt;
  same["source"] = "csp/kt-cloud-2";
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, same));
  CommitAndReopen();
  EXPECT_TRUE(Duplicate(kt));
  EXPECT_TRUE(Duplicate(naver));
  EXPECT_TRUE(Duplicate(ministry));
}

TEST_F(IntakeDuplicateTest, RejectedMessageIsJudgedAfreshWhenSentAgain) {
  Seed();
  J usage = Usage("A-9");  // A-9 not granted yet
  EXPECT_TRUE(Rejects(reason::kInvalidReference, usage));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, usage));  // still rejected, not duplicate
  CommitAndReopen();
  EXPECT_TRUE(Rejects(reason::kInvalidReference, usage));
  ASSERT_TRUE(Accepts(Grant("A-9", "C-1")));
  EXPECT_TRUE(Accepts(usage));  // the same bytes, now accepted
  EXPECT_TRUE(Duplicate(usage));
  Commit();
  EXPECT_EQ(ledger_->stats().rejects, 3u);
  // A malformed message with an id does not claim the id either.
  J bad = Usage();
  bad["time"] = "yesterday";
  EXPECT_TRUE(Rejects(reason::kMalformed, bad));
  bad["time"] = "2026-04-01T00:10:00Z";
  EXPECT_TRUE(Accepts(bad));
  // Nor does an invalid_value reject; the corrected message under its id is accepted.
  J later = Usage();
  J negative = later;
  negative["data"]["gpu_seconds"] = -5;
  EXPECT_TRUE(Rejects(reason::kInvalidValue, negative));
  EXPECT_TRUE(Accepts(later));
}

TEST_F(IntakeDuplicateTest, DuplicateCheckComesBeforeTypeAndStateChecks) {
  Seed();
  J e = Usage();
  ASSERT_TRUE(Accepts(e));
  // Same (source, id), now with an unknown type: check 2 (conflicting) before check 3.
  J unknown = e;
  unknown["type"] = "io.gpuledger.foo.v1";
  EXPECT_TRUE(Rejects(reason::kConflictingDuplicate, unknown));
  // Same (source, id), data that would fail checks 5/6: still conflicting_duplicate.
  J bad = e;
  bad["data"].erase("gpu_seconds");
  EXPECT_TRUE(Rejects(reason::kConflictingDuplicate, bad));
  // Once the allocation is voided a fresh usage is invalid_reference, but the exact
  // re-send is still a duplicate (check 2 comes before check 7).
  ASSERT_TRUE(Accepts(Void(grant_a1_id_, kMinistry)));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Usage()));
  EXPECT_TRUE(Duplicate(e));
  // Fractional envelope time (check 6) under the (source, id) of an accepted event.
  J frac = e;
  frac["time"] = "2026-04-01T00:10:00.5Z";
  EXPECT_TRUE(Rejects(reason::kConflictingDuplicate, frac));
  // A message that fails check 1 is malformed even with the (source, id) of an accepted event.
  J malformed = e;
  malformed["specversion"] = "0.3";
  EXPECT_TRUE(Rejects(reason::kMalformed, malformed));
}

// =========================================================================================
// Check 3: unknown type.
// =========================================================================================
class IntakeTypeTest : public IntakeRulesTest {};

TEST_F(IntakeTypeTest, TypeMustBeASection3NameInTheV1Namespace) {
  Seed();
  for (const char* t : {"io.gpuledger.foo.v1", "io.gpuledger.usage.reported.v2", "usage.reported",
                        "io.gpuledger.usage.reported", "io.gpuledger.usage.reported.v1.v1",
                        "io.gpuledger..v1", "io.gpuledger.v1", "IO.GPULEDGER.USAGE.REPORTED.V1",
                        "io.gpuledger.Usage.Reported.v1", "io.gpuledger.usage_reported.v1",
                        "com.example.usage.reported.v1", "io.gpuledger.usage.reported.v1 ",
                        " io.gpuledger.usage.reported.v1", "", "io.gpuledger.reported.v1"}) {
    SCOPED_TRACE(t);
    J e = Usage();
    e["type"] = t;
    EXPECT_TRUE(Rejects(reason::kUnknownType, e));
  }
  // Every section 3 name, outside the v1 namespace, is unknown too.
  for (const std::string& name : kTypeNames) {
    for (const std::string& t : {"io.gpuledger." + name + ".v2", name, "io.gpuledger." + name,
                                 name + ".v1", "io.gpuledger." + name + ".V1"}) {
      SCOPED_TRACE(t);
      J e = Usage();
      e["type"] = t;
      EXPECT_TRUE(Rejects(reason::kUnknownType, e));
    }
  }
  EXPECT_TRUE(Accepts(Usage()));
}

// =========================================================================================
// Check 4: who may send what.
// =========================================================================================
class IntakeSourceTest : public IntakeRulesTest {};

TEST_F(IntakeSourceTest, MinistrySendsOnlyItsTypes) {
  Seed();
  J usage = Usage("A-1", kMinistry);
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, usage));
  J cap = Capacity("C-1", kMinistry);
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, cap));
  // Its own types are accepted (release and void also from the ministry).
  EXPECT_TRUE(Accepts(Contract("C-m")));
  EXPECT_TRUE(Accepts(Grant("A-m")));
  EXPECT_TRUE(Accepts(Release("A-m", kMinistry)));
  EXPECT_TRUE(Accepts(Close("2026-04")));
}

TEST_F(IntakeSourceTest, CspSendsOnlyItsTypes) {
  Seed();
  J reg = Contract("C-csp");
  reg["source"] = kKt;
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, reg));
  J grant = Grant("A-csp");
  grant["source"] = kKt;
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, grant));
  J close = Close("2026-04");
  close["source"] = kKt;
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, close));
  EXPECT_TRUE(Accepts(Capacity("C-1", kKt)));
  EXPECT_TRUE(Accepts(Usage("A-1", kKt)));
  EXPECT_TRUE(Accepts(Release("A-1", kKt)));
}

TEST_F(IntakeSourceTest, OtherSourcesMaySendNothing) {
  Seed();
  for (const char* source :
       {"csp/", "csp", "someone", "Ministry", "MINISTRY", "ministry/", "ministry/kt-cloud",
        "CSP/kt-cloud", "kt-cloud", " csp/kt-cloud", "https://ministry.go.kr"}) {
    SCOPED_TRACE(source);
    for (auto& t : Types()) {
      SCOPED_TRACE(t.name);
      J e = t.make();
      e["source"] = source;
      EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, e));
    }
  }
}

TEST_F(IntakeSourceTest, KafkaTopicMustBeBoundToTheSource) {
  Seed();
  const std::vector<std::string> kt_topic = {kKt};
  const std::vector<std::string> naver_topic = {kNaver};
  const std::vector<std::string> none = {};
  const std::vector<std::string> many = {kMinistry, kNaver, kKt};
  EXPECT_TRUE(
      JudgedRaw(Usage().dump(), Outcome::kRejected, reason::kUnauthorizedSource, &naver_topic));
  EXPECT_TRUE(JudgedRaw(Usage().dump(), Outcome::kRejected, reason::kUnauthorizedSource, &none));
  // A ministry event on a CSP's topic.
  EXPECT_TRUE(JudgedRaw(Contract("C-k").dump(), Outcome::kRejected, reason::kUnauthorizedSource,
                        &kt_topic));
  EXPECT_TRUE(JudgedRaw(Usage().dump(), Outcome::kAccepted, "", &kt_topic));
  EXPECT_TRUE(JudgedRaw(Usage().dump(), Outcome::kAccepted, "", &many));
  EXPECT_TRUE(JudgedRaw(Contract("C-k").dump(), Outcome::kAccepted, "", &many));
  // Bound topic but bad data: check 4 comes before check 5.
  J bad = Usage();
  bad["data"].erase("gpu_seconds");
  EXPECT_TRUE(JudgedRaw(bad.dump(), Outcome::kRejected, reason::kUnauthorizedSource, &naver_topic));
  EXPECT_TRUE(JudgedRaw(bad.dump(), Outcome::kRejected, reason::kMalformed, &kt_topic));
}

// =========================================================================================
// Check 5: data fields missing or of the wrong JSON type.
// =========================================================================================
class IntakeDataTypeTest : public IntakeRulesTest {};

TEST_F(IntakeDataTypeTest, EveryRequiredDataFieldMissingIsMalformed) {
  Seed();
  for (auto& t : Types()) {
    SCOPED_TRACE(t.name);
    const J base = t.make();
    ASSERT_TRUE(base["data"].is_object());
    ASSERT_FALSE(base["data"].empty());
    for (auto& [field, value] : base["data"].items()) {
      SCOPED_TRACE(field);
      J e = base;
      e["data"].erase(field);
      EXPECT_TRUE(Rejects(reason::kMalformed, e));
    }
    J empty = base;
    empty["data"] = J::object();
    EXPECT_TRUE(Rejects(reason::kMalformed, empty));
    EXPECT_TRUE(Accepts(base));
  }
}

TEST_F(IntakeDataTypeTest, EveryDataFieldOfTheWrongJsonTypeIsMalformed) {
  Seed();
  const std::vector<J> not_string = {
      J(1), J(0), J(1.5), J(true), J(nullptr), J::array({"x"}), J::object({{"x", "y"}})};
  const std::vector<J> not_int = {J("8"),  J("2"),   J(1.0),     J(2.0),        J(2.5),
                                  J(true), J(false), J(nullptr), J::array({2}), J::object()};
  const std::vector<J> not_list = {J("GPU-0001"),
                                   J(1),
                                   J(true),
                                   J(nullptr),
                                   J::object(),
                                   J::array({1}),
                                   J::array({nullptr}),
                                   J::array({"GPU-0001", 2}),
                                   J::array({J::array({"GPU-0001"})})};
  for (auto& t : Types()) {
    SCOPED_TRACE(t.name);
    const J base = t.make();
    for (auto& [field, value] : base["data"].items()) {
      SCOPED_TRACE(field);
      const std::vector<J>* wrongs = value.is_string()           ? &not_string
                                     : value.is_number_integer() ? &not_int
                                     : value.is_array()          ? &not_list
                                                                 : nullptr;
      ASSERT_NE(wrongs, nullptr);
      for (const J& wrong : *wrongs) {
        SCOPED_TRACE(wrong.dump());
        J e = base;
        e["data"][field] = wrong;
        EXPECT_TRUE(Rejects(reason::kMalformed, e));
      }
    }
    EXPECT_TRUE(Accepts(base));
  }
}

TEST_F(IntakeDataTypeTest, IntegersWrittenWithAFractionOrExponentAreNotIntegers) {
  Seed();
  for (const char* raw : {"1200.0", "1.2e3", "1200.5"}) {
    SCOPED_TRACE(raw);
    J e = Usage();
    e["data"]["gpu_seconds"] = "@RAW@";
    EXPECT_TRUE(RejectsRaw(reason::kMalformed, DumpWithRaw(e, raw)));
  }
  J e = Usage();
  e["data"]["gpu_seconds"] = "@RAW@";
  EXPECT_TRUE(AcceptsRaw(DumpWithRaw(e, "1200")));
}

TEST_F(IntakeDataTypeTest, EmptyGpuListIsAListOfStrings) {
  Seed();
  J e = Capacity();
  e["data"]["gpu_uuids"] = J::array();
  EXPECT_TRUE(Accepts(e));
  J one = Capacity();
  one["data"]["gpu_uuids"] = J::array({"GPU-0009"});
  EXPECT_TRUE(Accepts(one));
}

// =========================================================================================
// Check 6: value rules that need no ledger state.
// =========================================================================================
class IntakeValueTest : public IntakeRulesTest {};

TEST_F(IntakeValueTest, FractionalSecondsInEnvelopeTimeAreInvalidValue) {
  Seed();
  for (auto& t : Types()) {
    SCOPED_TRACE(t.name);
    for (const char* time : {"2026-04-01T00:10:00.5Z", "2026-04-01T00:10:00.0Z",
                             "2026-04-01T00:10:00.000000001Z", "2026-04-01T09:10:00.250+09:00"}) {
      SCOPED_TRACE(time);
      J e = t.make();
      e["time"] = time;
      EXPECT_TRUE(Rejects(reason::kInvalidValue, e));
    }
    EXPECT_TRUE(Accepts(t.make()));
  }
}

TEST_F(IntakeValueTest, FractionalSecondsInDataTimesAreInvalidValue) {
  Seed();
  int checked = 0;
  for (auto& t : Types()) {
    SCOPED_TRACE(t.name);
    const J base = t.make();
    for (auto& [field, value] : base["data"].items()) {
      if (std::find(kTimeFields.begin(), kTimeFields.end(), field) == kTimeFields.end()) continue;
      SCOPED_TRACE(field);
      std::string text = value.get<std::string>();
      ASSERT_EQ(text.back(), 'Z');
      for (const char* frac : {".5", ".0", ".999"}) {
        J e = base;
        e["data"][field] = text.substr(0, text.size() - 1) + frac + "Z";
        EXPECT_TRUE(Rejects(reason::kInvalidValue, e));
      }
      ++checked;
    }
    EXPECT_TRUE(Accepts(base));
  }
  EXPECT_EQ(checked, 9);  // 2 contract + 2 capacity + 2 grant + 1 release + 2 usage
}

TEST_F(IntakeValueTest, DataTimesMustBeRfc3339) {
  // Section 2: timestamps are RFC 3339 date-times. A data time of the right JSON type
  // (string) but not a date-time breaks a value rule (check 6).
  Seed();
  for (const char* bad : {"2026-04-01 00:00:00Z", "2026-04-01T00:00:60Z", "2026-04-01T00:00:00",
                          "2026-04-01", "", "tomorrow"}) {
    SCOPED_TRACE(bad);
    J u = Usage();
    u["data"]["interval_start"] = bad;
    EXPECT_TRUE(Rejects(reason::kInvalidValue, u));
    J r = Release();
    r["data"]["at"] = bad;
    EXPECT_TRUE(Rejects(reason::kInvalidValue, r));
  }
  J lower = Release();
  lower["data"]["at"] = "2026-04-20t09:00:00+09:00";
  EXPECT_TRUE(Accepts(lower));
}

TEST_F(IntakeValueTest, StartMustBeBeforeEndForEveryInterval) {
  Seed();
  struct Interval {
    std::function<J()> make;
    std::string start, end;
  };
  std::vector<Interval> intervals = {
      {[this] { return Contract(NewId("C")); }, "period_start", "period_end"},
      {[this] { return Capacity(); }, "interval_start", "interval_end"},
      {[this] { return Grant(NewId("A")); }, "start", "end"},
      {[this] { return Usage(); }, "interval_start", "interval_end"},
  };
  for (auto& iv : intervals) {
    SCOPED_TRACE(iv.start);
    J equal = iv.make();
    equal["data"][iv.end] = equal["data"][iv.start];
    EXPECT_TRUE(Rejects(reason::kInvalidValue, equal)) << equal["type"];
    J reversed = iv.make();
    std::swap(reversed["data"][iv.start], reversed["data"][iv.end]);
    EXPECT_TRUE(Rejects(reason::kInvalidValue, reversed)) << reversed["type"];
    // Equal instants written with different offsets are still equal.
    J offset = iv.make();
    offset["data"][iv.start] = "2026-04-01T00:00:00Z";
    offset["data"][iv.end] = "2026-04-01T09:00:00+09:00";
    EXPECT_TRUE(Rejects(reason::kInvalidValue, offset)) << offset["type"];
    EXPECT_TRUE(Accepts(iv.make())) << iv.start;
  }
  // One second apart is enough for an interval that need not be on whole hours.
  J cap = Capacity();
  cap["data"]["interval_end"] = "2026-04-01T00:00:01Z";
  EXPECT_TRUE(Accepts(cap));
  J grant = Grant("A-short");
  grant["data"]["end"] = "2026-04-01T00:00:01Z";
  EXPECT_TRUE(Accepts(grant));
  J usage = Usage();
  usage["data"]["interval_end"] = "2026-04-01T00:00:01Z";
  usage["data"]["gpu_seconds"] = 2;
  EXPECT_TRUE(Accepts(usage));
}

TEST_F(IntakeValueTest, UsageIntervalMustNotCrossAnHourBoundary) {
  Seed();
  auto usage = [&](const char* start, const char* end) {
    J e = Usage();
    e["data"]["interval_start"] = start;
    e["data"]["interval_end"] = end;
    e["data"]["gpu_seconds"] = 600;
    return e;
  };
  EXPECT_TRUE(
      Rejects(reason::kInvalidValue, usage("2026-04-01T00:50:00Z", "2026-04-01T01:10:00Z")));
  EXPECT_TRUE(
      Rejects(reason::kInvalidValue, usage("2026-04-01T00:00:00Z", "2026-04-01T01:00:01Z")));
  EXPECT_TRUE(
      Rejects(reason::kInvalidValue, usage("2026-04-01T00:59:59Z", "2026-04-01T01:00:01Z")));
  EXPECT_TRUE(
      Rejects(reason::kInvalidValue, usage("2026-04-01T00:00:00Z", "2026-04-01T02:00:00Z")));
  EXPECT_TRUE(
      Rejects(reason::kInvalidValue, usage("2026-04-01T23:30:00Z", "2026-04-02T00:30:00Z")));
  // Ending exactly on the next whole hour is fine; so is a whole clock hour.
  EXPECT_TRUE(Accepts(usage("2026-04-01T00:50:00Z", "2026-04-01T01:00:00Z")));
  EXPECT_TRUE(Accepts(usage("2026-04-01T00:00:00Z", "2026-04-01T01:00:00Z")));
  EXPECT_TRUE(Accepts(usage("2026-04-01T23:59:59Z", "2026-04-02T00:00:00Z")));
  // The same instants written in KST (+09:00): KST and UTC hours coincide.
  EXPECT_TRUE(Accepts(usage("2026-04-01T09:50:00+09:00", "2026-04-01T10:00:00+09:00")));
  EXPECT_TRUE(Rejects(reason::kInvalidValue,
                      usage("2026-04-01T09:50:00+09:00", "2026-04-01T10:10:00+09:00")));
  // Mixed offsets: 00:30Z to 09:55+09:00 (= 00:55Z) stays inside one hour.
  EXPECT_TRUE(Accepts(usage("2026-04-01T00:30:00Z", "2026-04-01T09:55:00+09:00")));
}

TEST_F(IntakeValueTest, ContractPeriodMustBeOnWholeUtcHours) {
  Seed();
  auto contract = [&](const char* start, const char* end) {
    J e = Contract(NewId("C"));
    e["data"]["period_start"] = start;
    e["data"]["period_end"] = end;
    return e;
  };
  EXPECT_TRUE(
      Rejects(reason::kInvalidValue, contract("2026-04-01T00:30:00Z", "2026-07-01T00:00:00Z")));
  EXPECT_TRUE(
      Rejects(reason::kInvalidValue, contract("2026-04-01T00:00:00Z", "2026-07-01T00:00:01Z")));
  EXPECT_TRUE(
      Rejects(reason::kInvalidValue, contract("2026-04-01T00:00:59Z", "2026-07-01T00:00:00Z")));
  // 09:00+05:30 is 03:30Z: not a whole UTC hour.
  EXPECT_TRUE(Rejects(reason::kInvalidValue,
                      contract("2026-04-01T09:00:00+05:30", "2026-07-01T00:00:00Z")));
  // +09:00 offsets that land on whole UTC hours are fine; so is +05:30 landing on one.
  EXPECT_TRUE(Accepts(contract("2026-04-01T09:00:00+09:00", "2026-07-01T09:00:00+09:00")));
  EXPECT_TRUE(Accepts(contract("2026-04-01T05:30:00+05:30", "2026-04-01T06:30:00+05:30")));
  EXPECT_TRUE(Accepts(contract("2026-04-01T00:00:00Z", "2026-04-01T01:00:00Z")));
}

TEST_F(IntakeValueTest, ProgrammeMustBeKnown) {
  Seed();
  for (const char* p : {"hpc", "ai", "AI-RESEARCH", "ai-research ", "gov_gpu", "", "unknown"}) {
    SCOPED_TRACE(p);
    J e = Contract(NewId("C"));
    e["data"]["programme"] = p;
    EXPECT_TRUE(Rejects(reason::kInvalidValue, e));
  }
  for (const char* p : {"hpc-industry", "ai-research", "gov-gpu"}) {
    SCOPED_TRACE(p);
    J e = Contract(NewId("C"));
    e["data"]["programme"] = p;
    EXPECT_TRUE(Accepts(e));
  }
}

TEST_F(IntakeValueTest, MonthMustBeYYYYMM) {
  Seed();
  for (const char* m : {"2026-13", "2026-00", "2026-4", "26-04", "2026/04", "2026-04-01", "202604",
                        "2026-4 ", "", "April 2026", "2026-1a", "-2026-04"}) {
    SCOPED_TRACE(m);
    EXPECT_TRUE(Rejects(reason::kInvalidValue, Close(m)));
  }
  for (const char* m : {"2026-01", "2026-04", "2026-12", "2025-12"}) {
    SCOPED_TRACE(m);
    EXPECT_TRUE(Accepts(Close(m)));
  }
}

TEST_F(IntakeValueTest, GpuUuidsMustBeDistinctAndNonEmpty) {
  Seed();
  J dup = Capacity();
  dup["data"]["gpu_uuids"] = J::array({"GPU-0001", "GPU-0002", "GPU-0001"});
  EXPECT_TRUE(Rejects(reason::kInvalidValue, dup));
  J empty = Capacity();
  empty["data"]["gpu_uuids"] = J::array({"GPU-0001", ""});
  EXPECT_TRUE(Rejects(reason::kInvalidValue, empty));
  J only_empty = Capacity();
  only_empty["data"]["gpu_uuids"] = J::array({""});
  EXPECT_TRUE(Rejects(reason::kInvalidValue, only_empty));
  J none = Capacity();
  none["data"]["gpu_uuids"] = J::array();
  EXPECT_TRUE(Accepts(none));
  J distinct = Capacity();  // case differs: distinct strings
  distinct["data"]["gpu_uuids"] = J::array({"GPU-abc", "GPU-ABC"});
  EXPECT_TRUE(Accepts(distinct));
}

TEST_F(IntakeValueTest, NumbersMustBeInRange) {
  Seed();
  struct Case {
    std::function<J()> make;
    std::string field;
    std::vector<int64_t> bad, good;
  };
  std::vector<Case> cases = {
      {[this] { return Contract(NewId("C")); }, "committed_gpus", {0, -1, INT64_MIN}, {1, 8, 1000}},
      {[this] { return Contract(NewId("C")); },
       "price_krw_per_gpu_hour",
       {-1, INT64_MIN},
       {0, 1, 5000000}},
      {[this] { return Contract(NewId("C")); }, "penalty_krw_per_gpu_hour", {-1}, {0, 1, 5000000}},
      {[this] { return Contract(NewId("C")); }, "max_gpus_per_allocation", {0, -3}, {1, 16}},
      {[this] { return Grant(NewId("A")); }, "gpus", {0, -1}, {1, 4}},
      {[this] { return Usage(); }, "gpu_seconds", {-1, INT64_MIN}, {0, 1, 2 * 600}},
  };
  for (auto& c : cases) {
    SCOPED_TRACE(c.field);
    for (int64_t v : c.bad) {
      SCOPED_TRACE(v);
      J e = c.make();
      e["data"][c.field] = v;
      EXPECT_TRUE(Rejects(reason::kInvalidValue, e));
    }
    for (int64_t v : c.good) {
      SCOPED_TRACE(v);
      J e = c.make();
      e["data"][c.field] = v;
      EXPECT_TRUE(Accepts(e));
    }
  }
  // Over-reported usage is semantic trouble a CSP may report: accepted (an anomaly later).
  J over = Usage();
  over["data"]["gpu_seconds"] = 1000000;
  EXPECT_TRUE(Accepts(over));
}

TEST_F(IntakeValueTest, IntegerBeyondInt64IsInvalidValue) {
  Seed();
  struct Case {
    std::function<J()> make;
    std::string field;
  };
  std::vector<Case> cases = {
      {[this] { return Contract(NewId("C")); }, "committed_gpus"},
      {[this] { return Contract(NewId("C")); }, "price_krw_per_gpu_hour"},
      {[this] { return Contract(NewId("C")); }, "penalty_krw_per_gpu_hour"},
      {[this] { return Contract(NewId("C")); }, "max_gpus_per_allocation"},
      {[this] { return Grant(NewId("A")); }, "gpus"},
      {[this] { return Usage(); }, "gpu_seconds"},
  };
  for (auto& c : cases) {
    SCOPED_TRACE(c.field);
    J e = c.make();
    e["data"][c.field] = "@RAW@";
    EXPECT_TRUE(RejectsRaw(reason::kInvalidValue, DumpWithRaw(e, "9223372036854775808")));
    EXPECT_TRUE(RejectsRaw(reason::kInvalidValue, DumpWithRaw(e, "18446744073709551615")));
  }
}

// Integers that do not fit even in uint64 are valid JSON (RFC 8259) and
// integers, so the spec's answer is check 6 "a number out of range" (invalid_value); the
// parser needs a second pass for them (event_parse.cc).
TEST_F(IntakeValueTest, IntegerBeyondUint64IsInvalidValue) {
  Seed();
  for (const char* raw :
       {"18446744073709551616", "-9223372036854775809", "123456789012345678901234567890"}) {
    SCOPED_TRACE(raw);
    J e = Usage();
    e["data"]["gpu_seconds"] = "@RAW@";
    EXPECT_TRUE(RejectsRaw(reason::kInvalidValue, DumpWithRaw(e, raw)));
  }
}

TEST_F(IntakeValueTest, IdsInDataMustBeNonEmpty) {
  Seed();
  struct Case {
    std::function<J()> make;
    std::string field;
  };
  std::vector<Case> cases = {
      {[this] { return Contract(NewId("C")); }, "contract_id"},
      {[this] { return Contract(NewId("C")); }, "csp_id"},
      {[this] { return Contract(NewId("C")); }, "gpu_model"},
      {[this] { return Capacity(); }, "contract_id"},
      {[this] { return Grant(NewId("A")); }, "allocation_id"},
      {[this] { return Grant(NewId("A")); }, "contract_id"},
      {[this] { return Grant(NewId("A")); }, "user_id"},
      {[this] { return Release(); }, "allocation_id"},
      {[this] { return Usage(); }, "allocation_id"},
      {[this] {
         J target = Capacity();
         EXPECT_TRUE(Accepts(target));
         return Void(target["id"].get<std::string>(), kKt);
       },
       "event_id"},
  };
  for (auto& c : cases) {
    SCOPED_TRACE(c.field);
    J e = c.make();
    e["data"][c.field] = "";
    EXPECT_TRUE(Rejects(reason::kInvalidValue, e)) << e["type"];
    EXPECT_TRUE(Accepts(c.make())) << c.field;
  }
  // `reason` of event.voided is a plain string, not an id: empty is fine.
  J target = Capacity();
  ASSERT_TRUE(Accepts(target));
  J v = Void(target["id"].get<std::string>(), kKt);
  v["data"]["reason"] = "";
  EXPECT_TRUE(Accepts(v));
}

TEST_F(IntakeValueTest, SemanticTroubleIsAccepted) {
  // Section 4: what a report can legitimately contain is accepted (and raised as an anomaly
  // by the projections), not rejected by the intake.
  Seed();
  J cap = Capacity();  // outside the contract period
  cap["data"]["interval_start"] = "2025-01-01T00:00:00Z";
  cap["data"]["interval_end"] = "2025-01-01T05:00:00Z";
  EXPECT_TRUE(Accepts(cap));
  J overlap = Capacity();  // the same GPUs as another report for the same time
  EXPECT_TRUE(Accepts(overlap));
  J grant = Grant("A-long");  // past the contract period, and before it
  grant["data"]["start"] = "2026-03-01T00:00:00Z";
  grant["data"]["end"] = "2027-01-01T00:00:00Z";
  EXPECT_TRUE(Accepts(grant));
  J early = Release();  // at before the allocation's start
  early["data"]["at"] = "2020-01-01T00:00:00Z";
  EXPECT_TRUE(Accepts(early));
  J late = Release();  // at after its end
  late["data"]["at"] = "2030-01-01T00:00:00Z";
  EXPECT_TRUE(Accepts(late));
  J outside = Usage();  // outside the allocation's window
  outside["data"]["interval_start"] = "2028-01-01T00:00:00Z";
  outside["data"]["interval_end"] = "2028-01-01T00:30:00Z";
  EXPECT_TRUE(Accepts(outside));
  J over = Usage();  // more GPU-seconds than gpus x length
  over["data"]["gpu_seconds"] = 2 * 600 + 1;
  EXPECT_TRUE(Accepts(over));
  EXPECT_TRUE(Accepts(Usage()));  // overlapping an earlier usage report
  J time = Usage();               // event time unrelated to the interval
  time["time"] = "2019-01-01T00:00:00Z";
  EXPECT_TRUE(Accepts(time));
}

// =========================================================================================
// Check 7: references to unknown or voided contracts, allocations and events.
// =========================================================================================
class IntakeReferenceTest : public IntakeRulesTest {};

TEST_F(IntakeReferenceTest, UnknownContractOrAllocation) {
  Seed();
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Capacity("C-404")));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Grant("A-new", "C-404")));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Usage("A-404")));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Release("A-404")));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Release("A-404", kMinistry)));
  // Ids are case-sensitive: "c-1" is not "C-1".
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Capacity("c-1")));
  // An allocation id is not a contract id and vice versa.
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Capacity("A-1")));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Usage("C-1")));
  // The known ones pass.
  EXPECT_TRUE(Accepts(Capacity("C-1")));
  EXPECT_TRUE(Accepts(Grant("A-new", "C-1")));
  EXPECT_TRUE(Accepts(Usage("A-1")));
  EXPECT_TRUE(Accepts(Release("A-1")));
}

TEST_F(IntakeReferenceTest, VoidedContractTakesItsAllocationsWithIt) {
  Seed();
  J reg = Contract("C-3", "kt-cloud");
  ASSERT_TRUE(Accepts(reg));
  ASSERT_TRUE(Accepts(Grant("A-3", "C-3")));
  EXPECT_TRUE(Accepts(Usage("A-3")));
  ASSERT_NO_FATAL_FAILURE(Commit());
  ASSERT_TRUE(Accepts(Void(reg["id"].get<std::string>(), kMinistry)));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Capacity("C-3")));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Grant("A-4", "C-3")));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Usage("A-3")));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Release("A-3")));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Release("A-3", kMinistry)));
  // Survives commit and reopen.
  CommitAndReopen();
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Usage("A-3")));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Capacity("C-3")));
  // Other contracts are unaffected.
  EXPECT_TRUE(Accepts(Usage("A-1")));
}

TEST_F(IntakeReferenceTest, VoidedAllocation) {
  Seed();
  J grant = Grant("A-5", "C-1");
  ASSERT_TRUE(Accepts(grant));
  EXPECT_TRUE(Accepts(Usage("A-5")));
  ASSERT_TRUE(Accepts(Void(grant["id"].get<std::string>(), kMinistry)));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Usage("A-5")));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Release("A-5")));
  CommitAndReopen();
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Usage("A-5")));
  // The contract itself stays live.
  EXPECT_TRUE(Accepts(Capacity("C-1")));
}

TEST_F(IntakeReferenceTest, VoidOfAnIdNoSourceSent) {
  Seed();
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Void("never-sent", kKt)));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Void("never-sent", kMinistry)));
  // An id that was only rejected was never "sent as an accepted event".
  J bad = Usage("A-404");
  ASSERT_TRUE(Rejects(reason::kInvalidReference, bad));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Void(bad["id"].get<std::string>(), kKt)));
  // Ids are exact: a prefix of an accepted id is not that id.
  J cap = Capacity();
  ASSERT_TRUE(Accepts(cap));
  const std::string id = cap["id"].get<std::string>();
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Void(id.substr(0, id.size() - 1), kKt)));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Void(id + "0", kKt)));
  EXPECT_TRUE(Accepts(Void(id, kKt)));
}

// =========================================================================================
// Check 8: CSPs refer only to their own contracts, allocations and events.
// =========================================================================================
class IntakeOwnershipTest : public IntakeRulesTest {};

TEST_F(IntakeOwnershipTest, CspReportsOnlyOnItsOwnContractsAndAllocations) {
  Seed();
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, Capacity("C-1", kNaver)));
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, Capacity("C-2", kKt)));
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, Usage("A-1", kNaver)));
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, Usage("A-2", kKt)));
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, Release("A-1", kNaver)));
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, Release("A-2", kKt)));
  // A CSP whose name extends another's is another CSP.
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, Capacity("C-1", "csp/kt-cloud2")));
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, Usage("A-1", "csp/kt")));
  EXPECT_TRUE(Accepts(Capacity("C-1", kKt)));
  EXPECT_TRUE(Accepts(Capacity("C-2", kNaver)));
  EXPECT_TRUE(Accepts(Usage("A-1", kKt)));
  EXPECT_TRUE(Accepts(Usage("A-2", kNaver)));
  EXPECT_TRUE(Accepts(Release("A-2", kNaver)));
  // The ministry may release any allocation.
  EXPECT_TRUE(Accepts(Release("A-1", kMinistry)));
  EXPECT_TRUE(Accepts(Release("A-2", kMinistry)));
}

TEST_F(IntakeOwnershipTest, SourcesVoidOnlyTheirOwnEvents) {
  Seed();
  J kt_usage = Usage("A-1", kKt);
  ASSERT_TRUE(Accepts(kt_usage));
  const std::string kt_id = kt_usage["id"].get<std::string>();
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, Void(kt_id, kNaver)));
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, Void(kt_id, kMinistry)));
  // The ministry's own event cannot be voided by a CSP, even the CSP it concerns.
  J reg = Contract("C-own", "kt-cloud");
  ASSERT_TRUE(Accepts(reg));
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, Void(reg["id"].get<std::string>(), kKt)));
  // Survives reopen.
  CommitAndReopen();
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, Void(kt_id, kNaver)));
  EXPECT_TRUE(Accepts(Void(kt_id, kKt)));
  EXPECT_TRUE(Accepts(Void(reg["id"].get<std::string>(), kMinistry)));
}

TEST_F(IntakeOwnershipTest, VoidOfASharedIdVoidsTheSendersOwnEvent) {
  Seed();
  // kt-cloud and naver-cloud both sent an event with id "same-id".
  J kt = Usage("A-1", kKt);
  kt["id"] = "same-id";
  J naver = Usage("A-2", kNaver);
  naver["id"] = "same-id";
  ASSERT_TRUE(Accepts(kt));
  ASSERT_TRUE(Accepts(naver));
  // The ministry sent none: another source's id only.
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, Void("same-id", kMinistry)));
  EXPECT_TRUE(Accepts(Void("same-id", kKt)));
  EXPECT_TRUE(Accepts(Void("same-id", kNaver)));  // its own, not kt's (which is voided)
}

// =========================================================================================
// Check 9: rules that depend on the ledger's state.
// =========================================================================================
class IntakeStateRuleTest : public IntakeRulesTest {};

TEST_F(IntakeStateRuleTest, GpusAtMostTheContractsMaxPerAllocation) {
  Seed();  // C-1: max 4; C-2: max 8
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Grant(NewId("A"), "C-1", 5)));
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Grant(NewId("A"), "C-1", 1000)));
  EXPECT_TRUE(Accepts(Grant(NewId("A"), "C-1", 4)));  // equal is fine
  EXPECT_TRUE(Accepts(Grant(NewId("A"), "C-2", 5)));  // another contract's max
  EXPECT_TRUE(Accepts(Grant(NewId("A"), "C-2", 8)));
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Grant(NewId("A"), "C-2", 9)));
  // Registered in the same batch: its max applies at once.
  ASSERT_TRUE(Accepts(Contract("C-max1", "kt-cloud", 1)));
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Grant(NewId("A"), "C-max1", 2)));
  EXPECT_TRUE(Accepts(Grant(NewId("A"), "C-max1", 1)));
  CommitAndReopen();
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Grant(NewId("A"), "C-max1", 2)));
  EXPECT_TRUE(Accepts(Grant(NewId("A"), "C-max1", 1)));
}

TEST_F(IntakeStateRuleTest, LiveContractCannotBeRegisteredAgain) {
  Seed();
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Contract("C-1", "kt-cloud")));
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Contract("C-1", "naver-cloud")));
  CommitAndReopen();
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Contract("C-1", "kt-cloud")));
  // Registered earlier in the same uncommitted batch: also live.
  ASSERT_TRUE(Accepts(Contract("C-batch")));
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Contract("C-batch")));
}

TEST_F(IntakeStateRuleTest, VoidedContractCanBeRegisteredAgainAndOldAllocationsStayDead) {
  Seed();
  J reg = Contract("C-7", "kt-cloud", 2);
  ASSERT_TRUE(Accepts(reg));
  J old_grant = Grant("A-7", "C-7", 2);
  ASSERT_TRUE(Accepts(old_grant));
  ASSERT_TRUE(Accepts(Usage("A-7")));
  ASSERT_NO_FATAL_FAILURE(Commit());
  ASSERT_TRUE(Accepts(Void(reg["id"].get<std::string>(), kMinistry)));
  // Re-registered, now for naver-cloud with a larger max.
  J rereg = Contract("C-7", "naver-cloud", 6);
  EXPECT_TRUE(Accepts(rereg));
  CommitAndReopen();
  // Allocations granted on the OLD registration are dead.
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Usage("A-7", kKt)));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Usage("A-7", kNaver)));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Release("A-7", kMinistry)));
  // The new registration: its CSP, its max.
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, Capacity("C-7", kKt)));
  EXPECT_TRUE(Accepts(Capacity("C-7", kNaver)));
  EXPECT_TRUE(Accepts(Grant("A-8", "C-7", 6)));
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Grant(NewId("A"), "C-7", 7)));
  // The dead allocation id may be granted again on the new registration (its grant is
  // treated as never sent), and then is live.
  EXPECT_TRUE(Accepts(Grant("A-7", "C-7", 3)));
  EXPECT_TRUE(Accepts(Usage("A-7", kNaver)));
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, Usage("A-7", kKt)));
  // Voiding the old grant of A-7 (not itself voided so far) does not touch the new grant.
  EXPECT_TRUE(Accepts(Void(old_grant["id"].get<std::string>(), kMinistry)));
  EXPECT_TRUE(Accepts(Usage("A-7", kNaver)));
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Grant("A-7", "C-7", 1)));
  // And the new registration is live: it cannot be registered a third time.
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Contract("C-7")));
  // Voiding the old (already voided) registration again is voiding twice.
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Void(reg["id"].get<std::string>(), kMinistry)));
}

TEST_F(IntakeStateRuleTest, LiveAllocationCannotBeGrantedAgain) {
  Seed();
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Grant("A-1", "C-1")));
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Grant("A-1", "C-2")));  // on another contract too
  CommitAndReopen();
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Grant("A-1", "C-1")));
  // Void the grant of A-1, then re-grant: accepted.
  ASSERT_TRUE(Accepts(Void(grant_a1_id_, kMinistry)));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Usage("A-1")));
  J regrant = Grant("A-1", "C-2", 3);  // now on naver-cloud's contract
  EXPECT_TRUE(Accepts(regrant));
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Grant("A-1", "C-1")));
  CommitAndReopen();
  EXPECT_TRUE(Accepts(Usage("A-1", kNaver)));
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, Usage("A-1", kKt)));
}

TEST_F(IntakeStateRuleTest, VoidingAVoidIsInvalidValue) {
  Seed();
  J cap = Capacity();
  ASSERT_TRUE(Accepts(cap));
  J v = Void(cap["id"].get<std::string>(), kKt);
  ASSERT_TRUE(Accepts(v));
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Void(v["id"].get<std::string>(), kKt)));
  CommitAndReopen();
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Void(v["id"].get<std::string>(), kKt)));
  // Another source voiding that void: check 8 comes before check 9.
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, Void(v["id"].get<std::string>(), kNaver)));
}

TEST_F(IntakeStateRuleTest, VoidingTwiceIsInvalidValue) {
  Seed();
  J usage = Usage();
  ASSERT_TRUE(Accepts(usage));
  const std::string id = usage["id"].get<std::string>();
  ASSERT_TRUE(Accepts(Void(id, kKt)));
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Void(id, kKt)));  // same batch
  CommitAndReopen();
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Void(id, kKt)));  // after reopen
  // A different, unvoided event of the same source can still be voided.
  J other = Usage();
  ASSERT_TRUE(Accepts(other));
  EXPECT_TRUE(Accepts(Void(other["id"].get<std::string>(), kKt)));
}

TEST_F(IntakeStateRuleTest, ClosingAClosedMonthUnlessItsCloseWasVoided) {
  Seed();
  J close = Close("2026-04");
  ASSERT_TRUE(Accepts(close));
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Close("2026-04")));
  EXPECT_TRUE(Accepts(Close("2026-05")));  // another month
  CommitAndReopen();
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Close("2026-04")));
  // Voiding the close re-opens the month: closing again is accepted, once.
  ASSERT_TRUE(Accepts(Void(close["id"].get<std::string>(), kMinistry)));
  J close2 = Close("2026-04");
  EXPECT_TRUE(Accepts(close2));
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Close("2026-04")));
  CommitAndReopen();
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Close("2026-04")));
  // Voiding the first close again is voiding twice; it does not re-open the month.
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Void(close["id"].get<std::string>(), kMinistry)));
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Close("2026-04")));
  // Voiding the second close re-opens it again.
  ASSERT_TRUE(Accepts(Void(close2["id"].get<std::string>(), kMinistry)));
  CommitAndReopen();
  EXPECT_TRUE(Accepts(Close("2026-04")));
}

// =========================================================================================
// The order of the checks: the first that fails gives the code.
// =========================================================================================
class IntakeOrderTest : public IntakeRulesTest {};

TEST_F(IntakeOrderTest, MalformedEnvelopeBeforeEverythingElse) {
  Seed();
  // Bad time (check 1) + unknown type (3) + bad source (4) + unknown allocation (7).
  J e = Usage("A-404", "someone");
  e["type"] = "io.gpuledger.foo.v1";
  e["time"] = "2026-04-01 00:10:00Z";
  EXPECT_TRUE(Rejects(reason::kMalformed, e));
  J e2 = Usage("A-404", "someone");
  e2["type"] = "io.gpuledger.foo.v1";
  e2["subject"] = 5;
  EXPECT_TRUE(Rejects(reason::kMalformed, e2));
}

TEST_F(IntakeOrderTest, UnknownTypeBeforeSourceAndData) {
  Seed();
  J e = Usage();
  e["type"] = "io.gpuledger.usage.reported.v2";
  e["data"].erase("gpu_seconds");
  EXPECT_TRUE(Rejects(reason::kUnknownType, e));
  J e2 = Usage("A-1", "someone");
  e2["type"] = "io.gpuledger.foo.v1";
  EXPECT_TRUE(Rejects(reason::kUnknownType, e2));
}

TEST_F(IntakeOrderTest, UnauthorizedSourceBeforeDataChecks) {
  Seed();
  J missing = Usage("A-1", kMinistry);
  missing["data"].erase("gpu_seconds");
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, missing));
  J bad_value = Usage("A-1", "someone");
  bad_value["data"]["gpu_seconds"] = -1;
  bad_value["time"] = "2026-04-01T00:10:00.5Z";  // fractional: check 6
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, bad_value));
  J csp_contract = Contract("C-x");
  csp_contract["source"] = kKt;
  csp_contract["data"] = J::object();
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, csp_contract));
}

TEST_F(IntakeOrderTest, MissingDataFieldBeforeInvalidValue) {
  Seed();
  // The invalid value comes before the missing field in field order.
  J c = Contract("C-x");
  c["data"]["programme"] = "unknown";
  c["data"]["committed_gpus"] = 0;
  c["data"].erase("max_gpus_per_allocation");
  EXPECT_TRUE(Rejects(reason::kMalformed, c));
  J c2 = Contract("C-y");
  c2["data"]["committed_gpus"] = 0;
  c2["data"]["price_krw_per_gpu_hour"] = "3000";
  EXPECT_TRUE(Rejects(reason::kMalformed, c2));
  J u = Usage();
  u["data"]["interval_end"] = u["data"]["interval_start"];
  u["data"].erase("gpu_seconds");
  EXPECT_TRUE(Rejects(reason::kMalformed, u));
  // An integer beyond int64 (check 6) and a wrong JSON type (check 5).
  J big = Usage();
  big["data"]["gpu_seconds"] = "@RAW@";
  big["data"]["allocation_id"] = 17;
  EXPECT_TRUE(RejectsRaw(reason::kMalformed, DumpWithRaw(big, "9223372036854775808")));
  // Fractional envelope time (check 6) and a missing data field (check 5).
  J frac = Usage();
  frac["time"] = "2026-04-01T00:10:00.5Z";
  frac["data"].erase("allocation_id");
  EXPECT_TRUE(Rejects(reason::kMalformed, frac));
  // A bad data time (check 6) and a data field of the wrong type (check 5).
  J g = Grant("A-x");
  g["data"]["start"] = "2026-04-01T00:00:00.5Z";
  g["data"]["gpus"] = "2";
  EXPECT_TRUE(Rejects(reason::kMalformed, g));
  // Duplicate GPU UUIDs (6) and a non-string in the list (5).
  J cap = Capacity();
  cap["data"]["gpu_uuids"] = J::array({"GPU-1", "GPU-1", 3});
  EXPECT_TRUE(Rejects(reason::kMalformed, cap));
}

TEST_F(IntakeOrderTest, InvalidValueBeforeInvalidReference) {
  Seed();
  J u = Usage("A-404");
  u["data"]["interval_end"] = u["data"]["interval_start"];
  EXPECT_TRUE(Rejects(reason::kInvalidValue, u));
  J frac = Usage("A-404");
  frac["time"] = "2026-04-01T00:10:00.5Z";
  EXPECT_TRUE(Rejects(reason::kInvalidValue, frac));
  J cap = Capacity("C-404");
  cap["data"]["gpu_uuids"] = J::array({"GPU-1", "GPU-1"});
  EXPECT_TRUE(Rejects(reason::kInvalidValue, cap));
  J g = Grant("A-x", "C-404", 0);
  EXPECT_TRUE(Rejects(reason::kInvalidValue, g));
  J v = Void("never-sent", kKt);
  v["data"]["event_id"] = "";
  EXPECT_TRUE(Rejects(reason::kInvalidValue, v));
  // Invalid value (6) before another CSP's allocation (8).
  J other = Usage("A-2", kKt);
  other["data"]["gpu_seconds"] = -1;
  EXPECT_TRUE(Rejects(reason::kInvalidValue, other));
}

TEST_F(IntakeOrderTest, InvalidReferenceBeforeOwnershipAndStateRules) {
  Seed();
  // gpus above any max (9) on an unknown contract (7).
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Grant("A-x", "C-404", 100)));
  // Another CSP's contract (8) that is voided (7): invalid_reference.
  J reg = Contract("C-v", "naver-cloud");
  ASSERT_TRUE(Accepts(reg));
  ASSERT_TRUE(Accepts(Grant("A-v", "C-v")));
  ASSERT_TRUE(Accepts(Void(reg["id"].get<std::string>(), kMinistry)));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Capacity("C-v", kKt)));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Usage("A-v", kKt)));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Capacity("C-v", kNaver)));
}

TEST_F(IntakeOrderTest, OwnershipBeforeStateRules) {
  Seed();
  // kt-cloud voiding naver-cloud's void (8 before "voiding an event.voided", 9).
  J cap = Capacity("C-2", kNaver);
  ASSERT_TRUE(Accepts(cap));
  J v = Void(cap["id"].get<std::string>(), kNaver);
  ASSERT_TRUE(Accepts(v));
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, Void(v["id"].get<std::string>(), kKt)));
  // ... and voiding naver-cloud's already voided event (8 before "voiding twice", 9).
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, Void(cap["id"].get<std::string>(), kKt)));
  // naver-cloud itself gets check 9.
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Void(cap["id"].get<std::string>(), kNaver)));
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Void(v["id"].get<std::string>(), kNaver)));
}

// =========================================================================================
// Batches: judged against the committed ledger plus what the batch staged before.
// =========================================================================================
class IntakeBatchTest : public IntakeRulesTest {};

TEST_F(IntakeBatchTest, ContractGrantAndUsageInOneUncommittedBatch) {
  J reg = Contract("C-b", "kt-cloud");
  J grant = Grant("A-b", "C-b");
  J usage = Usage("A-b");
  Judgement j1 = SubmitRaw(reg.dump());
  Judgement j2 = SubmitRaw(grant.dump());
  Judgement j3 = SubmitRaw(usage.dump());
  EXPECT_EQ(j1.outcome, Outcome::kAccepted) << Describe(j1);
  EXPECT_EQ(j2.outcome, Outcome::kAccepted) << Describe(j2);
  EXPECT_EQ(j3.outcome, Outcome::kAccepted) << Describe(j3);
  EXPECT_EQ(j1.index, 0u);
  EXPECT_EQ(j2.index, 1u);
  EXPECT_EQ(j3.index, 2u);
  EXPECT_EQ(ledger_->size(), 0u);  // nothing committed yet
  EXPECT_TRUE(Duplicate(usage));   // a duplicate within the batch
  CommitAndReopen();
  EXPECT_EQ(ledger_->size(), 3u);
  EXPECT_TRUE(Duplicate(reg));
  EXPECT_TRUE(Duplicate(grant));
  EXPECT_TRUE(Duplicate(usage));
  EXPECT_TRUE(Accepts(Usage("A-b")));
}

TEST_F(IntakeBatchTest, AbandonDropsTheBatch) {
  ASSERT_TRUE(Accepts(Contract("C-1", "kt-cloud")));
  ASSERT_NO_FATAL_FAILURE(Commit());
  const LedgerStats before = ledger_->stats();
  J grant = Grant("A-1", "C-1");
  J usage = Usage("A-1");
  ASSERT_TRUE(Accepts(grant));
  ASSERT_TRUE(Accepts(usage));
  ASSERT_TRUE(Rejects(reason::kInvalidReference, Usage("A-404")));
  ASSERT_TRUE(Duplicate(usage));
  ledger_->Abandon();
  EXPECT_EQ(ledger_->staged_messages(), 0u);
  EXPECT_EQ(ledger_->size(), before.entries);
  // Judged against the committed state: A-1 is unknown, and the grant is new (not a
  // duplicate, not "already granted").
  EXPECT_TRUE(Rejects(reason::kInvalidReference, usage));
  Judgement again = SubmitRaw(grant.dump());
  EXPECT_EQ(again.outcome, Outcome::kAccepted) << Describe(again);
  EXPECT_EQ(again.index, before.entries);
  EXPECT_TRUE(Accepts(usage));
  CommitAndReopen();
  const LedgerStats after = ledger_->stats();
  EXPECT_EQ(after.entries, before.entries + 2);
  EXPECT_EQ(after.rejects, before.rejects + 1);    // only the reject after Abandon
  EXPECT_EQ(after.duplicates, before.duplicates);  // the abandoned duplicate is gone
}

TEST_F(IntakeBatchTest, UncommittedBatchIsLostWhenTheLedgerIsClosed) {
  J reg = Contract("C-1", "kt-cloud");
  ASSERT_TRUE(Accepts(reg));
  Reopen();  // no Commit
  EXPECT_EQ(ledger_->size(), 0u);
  EXPECT_TRUE(Accepts(reg));  // not a duplicate: its claim was never durable
  EXPECT_TRUE(Accepts(Grant("A-1", "C-1")));
}

TEST_F(IntakeBatchTest, VoidAndReuseWithinOneBatch) {
  Seed();
  J grant = Grant("A-q", "C-1");
  ASSERT_TRUE(Accepts(grant));
  ASSERT_TRUE(Accepts(Void(grant["id"].get<std::string>(), kMinistry)));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Usage("A-q")));
  EXPECT_TRUE(Accepts(Grant("A-q", "C-1")));
  EXPECT_TRUE(Accepts(Usage("A-q")));
  J close = Close("2026-06");
  ASSERT_TRUE(Accepts(close));
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Close("2026-06")));
  ASSERT_TRUE(Accepts(Void(close["id"].get<std::string>(), kMinistry)));
  EXPECT_TRUE(Accepts(Close("2026-06")));
}

// =========================================================================================
// The rejects store: raw bytes, origin and reason survive commit and reopen.
// =========================================================================================
class IntakeRejectStoreTest : public IntakeRulesTest {};

TEST_F(IntakeRejectStoreTest, RejectKeepsRawBytesOriginAndReason) {
  Seed();
  const uint64_t base = ledger_->stats().rejects;
  J e = Usage();
  e["subject"] = "@RAW@";
  const std::string not_utf8 = DumpWithRaw(e, "\"\xFF\xFE\"");
  Origin kafka;
  kafka.kind = Origin::Kind::kKafka;
  kafka.topic = "gpuledger.csp.kt-cloud";
  kafka.partition = 3;
  kafka.offset = 123456789;
  Judgement j = SubmitRaw(not_utf8, nullptr, &kafka);
  ASSERT_EQ(j.reason, reason::kMalformed) << Describe(j);
  Origin file;
  file.kind = Origin::Kind::kFile;
  file.file = "/data/in/2026-04.jsonl";
  file.line = 42;
  const std::string unknown = Usage("A-404").dump();
  Judgement j2 = SubmitRaw(unknown, nullptr, &file);
  ASSERT_EQ(j2.reason, reason::kInvalidReference) << Describe(j2);
  CommitAndReopen();
  ASSERT_EQ(ledger_->stats().rejects, base + 2);
  auto r0 = ledger_->ReadReject(base);
  ASSERT_TRUE(r0.ok()) << r0.status().ToString();
  EXPECT_EQ(r0->reason, reason::kMalformed);
  EXPECT_EQ(r0->message, not_utf8);  // byte for byte
  EXPECT_EQ(r0->origin.kind, Origin::Kind::kKafka);
  EXPECT_EQ(r0->origin.topic, kafka.topic);
  EXPECT_EQ(r0->origin.partition, 3);
  EXPECT_EQ(r0->origin.offset, 123456789);
  auto r1 = ledger_->ReadReject(base + 1);
  ASSERT_TRUE(r1.ok()) << r1.status().ToString();
  EXPECT_EQ(r1->reason, reason::kInvalidReference);
  EXPECT_EQ(r1->message, unknown);
  EXPECT_EQ(r1->origin.kind, Origin::Kind::kFile);
  EXPECT_EQ(r1->origin.file, file.file);
  EXPECT_EQ(r1->origin.line, 42u);
}

TEST_F(IntakeRejectStoreTest, EveryOutcomeIsCountedExactlyOnce) {
  Seed();
  const LedgerStats before = ledger_->stats();
  IntakeCounts counts;
  J u = Usage();
  for (const std::string& m : {u.dump(), u.dump(), std::string("garbage"), Usage("A-404").dump(),
                               Capacity("C-1", kNaver).dump()}) {
    counts.Add(SubmitRaw(m));
  }
  EXPECT_EQ(counts.accepted, 1u);
  EXPECT_EQ(counts.duplicate, 1u);
  EXPECT_EQ(counts.rejected, 3u);
  EXPECT_EQ(counts.rejected_by_reason[std::string(reason::kMalformed)], 1u);
  EXPECT_EQ(counts.rejected_by_reason[std::string(reason::kInvalidReference)], 1u);
  EXPECT_EQ(counts.rejected_by_reason[std::string(reason::kUnauthorizedSource)], 1u);
  CommitAndReopen();
  const LedgerStats after = ledger_->stats();
  EXPECT_EQ(after.entries - before.entries, 1u);
  EXPECT_EQ(after.duplicates - before.duplicates, 1u);
  EXPECT_EQ(after.rejects - before.rejects, 3u);
}

// =========================================================================================
// The command line: gpuledger ingest / log --rejects.
// =========================================================================================
class IntakeCliTest : public IntakeRulesTest {};

std::vector<J> JsonLines(const std::string& text) {
  std::vector<J> rows;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) rows.push_back(J::parse(line));
  }
  return rows;
}

TEST_F(IntakeCliTest, IngestCountsNonBlankLinesAndLogShowsRejects) {
  ledger_.reset();  // the CLI opens the ledger directory itself
  const std::string data = dir_.Sub("cli-ledger");
  const std::string file = dir_.Sub("events.jsonl");
  const std::string reg = Contract("C-1", "kt-cloud").dump();
  const std::string grant = Grant("A-1", "C-1").dump();
  const std::string bad_json = "{\"specversion\":\"1.0\",";
  const std::string bad_ref = Usage("A-404").dump();
  const std::string usage = Usage("A-1").dump();
  J not_utf8_event = Usage("A-1");
  not_utf8_event["subject"] = "@RAW@";
  const std::string not_utf8 = DumpWithRaw(not_utf8_event, "\"\xFF\"");
  // Lines: 1 reg, 2 blank, 3 spaces/tabs, 4 grant, 5 dup of 1, 6 bad JSON, 7 blank,
  // 8 unknown allocation, 9 usage, 10 spaces, 11 not UTF-8, 12 blank.
  const std::string contents = reg + "\n\n   \t \n" + grant + "\n" + reg + "\n" + bad_json +
                               "\n\n" + bad_ref + "\n" + usage + "\n   \n" + not_utf8 + "\n\n";
  gpuledger::testing::WriteFile(file, contents);

  auto r = gpuledger::testing::RunCli({"ingest", "--data", data, file, "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  J out = J::parse(r.out);
  ASSERT_TRUE(out.is_object()) << r.out;
  EXPECT_EQ(out["accepted"], 3);
  EXPECT_EQ(out["duplicate"], 1);
  EXPECT_EQ(out["rejected"], 3);
  EXPECT_EQ(out["accepted"].get<int>() + out["duplicate"].get<int>() + out["rejected"].get<int>(),
            7);

  auto log = gpuledger::testing::RunCli({"log", "--data", data, "--rejects"});
  ASSERT_EQ(log.exit_code, 0) << log.err;
  std::vector<J> rows = JsonLines(log.out);
  ASSERT_EQ(rows.size(), 3u) << log.out;
  EXPECT_EQ(rows[0]["reason"], "malformed");
  EXPECT_EQ(rows[0]["message"], bad_json);
  EXPECT_EQ(rows[0]["origin"]["file"], file);
  EXPECT_EQ(rows[0]["origin"]["line"], 6);
  EXPECT_EQ(rows[1]["reason"], "invalid_reference");
  EXPECT_EQ(rows[1]["message"], bad_ref);
  EXPECT_EQ(rows[1]["origin"]["file"], file);
  EXPECT_EQ(rows[1]["origin"]["line"], 8);
  EXPECT_EQ(rows[2]["reason"], "malformed");
  EXPECT_EQ(rows[2]["origin"]["line"], 11);
  // Raw bytes that are not UTF-8 cannot be a JSON string: shown as hex.
  std::string hex;
  for (unsigned char c : not_utf8) {
    static constexpr char kHex[] = "0123456789abcdef";
    hex.push_back(kHex[c >> 4]);
    hex.push_back(kHex[c & 15]);
  }
  EXPECT_TRUE(rows[2].contains("message_hex")) << rows[2].dump();
  EXPECT_EQ(rows[2].value("message_hex", std::string()), hex);

  // Ingesting the same file again: the accepted lines are duplicates, the rejected ones are
  // judged afresh (and rejected again).
  auto again = gpuledger::testing::RunCli({"ingest", "--data", data, file, "--quiet"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  J out2 = J::parse(again.out);
  EXPECT_EQ(out2["accepted"], 0);
  EXPECT_EQ(out2["duplicate"], 4);
  EXPECT_EQ(out2["rejected"], 3);
}

TEST_F(IntakeCliTest, IngestOfOnlyBlankLinesCountsNothing) {
  ledger_.reset();
  const std::string data = dir_.Sub("cli-ledger");
  const std::string file = dir_.Sub("blank.jsonl");
  gpuledger::testing::WriteFile(file, "\n  \n\t\n\n");
  auto r = gpuledger::testing::RunCli({"ingest", "--data", data, file, "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  J out = J::parse(r.out);
  EXPECT_EQ(out["accepted"], 0);
  EXPECT_EQ(out["duplicate"], 0);
  EXPECT_EQ(out["rejected"], 0);
}

TEST_F(IntakeCliTest, ExitCodes) {
  ledger_.reset();
  const std::string data = dir_.Sub("cli-ledger");
  const std::string file = dir_.Sub("one.jsonl");
  gpuledger::testing::WriteFile(file, Contract("C-1").dump() + "\n");
  EXPECT_EQ(gpuledger::testing::RunCli({"ingest", file}).exit_code, 2);            // no --data
  EXPECT_EQ(gpuledger::testing::RunCli({"ingest", "--data", data}).exit_code, 2);  // no file
  EXPECT_EQ(
      gpuledger::testing::RunCli({"ingest", "--data", data, dir_.Sub("missing.jsonl"), "--quiet"})
          .exit_code,
      1);
  EXPECT_EQ(gpuledger::testing::RunCli({"ingest", "--data", data, file, "--quiet"}).exit_code, 0);
}

}  // namespace
}  // namespace gpuledger
