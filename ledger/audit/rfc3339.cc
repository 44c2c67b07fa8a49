// Strict RFC 3339 date-time parsing and UTC formatting.
//
// Hand-written on purpose: std::chrono::parse, strptime and friends are locale-dependent
// and lenient (they accept spaces, single digits, ":60", etc.), and the contract needs an
// exact, byte-for-byte grammar. Everything is integer arithmetic; no floating point.
#include "ledger/audit/rfc3339.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace gpuledger {
namespace {

constexpr int64_t kSecondsPerDay = 86400;

// Layout of "YYYY-MM-DDTHH:MM:SS": fixed offsets make the grammar check trivial.
constexpr size_t kDateTimeLength = 19;  // up to and including the seconds

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads `count` ASCII digits at `pos`. Returns false if any byte is not a digit, so a
// sign, space or short field can never sneak through as it would with strtol.
bool ReadDigits(std::string_view text, size_t pos, size_t count, unsigned* value) {
  if (pos + count > text.size()) return false;
  unsigned result = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    if (!IsDigit(text[i])) return false;
    result = result * 10 + static_cast<unsigned>(text[i] - '0');
  }
  *value = result;
  return true;
}

bool IsLeapYear(unsigned year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

unsigned DaysInMonth(unsigned year, unsigned month) {
  static constexpr unsigned kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && IsLeapYear(year)) return 29;
  return kDays[month - 1];
}

struct Fields {
  unsigned year, month, day, hour, minute, second;
};

// Parses and range-checks "YYYY-MM-DDTHH:MM:SS" (the first 19 bytes).
bool ParseDateTime(std::string_view text, Fields* f) {
  if (text.size() < kDateTimeLength) return false;
  if (text[4] != '-' || text[7] != '-' || text[13] != ':' || text[16] != ':') return false;
  // RFC 3339 section 5.6 NOTE: 'T' and 'Z' may be lowercase; nothing else (no space).
  if (text[10] != 'T' && text[10] != 't') return false;
  if (!ReadDigits(text, 0, 4, &f->year) || !ReadDigits(text, 5, 2, &f->month) ||
      !ReadDigits(text, 8, 2, &f->day) || !ReadDigits(text, 11, 2, &f->hour) ||
      !ReadDigits(text, 14, 2, &f->minute) || !ReadDigits(text, 17, 2, &f->second)) {
    return false;
  }
  if (f->month < 1 || f->month > 12) return false;
  if (f->day < 1 || f->day > DaysInMonth(f->year, f->month)) return false;
  // Leap seconds (":60") cannot be mapped to a unique Unix second, so the contract rejects
  // them rather than silently folding them into the next minute.
  return f->hour <= 23 && f->minute <= 59 && f->second <= 59;
}

// Skips an optional ".digits" fraction at *pos. Returns false on "." without digits.
bool SkipFraction(std::string_view text, size_t* pos, bool* fractional) {
  *fractional = false;
  if (*pos >= text.size() || text[*pos] != '.') return true;
  size_t end = *pos + 1;
  while (end < text.size() && IsDigit(text[end])) ++end;
  if (end == *pos + 1) return false;
  *fractional = true;
  *pos = end;
  return true;
}

// Parses the mandatory offset "Z" / "z" / "+HH:MM" / "-HH:MM", which must end the text.
// On success *offset_seconds is local time minus UTC.
bool ParseOffset(std::string_view text, size_t pos, int64_t* offset_seconds) {
  std::string_view rest = text.substr(pos);
  if (rest == "Z" || rest == "z") {
    *offset_seconds = 0;
    return true;
  }
  if (rest.size() != 6 || (rest[0] != '+' && rest[0] != '-') || rest[3] != ':') return false;
  unsigned hours = 0;
  unsigned minutes = 0;
  if (!ReadDigits(rest, 1, 2, &hours) || !ReadDigits(rest, 4, 2, &minutes)) return false;
  if (hours > 23 || minutes > 59) return false;
  int64_t magnitude = static_cast<int64_t>(hours) * 3600 + static_cast<int64_t>(minutes) * 60;
  *offset_seconds = rest[0] == '-' ? -magnitude : magnitude;
  return true;
}

// Floor division, so instants before 1970 land on the right calendar day.
int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

struct CivilDate {
  int64_t year;
  unsigned month;
  unsigned day;
};

// Inverse of DaysFromCivil (Howard Hinnant's civil_from_days).
CivilDate CivilFromDays(int64_t days) {
  days += 719468;
  const int64_t era = FloorDiv(days, 146097);
  const int64_t doe = days - era * 146097;                                    // [0, 146096]
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
  const int64_t mp = (5 * doy + 2) / 153;                                     // [0, 11]
  CivilDate date;
  date.day = static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1);
  date.month = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
  date.year = yoe + era * 400 + (date.month <= 2 ? 1 : 0);
  return date;
}

// Appends `value` zero-padded to at least `width` digits (value must be non-negative).
void AppendPadded(int64_t value, int width, std::string* out) {
  char buf[24];
  int len = 0;
  do {
    buf[len++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value > 0);
  while (len < width) buf[len++] = '0';
  while (len > 0) out->push_back(buf[--len]);
}

}  // namespace

int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day) {
  year -= month <= 2 ? 1 : 0;
  const int64_t era = FloorDiv(year, 400);
  const int64_t yoe = year - era * 400;                                    // [0, 399]
  const int64_t mp = month > 2 ? month - 3 : month + 9;                    // [0, 11]
  const int64_t doy = (153 * mp + 2) / 5 + static_cast<int64_t>(day) - 1;  // [0, 365]
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;               // [0, 146096]
  return era * 146097 + doe - 719468;
}

TimeParse ParseRfc3339(std::string_view text, int64_t* unix_seconds) {
  Fields f;
  if (!ParseDateTime(text, &f)) return TimeParse::kInvalid;
  size_t pos = kDateTimeLength;
  bool fractional = false;
  if (!SkipFraction(text, &pos, &fractional)) return TimeParse::kInvalid;
  int64_t offset_seconds = 0;
  if (!ParseOffset(text, pos, &offset_seconds)) return TimeParse::kInvalid;

  const int64_t days = DaysFromCivil(f.year, f.month, f.day);
  const int64_t local = days * kSecondsPerDay + static_cast<int64_t>(f.hour) * 3600 +
                        static_cast<int64_t>(f.minute) * 60 + static_cast<int64_t>(f.second);
  // Local time is UTC + offset, so UTC = local - offset.
  *unix_seconds = local - offset_seconds;
  return fractional ? TimeParse::kFractional : TimeParse::kOk;
}

std::string FormatRfc3339Utc(int64_t unix_seconds) {
  const int64_t days = FloorDiv(unix_seconds, kSecondsPerDay);
  const int64_t second_of_day = unix_seconds - days * kSecondsPerDay;  // [0, 86399]
  const CivilDate date = CivilFromDays(days);

  std::string out;
  out.reserve(20);
  // Years outside 0000-9999 are not RFC 3339; print them anyway (with a '-' sign for
  // negative years) rather than wrap, so the output is at least unambiguous.
  if (date.year < 0) {
    out.push_back('-');
    AppendPadded(-date.year, 4, &out);
  } else {
    AppendPadded(date.year, 4, &out);
  }
  out.push_back('-');
  AppendPadded(date.month, 2, &out);
  out.push_back('-');
  AppendPadded(date.day, 2, &out);
  out.push_back('T');
  AppendPadded(second_of_day / 3600, 2, &out);
  out.push_back(':');
  AppendPadded(second_of_day / 60 % 60, 2, &out);
  out.push_back(':');
  AppendPadded(second_of_day % 60, 2, &out);
  out.push_back('Z');
  return out;
}

}  // namespace gpuledger
