// ProduceFile against librdkafka's in-process mock cluster: each mode's records are read back
// with a plain consumer and matched to the file's lines (count, value, headers, key, order);
// refused properties, broker errors and an unreachable cluster give a non-OK result.
// No timing asserts: every wait has a generous deadline that only guards against a hang.
#include "tools/csp/kafka_produce.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "consumers/kafka/rdkafka_handles.h"
#include "gpuledger/cloudevents_kafka.h"
#include "tests/support/event_gen.h"
#include "tests/support/kafka_test_util.h"
#include "tests/support/test_util.h"

namespace gpuledger {
namespace {

constexpr int kPartitions = 4;
constexpr auto kConsumeDeadline = std::chrono::seconds(120);

ProduceOptions Options(std::string brokers, std::string topic,
                       KafkaMode mode = KafkaMode::kStructured) {
  ProduceOptions o;
  o.brokers = std::move(brokers), o.topic = std::move(topic), o.mode = mode;
  return o;
}

// One in-process mock broker (tests/support/kafka_test_util.h), alive as long as this object.
struct OneBrokerMock : testing::MockCluster {
  OneBrokerMock() : testing::MockCluster(1) {}
};

struct Consumed {
  int32_t partition = 0;
  int64_t offset = 0;
  std::optional<std::string> key;
  std::string value;
  std::vector<std::pair<std::string, std::string>> headers;
};

Consumed Copy(const rd_kafka_message_t* m) {
  Consumed c{m->partition, m->offset, std::nullopt, {}, {}};
  if (m->payload) c.value.assign(static_cast<const char*>(m->payload), m->len);
  if (m->key) c.key.emplace(static_cast<const char*>(m->key), m->key_len);
  rd_kafka_headers_t* hdrs = nullptr;
  if (rd_kafka_message_headers(m, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR) return c;
  const char* name = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == 0; ++i)
    c.headers.emplace_back(name, value ? std::string(static_cast<const char*>(value), size) : "");
  return c;
}

// Every record of `topic`, read from the beginning to the end, by partition and offset.
std::vector<Consumed> ConsumeAll(const std::string& brokers, const std::string& topic,
                                 int partitions) {
  kafka::KafkaPtr rk = testing::MakeClient(RD_KAFKA_CONSUMER, {{"bootstrap.servers", brokers},
                                                               {"group.id", "kafka-produce-test"},
                                                               {"enable.auto.commit", "false"},
                                                               {"enable.partition.eof", "true"}});
  std::vector<Consumed> out;
  if (!rk) return out;
  kafka::PartitionListPtr list(rd_kafka_topic_partition_list_new(partitions));
  for (int p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
  }
  EXPECT_EQ(rd_kafka_assign(rk.get(), list.get()), RD_KAFKA_RESP_ERR_NO_ERROR);
  std::set<int32_t> at_end;
  const auto deadline = std::chrono::steady_clock::now() + kConsumeDeadline;
  while (static_cast<int>(at_end.size()) < partitions &&
         std::chrono::steady_clock::now() < deadline) {
    kafka::MessagePtr m(rd_kafka_consumer_poll(rk.get(), 1000));
    if (!m) continue;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      at_end.insert(m->partition);
    } else if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      out.push_back(Copy(m.get()));
    }
  }
  EXPECT_EQ(static_cast<int>(at_end.size()), partitions) << "not every partition read to its end";
  rd_kafka_consumer_close(rk.get());
  std::sort(out.begin(), out.end(), [](const Consumed& a, const Consumed& b) {
    return std::pair(a.partition, a.offset) < std::pair(b.partition, b.offset);
  });
  return out;
}

// What the test expects for one non-blank line of the file.
struct Expected {
  std::string line;
  std::optional<std::string> source;  // the key (generated lines spell it plainly)
  KafkaRecordOut record;
  bool structured_fallback = false;
};

std::optional<std::string> PlainSource(const std::string& line) {
  const std::string marker = "\"source\":\"";
  size_t at = line.find(marker);
  if (at == std::string::npos) return std::nullopt;
  size_t start = at + marker.size();
  return line.substr(start, line.find('"', start) - start);
}

std::vector<Expected> ExpectedRecords(const std::string& contents, KafkaMode mode) {
  std::vector<Expected> out;
  size_t pos = 0;
  while (pos < contents.size()) {
    size_t nl = contents.find('\n', pos);
    std::string line = contents.substr(pos, nl - pos);
    pos = nl == std::string::npos ? contents.size() : nl + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t\r\n\f\v") == std::string::npos) continue;
    Expected e{line, PlainSource(line), {}, false};
    Result<KafkaRecordOut> r = RecordFromEvent(line, mode);
    if (!r.ok()) {
      e.structured_fallback = true;
      r = RecordFromEvent(line, KafkaMode::kStructured);
    }
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (r.ok()) e.record = r.value();
    out.push_back(std::move(e));
  }
  return out;
}

bool SameRecord(const Consumed& c, const Expected& e) {
  return c.value == e.record.value && c.headers == e.record.headers;
}

// Matches each consumed record to its line: records with a key by key and in file order,
// all in one partition; keyless records (no source) by content. Returns the line index of
// each consumed record.
std::vector<size_t> MatchRecords(const std::vector<Consumed>& consumed,
                                 const std::vector<Expected>& expected) {
  std::vector<size_t> line_of(consumed.size(), SIZE_MAX);
  std::map<std::optional<std::string>, std::vector<size_t>> lines_by_key, records_by_key;
  for (size_t i = 0; i < expected.size(); ++i) lines_by_key[expected[i].source].push_back(i);
  for (size_t i = 0; i < consumed.size(); ++i) records_by_key[consumed[i].key].push_back(i);
  EXPECT_EQ(records_by_key.size(), lines_by_key.size());
  for (const auto& [key, records] : records_by_key) {
    const std::vector<size_t>& lines = lines_by_key[key];
    EXPECT_EQ(records.size(), lines.size()) << "key " << key.value_or("(none)");
    if (records.size() != lines.size()) continue;
    std::vector<bool> used(lines.size(), false);
    for (size_t n = 0; n < records.size(); ++n) {
      const Consumed& c = consumed[records[n]];
      if (key) {  // one partition, in file order
        EXPECT_EQ(c.partition, consumed[records[0]].partition) << *key;
        EXPECT_TRUE(SameRecord(c, expected[lines[n]])) << *key << " record " << n;
        line_of[records[n]] = lines[n];
        continue;
      }
      for (size_t l = 0; l < lines.size(); ++l) {
        if (used[l] || !SameRecord(c, expected[lines[l]])) continue;
        used[l] = true;
        line_of[records[n]] = lines[l];
        break;
      }
      EXPECT_NE(line_of[records[n]], SIZE_MAX) << "unexpected keyless record " << c.value;
    }
  }
  return line_of;
}

std::optional<std::string> HeaderValue(const Consumed& c, const std::string& name) {
  for (const auto& [k, v] : c.headers)
    if (k == name) return v;
  return std::nullopt;
}

// A generated file (blank, malformed, duplicate lines from one CSP and the ministry) with
// events of several more sources interleaved, some lines ending in "\r\n".
std::string MixedFile(testing::GenSummary* summary) {
  const std::string generated = testing::GenerateJsonl(1500, 42, summary);
  std::string out = "\xEF\xBB\xBF";  // a byte order mark opening the file is dropped
  size_t pos = 0;
  for (int n = 0; pos < generated.size(); ++n) {
    size_t nl = generated.find('\n', pos);
    out += generated.substr(pos, nl - pos) + (n % 50 == 7 ? "\r\n" : "\n");
    pos = nl + 1;
    if (n % 3 != 0) continue;
    std::string line = testing::event_gen_detail::UsageLine(
        testing::event_gen_detail::Seq("ms-", n), "A-00000001", testing::kGenPeriodStart,
        testing::kGenPeriodStart + 60, 1);
    line.replace(line.find("csp/kt-cloud"), 12, "csp/s-" + std::to_string(n % 6));
    out += line + "\n";
  }
  return out;
}

void ProduceAndCheck(KafkaMode mode) {
  OneBrokerMock cluster;
  const std::string topic = "events-" + std::string(KafkaModeName(mode));
  cluster.CreateTopic(topic, kPartitions);
  testing::TempDir tmp;
  testing::GenSummary summary;
  const std::string contents = MixedFile(&summary);
  testing::WriteFile(tmp.Sub("events.jsonl"), contents);
  const std::vector<Expected> expected = ExpectedRecords(contents.substr(3), mode);

  ProduceOptions options = Options(cluster.bootstrap(), topic, mode);
  uint64_t last_progress = 0;
  options.progress = [&](uint64_t done, uint64_t) { last_progress = done; };
  Result<ProduceReport> report = ProduceFile(tmp.Sub("events.jsonl"), options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->lines, expected.size());
  EXPECT_EQ(report->blank, summary.blank);
  EXPECT_EQ(report->delivered, expected.size());
  EXPECT_EQ(report->failed, 0u);
  EXPECT_EQ(last_progress,
            static_cast<uint64_t>(std::count(contents.begin(), contents.end(), '\n')));
  const auto fallbacks = std::count_if(expected.begin(), expected.end(),
                                       [](const Expected& e) { return e.structured_fallback; });
  EXPECT_EQ(report->sent_structured, static_cast<uint64_t>(fallbacks));
  if (mode != KafkaMode::kStructured) {  // at least "{not json" and friends
    EXPECT_GT(report->sent_structured, 0u);
    EXPECT_LE(report->sent_structured, summary.malformed);
  }

  const std::vector<Consumed> consumed = ConsumeAll(cluster.bootstrap(), topic, kPartitions);
  ASSERT_EQ(consumed.size(), expected.size());  // blank lines were not sent
  const std::vector<size_t> line_of = MatchRecords(consumed, expected);
  std::set<int32_t> partitions_used;
  for (size_t i = 0; i < consumed.size(); ++i) {
    const Consumed& c = consumed[i];
    partitions_used.insert(c.partition);
    ASSERT_NE(line_of[i], SIZE_MAX);
    const Expected& e = expected[line_of[i]];
    const std::optional<std::string> content_type = HeaderValue(c, "content-type");
    if (mode == KafkaMode::kStructured || e.structured_fallback) {
      EXPECT_EQ(c.value, e.line);
      EXPECT_EQ(content_type, std::string(kStructuredContentType));
    } else if (mode == KafkaMode::kBinaryJson) {
      nlohmann::json j = nlohmann::json::parse(e.line, nullptr, false);
      ASSERT_TRUE(j.is_object() && j.contains("id")) << e.line;
      EXPECT_EQ(HeaderValue(c, "ce_id"), j["id"].get<std::string>());
      EXPECT_EQ(HeaderValue(c, "ce_source"), c.key);
    } else {
      EXPECT_EQ(content_type, std::string(kFlatBuffersContentType));
    }
  }
  EXPECT_GT(partitions_used.size(), 1u) << "keys should spread the sources over partitions";
}

TEST(KafkaProduceTest, StructuredModeRoundTrip) { ProduceAndCheck(KafkaMode::kStructured); }
TEST(KafkaProduceTest, BinaryJsonModeRoundTrip) { ProduceAndCheck(KafkaMode::kBinaryJson); }
TEST(KafkaProduceTest, FlatBuffersModeRoundTrip) { ProduceAndCheck(KafkaMode::kBinaryFlatBuffers); }

TEST(KafkaProduceTest, KeyIsTheTopLevelSourceOrNoneWithAFixedPartition) {
  OneBrokerMock cluster;
  cluster.CreateTopic("keys", 3);
  testing::TempDir tmp;
  const std::string lines[] = {
      R"({"id":"1","data":{"source":"inner"},"source":"outer"})",
      R"({"id":"2", "source" : "spaced" ,"data":{}})",
      R"({"id":"3","source":"csp\/esc\u0061ped","data":{}})",
      R"({"id":"4","data":{"note":"\"source\":\"fake\""}})",
  };
  testing::WriteFile(tmp.Sub("k.jsonl"), lines[0] + "\n" + lines[1] + "\n" + lines[2] + "\n" +
                                             lines[3]);  // no final newline
  Result<ProduceReport> r = ProduceFile(tmp.Sub("k.jsonl"), Options(cluster.bootstrap(), "keys"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::map<std::string, std::optional<std::string>> key_of;
  for (const Consumed& c : ConsumeAll(cluster.bootstrap(), "keys", 3)) key_of[c.value] = c.key;
  ASSERT_EQ(key_of.size(), 4u);
  EXPECT_EQ(key_of[lines[0]], "outer");
  EXPECT_EQ(key_of[lines[1]], "spaced");
  EXPECT_EQ(key_of[lines[2]], "csp/escaped");
  EXPECT_EQ(key_of[lines[3]], std::nullopt);

  cluster.CreateTopic("fixed", 3);
  ProduceOptions fixed = Options(cluster.bootstrap(), "fixed");
  fixed.partition = 2;
  fixed.in_flight_messages_max = 1;  // every record waits for the one before it
  ASSERT_TRUE(ProduceFile(tmp.Sub("k.jsonl"), fixed).ok());
  std::vector<std::string> values;
  for (const Consumed& c : ConsumeAll(cluster.bootstrap(), "fixed", 3)) {
    EXPECT_EQ(c.partition, 2);
    EXPECT_EQ(c.key, std::nullopt);
    values.push_back(c.value);
  }
  EXPECT_EQ(values, std::vector<std::string>(std::begin(lines), std::end(lines)));
}

TEST(KafkaProduceTest, SmallLocalQueueAndStandardInput) {
  OneBrokerMock cluster;
  cluster.CreateTopic("small-queue", 1);
  testing::TempDir tmp;
  testing::GenSummary summary;
  testing::WriteFile(tmp.Sub("e.jsonl"), testing::GenerateJsonl(3000, 3, &summary));
  ProduceOptions options = Options(cluster.bootstrap(), "small-queue");
  options.properties = {{"queue.buffering.max.messages", "7"}};  // RD_KAFKA_RESP_ERR__QUEUE_FULL
  const int saved_stdin = dup(0), file = open(tmp.Sub("e.jsonl").c_str(), O_RDONLY);
  ASSERT_TRUE(saved_stdin >= 0 && file >= 0 && dup2(file, 0) == 0);
  Result<ProduceReport> r = ProduceFile("-", options);  // standard input: the file
  dup2(saved_stdin, 0);
  close(saved_stdin), close(file), clearerr(stdin);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->delivered, summary.non_blank());
  EXPECT_EQ(ConsumeAll(cluster.bootstrap(), "small-queue", 1).size(), summary.non_blank());
}

TEST(KafkaProduceTest, RefusedPropertiesAreInvalidArgument) {
  testing::TempDir tmp;
  testing::WriteFile(tmp.Sub("e.jsonl"), testing::GenerateJsonl(5, 1));
  const std::map<std::string, std::string> refused[] = {
      {{"no.such.property", "1"}}, {{"enable.idempotence", "false"}}, {{"acks", "1"}}};
  for (const auto& props : refused) {
    ProduceOptions options = Options("127.0.0.1:9", "t");
    options.properties = props;
    Result<ProduceReport> r = ProduceFile(tmp.Sub("e.jsonl"), options);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
    EXPECT_NE(r.status().message().find(props.begin()->first), std::string::npos)
        << r.status().message();
  }
  Result<ProduceReport> missing = ProduceFile(tmp.Sub("absent.jsonl"), Options("127.0.0.1:9", "t"));
  EXPECT_EQ(missing.status().code(), Status::Code::kIOError);
}

// Produces a small file, expecting every record to fail and the result to say so.
std::string ExpectEveryRecordFails(const ProduceOptions& options) {
  testing::TempDir tmp;
  testing::GenSummary summary;
  testing::WriteFile(tmp.Sub("e.jsonl"), testing::GenerateJsonl(20, 5, &summary));
  Result<ProduceReport> r = ProduceFile(tmp.Sub("e.jsonl"), options);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kIOError);
  const std::string n = std::to_string(summary.non_blank());
  EXPECT_NE(r.status().message().find(n + " of " + n + " records not delivered (delivered 0"),
            std::string::npos)
      << r.status().message();
  return r.status().message();
}

TEST(KafkaProduceTest, BrokerErrorsFailRecordsAndTheResult) {
  OneBrokerMock cluster;
  cluster.CreateTopic("refused", 1);
  std::vector<rd_kafka_resp_err_t> errors(1000, RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
  rd_kafka_mock_push_request_errors_array(cluster.get(), /*ProduceRequest=*/0, errors.size(),
                                          errors.data());
  std::string message = ExpectEveryRecordFails(Options(cluster.bootstrap(), "refused"));
  EXPECT_NE(message.find("TOPIC_AUTHORIZATION_FAILED"), std::string::npos) << message;
}

TEST(KafkaProduceTest, MissingTopicFailsAfterTheMessageTimeout) {
  OneBrokerMock cluster;  // it would create the topic on demand: make its metadata say "unknown"
  rd_kafka_mock_topic_set_error(cluster.get(), "absent", RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
  ProduceOptions options = Options(cluster.bootstrap(), "absent");
  options.properties = {{"message.timeout.ms", "1000"}};
  ExpectEveryRecordFails(options);
}

TEST(KafkaProduceTest, UnreachableClusterFailsAfterTheMessageTimeout) {
  ProduceOptions options = Options("127.0.0.1:1", "nowhere");  // nothing listens on port 1
  options.properties = {{"message.timeout.ms", "1000"}};
  ExpectEveryRecordFails(options);
}

}  // namespace
}  // namespace gpuledger
