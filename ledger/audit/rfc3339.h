// Strict RFC 3339 date-time parsing as the contract (spec section 2) reads it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "gpuledger/types.h"  // FormatRfc3339Utc

namespace gpuledger {

enum class TimeParse {
  kOk,          // exact to the second
  kFractional,  // a valid RFC 3339 date-time with a fractional second part
  kInvalid,     // not an RFC 3339 date-time (or a leap second :60, or an impossible date)
};

// Parses `text` ("YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)", 'T' and 'Z' in either
// case) into Unix seconds (UTC). On kFractional, *unix_seconds holds the whole-second
// part. Years 0000-9999; offsets up to +-23:59. Pure function, thread-safe.
TimeParse ParseRfc3339(std::string_view text, int64_t* unix_seconds);

// Days since 1970-01-01 of a proleptic Gregorian civil date (Howard Hinnant's algorithm).
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);

}  // namespace gpuledger
