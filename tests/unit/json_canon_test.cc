// Tests for RFC 8785 (JCS) canonicalisation. Expected strings come from RFC 8785 itself
// (sections 3.2.2, 3.2.3, Appendix B) and were cross-checked with node's JSON.stringify.
#include "ledger/intake/json_canon.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <bit>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace gpuledger {
namespace {

// Parses `json` with simdjson's DOM and returns its canonical form.
std::string Canon(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  const simdjson::error_code error = parser.parse(json.data(), json.size()).get(root);
  EXPECT_EQ(error, simdjson::SUCCESS) << json;
  if (error != simdjson::SUCCESS) return "<parse error>";
  std::string out;
  EXPECT_TRUE(AppendCanonicalJson(root, &out)) << json;
  return out;
}

std::string Ecma(double value) {
  std::string out;
  AppendEcmaNumber(value, &out);
  return out;
}

std::string EcmaBits(uint64_t bits) { return Ecma(std::bit_cast<double>(bits)); }

std::string Jcs(std::string_view utf8) {
  std::string out;
  AppendJcsString(utf8, &out);
  return out;
}

simdjson::error_code ParseError(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  return parser.parse(json.data(), json.size()).get(root);
}

// --- RFC 8785 section 3.2.2 sample -------------------------------------------------------

TEST(JsonCanonTest, Rfc8785SampleObject) {
  const std::string_view input = R"({
    "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
    "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
    "literals": [null, true, false]
  })";
  const std::string_view expected =
      "{\"literals\":[null,true,false],"
      "\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
      "\"string\":\"\xE2\x82\xAC$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}";
  EXPECT_EQ(Canon(input), expected);
}

// --- RFC 8785 section 3.2.3 sorting example ---------------------------------------------

TEST(JsonCanonTest, Rfc8785SortingExample) {
  const std::string_view input = R"({
    "\u20ac": "Euro Sign",
    "\r": "Carriage Return",
    "\ufb33": "Hebrew Letter Dalet With Dagesh",
    "1": "One",
    "\ud83d\ude00": "Emoji: Grinning Face",
    "\u0080": "Control",
    "\u00f6": "Latin Small Letter O With Diaeresis"
  })";
  const std::string expected =
      "{\"\\r\":\"Carriage Return\","
      "\"1\":\"One\","
      "\"\xC2\x80\":\"Control\","
      "\"\xC3\xB6\":\"Latin Small Letter O With Diaeresis\","
      "\"\xE2\x82\xAC\":\"Euro Sign\","
      "\"\xF0\x9F\x98\x80\":\"Emoji: Grinning Face\","
      "\"\xEF\xAC\xB3\":\"Hebrew Letter Dalet With Dagesh\"}";
  EXPECT_EQ(Canon(input), expected);
}

// --- Numbers ------------------------------------------------------------------------------

// RFC 8785 Appendix B, given as IEEE-754 bit patterns so no parser is involved.
TEST(JsonCanonTest, Rfc8785AppendixBNumbers) {
  EXPECT_EQ(EcmaBits(0x0000000000000000), "0");
  EXPECT_EQ(EcmaBits(0x8000000000000000), "0");
  EXPECT_EQ(EcmaBits(0x0000000000000001), "5e-324");
  EXPECT_EQ(EcmaBits(0x8000000000000001), "-5e-324");
  EXPECT_EQ(EcmaBits(0x7fefffffffffffff), "1.7976931348623157e+308");
  EXPECT_EQ(EcmaBits(0xffefffffffffffff), "-1.7976931348623157e+308");
  EXPECT_EQ(EcmaBits(0x4340000000000000), "9007199254740992");
  EXPECT_EQ(EcmaBits(0xc340000000000000), "-9007199254740992");
  EXPECT_EQ(EcmaBits(0x4430000000000000), "295147905179352830000");
  EXPECT_EQ(EcmaBits(0x44b52d02c7e14af5), "9.999999999999997e+22");
  EXPECT_EQ(EcmaBits(0x44b52d02c7e14af6), "1e+23");
  EXPECT_EQ(EcmaBits(0x44b52d02c7e14af7), "1.0000000000000001e+23");
  EXPECT_EQ(EcmaBits(0x444b1ae4d6e2ef4e), "999999999999999700000");
  EXPECT_EQ(EcmaBits(0x444b1ae4d6e2ef4f), "999999999999999900000");
  EXPECT_EQ(EcmaBits(0x444b1ae4d6e2ef50), "1e+21");
  EXPECT_EQ(EcmaBits(0x3eb0c6f7a0b5ed8c), "9.999999999999997e-7");
  EXPECT_EQ(EcmaBits(0x3eb0c6f7a0b5ed8d), "0.000001");
  EXPECT_EQ(EcmaBits(0x41b3de4355555553), "333333333.3333332");
  EXPECT_EQ(EcmaBits(0x41b3de4355555554), "333333333.33333325");
  EXPECT_EQ(EcmaBits(0x41b3de4355555555), "333333333.3333333");
  EXPECT_EQ(EcmaBits(0x41b3de4355555556), "333333333.3333334");
  EXPECT_EQ(EcmaBits(0x41b3de4355555557), "333333333.33333343");
  EXPECT_EQ(EcmaBits(0xbecbf647612f3696), "-0.0000033333333333333333");
  EXPECT_EQ(EcmaBits(0x43143ff3c1cb0959), "1424953923781206.2");
}

TEST(JsonCanonTest, NumbersThroughParser) {
  EXPECT_EQ(Canon("0"), "0");
  EXPECT_EQ(Canon("-0"), "0");
  EXPECT_EQ(Canon("-0.0"), "0");
  EXPECT_EQ(Canon("1e21"), "1e+21");
  EXPECT_EQ(Canon("1e20"), "100000000000000000000");
  EXPECT_EQ(Canon("1e-7"), "1e-7");
  EXPECT_EQ(Canon("1.5e-7"), "1.5e-7");
  EXPECT_EQ(Canon("333333333.33333329"), "333333333.3333333");
  EXPECT_EQ(Canon("1E30"), "1e+30");
  EXPECT_EQ(Canon("4.50"), "4.5");
  EXPECT_EQ(Canon("2e-3"), "0.002");
  EXPECT_EQ(Canon("0.000001"), "0.000001");
  EXPECT_EQ(Canon("0.0000001"), "1e-7");
  EXPECT_EQ(Canon("123e-20"), "1.23e-18");
  EXPECT_EQ(Canon("0.1"), "0.1");
  EXPECT_EQ(Canon("-1.25"), "-1.25");
  EXPECT_EQ(Canon("100"), "100");
  EXPECT_EQ(Canon("-42"), "-42");
  EXPECT_EQ(Canon("1.0"), "1");
}

TEST(JsonCanonTest, IntegersAreRoundedToDouble) {
  EXPECT_EQ(Canon("9007199254740993"), "9007199254740992");          // int64 beyond 2^53
  EXPECT_EQ(Canon("18446744073709551615"), "18446744073709552000");  // uint64 max
  EXPECT_EQ(Canon("-9223372036854775808"), "-9223372036854776000");  // int64 min
  // 295147905179352830000 (2^68) is beyond uint64, which simdjson rejects as an integer
  // (see BigIntegersAreRejected), so feed it as a double literal.
  EXPECT_EQ(Canon("2.9514790517935283e20"), "295147905179352830000");
  EXPECT_EQ(Canon("295147905179352830000.0"), "295147905179352830000");
}

TEST(JsonCanonTest, EcmaNumberExponentBoundaries) {
  EXPECT_EQ(Ecma(1e21), "1e+21");
  EXPECT_EQ(Ecma(123456789012345680000.0), "123456789012345680000");
  EXPECT_EQ(Ecma(1e-6), "0.000001");
  EXPECT_EQ(Ecma(1.5e-6), "0.0000015");
  EXPECT_EQ(Ecma(1e-7), "1e-7");
  EXPECT_EQ(Ecma(-0.0), "0");
  EXPECT_EQ(Ecma(1.5e300), "1.5e+300");
  EXPECT_EQ(Ecma(0.5), "0.5");
  EXPECT_EQ(Ecma(12.5), "12.5");
}

// --- Strings ------------------------------------------------------------------------------

TEST(JsonCanonTest, ControlCharactersEscaped) {
  std::string raw;
  for (int c = 0; c < 0x20; ++c) raw.push_back(static_cast<char>(c));
  const std::string expected =
      "\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007"
      "\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f"
      "\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017"
      "\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f\"";
  EXPECT_EQ(Jcs(raw), expected);
}

TEST(JsonCanonTest, ControlCharactersThroughParser) {
  EXPECT_EQ(Canon(R"("\u0000\u001F\u001f\b\t\n\f\r\u000B")"),
            R"("\u0000\u001f\u001f\b\t\n\f\r\u000b")");
}

TEST(JsonCanonTest, OnlyQuoteBackslashAndControlsAreEscaped) {
  EXPECT_EQ(Jcs("a\"b\\c"), R"("a\"b\\c")");
  // '/', DEL and non-ASCII stay raw.
  EXPECT_EQ(Jcs("/\x7F\xC3\xB6\xE2\x82\xAC\xF0\x9F\x98\x80"),
            "\"/\x7F\xC3\xB6\xE2\x82\xAC\xF0\x9F\x98\x80\"");
  EXPECT_EQ(Canon(R"("\/\u007f\u00e9\u2028")"), "\"/\x7F\xC3\xA9\xE2\x80\xA8\"");
  EXPECT_EQ(Jcs(""), "\"\"");
}

// --- Key order ---------------------------------------------------------------------------

// Reference UTF-16 comparison via a real conversion (slow but obviously right).
std::u16string ToUtf16(std::string_view utf8) {
  std::u16string out;
  for (size_t i = 0; i < utf8.size();) {
    const auto lead = static_cast<unsigned char>(utf8[i]);
    const size_t len = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    char32_t cp = len == 1 ? lead : len == 2 ? lead & 0x1F : len == 3 ? lead & 0x0F : lead & 0x07;
    for (size_t j = 1; j < len; ++j)
      cp = (cp << 6) | (static_cast<unsigned char>(utf8[i + j]) & 0x3F);
    if (cp >= 0x10000) {
      out.push_back(static_cast<char16_t>(0xD800 + ((cp - 0x10000) >> 10)));
      out.push_back(static_cast<char16_t>(0xDC00 + ((cp - 0x10000) & 0x3FF)));
    } else {
      out.push_back(static_cast<char16_t>(cp));
    }
    i += len;
  }
  return out;
}

TEST(JsonCanonTest, Utf16LessMatchesReference) {
  const std::string_view samples[] = {
      "",
      "a",
      "ab",
      "b",
      "\r",
      "1",
      "\xC2\x80",           // U+0080
      "\xC3\xB6",           // U+00F6
      "\xE2\x82\xAC",       // U+20AC
      "\xED\x9F\xBF",       // U+D7FF
      "\xEE\x80\x80",       // U+E000
      "\xEF\xAC\xB3",       // U+FB33
      "\xEF\xBF\xBF",       // U+FFFF
      "\xF0\x90\x80\x80",   // U+10000
      "\xF0\x9F\x98\x80",   // U+1F600
      "\xF4\x8F\xBF\xBF",   // U+10FFFF
      "a\xF0\x9F\x98\x80",  // shared prefix, then supplementary
      "a\xEF\xBF\xBF",      // shared prefix, then U+FFFF
      "\xF0\x9F\x98\x80z",  // same supplementary, different tail
      "\xF0\x9F\x98\x81",   // U+1F601: differs in a continuation byte
      "\xEF\xBF\xBE",       // U+FFFE: differs from U+FFFF in a continuation byte
  };
  for (std::string_view a : samples) {
    for (std::string_view b : samples) {
      EXPECT_EQ(Utf16Less(a, b), ToUtf16(a) < ToUtf16(b))
          << "a=" << ::testing::PrintToString(std::string(a))
          << " b=" << ::testing::PrintToString(std::string(b));
    }
  }
}

TEST(JsonCanonTest, SupplementarySortsBeforeHighBmp) {
  // Code point order would put U+FFFF first; UTF-16 puts the surrogate pair (D83D) first.
  EXPECT_TRUE(Utf16Less("\xF0\x9F\x98\x80", "\xEF\xBF\xBF"));
  EXPECT_FALSE(Utf16Less("\xEF\xBF\xBF", "\xF0\x9F\x98\x80"));
  // ...but after everything below U+D800.
  EXPECT_TRUE(Utf16Less("\xED\x9F\xBF", "\xF0\x9F\x98\x80"));
  EXPECT_EQ(Canon(R"({"\uffff":1,"\ud83d\ude00":2,"\ud7ff":3})"),
            "{\"\xED\x9F\xBF\":3,\"\xF0\x9F\x98\x80\":2,\"\xEF\xBF\xBF\":1}");
}

// --- Structure ---------------------------------------------------------------------------

TEST(JsonCanonTest, NestedStructuresNoWhitespace) {
  EXPECT_EQ(Canon(R"( { "b" : [ 1 , { "z" : null , "a" : true } , [ ] ] , "a" : { } } )"),
            R"({"a":{},"b":[1,{"a":true,"z":null},[]]})");
  EXPECT_EQ(Canon("[3, 1, 2]"), "[3,1,2]");  // arrays keep order
  EXPECT_EQ(Canon("true"), "true");
  EXPECT_EQ(Canon("false"), "false");
  EXPECT_EQ(Canon("null"), "null");
  EXPECT_EQ(Canon(R"({"a":"x","A":"y","aa":"z","":0})"), R"({"":0,"A":"y","a":"x","aa":"z"})");
}

TEST(JsonCanonTest, EscapedKeysAreEscapedOnOutput) {
  EXPECT_EQ(Canon(R"({"\n":1,"\"":2,"\\":3})"), R"({"\n":1,"\"":2,"\\":3})");
}

TEST(JsonCanonTest, AppendsToExistingOutput) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(std::string_view("[1]")).get(root), simdjson::SUCCESS);
  std::string out = "prefix:";
  ASSERT_TRUE(AppendCanonicalJson(root, &out));
  EXPECT_EQ(out, "prefix:[1]");
}

// --- simdjson 3.0.1 behaviour the canonicaliser relies on (see json_canon.cc) --------------

TEST(SimdjsonBehaviourTest, BigIntegersAreRejected) {
  EXPECT_EQ(ParseError("123456789012345678901234567890"), simdjson::NUMBER_ERROR);
  EXPECT_EQ(ParseError("295147905179352830000"), simdjson::NUMBER_ERROR);
  EXPECT_EQ(ParseError("18446744073709551616"), simdjson::NUMBER_ERROR);
  EXPECT_EQ(ParseError("-9223372036854775809"), simdjson::NUMBER_ERROR);
  EXPECT_EQ(ParseError("1e400"), simdjson::NUMBER_ERROR);
}

TEST(SimdjsonBehaviourTest, LoneSurrogatesAreRejected) {
  EXPECT_EQ(ParseError(R"("\ud800")"), simdjson::STRING_ERROR);
  EXPECT_EQ(ParseError(R"("\udc00")"), simdjson::STRING_ERROR);
  EXPECT_EQ(ParseError(R"("\ud800\u0041")"), simdjson::STRING_ERROR);
}

TEST(SimdjsonBehaviourTest, DuplicateKeysAreKept) {
  EXPECT_EQ(Canon(R"({"b":0,"a":1,"a":2})"), R"({"a":1,"a":2,"b":0})");
}

TEST(SimdjsonBehaviourTest, NonFiniteLiteralsAreRejected) {
  EXPECT_NE(ParseError("NaN"), simdjson::SUCCESS);
  EXPECT_NE(ParseError("Infinity"), simdjson::SUCCESS);
  EXPECT_NE(ParseError("-Infinity"), simdjson::SUCCESS);
  EXPECT_NE(ParseError("[NaN]"), simdjson::SUCCESS);
}

TEST(SimdjsonBehaviourTest, InvalidUtf8IsRejected) {
  EXPECT_EQ(ParseError("\"a\xFF"
                       "b\""),
            simdjson::UTF8_ERROR);
  EXPECT_EQ(ParseError("\"\xC0\xAF\""), simdjson::UTF8_ERROR);      // overlong '/'
  EXPECT_EQ(ParseError("\"\xED\xA0\x80\""), simdjson::UTF8_ERROR);  // encoded surrogate
}

}  // namespace
}  // namespace gpuledger
