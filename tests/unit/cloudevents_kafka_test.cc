// The CloudEvents Kafka protocol binding (spec section 2, include/gpuledger/cloudevents_kafka.h):
// mode detection, the binary-mode renderings, the producer side and round trips through
// it. cloudevents_kafka_ledger_test.cc takes the records on through a real Ledger.
#include "gpuledger/cloudevents_kafka.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ledger/intake/event_parse.h"
#include "schemas/event_generated.h"
#include "tests/support/event_gen.h"
#include "tests/support/kafka_binding_events.h"

namespace gpuledger {
namespace {

using testing::Event;
using testing::HeaderValue;
using testing::kSpecExample;
using testing::kSpecExampleData;
using testing::SevenEvents;
using testing::ToHeaders;
using Headers = std::vector<KafkaHeader>;
constexpr KafkaMode kModes[] = {KafkaMode::kStructured, KafkaMode::kBinaryJson,
                                KafkaMode::kBinaryFlatBuffers};

// The RFC 8785 content hash the intake compares for "same content".
Hash256 ContentHash(std::string_view json) {
  EventParser parser;
  Envelope envelope;
  Hash256 content{};
  auto failure = parser.ParseEnvelope(json, &envelope, &content);
  EXPECT_FALSE(failure) << failure->detail << "\n  in " << json;
  return content;
}

KafkaRecordOut MustRecord(std::string_view json, KafkaMode mode) {
  auto record = RecordFromEvent(json, mode);
  EXPECT_TRUE(record.ok()) << KafkaModeName(mode) << ": " << record.status().ToString() << "\n  "
                           << json;
  return record.ok() ? std::move(record.value()) : KafkaRecordOut{};
}

TEST(CloudEventsKafkaTest, ModeNames) {
  for (KafkaMode mode : kModes) EXPECT_EQ(KafkaModeFromName(KafkaModeName(mode)), mode);
  EXPECT_EQ(KafkaModeName(KafkaMode::kBinaryJson), "binary");
  EXPECT_EQ(KafkaModeName(KafkaMode::kBinaryFlatBuffers), "flatbuffers");
  EXPECT_FALSE(KafkaModeFromName("Structured"));
  EXPECT_FALSE(KafkaModeFromName(""));
}

TEST(CloudEventsKafkaTest, ModeDetection) {
  struct Case {
    Headers headers;
    KafkaMode mode;
    std::string content_type;
  };
  const std::string kCe(kStructuredContentType);
  const std::string kFb(kFlatBuffersContentType);
  const KafkaHeader spec{"ce_specversion", "1.0"};
  const std::vector<Case> cases = {
      {{}, KafkaMode::kStructured, kCe},
      {{{"content-type", kCe}}, KafkaMode::kStructured, kCe},
      {{{"Content-Type", "Application/CloudEvents+JSON; charset=utf-8"}},
       KafkaMode::kStructured,
       kCe},
      {{{"content-type", kCe}, spec}, KafkaMode::kStructured, kCe},
      {{{"content-type", kFb}}, KafkaMode::kBinaryFlatBuffers, kFb},
      {{{"CONTENT-TYPE", " application/x-flatbuffers ; v=1"}}, KafkaMode::kBinaryFlatBuffers, kFb},
      {{spec}, KafkaMode::kBinaryJson, ""},
      {{{"content-type", "application/json"}, spec}, KafkaMode::kBinaryJson, "application/json"},
      {{{"content-type", std::nullopt}, spec}, KafkaMode::kBinaryJson, ""},
      {{{"content-type", "application/json"}}, KafkaMode::kStructured, kCe},
      {{{"traceparent", "00-ab-cd-01"}, {"ce_id", "x"}}, KafkaMode::kStructured, kCe},
      {{{"CE_SPECVERSION", "1.0"}}, KafkaMode::kStructured, kCe},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    KafkaRecordMessage m = MessageFromKafkaRecord("{}", cases[i].headers);
    EXPECT_EQ(KafkaModeName(m.mode), KafkaModeName(cases[i].mode)) << "case " << i;
    EXPECT_EQ(m.content_type, cases[i].content_type) << "case " << i;
  }
}

TEST(CloudEventsKafkaTest, BlankStructuredValues) {
  EXPECT_TRUE(MessageFromKafkaRecord("", {}).blank);
  EXPECT_TRUE(MessageFromKafkaRecord(" \t\r\n", {}).blank);
  EXPECT_FALSE(MessageFromKafkaRecord(" x ", {}).blank);
  EXPECT_TRUE(MessageFromKafkaRecord("\f\v", {}).blank);  // as a blank line of a file
  // A byte order mark opening a structured record is ignored, as at the start of a file.
  KafkaRecordMessage bom = MessageFromKafkaRecord("\xEF\xBB\xBF{\"a\":1}", {});
  EXPECT_EQ(bom.message, "{\"a\":1}");
  EXPECT_FALSE(bom.blank);
  EXPECT_EQ(MessageFromKafkaRecord("{\"a\":1}\r", {}).message, "{\"a\":1}");  // a CRLF line
  KafkaRecordMessage m = MessageFromKafkaRecord("  ", {{"ce_specversion", "1.0"}});
  EXPECT_FALSE(m.blank);
  EXPECT_EQ(m.reject_reason, reason::kMalformed);
  EXPECT_EQ(m.reject_detail, "binary-mode record has no data");
}

TEST(CloudEventsKafkaTest, RendersSpecExampleFromBinaryRecord) {
  Headers headers = {
      {"ce_specversion", "1.0"},           {"ce_id", "u-000001"},
      {"ce_source", "csp/kt-cloud"},       {"ce_type", "io.gpuledger.usage.reported.v1"},
      {"ce_time", "2026-04-01T00:10:00Z"}, {"ce_subject", "alloc/A-0001"},
      {"traceparent", "not an attribute"}, {"content-type", "application/json"}};
  KafkaRecordMessage m = MessageFromKafkaRecord(kSpecExampleData, headers);
  EXPECT_EQ(m.mode, KafkaMode::kBinaryJson);
  EXPECT_TRUE(m.reject_reason.empty()) << m.reject_detail;
  EXPECT_EQ(m.message, kSpecExample);
  EXPECT_EQ(m.content_type, "application/json");
}

TEST(CloudEventsKafkaTest, BinaryHeadersAreJsonEscaped) {
  const std::string subject = "a \"quoted\" \\ path\n\t\x01 \xc3\xa9";
  KafkaRecordMessage m = MessageFromKafkaRecord(
      R"({"k":1})", {{"ce_specversion", "1.0"}, {"ce_subject", subject}, {"ce_x\"y", "z"}});
  ASSERT_TRUE(m.reject_reason.empty()) << m.reject_detail;
  auto parsed = nlohmann::json::parse(m.message);
  EXPECT_EQ(parsed["subject"], subject);
  EXPECT_EQ(parsed["x\"y"], "z");
  EXPECT_EQ(parsed["data"]["k"], 1);
}

TEST(CloudEventsKafkaTest, RoundTripsEveryModeAndType) {
  for (const std::string& event : SevenEvents()) {
    for (KafkaMode mode : kModes) {
      SCOPED_TRACE(std::string(KafkaModeName(mode)) + ": " + event);
      KafkaRecordOut record = MustRecord(event, mode);
      KafkaRecordMessage m = MessageFromKafkaRecord(record.value, ToHeaders(record));
      EXPECT_EQ(m.mode, mode);
      ASSERT_TRUE(m.reject_reason.empty()) << m.reject_detail;
      EXPECT_FALSE(m.blank);
      EXPECT_EQ(m.content_type, mode == KafkaMode::kStructured   ? kStructuredContentType
                                : mode == KafkaMode::kBinaryJson ? "application/json"
                                                                 : kFlatBuffersContentType);
      EXPECT_EQ(nlohmann::json::parse(m.message), nlohmann::json::parse(event));
      EXPECT_EQ(HexOf(ContentHash(m.message)), HexOf(ContentHash(event)));
    }
  }
}

TEST(CloudEventsKafkaTest, GeneratedEventsRoundTrip) {
  testing::GenSummary summary;
  std::string file = testing::GenerateJsonl(300, 7, &summary);
  size_t start = 0;
  int carried = 0;
  for (testing::GenOutcome outcome : summary.outcomes) {
    size_t end = file.find('\n', start);
    std::string line = file.substr(start, end - start);
    start = end + 1;
    if (outcome == testing::GenOutcome::kBlank) continue;
    bool well_formed = outcome != testing::GenOutcome::kMalformed;
    for (KafkaMode mode : {KafkaMode::kBinaryJson, KafkaMode::kBinaryFlatBuffers}) {
      auto record = RecordFromEvent(line, mode);
      ASSERT_EQ(record.ok(), well_formed) << KafkaModeName(mode) << ": " << line;
      if (!record.ok()) continue;
      KafkaRecordMessage m = MessageFromKafkaRecord(record->value, ToHeaders(record.value()));
      ASSERT_TRUE(m.reject_reason.empty()) << m.reject_detail;
      EXPECT_EQ(HexOf(ContentHash(m.message)), HexOf(ContentHash(line))) << line;
      ++carried;
    }
  }
  EXPECT_GT(carried, 400);
}

TEST(CloudEventsKafkaTest, BinaryValueIsDataTextVerbatim) {
  // White space, number spellings and an integer beyond 64 bits all stay as written.
  const std::string data =
      "{ \"month\" : \"2026-04\",\n  \"extra\": [1, 2.50, 1e2, 123456789012345678901234567890] }";
  const std::string event = Event("period.closed", "ministry", "c-9", data);
  KafkaRecordOut record = MustRecord(event, KafkaMode::kBinaryJson);
  EXPECT_EQ(record.value, data);
  EXPECT_EQ(HeaderValue(record, "content-type"), "application/json");
  EXPECT_EQ(HeaderValue(record, "ce_id"), "c-9");
  EXPECT_FALSE(HeaderValue(record, "ce_datacontenttype"));
  EXPECT_FALSE(HeaderValue(record, "ce_data"));
  KafkaRecordMessage m = MessageFromKafkaRecord(record.value, ToHeaders(record));
  EXPECT_NE(m.message.find(data), std::string::npos) << m.message;
  EXPECT_EQ(HexOf(ContentHash(m.message)), HexOf(ContentHash(event)));
}

TEST(CloudEventsKafkaTest, FlatBuffersRecordHeaders) {
  KafkaRecordOut record = MustRecord(kSpecExample, KafkaMode::kBinaryFlatBuffers);
  EXPECT_EQ(HeaderValue(record, "content-type"), kFlatBuffersContentType);
  EXPECT_EQ(HeaderValue(record, "ce_specversion"), "1.0");
  EXPECT_EQ(HeaderValue(record, "ce_id"), "u-000001");
  EXPECT_EQ(HeaderValue(record, "ce_source"), "csp/kt-cloud");
  EXPECT_EQ(HeaderValue(record, "ce_type"), "io.gpuledger.usage.reported.v1");
  EXPECT_TRUE(fb::EventBufferHasIdentifier(record.value.data()));
}

TEST(CloudEventsKafkaTest, RecordFromEventRefusesWhatAModeCannotCarry) {
  const std::string usage(kSpecExample);
  auto with = [&usage](std::string_view from, std::string_view to) {
    std::string s = usage;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  const std::vector<std::pair<std::string, KafkaMode>> refused = {
      {"{not json", KafkaMode::kBinaryJson},
      {with(R"("subject")", R"("priority":5,"subject")"), KafkaMode::kBinaryJson},
      {with("application/json", "application/cloudevents+json"), KafkaMode::kBinaryJson},
      {with("application/json", "application/x-flatbuffers"), KafkaMode::kBinaryJson},
      {with(R"("specversion":"1.0",)", ""), KafkaMode::kBinaryJson},
      {"{not json", KafkaMode::kBinaryFlatBuffers},
      {with("usage.reported", "usage.invented"), KafkaMode::kBinaryFlatBuffers},
      {with(R"("gpu_seconds":4800)", R"("gpu_seconds":"4800")"), KafkaMode::kBinaryFlatBuffers},
      {with("00:10:00Z\",\"subject", "09:10:00+09:00\",\"subject"), KafkaMode::kBinaryFlatBuffers},
      {with(R"("subject")", R"("traceparent":"00-ab","subject")"), KafkaMode::kBinaryFlatBuffers},
      {with(R"("gpu_seconds")", R"("note":"x","gpu_seconds")"), KafkaMode::kBinaryFlatBuffers},
  };
  for (const auto& [json, mode] : refused) {
    auto record = RecordFromEvent(json, mode);
    ASSERT_FALSE(record.ok()) << KafkaModeName(mode) << ": " << json;
    EXPECT_EQ(record.status().code(), Status::Code::kInvalidArgument);
  }
  // Structured mode carries anything: the intake judges it.
  auto structured = RecordFromEvent("{not json", KafkaMode::kStructured);
  ASSERT_TRUE(structured.ok());
  EXPECT_EQ(structured->value, "{not json");
  EXPECT_EQ(HeaderValue(structured.value(), "content-type"), kStructuredContentType);
}

// Records that cannot be rendered as events: rejected up front with the raw value.
TEST(CloudEventsKafkaTest, UnrenderableRecordsKeepTheRawValue) {
  const std::string fb_value = MustRecord(kSpecExample, KafkaMode::kBinaryFlatBuffers).value;
  const KafkaHeader fb_type{"content-type", std::string(kFlatBuffersContentType)};
  struct Case {
    std::string value;
    Headers headers;
    std::string detail_part;
  };
  const std::vector<Case> cases = {
      {"", {fb_type}, "not a valid FlatBuffers Event"},
      {"garbage bytes, not a flatbuffer", {fb_type}, "not a valid FlatBuffers Event"},
      {fb_value.substr(0, fb_value.size() - 9), {fb_type}, "not a valid FlatBuffers Event"},
      {fb_value, {fb_type, {"ce_id", "u-other"}}, "disagrees"},
      {fb_value, {fb_type, {"ce_source", std::nullopt}}, "disagrees"},
      {"{}", {{"ce_specversion", "1.0"}, {"ce_id", std::nullopt}}, "'ce_id' is null"},
      {"{}", {{"ce_specversion", "1.0"}, {"ce_id", "bad \xff"}}, "'ce_id' is not UTF-8"},
      {"{}", {{"ce_specversion", "1.0"}, {"ce_\xfe", "x"}}, "'ce_\\xfe' is not UTF-8"},
      {"not json", {{"ce_specversion", "1.0"}}, "not one JSON value"},
      {R"({"a":1},"subject":"x")", {{"ce_specversion", "1.0"}}, "not one JSON value"},
      {R"({"a":1)", {{"ce_specversion", "1.0"}}, "not one JSON value"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    KafkaRecordMessage m = MessageFromKafkaRecord(cases[i].value, cases[i].headers);
    EXPECT_EQ(m.reject_reason, reason::kMalformed) << "case " << i;
    EXPECT_NE(m.reject_detail.find(cases[i].detail_part), std::string::npos)
        << "case " << i << ": " << m.reject_detail;
    EXPECT_EQ(m.message, cases[i].value) << "case " << i;
  }
  // A FlatBuffers value with matching ce_ headers is fine.
  KafkaRecordMessage ok = MessageFromKafkaRecord(fb_value, {fb_type, {"ce_id", "u-000001"}});
  EXPECT_TRUE(ok.reject_reason.empty()) << ok.reject_detail;
}

// A FlatBuffers event lacking required strings renders without those attributes and
// fields, for the intake to reject as it would the same JSON.
TEST(CloudEventsKafkaTest, FlatBuffersMissingStringsAreLeftOut) {
  flatbuffers::FlatBufferBuilder b;
  auto payload = fb::CreatePeriodClosed(b, 0).Union();
  auto spec = b.CreateString("1.0");
  auto source = b.CreateString("ministry");
  auto event =
      fb::CreateEvent(b, spec, 0, source, 0, 0, 0, 0, 0, fb::Payload::PeriodClosed, payload);
  fb::FinishEventBuffer(b, event);
  std::string value(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
  KafkaRecordMessage m =
      MessageFromKafkaRecord(value, {{"content-type", std::string(kFlatBuffersContentType)}});
  ASSERT_TRUE(m.reject_reason.empty()) << m.reject_detail;
  EXPECT_EQ(m.message, R"({"specversion":"1.0","source":"ministry","time":"1970-01-01T00:00:00Z",)"
                       R"("data":{}})");
}

TEST(CloudEventsKafkaTest, FlatBuffersStringThatIsNotUtf8IsRejected) {
  flatbuffers::FlatBufferBuilder b;
  auto payload = fb::CreatePeriodClosedDirect(b, "2026-\xff").Union();
  auto event =
      fb::CreateEventDirect(b, "1.0", "c-1", "ministry", "io.gpuledger.period.closed.v1", 0,
                            nullptr, nullptr, nullptr, fb::Payload::PeriodClosed, payload);
  fb::FinishEventBuffer(b, event);
  std::string value(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
  KafkaRecordMessage m =
      MessageFromKafkaRecord(value, {{"content-type", std::string(kFlatBuffersContentType)}});
  EXPECT_EQ(m.reject_reason, reason::kMalformed);
  EXPECT_NE(m.reject_detail.find("'data.month') is not UTF-8"), std::string::npos)
      << m.reject_detail;
  EXPECT_EQ(m.message, value);
}

// The verifier stands between the bytes and the accessors: no corruption of a valid value
// (any byte changed, any truncation) may crash or render something that is not JSON.
TEST(CloudEventsKafkaTest, CorruptedFlatBuffersAreRejectedOrRendered) {
  const std::string good = MustRecord(SevenEvents()[1], KafkaMode::kBinaryFlatBuffers).value;
  const Headers headers = {{"content-type", std::string(kFlatBuffersContentType)}};
  std::vector<std::string> values;
  for (size_t i = 0; i < good.size(); ++i) {
    values.push_back(good.substr(0, i));
    for (unsigned char flip : {0x01, 0x80, 0xff}) {
      values.push_back(good);
      values.back()[i] = static_cast<char>(values.back()[i] ^ flip);
    }
  }
  int rendered = 0;
  for (const std::string& value : values) {
    KafkaRecordMessage m = MessageFromKafkaRecord(value, headers);
    if (!m.reject_reason.empty()) {
      EXPECT_EQ(m.message, value);
      continue;
    }
    ++rendered;
    EXPECT_TRUE(nlohmann::json::accept(m.message)) << m.message;
  }
  EXPECT_GT(rendered, 0);
  EXPECT_LT(rendered, static_cast<int>(values.size()));
}

}  // namespace
}  // namespace gpuledger
