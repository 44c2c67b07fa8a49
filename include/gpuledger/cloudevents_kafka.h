// The CloudEvents Kafka protocol binding (spec section 2): what the intake judges for one
// Kafka record, and, for producers, the record that carries an event in a given mode.
// Standard library only. Thread-safety: the functions are reentrant.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gpuledger/status.h"

namespace gpuledger {

// One Kafka record header; a null header value is std::nullopt.
struct KafkaHeader {
  std::string key;
  std::optional<std::string> value;
};

enum class KafkaMode : uint8_t {
  kStructured,         // value: the JSON event; header content-type: application/cloudevents+json
  kBinaryJson,         // value: the `data` JSON; attributes in ce_ headers
  kBinaryFlatBuffers,  // value: the FlatBuffers Event (schemas/event.fbs);
                       // header content-type: application/x-flatbuffers
};
std::string_view KafkaModeName(KafkaMode mode);  // "structured", "binary", "flatbuffers"
std::optional<KafkaMode> KafkaModeFromName(std::string_view name);

inline constexpr std::string_view kStructuredContentType = "application/cloudevents+json";
inline constexpr std::string_view kFlatBuffersContentType = "application/x-flatbuffers";

// What the intake judges for one record.
struct KafkaRecordMessage {
  KafkaMode mode = KafkaMode::kStructured;
  // The structured JSON event the intake judges and the ledger keeps: the record value
  // itself in structured mode; in binary mode the event rendered from the ce_ headers and
  // the value (see docs/kafka.md); when reject_reason is set, the raw record value.
  std::string message;
  // Recorded in the entry: how the event arrived ("application/cloudevents+json" for
  // structured mode; for binary mode the record's content-type, e.g. "application/json" or
  // "application/x-flatbuffers"; empty when the binary record had none).
  std::string content_type;
  // Set when the record cannot be rendered as an event at all (a FlatBuffers value that
  // does not verify, a ce_ header that is null or not UTF-8): reject it with this reason
  // code (a reason:: constant, static storage) and detail, keeping `message`.
  std::string_view reject_reason;
  std::string reject_detail;
  // A structured-mode value of only white space: skipped and not counted, like a blank
  // line of a file.
  bool blank = false;
};

// Never fails: a record that is not an event becomes a message the intake rejects.
KafkaRecordMessage MessageFromKafkaRecord(std::string_view value,
                                          const std::vector<KafkaHeader>& headers);

// Producer side: the record value and headers that carry `structured_json` (one JSON event)
// in `mode`. Binary modes need a well-formed event (binary FlatBuffers also a valid typed
// payload); InvalidArgument says why not.
struct KafkaRecordOut {
  std::string value;
  std::vector<std::pair<std::string, std::string>> headers;
};
[[nodiscard]] Result<KafkaRecordOut> RecordFromEvent(std::string_view structured_json,
                                                     KafkaMode mode);

}  // namespace gpuledger
