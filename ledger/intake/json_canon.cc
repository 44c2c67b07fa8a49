// RFC 8785 JSON Canonicalization Scheme (JCS) over a simdjson DOM.
//
// What simdjson 3.0.1's DOM parser (dom::parser::parse) does with the awkward inputs, as
// measured against the Debian 12 build; the caller relies on these, so re-check on upgrade:
// - Integers beyond the 64-bit range (e.g. 123456789012345678901234567890, also
//   18446744073709551616 and -9223372036854775809) fail with NUMBER_ERROR; they are NOT
//   degraded to a double. Written with '.'/'e' (2.9514790517935283e20) they parse as DOUBLE.
//   Overflowing doubles (1e400) also fail with NUMBER_ERROR; underflow (1e-400) becomes 0.
// - Lone surrogate escapes ("\ud800", "\udc00", "\ud800\u0041") fail with STRING_ERROR;
//   a proper pair ("\ud83d\ude00") is decoded to 4-byte UTF-8.
// - Duplicate keys are accepted silently: {"a":1,"a":2} iterates as two fields, and
//   at_key("a") returns the first. JCS output would then contain both, so a caller that
//   must reject duplicates has to check for them itself.
// - NaN / Infinity literals are rejected (TAPE_ERROR; "-Infinity" gives NUMBER_ERROR), so a
//   parsed DOM never holds a non-finite number.
// - Invalid UTF-8 anywhere in the document (e.g. 0xFF, overlong C0 AF, encoded surrogate
//   ED A0 80) fails the whole parse with UTF8_ERROR, so strings here are valid UTF-8.
// - Unescaped control bytes inside strings fail with UNESCAPED_CHARS; "\u0000" is accepted
//   and yields an embedded NUL (string_view length 1).
// Also: iterating `for (auto f : element.get_object().value_unsafe())` dangles (value_unsafe
// of a temporary simdjson_result returns T&&); copy the dom::object into a local first.
#include "ledger/intake/json_canon.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace gpuledger {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// The shortest round-trip digits of a positive finite double, in scientific terms:
// value = 0.d1d2...dk * 10^n (ECMAScript's k, n and s from Number::toString).
struct ShortestDecimal {
  char digits[24];
  int k = 0;  // number of significant digits
  int n = 0;  // decimal point position
};

// Ryu-style shortest round-trip (std::to_chars) picks the fewest digits and, among those,
// the closest to the value -- exactly what ECMAScript (and so JCS) requires of s.
ShortestDecimal ToShortestDecimal(double positive) {
  char buf[64];
  const std::to_chars_result result =
      std::to_chars(buf, buf + sizeof(buf), positive, std::chars_format::scientific);
  // Scientific output is "d[.ddd]e(+|-)XX".
  const std::string_view sci(buf, static_cast<size_t>(result.ptr - buf));
  const size_t e_pos = sci.find('e');

  ShortestDecimal decimal;
  for (size_t i = 0; i < e_pos; ++i) {
    if (sci[i] != '.') decimal.digits[decimal.k++] = sci[i];
  }
  int exponent = 0;
  for (size_t i = e_pos + 2; i < sci.size(); ++i) exponent = exponent * 10 + (sci[i] - '0');
  if (sci[e_pos + 1] == '-') exponent = -exponent;
  decimal.n = exponent + 1;
  return decimal;
}

void AppendExponent(int exponent, std::string* out) {
  out->push_back('e');
  out->push_back(exponent < 0 ? '-' : '+');
  out->append(std::to_string(exponent < 0 ? -exponent : exponent));
}

// ECMA-262 Number::toString steps for a positive finite double, given its digits.
void AppendDecimal(const ShortestDecimal& d, std::string* out) {
  const std::string_view digits(d.digits, static_cast<size_t>(d.k));
  if (d.k <= d.n && d.n <= 21) {
    // Integer: digits followed by n - k zeros ("1e21" is where exponent form starts).
    out->append(digits);
    out->append(static_cast<size_t>(d.n - d.k), '0');
  } else if (0 < d.n && d.n <= 21) {
    // Decimal point inside the digits.
    out->append(digits.substr(0, static_cast<size_t>(d.n)));
    out->push_back('.');
    out->append(digits.substr(static_cast<size_t>(d.n)));
  } else if (-6 < d.n && d.n <= 0) {
    // Small: "0.000001" style, down to 1e-6.
    out->append("0.");
    out->append(static_cast<size_t>(-d.n), '0');
    out->append(digits);
  } else {
    // Exponent form: "1e+21", "1.5e-7".
    out->push_back(digits[0]);
    if (d.k > 1) {
      out->push_back('.');
      out->append(digits.substr(1));
    }
    AppendExponent(d.n - 1, out);
  }
}

// JCS (RFC 8785 section 3.2.2.2) escapes only these; everything else stays raw UTF-8.
void AppendEscapedByte(unsigned char c, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  switch (c) {
    case '"':
      out->append("\\\"");
      return;
    case '\\':
      out->append("\\\\");
      return;
    case '\b':
      out->append("\\b");
      return;
    case '\t':
      out->append("\\t");
      return;
    case '\n':
      out->append("\\n");
      return;
    case '\f':
      out->append("\\f");
      return;
    case '\r':
      out->append("\\r");
      return;
    default:
      out->append("\\u00");
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 0xF]);
      return;
  }
}

bool NeedsEscape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

bool AppendNumber(double value, std::string* out) {
  if (!std::isfinite(value)) return false;
  AppendEcmaNumber(value, out);
  return true;
}

bool AppendArray(simdjson::dom::array array, std::string* out) {
  out->push_back('[');
  bool first = true;
  for (element item : array) {
    if (!first) out->push_back(',');
    first = false;
    if (!AppendCanonicalJson(item, out)) return false;
  }
  out->push_back(']');
  return true;
}

bool AppendObject(simdjson::dom::object object, std::string* out) {
  std::vector<std::pair<std::string_view, element>> members;
  members.reserve(object.size());
  for (simdjson::dom::key_value_pair field : object) members.emplace_back(field.key, field.value);
  // Stable so that duplicate keys (which simdjson keeps, see top) serialise deterministically
  // in document order instead of depending on the sort implementation.
  std::stable_sort(members.begin(), members.end(),
                   [](const auto& a, const auto& b) { return Utf16Less(a.first, b.first); });

  out->push_back('{');
  bool first = true;
  for (const auto& [key, value] : members) {
    if (!first) out->push_back(',');
    first = false;
    AppendJcsString(key, out);
    out->push_back(':');
    if (!AppendCanonicalJson(value, out)) return false;
  }
  out->push_back('}');
  return true;
}

}  // namespace

void AppendEcmaNumber(double value, std::string* out) {
  // Non-finite values are outside the contract; print what ECMAScript would rather than
  // feed them to the digit code.
  if (std::isnan(value)) {
    out->append("NaN");
    return;
  }
  if (value == 0) {
    out->push_back('0');  // ECMAScript prints -0 as "0" too
    return;
  }
  if (value < 0) out->push_back('-');
  if (std::isinf(value)) {
    out->append("Infinity");
    return;
  }
  AppendDecimal(ToShortestDecimal(std::fabs(value)), out);
}

void AppendJcsString(std::string_view utf8, std::string* out) {
  out->push_back('"');
  size_t run_start = 0;
  for (size_t i = 0; i < utf8.size(); ++i) {
    const auto c = static_cast<unsigned char>(utf8[i]);
    if (!NeedsEscape(c)) continue;
    // Copy unescaped runs in one go: keys and values are mostly plain text.
    out->append(utf8.substr(run_start, i - run_start));
    AppendEscapedByte(c, out);
    run_start = i + 1;
  }
  out->append(utf8.substr(run_start));
  out->push_back('"');
}

bool Utf16Less(std::string_view a, std::string_view b) {
  // Byte order of UTF-8 equals code point order, and UTF-16 code-unit order equals code
  // point order except that supplementary characters (surrogates D800-DFFF) sort before
  // U+E000..U+FFFF. So compare bytes, and fix up only that case. At the first differing
  // byte both strings are at the same character boundary (shared prefix); if those bytes
  // are continuation bytes the lead bytes were equal, hence same class, hence byte order is
  // right. If they are lead bytes, EE/EF start U+E000..U+FFFF and F0..F4 start
  // supplementary characters.
  const auto [ia, ib] = std::mismatch(a.begin(), a.end(), b.begin(), b.end());
  if (ib == b.end()) return false;  // b is a prefix of a (or equal)
  if (ia == a.end()) return true;   // a is a proper prefix of b
  const auto ca = static_cast<unsigned char>(*ia);
  const auto cb = static_cast<unsigned char>(*ib);
  const bool a_supplementary = ca >= 0xF0;
  const bool b_supplementary = cb >= 0xF0;
  const bool a_high_bmp = ca == 0xEE || ca == 0xEF;
  const bool b_high_bmp = cb == 0xEE || cb == 0xEF;
  if (a_supplementary && b_high_bmp) return true;
  if (a_high_bmp && b_supplementary) return false;
  return ca < cb;
}

bool AppendCanonicalJson(element value, std::string* out) {
  // Each get_*() below matches the type just switched on, so value_unsafe() cannot fail;
  // results are copied into locals before use (see the dangling note at the top).
  switch (value.type()) {
    case element_type::OBJECT:
      return AppendObject(value.get_object().value_unsafe(), out);
    case element_type::ARRAY:
      return AppendArray(value.get_array().value_unsafe(), out);
    case element_type::STRING:
      AppendJcsString(value.get_string().value_unsafe(), out);
      return true;
    case element_type::INT64:
      // JCS hashes the IEEE-754 double of every number, so large integers round here
      // (9007199254740993 -> 9007199254740992) just as JSON.parse + JSON.stringify would.
      return AppendNumber(static_cast<double>(value.get_int64().value_unsafe()), out);
    case element_type::UINT64:
      return AppendNumber(static_cast<double>(value.get_uint64().value_unsafe()), out);
    case element_type::DOUBLE:
      return AppendNumber(value.get_double().value_unsafe(), out);
    case element_type::BOOL:
      out->append(value.get_bool().value_unsafe() ? "true" : "false");
      return true;
    case element_type::NULL_VALUE:
      out->append("null");
      return true;
  }
  return true;  // unreachable: the switch covers every element_type
}

}  // namespace gpuledger
