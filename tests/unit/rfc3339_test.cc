// Tests for the strict RFC 3339 parser/formatter. Expected epoch values were computed
// independently (Python datetime) rather than with the code under test.
#include "ledger/audit/rfc3339.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace gpuledger {
namespace {

// Parses text expecting `want`; returns the seconds (or a sentinel if not written).
int64_t ParseExpect(const std::string& text, TimeParse want) {
  int64_t seconds = -123456789;
  EXPECT_EQ(ParseRfc3339(text, &seconds), want) << text;
  return seconds;
}

void ExpectInvalid(const std::string& text) {
  int64_t seconds = 0;
  EXPECT_EQ(ParseRfc3339(text, &seconds), TimeParse::kInvalid) << "'" << text << "'";
}

TEST(Rfc3339Test, EpochAndUtcDesignator) {
  EXPECT_EQ(ParseExpect("1970-01-01T00:00:00Z", TimeParse::kOk), 0);
  EXPECT_EQ(ParseExpect("1985-04-12T23:20:50Z", TimeParse::kOk), 482196050);
  EXPECT_EQ(ParseExpect("2024-02-29T12:34:56Z", TimeParse::kOk), 1709210096);
}

TEST(Rfc3339Test, LowercaseTAndZ) {
  EXPECT_EQ(ParseExpect("1985-04-12t23:20:50z", TimeParse::kOk), 482196050);
  EXPECT_EQ(ParseExpect("1985-04-12T23:20:50z", TimeParse::kOk), 482196050);
  EXPECT_EQ(ParseExpect("1985-04-12t23:20:50Z", TimeParse::kOk), 482196050);
}

TEST(Rfc3339Test, NumericOffsetsAreSubtracted) {
  // +09:00 means local time is 9h ahead of UTC, so 09:00 local is 00:00 UTC.
  EXPECT_EQ(ParseExpect("2024-01-01T09:00:00+09:00", TimeParse::kOk), 1704067200);
  EXPECT_EQ(ParseExpect("1996-12-19T16:39:57-08:00", TimeParse::kOk), 851042397);
  EXPECT_EQ(ParseExpect("2024-07-01T00:00:00-23:59", TimeParse::kOk), 1719878340);
  EXPECT_EQ(ParseExpect("1970-01-01T00:00:00+00:00", TimeParse::kOk), 0);
  EXPECT_EQ(ParseExpect("1970-01-01T00:00:00-00:00", TimeParse::kOk), 0);
}

TEST(Rfc3339Test, FractionalSecondsReportWholeSeconds) {
  EXPECT_EQ(ParseExpect("1985-04-12T23:20:50.52Z", TimeParse::kFractional), 482196050);
  EXPECT_EQ(ParseExpect("1970-01-01T00:00:00.000Z", TimeParse::kFractional), 0);
  EXPECT_EQ(ParseExpect("1970-01-01T00:00:00.0z", TimeParse::kFractional), 0);
  EXPECT_EQ(ParseExpect("1970-01-01T00:00:01.999999999999+00:00", TimeParse::kFractional), 1);
  // RFC 3339 section 5.8 example, whole part only: 1937-01-01T12:00:27.87+00:20.
  EXPECT_EQ(ParseExpect("1937-01-01T12:00:27.87+00:20", TimeParse::kFractional), -1041337173);
}

TEST(Rfc3339Test, LeapSecondIsInvalid) {
  ExpectInvalid("1990-12-31T23:59:60Z");
  ExpectInvalid("1990-12-31T15:59:60-08:00");
  ExpectInvalid("1990-12-31T23:59:60.5Z");
}

TEST(Rfc3339Test, LeapYears) {
  EXPECT_EQ(ParseExpect("2000-02-29T00:00:00Z", TimeParse::kOk), 951782400);
  ParseExpect("2024-02-29T00:00:00Z", TimeParse::kOk);
  ParseExpect("1600-02-29T00:00:00Z", TimeParse::kOk);
  ExpectInvalid("2023-02-29T00:00:00Z");
  ExpectInvalid("2100-02-29T00:00:00Z");
  ExpectInvalid("1900-02-29T00:00:00Z");
  ExpectInvalid("2024-02-30T00:00:00Z");
}

TEST(Rfc3339Test, FieldRanges) {
  ExpectInvalid("2024-13-01T00:00:00Z");
  ExpectInvalid("2024-00-01T00:00:00Z");
  ExpectInvalid("2024-01-00T00:00:00Z");
  ExpectInvalid("2024-01-32T00:00:00Z");
  ExpectInvalid("2024-04-31T00:00:00Z");
  ExpectInvalid("2024-01-01T24:00:00Z");
  ExpectInvalid("2024-01-01T00:60:00Z");
  ExpectInvalid("2024-01-01T00:00:61Z");
  ExpectInvalid("2024-01-01T00:00:00+24:00");
  ExpectInvalid("2024-01-01T00:00:00+09:60");
  ParseExpect("2024-12-31T23:59:59Z", TimeParse::kOk);
  ParseExpect("2024-04-30T00:00:00+23:59", TimeParse::kOk);
}

TEST(Rfc3339Test, MissingOrMalformedOffset) {
  ExpectInvalid("2024-01-01T00:00:00");
  ExpectInvalid("2024-01-01T00:00:00.5");
  ExpectInvalid("2024-01-01T00:00:00+0900");
  ExpectInvalid("2024-01-01T00:00:00+09");
  ExpectInvalid("2024-01-01T00:00:00+9:00");
  ExpectInvalid("2024-01-01T00:00:00 +09:00");
  ExpectInvalid("2024-01-01T00:00:00UTC");
  ExpectInvalid("2024-01-01T00:00:00GMT");
}

TEST(Rfc3339Test, TrailingAndLeadingGarbage) {
  ExpectInvalid("2024-01-01T00:00:00Z ");
  ExpectInvalid("2024-01-01T00:00:00Zx");
  ExpectInvalid("2024-01-01T00:00:00ZZ");
  ExpectInvalid("2024-01-01T00:00:00+09:00:00");
  ExpectInvalid(" 2024-01-01T00:00:00Z");
  ExpectInvalid(std::string("2024-01-01T00:00:00Z\0", 21));
}

TEST(Rfc3339Test, ShapeErrors) {
  ExpectInvalid("");
  ExpectInvalid("2024-01-01");
  ExpectInvalid("2024-01-01 00:00:00Z");   // space separator (RFC 3339 allows, contract no)
  ExpectInvalid("2024-01-01x00:00:00Z");   // only T/t may separate
  ExpectInvalid("2024-01-01T00:00:00.Z");  // '.' needs at least one digit
  ExpectInvalid("2024-01-01T00:00:00,5Z");
  ExpectInvalid("2024-1-01T00:00:00Z");
  ExpectInvalid("24-01-01T00:00:00Z");
  ExpectInvalid("+2024-01-01T00:00:00Z");
  ExpectInvalid("20240101T000000Z");
  ExpectInvalid("2024-01-01T0:00:00Z");
  ExpectInvalid("2024-01-01T00:00:0Z");
  ExpectInvalid("2024-0a-01T00:00:00Z");
  ExpectInvalid("2024-01-01T00:00:00z0");
}

TEST(Rfc3339Test, YearBounds) {
  EXPECT_EQ(ParseExpect("0000-01-01T00:00:00Z", TimeParse::kOk), -62167219200);
  EXPECT_EQ(ParseExpect("9999-12-31T23:59:59Z", TimeParse::kOk), 253402300799);
}

TEST(Rfc3339Test, DaysFromCivil) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(1969, 12, 31), -1);
  EXPECT_EQ(DaysFromCivil(2000, 3, 1), 11017);
  EXPECT_EQ(DaysFromCivil(1600, 2, 29), -135081);
}

TEST(Rfc3339Test, FormatKnownValues) {
  EXPECT_EQ(FormatRfc3339Utc(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339Utc(-1), "1969-12-31T23:59:59Z");
  EXPECT_EQ(FormatRfc3339Utc(1709210096), "2024-02-29T12:34:56Z");
  EXPECT_EQ(FormatRfc3339Utc(253402300799), "9999-12-31T23:59:59Z");
  EXPECT_EQ(FormatRfc3339Utc(-62167219200), "0000-01-01T00:00:00Z");
}

TEST(Rfc3339Test, FormatThenParseRoundTrips) {
  // Stride is coprime with 86400 so seconds, minutes and hours all vary.
  for (int64_t t = -62167219200; t <= 253402300799; t += 7777777) {
    const std::string text = FormatRfc3339Utc(t);
    int64_t parsed = 0;
    ASSERT_EQ(ParseRfc3339(text, &parsed), TimeParse::kOk) << text;
    ASSERT_EQ(parsed, t) << text;
  }
}

TEST(Rfc3339Test, ParseThenFormatNormalisesToUtc) {
  int64_t t = 0;
  ASSERT_EQ(ParseRfc3339("2024-01-01T09:00:00+09:00", &t), TimeParse::kOk);
  EXPECT_EQ(FormatRfc3339Utc(t), "2024-01-01T00:00:00Z");
  ASSERT_EQ(ParseRfc3339("1996-12-19T16:39:57-08:00", &t), TimeParse::kOk);
  EXPECT_EQ(FormatRfc3339Utc(t), "1996-12-20T00:39:57Z");
}

}  // namespace
}  // namespace gpuledger
