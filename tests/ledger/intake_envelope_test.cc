// Check 1 of the intake rules (shared/spec/events.md): a malformed envelope (not UTF-8,
// not a JSON object, a required attribute missing or wrong, a bad time) is rejected.
#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "gpuledger/types.h"
#include "tests/ledger/intake_rules_fixture.h"

namespace gpuledger::intake_rules_test {

namespace {

std::string Repeat(std::string_view unit, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += unit;
  return s;
}

}  // namespace

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

}  // namespace gpuledger::intake_rules_test
