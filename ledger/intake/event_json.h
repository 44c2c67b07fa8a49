// Writing structured JSON events for the CloudEvents Kafka binding (cloudevents_kafka.cc):
// a member-by-member JSON object writer, a shape check for a binary-mode record value, and
// the structured JSON form of a FlatBuffers Event (schemas/event.fbs). Private to ledger/.
// Thread-safety: the functions are reentrant; a JsonObjectWriter is used by one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gpuledger {

// Appends one JSON object to *out, member by member, in the order written. Names and
// string values must be UTF-8: a member whose name or value is not is left out, and the
// first such name is remembered (bad_utf8_member) so that the caller can reject the record
// instead of writing an event that silently lacks it.
class JsonObjectWriter {
 public:
  explicit JsonObjectWriter(std::string* out);  // appends '{'
  void String(std::string_view name, std::string_view value);
  void Int(std::string_view name, int64_t value);
  // As an RFC 3339 string in the form "YYYY-MM-DDTHH:MM:SSZ" (UTC).
  void Time(std::string_view name, int64_t unix_seconds);
  // `json` is appended verbatim: the caller vouches for its shape (JsonShapeOf).
  void Raw(std::string_view name, std::string_view json);
  // Starts a member whose value the caller appends to out() itself.
  void Member(std::string_view name);
  void Close();  // appends '}'
  std::string* out() { return out_; }
  const std::optional<std::string>& bad_utf8_member() const { return bad_utf8_member_; }

 private:
  bool Key(std::string_view name);
  std::string* out_;
  bool first_ = true;
  std::optional<std::string> bad_utf8_member_;
};

enum class JsonShape : uint8_t {
  kEmpty,     // nothing but JSON white space
  kOneValue,  // one value with balanced brackets, white space around it
  kOther,     // anything else: unbalanced, several values, a stray ',' or ':'
};
// The shape of `text` as far as embedding it after `"data":` is concerned: a kOneValue text
// cannot close the object it is embedded in or add members after it. Scalars, escapes and
// separators inside containers are not checked (the intake's JSON parser does that).
// Nesting deeper than `depth_max` is kOther.
JsonShape JsonShapeOf(std::string_view text, size_t depth_max = 1024);

// The attributes of a FlatBuffers Event that the ce_ headers of its record may repeat.
struct FlatBuffersEventJson {
  std::string json;  // the structured JSON event
  std::optional<std::string> specversion, id, source, type;
};

// Verifies `bytes` as an Event FlatBuffer (file identifier "GLEV", bounded depth and table
// count) and renders it as the structured JSON event: the attributes present, `time` and
// the payload's times as RFC 3339 "Z" strings, integers as JSON integers, payload fields
// named as in spec section 3. A missing string attribute or field (or a missing payload) is
// left out, so that the intake rejects the event as it would the same JSON. `bytes` need not
// be aligned. False (and *problem in plain words) if `bytes` does not verify or a string in
// it is not UTF-8.
bool RenderFlatBuffersEvent(std::string_view bytes, FlatBuffersEventJson* out,
                            std::string* problem);

// `bytes` for messages: printable ASCII as is, every other byte as \xHH.
std::string PrintableBytes(std::string_view bytes);

}  // namespace gpuledger
