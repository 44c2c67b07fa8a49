// The CloudEvents Kafka binding through a real Ledger (spec sections 2 and 4): the same
// event sent in structured, binary JSON and binary FlatBuffers mode is accepted once and is
// a duplicate after that, whichever mode came first; records that are not events are
// rejected as malformed, keeping their bytes.
#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gpuledger/cloudevents_kafka.h"
#include "gpuledger/ledger.h"
#include "tests/support/kafka_binding_events.h"
#include "tests/support/test_util.h"

namespace gpuledger {
namespace {

using testing::SevenEvents;
using testing::ToHeaders;

class CloudEventsKafkaLedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LedgerOptions options;
    options.sync_writes = false;
    auto opened = Ledger::Open(dir_.Sub("ledger"), options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    ledger_ = std::move(opened.value());
    preparer_ = std::make_unique<Preparer>(ledger_->clock());
  }

  void Commit() {
    Status s = ledger_->Commit();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // What the Kafka intake does with one record.
  Judgement Ingest(const KafkaRecordMessage& m) {
    Origin origin;
    origin.kind = Origin::Kind::kKafka;
    origin.topic = "gpuledger.events";
    origin.partition = 0;
    origin.offset = next_offset_++;
    PreparedPtr prepared = m.reject_reason.empty()
                               ? preparer_->Prepare(m.message, origin, &bound_, m.content_type)
                               : preparer_->Reject(m.reject_reason, m.reject_detail);
    auto judged = ledger_->Submit(m.message, origin, *prepared);
    if (!judged.ok()) {
      ADD_FAILURE() << "Submit failed: " << judged.status().ToString();
      return Judgement{};
    }
    return judged.value();
  }

  Judgement IngestRecord(std::string_view value, const std::vector<KafkaHeader>& headers) {
    return Ingest(MessageFromKafkaRecord(value, headers));
  }

  Judgement IngestIn(std::string_view event, KafkaMode mode) {
    auto record = RecordFromEvent(event, mode);
    if (!record.ok()) {
      ADD_FAILURE() << KafkaModeName(mode) << ": " << record.status().ToString();
      return Judgement{};
    }
    return IngestRecord(record->value, ToHeaders(record.value()));
  }

  testing::TempDir dir_;
  std::unique_ptr<Ledger> ledger_;
  std::unique_ptr<Preparer> preparer_;
  std::vector<std::string> bound_ = {"*"};
  int64_t next_offset_ = 0;
};

std::string Describe(const Judgement& j) {
  return std::string(OutcomeName(j.outcome)) + " " + std::string(j.reason) + " " + j.detail;
}

TEST_F(CloudEventsKafkaLedgerTest, StructuredThenBinaryModesAreDuplicates) {
  const std::vector<std::string> events = SevenEvents();
  for (size_t i = 0; i < events.size(); ++i) {
    SCOPED_TRACE(events[i]);
    Judgement first = IngestIn(events[i], KafkaMode::kStructured);
    ASSERT_EQ(first.outcome, Outcome::kAccepted) << Describe(first);
    for (KafkaMode mode : {KafkaMode::kBinaryJson, KafkaMode::kBinaryFlatBuffers}) {
      Judgement again = IngestIn(events[i], mode);
      EXPECT_EQ(again.outcome, Outcome::kDuplicate)
          << KafkaModeName(mode) << ": " << Describe(again);
      EXPECT_EQ(again.index, first.index);
    }
  }
  Commit();
  LedgerStats stats = ledger_->stats();
  EXPECT_EQ(stats.entries, events.size());
  EXPECT_EQ(stats.duplicates, 2 * events.size());
  EXPECT_EQ(stats.rejects, 0u);
  auto entry = ledger_->ReadEntry(0);
  ASSERT_TRUE(entry.ok()) << entry.status().ToString();
  EXPECT_EQ(entry->content_type, kStructuredContentType);
  EXPECT_EQ(entry->message, events[0]);
  EXPECT_EQ(entry->origin.kind, Origin::Kind::kKafka);
}

// Whichever mode comes first is accepted and recorded as it came; the others duplicate it.
TEST_F(CloudEventsKafkaLedgerTest, BinaryModesFirstThenStructured) {
  const std::vector<std::string> events = SevenEvents();
  const KafkaMode firsts[] = {KafkaMode::kBinaryFlatBuffers, KafkaMode::kBinaryJson};
  for (size_t i = 0; i < events.size(); ++i) {
    KafkaMode first_mode = firsts[i % 2];
    Judgement first = IngestIn(events[i], first_mode);
    ASSERT_EQ(first.outcome, Outcome::kAccepted) << Describe(first) << "\n  " << events[i];
    for (KafkaMode mode : {KafkaMode::kStructured, firsts[(i + 1) % 2]}) {
      Judgement again = IngestIn(events[i], mode);
      EXPECT_EQ(again.outcome, Outcome::kDuplicate) << Describe(again);
    }
  }
  Commit();
  auto fb_entry = ledger_->ReadEntry(0);
  ASSERT_TRUE(fb_entry.ok());
  EXPECT_EQ(fb_entry->content_type, kFlatBuffersContentType);
  // The entry keeps the event rendered from the FlatBuffer: the same JSON as the original.
  EXPECT_EQ(nlohmann::json::parse(fb_entry->message), nlohmann::json::parse(events[0]));
  auto binary_entry = ledger_->ReadEntry(1);
  ASSERT_TRUE(binary_entry.ok());
  EXPECT_EQ(binary_entry->content_type, "application/json");
  EXPECT_EQ(nlohmann::json::parse(binary_entry->message), nlohmann::json::parse(events[1]));
}

TEST_F(CloudEventsKafkaLedgerTest, UnverifiableFlatBuffersRejectKeepsRawBytes) {
  const std::string raw("\x10\x00\x00\x00GLEV\xff\xfe garbage", 19);
  Judgement j = IngestRecord(raw, {{"content-type", std::string(kFlatBuffersContentType)}});
  EXPECT_EQ(j.outcome, Outcome::kRejected);
  EXPECT_EQ(j.reason, reason::kMalformed);
  EXPECT_NE(j.detail.find("FlatBuffers"), std::string::npos) << j.detail;
  Commit();
  auto reject = ledger_->ReadReject(0);
  ASSERT_TRUE(reject.ok()) << reject.status().ToString();
  EXPECT_EQ(reject->message, raw);
  EXPECT_EQ(reject->reason, reason::kMalformed);
  EXPECT_EQ(reject->origin.kind, Origin::Kind::kKafka);
  EXPECT_EQ(reject->origin.topic, "gpuledger.events");
}

TEST_F(CloudEventsKafkaLedgerTest, NullCeHeaderIsMalformed) {
  Judgement j = IngestRecord(testing::kSpecExampleData,
                             {{"ce_specversion", "1.0"}, {"ce_subject", std::nullopt}});
  EXPECT_EQ(j.outcome, Outcome::kRejected);
  EXPECT_EQ(j.reason, reason::kMalformed);
  Commit();
  auto reject = ledger_->ReadReject(0);
  ASSERT_TRUE(reject.ok());
  EXPECT_EQ(reject->message, testing::kSpecExampleData);
}

TEST_F(CloudEventsKafkaLedgerTest, RepeatedCeHeaderIsMalformed) {
  const std::string close = SevenEvents()[5];  // period.closed: refers to nothing
  auto record = RecordFromEvent(close, KafkaMode::kBinaryJson);
  ASSERT_TRUE(record.ok());
  std::vector<KafkaHeader> headers = ToHeaders(record.value());
  headers.push_back({"ce_id", "close-1"});
  Judgement j = IngestRecord(record->value, headers);
  EXPECT_EQ(j.outcome, Outcome::kRejected);
  EXPECT_EQ(j.reason, reason::kMalformed) << Describe(j);
  EXPECT_NE(j.detail.find("repeats a key"), std::string::npos) << j.detail;
  // The same record without the repeat is fine: only the repeat was wrong.
  Judgement ok = IngestRecord(record->value, ToHeaders(record.value()));
  EXPECT_EQ(ok.outcome, Outcome::kAccepted) << Describe(ok);
}

TEST_F(CloudEventsKafkaLedgerTest, BinaryNonJsonValueIsMalformedAndKept) {
  const std::vector<KafkaHeader> headers = {
      {"ce_specversion", "1.0"},           {"ce_id", "u-9"},
      {"ce_source", "csp/kt-cloud"},       {"ce_type", "io.gpuledger.usage.reported.v1"},
      {"ce_time", "2026-04-01T00:10:00Z"}, {"content-type", "application/json"}};
  const std::vector<std::string> values = {"{not json}", "not json",
                                           R"({"a":1},"subject":"injected")", "[1, NaN]"};
  for (const std::string& value : values) {
    Judgement j = IngestRecord(value, headers);
    EXPECT_EQ(j.outcome, Outcome::kRejected) << value;
    EXPECT_EQ(j.reason, reason::kMalformed) << value << ": " << Describe(j);
  }
  Commit();
  for (uint64_t seq = 0; seq < values.size(); ++seq) {
    auto reject = ledger_->ReadReject(seq);
    ASSERT_TRUE(reject.ok()) << reject.status().ToString();
    EXPECT_NE(reject->message.find(values[seq]), std::string::npos) << reject->message;
  }
}

}  // namespace
}  // namespace gpuledger
