#include "ledger/intake/event_parse.h"

#include <algorithm>
#include <array>

#include "ledger/audit/rfc3339.h"
#include "ledger/intake/json_canon.h"
#include "ledger/store/ledger_format.h"

namespace gpuledger {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

constexpr std::array<std::string_view, kEventTypeCount> kTypeNames = {
    "contract.registered", "capacity.reported", "allocation.granted", "allocation.released",
    "usage.reported",      "period.closed",     "event.voided"};
constexpr std::string_view kTypePrefix = "io.gpuledger.";
constexpr std::string_view kTypeSuffix = ".v1";
constexpr size_t kIdCharsMax = 128;

size_t Utf8Chars(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// Every object in the document, at any depth, must have distinct keys (spec check 1).
bool HasRepeatedKey(element e) {
  // Copy the array/object out of simdjson_result first: iterating value_unsafe() of a
  // temporary result dangles.
  if (e.type() == element_type::ARRAY) {
    simdjson::dom::array array = e.get_array().value_unsafe();
    for (element child : array) {
      if (HasRepeatedKey(child)) return true;
    }
    return false;
  }
  if (e.type() != element_type::OBJECT) return false;
  std::vector<std::string_view> keys;
  object obj = e.get_object().value_unsafe();
  for (auto field : obj) {
    keys.push_back(field.key);
    if (HasRepeatedKey(field.value)) return true;
  }
  std::sort(keys.begin(), keys.end());
  return std::adjacent_find(keys.begin(), keys.end()) != keys.end();
}

// A required string attribute of the envelope; failure is `malformed` (check 1).
std::optional<CheckFailure> RequiredString(object obj, std::string_view name, std::string* out) {
  element e;
  if (obj.at_key(name).get(e) != simdjson::SUCCESS) {
    return CheckFailed(reason::kMalformed, "required attribute " + Quote(name) + " is missing");
  }
  if (e.type() != element_type::STRING) {
    return CheckFailed(reason::kMalformed, "attribute " + Quote(name) + " is not a string");
  }
  *out = std::string(e.get_string().value_unsafe());
  return std::nullopt;
}

std::optional<CheckFailure> OptionalString(object obj, std::string_view name,
                                           std::optional<std::string>* out) {
  element e;
  if (obj.at_key(name).get(e) != simdjson::SUCCESS) return std::nullopt;
  if (e.type() != element_type::STRING) {
    return CheckFailed(reason::kMalformed,
                       "optional attribute " + Quote(name) + " is not a string");
  }
  *out = std::string(e.get_string().value_unsafe());
  return std::nullopt;
}

std::optional<CheckFailure> CheckEnvelopeFields(object obj, Envelope* env) {
  for (auto [name, out] : {std::pair{"specversion", &env->specversion},
                           {"id", &env->id},
                           {"source", &env->source},
                           {"type", &env->type},
                           {"time", &env->time_text}}) {
    if (auto f = RequiredString(obj, name, out)) return f;
  }
  element data;
  if (obj.at_key("data").get(data) != simdjson::SUCCESS) {
    return CheckFailed(reason::kMalformed, "required attribute 'data' is missing");
  }
  if (data.type() != element_type::OBJECT) {
    return CheckFailed(reason::kMalformed, "attribute 'data' is not a JSON object");
  }
  for (auto [name, out] : {std::pair{"subject", &env->subject},
                           {"datacontenttype", &env->datacontenttype},
                           {"dataschema", &env->dataschema}}) {
    if (auto f = OptionalString(obj, name, out)) return f;
  }
  if (env->specversion != "1.0") {
    return CheckFailed(reason::kMalformed,
                       "specversion is " + Quote(env->specversion) + ", not '1.0'");
  }
  size_t id_chars = Utf8Chars(env->id);
  if (id_chars < 1 || id_chars > kIdCharsMax) {
    return CheckFailed(reason::kMalformed,
                       "id must be 1-128 characters, has " + std::to_string(id_chars));
  }
  if (env->source.empty()) return CheckFailed(reason::kMalformed, "source is empty");
  TimeParse tp = ParseRfc3339(env->time_text, &env->time);
  if (tp == TimeParse::kInvalid) {
    return CheckFailed(reason::kMalformed,
                       "time " + Quote(env->time_text) + " is not an RFC 3339 date-time");
  }
  env->time_fractional = tp == TimeParse::kFractional;
  return std::nullopt;
}

// True if the integer token `digits` (no sign) does not fit int64 (negative) or uint64.
bool BeyondSixtyFourBits(std::string_view digits, bool negative) {
  std::string_view limit = negative ? "9223372036854775808" : "18446744073709551615";
  size_t lead = digits.find_first_not_of('0');
  digits = lead == std::string_view::npos ? std::string_view() : digits.substr(lead);
  if (digits.size() != limit.size()) return digits.size() > limit.size();
  return digits > limit;
}

// simdjson refuses integer tokens beyond 64 bits, though they are JSON. Writes `in` with
// each such token (outside strings) turned into a decimal double ("N" -> "N.0"), which
// simdjson parses and RFC 8785 reads as the same IEEE-754 value; false if there was none.
bool RewriteBigIntegers(std::string_view in, std::string* out) {
  bool changed = false;
  out->clear();
  for (size_t i = 0; i < in.size();) {
    char c = in[i];
    if (c == '"') {  // copy a string literal whole
      size_t j = i + 1;
      while (j < in.size() && in[j] != '"') j += in[j] == '\\' ? 2 : 1;
      j = std::min(j + 1, in.size());
      out->append(in.substr(i, j - i));
      i = j;
      continue;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      size_t j = i + (c == '-' ? 1 : 0);
      size_t digits_start = j;
      while (j < in.size() && in[j] >= '0' && in[j] <= '9') ++j;
      bool integer = j == in.size() || (in[j] != '.' && in[j] != 'e' && in[j] != 'E');
      out->append(in.substr(i, j - i));
      if (integer && j > digits_start &&
          BeyondSixtyFourBits(in.substr(digits_start, j - digits_start), c == '-')) {
        out->append(".0");
        changed = true;
      }
      i = j;
      continue;
    }
    out->push_back(c);
    ++i;
  }
  return changed;
}

}  // namespace

CheckFailure CheckFailed(std::string_view reason, std::string detail) {
  return CheckFailure{reason, std::move(detail)};
}

// Built by appending: GCC 12's -Wrestrict reports a false positive at -O3 for
// "'" + std::string(name) (its inlined insert at position 0), which fails Release builds.
std::string Quote(std::string_view name) {
  std::string quoted;
  quoted.reserve(name.size() + 2);
  quoted.append(1, '\'').append(name).append(1, '\'');
  return quoted;
}

std::string_view EventTypeName(EventType type) { return kTypeNames[static_cast<size_t>(type) - 1]; }

std::optional<std::string_view> CspIdOfSource(std::string_view source) {
  constexpr std::string_view kPrefix = "csp/";
  if (source.size() <= kPrefix.size() || source.substr(0, kPrefix.size()) != kPrefix) {
    return std::nullopt;
  }
  return source.substr(kPrefix.size());
}

std::optional<CheckFailure> EventParser::ParseEnvelope(std::string_view message, Envelope* envelope,
                                                       Hash256* content) {
  if (message.size() > format::kMessageBytesMax) {
    return CheckFailed(reason::kMalformed, "message of " + std::to_string(message.size()) +
                                               " bytes exceeds the limit of " +
                                               std::to_string(format::kMessageBytesMax));
  }
  auto parsed = parser_.parse(message.data(), message.size(), true);
  big_integers_ = false;
  if (parsed.error() == simdjson::NUMBER_ERROR && RewriteBigIntegers(message, &rewritten_)) {
    big_integers_ = true;
    parsed = parser_.parse(rewritten_.data(), rewritten_.size(), true);
  }
  if (parsed.error() != simdjson::SUCCESS) {
    return CheckFailed(reason::kMalformed, std::string("not a valid UTF-8 JSON document: ") +
                                               simdjson::error_message(parsed.error()));
  }
  root_ = parsed.value_unsafe();
  if (root_.type() != element_type::OBJECT) {
    return CheckFailed(reason::kMalformed, "the event is not a JSON object");
  }
  if (HasRepeatedKey(root_)) return CheckFailed(reason::kMalformed, "an object repeats a key");
  if (auto f = CheckEnvelopeFields(root_.get_object().value_unsafe(), envelope)) return f;
  canonical_.clear();
  if (!AppendCanonicalJson(root_, &canonical_)) {
    return CheckFailed(reason::kMalformed, "a number is not finite as an IEEE-754 double");
  }
  sha_.Update(canonical_);
  *content = sha_.Final();
  return std::nullopt;
}

// A topic's binding lists sources exactly, or "<prefix>/*" for every source under the
// prefix (e.g. "csp/*"), or "*" for any source (docs/kafka.md).
bool SourceIsBound(const std::vector<std::string>& bound, std::string_view source) {
  for (const std::string& b : bound) {
    if (b == source || b == "*") return true;
    if (b.size() >= 2 && b.ends_with("/*") && source.size() > b.size() - 1 &&
        source.starts_with(std::string_view(b).substr(0, b.size() - 1))) {
      return true;
    }
  }
  return false;
}

std::optional<CheckFailure> EventParser::CheckType(const Envelope& env, EventType* type,
                                                   const std::vector<std::string>* bound) const {
  std::string_view t = env.type;
  bool shaped = t.size() > kTypePrefix.size() + kTypeSuffix.size() && t.starts_with(kTypePrefix) &&
                t.ends_with(kTypeSuffix);
  std::string_view name =
      shaped ? t.substr(kTypePrefix.size(), t.size() - kTypePrefix.size() - kTypeSuffix.size())
             : std::string_view();
  auto it = std::find(kTypeNames.begin(), kTypeNames.end(), name);
  if (it == kTypeNames.end()) {
    return CheckFailed(
        reason::kUnknownType,
        "type " + Quote(t) + " is not io.gpuledger.<name>.v1 with a name of spec section 3");
  }
  *type = static_cast<EventType>(it - kTypeNames.begin() + 1);
  bool ministry = env.source == kMinistrySource;
  bool csp = CspIdOfSource(env.source).has_value();
  bool allowed = false;
  switch (*type) {
    case EventType::kContractRegistered:
    case EventType::kAllocationGranted:
    case EventType::kPeriodClosed:
      allowed = ministry;
      break;
    case EventType::kCapacityReported:
    case EventType::kUsageReported:
      allowed = csp;
      break;
    case EventType::kAllocationReleased:
    case EventType::kEventVoided:
      allowed = ministry || csp;
      break;
  }
  if (!allowed) {
    return CheckFailed(reason::kUnauthorizedSource,
                       "source " + Quote(env.source) + " may not send " + std::string(name));
  }
  if (bound != nullptr && !SourceIsBound(*bound, env.source)) {
    return CheckFailed(reason::kUnauthorizedSource,
                       "source " + Quote(env.source) + " is not bound to this topic");
  }
  return std::nullopt;
}

}  // namespace gpuledger
