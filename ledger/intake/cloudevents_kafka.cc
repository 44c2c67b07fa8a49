// The CloudEvents 1.0 Kafka protocol binding (spec section 2). Every binary-mode record is
// rendered as the structured JSON event it carries, so that the intake judges, hashes and
// keeps one form whatever the mode: the same event sent in two modes is a duplicate.
#include "gpuledger/cloudevents_kafka.h"

#include <simdjson.h>

#include <array>

#include "gpuledger/json_lines.h"
#include "gpuledger/types.h"
#include "ledger/intake/event_json.h"
#include "ledger/intake/event_parse.h"
#include "ledger/store/entry_codec.h"
#include "ledger/store/ledger_format.h"

namespace gpuledger {
namespace {

constexpr std::string_view kCePrefix = "ce_";
constexpr std::string_view kContentTypeHeader = "content-type";
constexpr std::string_view kStructuredPrefix = "application/cloudevents";
// A CloudEvent has about ten attributes; the rest of this bound is room for extensions.
constexpr size_t kCeHeadersMax = 64;
// The ce_ headers FlatBuffers mode also sends, which must then agree with the value.
constexpr std::array<std::string_view, 4> kFlatBuffersHeaderNames = {"specversion", "id", "source",
                                                                     "type"};

char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool AsciiEqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

// The media type of a content-type value: before any ';' parameters, trimmed, lowercase.
std::string MediaType(std::string_view content_type) {
  content_type = content_type.substr(0, content_type.find(';'));
  size_t first = content_type.find_first_not_of(" \t");
  size_t last = content_type.find_last_not_of(" \t");
  std::string out;
  if (first == std::string_view::npos) return out;
  for (char c : content_type.substr(first, last - first + 1)) out.push_back(AsciiLower(c));
  return out;
}

bool IsStructuredContentType(std::string_view content_type) {
  return MediaType(content_type).starts_with(kStructuredPrefix);
}
bool IsFlatBuffersContentType(std::string_view content_type) {
  return MediaType(content_type) == kFlatBuffersContentType;
}

// The first non-null content-type header (key matched case-insensitively).
std::optional<std::string_view> ContentTypeOf(const std::vector<KafkaHeader>& headers) {
  for (const KafkaHeader& h : headers) {
    if (h.value && AsciiEqualsIgnoreCase(h.key, kContentTypeHeader)) return *h.value;
  }
  return std::nullopt;
}

KafkaMode DetectMode(std::optional<std::string_view> content_type,
                     const std::vector<KafkaHeader>& headers) {
  if (content_type && IsStructuredContentType(*content_type)) return KafkaMode::kStructured;
  if (content_type && IsFlatBuffersContentType(*content_type)) {
    return KafkaMode::kBinaryFlatBuffers;
  }
  for (const KafkaHeader& h : headers) {
    if (h.key == "ce_specversion") return KafkaMode::kBinaryJson;
  }
  return KafkaMode::kStructured;  // e.g. kcat's plain lines, with no headers at all
}

void Reject(KafkaRecordMessage* m, std::string_view value, std::string detail) {
  m->reject_reason = reason::kMalformed;
  m->reject_detail = std::move(detail);
  m->message = std::string(value);
}

std::string HeaderName(std::string_view key) { return Quote(PrintableBytes(key)); }

// Binary mode, JSON data: the ce_ headers in arrival order, datacontenttype, then the value
// verbatim as `data`. A repeated ce_ header is written twice, for the intake to reject.
void RenderBinaryJson(std::string_view value, const std::vector<KafkaHeader>& headers,
                      std::optional<std::string_view> content_type, KafkaRecordMessage* m) {
  std::string event;
  JsonObjectWriter w(&event);
  size_t ce_headers = 0;
  for (const KafkaHeader& h : headers) {
    if (!h.key.starts_with(kCePrefix)) continue;
    if (++ce_headers > kCeHeadersMax) {
      return Reject(m, value,
                    "the record has more than " + std::to_string(kCeHeadersMax) + " ce_ headers");
    }
    if (!h.value) return Reject(m, value, "header " + HeaderName(h.key) + " is null");
    w.String(std::string_view(h.key).substr(kCePrefix.size()), *h.value);
    if (w.bad_utf8_member()) {
      return Reject(m, value, "header " + HeaderName(h.key) + " is not UTF-8");
    }
  }
  if (content_type) {
    w.String("datacontenttype", *content_type);
    if (w.bad_utf8_member()) return Reject(m, value, "header 'content-type' is not UTF-8");
  }
  switch (JsonShapeOf(value)) {
    case JsonShape::kEmpty:
      return Reject(m, value, "binary-mode record has no data");
    case JsonShape::kOther:
      // Embedded as it is, it could close the event early or add attributes to it.
      return Reject(m, value, "binary-mode record value is not one JSON value");
    case JsonShape::kOneValue:
      break;
  }
  w.Raw("data", value);
  w.Close();
  m->message = std::move(event);
}

void RenderFlatBuffers(std::string_view value, const std::vector<KafkaHeader>& headers,
                       KafkaRecordMessage* m) {
  FlatBuffersEventJson event;
  std::string problem;
  if (!RenderFlatBuffersEvent(value, &event, &problem)) return Reject(m, value, problem);
  const std::array<const std::optional<std::string>*, 4> carried = {&event.specversion, &event.id,
                                                                    &event.source, &event.type};
  for (const KafkaHeader& h : headers) {
    if (!h.key.starts_with(kCePrefix)) continue;
    std::string_view name = std::string_view(h.key).substr(kCePrefix.size());
    for (size_t i = 0; i < kFlatBuffersHeaderNames.size(); ++i) {
      if (name == kFlatBuffersHeaderNames[i] && h.value != *carried[i]) {
        return Reject(
            m, value,
            "header " + HeaderName(h.key) + ": ce_ header disagrees with the FlatBuffers event");
      }
    }
  }
  m->message = std::move(event.json);
}

Result<KafkaRecordOut> BinaryJsonRecord(std::string_view json);
Result<KafkaRecordOut> FlatBuffersRecord(std::string_view json);

}  // namespace

std::string_view KafkaModeName(KafkaMode mode) {
  switch (mode) {
    case KafkaMode::kStructured:
      return "structured";
    case KafkaMode::kBinaryJson:
      return "binary";
    case KafkaMode::kBinaryFlatBuffers:
      return "flatbuffers";
  }
  return "unknown";
}

std::optional<KafkaMode> KafkaModeFromName(std::string_view name) {
  for (KafkaMode mode :
       {KafkaMode::kStructured, KafkaMode::kBinaryJson, KafkaMode::kBinaryFlatBuffers}) {
    if (KafkaModeName(mode) == name) return mode;
  }
  return std::nullopt;
}

KafkaRecordMessage MessageFromKafkaRecord(std::string_view value,
                                          const std::vector<KafkaHeader>& headers) {
  KafkaRecordMessage m;
  std::optional<std::string_view> content_type = ContentTypeOf(headers);
  m.mode = DetectMode(content_type, headers);
  if (m.mode == KafkaMode::kStructured) {
    m.content_type = kStructuredContentType;
    // A byte order mark opening the record and a '\r' ending it (a CRLF line sent line by
    // line) are dropped, as the file reader drops them, so that a file sent with `kcat -l`
    // gives the same ledger as `gpuledger ingest` of it. Both are JSON-insignificant.
    if (value.starts_with(kUtf8Bom)) value.remove_prefix(kUtf8Bom.size());
    if (value.ends_with('\r')) value.remove_suffix(1);
    m.message = std::string(value);
    // The same white space as a blank line of a file (file_intake.cc), so that a file sent
    // with kcat gives the same counts as `gpuledger ingest` of it.
    m.blank = IsBlankLine(value);
    return m;
  }
  m.content_type = m.mode == KafkaMode::kBinaryFlatBuffers ? std::string(kFlatBuffersContentType)
                                                           : std::string(content_type.value_or(""));
  if (value.size() > format::kMessageBytesMax) {
    Reject(&m, value,
           "record value of " + std::to_string(value.size()) + " bytes exceeds the limit of " +
               std::to_string(format::kMessageBytesMax));
    return m;
  }
  if (m.mode == KafkaMode::kBinaryFlatBuffers) {
    RenderFlatBuffers(value, headers, &m);
  } else {
    RenderBinaryJson(value, headers, content_type, &m);
  }
  if (m.reject_reason.empty() && m.message.size() > format::kMessageBytesMax) {
    Reject(&m, value,
           "the event rendered from the record has " + std::to_string(m.message.size()) +
               " bytes, more than the limit of " + std::to_string(format::kMessageBytesMax));
  }
  return m;
}

Result<KafkaRecordOut> RecordFromEvent(std::string_view structured_json, KafkaMode mode) {
  switch (mode) {
    case KafkaMode::kStructured: {
      KafkaRecordOut out;
      out.value = std::string(structured_json);
      out.headers.emplace_back(kContentTypeHeader, kStructuredContentType);
      return out;
    }
    case KafkaMode::kBinaryJson:
      return BinaryJsonRecord(structured_json);
    case KafkaMode::kBinaryFlatBuffers:
      return FlatBuffersRecord(structured_json);
  }
  return Status::InvalidArgument("unknown Kafka mode");
}

namespace {

// Check 1 of the intake (spec section 4): a binary mode carries only well-formed events.
std::optional<Status> CheckWellFormed(EventParser& parser, std::string_view json, Envelope* env,
                                      Hash256* content) {
  if (auto f = parser.ParseEnvelope(json, env, content)) {
    return Status::InvalidArgument("not a well-formed event (" + std::string(f->reason) +
                                   "): " + f->detail);
  }
  return std::nullopt;
}

Status NotCarried(std::string_view what) {
  return Status::InvalidArgument("binary mode cannot carry this event: " + std::string(what));
}

Result<KafkaRecordOut> BinaryJsonRecord(std::string_view json) {
  thread_local EventParser parser;
  Envelope env;
  Hash256 content;
  if (auto s = CheckWellFormed(parser, json, &env, &content)) return *s;
  // On-demand parsing gives the raw text of `data`, which the record carries unchanged.
  thread_local simdjson::ondemand::parser ondemand;
  simdjson::padded_string padded(json);
  simdjson::ondemand::document doc;
  simdjson::ondemand::object root;
  if (ondemand.iterate(padded).get(doc) != simdjson::SUCCESS ||
      doc.get_object().get(root) != simdjson::SUCCESS) {
    return NotCarried("the event does not parse as a JSON object");
  }
  KafkaRecordOut out;
  for (auto field_result : root) {
    simdjson::ondemand::field field;
    std::string_view key, text;
    simdjson::ondemand::json_type type;
    if (std::move(field_result).get(field) != simdjson::SUCCESS ||
        field.unescaped_key().get(key) != simdjson::SUCCESS ||
        field.value().type().get(type) != simdjson::SUCCESS) {
      return NotCarried("the event does not parse as a JSON object");
    }
    if (key == "data") {
      simdjson::ondemand::object data;
      if (field.value().get_object().get(data) != simdjson::SUCCESS ||
          data.raw_json().get(text) != simdjson::SUCCESS) {
        return NotCarried("'data' does not parse as a JSON object");
      }
      out.value = std::string(text);
      continue;
    }
    if (type != simdjson::ondemand::json_type::string) {
      return NotCarried("attribute '" + std::string(key) + "' is not a string");
    }
    std::string name(key);  // unescaped_key's view is overwritten by get_string
    if (field.value().get_string().get(text) != simdjson::SUCCESS) {
      return NotCarried("attribute '" + name + "' does not parse as a string");
    }
    if (name == "datacontenttype") {
      if (IsStructuredContentType(text) || IsFlatBuffersContentType(text)) {
        return NotCarried("datacontenttype '" + std::string(text) +
                          "' would be read as another content mode");
      }
      out.headers.emplace_back(kContentTypeHeader, text);
    } else {
      out.headers.emplace_back(std::string(kCePrefix) + name, text);
    }
  }
  if (out.headers.size() > kCeHeadersMax) return NotCarried("it has too many attributes");
  return out;
}

Result<KafkaRecordOut> FlatBuffersRecord(std::string_view json) {
  thread_local EventParser parser;
  thread_local EventEncoder encoder;
  Envelope env;
  Hash256 content;
  if (auto s = CheckWellFormed(parser, json, &env, &content)) return *s;
  EventType type;
  EventData data;
  std::optional<CheckFailure> f = parser.CheckType(env, &type, nullptr);
  if (!f) f = parser.ParseData(env, type, &data);
  if (f) {
    return Status::InvalidArgument("FlatBuffers mode needs a valid typed event (" +
                                   std::string(f->reason) + "): " + f->detail);
  }
  KafkaRecordOut out;
  out.value = std::string(encoder.Encode(env, type, data));
  // The record must be judged as the event itself: the rendering of the encoding must have
  // the same RFC 8785 content, which fails for non-"Z" times and extra attributes or fields.
  FlatBuffersEventJson rendered;
  std::string problem;
  Envelope rendered_env;
  Hash256 rendered_content;
  if (!RenderFlatBuffersEvent(out.value, &rendered, &problem) ||
      parser.ParseEnvelope(rendered.json, &rendered_env, &rendered_content) ||
      rendered_content != content) {
    return Status::InvalidArgument(
        "FlatBuffers mode cannot carry this event unchanged: it carries only the attributes "
        "and payload fields of spec sections 2-3, and times as YYYY-MM-DDTHH:MM:SSZ");
  }
  out.headers.emplace_back(kContentTypeHeader, kFlatBuffersContentType);
  out.headers.emplace_back("ce_specversion", env.specversion);
  out.headers.emplace_back("ce_id", env.id);
  out.headers.emplace_back("ce_source", env.source);
  out.headers.emplace_back("ce_type", env.type);
  return out;
}

}  // namespace
}  // namespace gpuledger
