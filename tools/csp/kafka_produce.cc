// The JSON Lines producer: one record per non-blank line, keyed by the event's source, with
// librdkafka's idempotent producer; every record ends with exactly one outcome (a delivery
// report, a local refusal, or "not delivered" after the flush timeout).
#include "tools/csp/kafka_produce.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "consumers/kafka/rdkafka_handles.h"
#include "gpuledger/json_lines.h"

namespace gpuledger {
namespace {

constexpr uint64_t kProgressEveryLines = 10000;
constexpr int kPollWaitMs = 100;
// Bounds how long an unreachable cluster can hold a record; properties may override it.
constexpr const char* kDefaultMessageTimeoutMs = "30000";

struct FileCloser {
  void operator()(std::FILE* f) const {
    if (f != stdin) std::fclose(f);
  }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

size_t SkipSpace(std::string_view s, size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) ++i;
  return i;
}

// s[i] is '"': the index just after the closing quote, or npos.
size_t SkipString(std::string_view s, size_t i) {
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

// The index just after the JSON value at s[i], or npos. Tracks only strings and nesting: it
// finds the extent of well-formed values and does not validate anything.
size_t SkipValue(std::string_view s, size_t i) {
  if (i >= s.size()) return std::string_view::npos;
  if (s[i] == '"') return SkipString(s, i);
  if (s[i] != '{' && s[i] != '[') {
    while (i < s.size() && std::string_view(",}] \t\r\n").find(s[i]) == std::string_view::npos) ++i;
    return i;
  }
  int depth = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c == '"') {
      i = SkipString(s, i);
      if (i == std::string_view::npos) return i;
      continue;
    }
    if (c == '{' || c == '[') ++depth;
    if ((c == '}' || c == ']') && --depth == 0) return i + 1;
    ++i;
  }
  return std::string_view::npos;
}

// The slow path, for a source spelt with escapes: a full parse decodes them.
std::optional<std::string> ParsedSource(std::string_view line) {
  nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  auto it = j.find("source");
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

// The event's top-level "source" string, found by a scan that skips nested values (a
// "source" inside `data` is not it); nullopt when there is none (then the record has no key).
// Tolerant on purpose: a line cut off or broken after its source is still keyed by it and
// keeps its place among that source's records. A validating parser (simdjson checks the
// whole document first) would leave such a line without a key; the producer tests hold it.
std::optional<std::string> TopLevelSource(std::string_view line) {
  size_t i = SkipSpace(line, 0);
  if (i >= line.size() || line[i] != '{') return std::nullopt;
  i = SkipSpace(line, i + 1);
  while (i < line.size() && line[i] == '"') {
    size_t key_end = SkipString(line, i);
    if (key_end == std::string_view::npos) return std::nullopt;
    std::string_view key = line.substr(i + 1, key_end - i - 2);
    i = SkipSpace(line, key_end);
    if (i >= line.size() || line[i] != ':') return std::nullopt;
    i = SkipSpace(line, i + 1);
    size_t value_end = SkipValue(line, i);
    if (value_end == std::string_view::npos) return std::nullopt;
    if (key == "source") {
      if (line[i] != '"') return std::nullopt;
      std::string_view raw = line.substr(i + 1, value_end - i - 2);
      if (raw.find('\\') != std::string_view::npos) return ParsedSource(line);
      return std::string(raw);
    }
    i = SkipSpace(line, value_end);
    if (i >= line.size() || line[i] != ',') return std::nullopt;
    i = SkipSpace(line, i + 1);
  }
  return std::nullopt;
}

// Outcomes so far. The delivery report callback writes it, on the producing thread (inside
// rd_kafka_poll or rd_kafka_flush), so it needs no lock.
struct Outcomes {
  uint64_t enqueued = 0;   // accepted by rd_kafka_producev
  uint64_t reported = 0;   // delivery reports served (each enqueued record has one at most)
  uint64_t delivered = 0;  // reports without error
  uint64_t failed = 0;     // reports with an error, and records refused before enqueueing
  std::string first_error;
  // From error_cb: why the cluster may be unreachable, or why the producer failed for good.
  std::string first_client_error;

  void SetFailure(std::string why) {
    ++failed;
    if (first_error.empty()) first_error = std::move(why);
  }
};

void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  auto* outcomes = static_cast<Outcomes*>(opaque);
  ++outcomes->reported;
  if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++outcomes->delivered;
  } else {
    // Not rd_kafka_message_errstr(): for a delivery report it returns the payload.
    outcomes->SetFailure(std::string(rd_kafka_err2str(message->err)) + " (" +
                         rd_kafka_err2name(message->err) + ")");
  }
}

void OnError(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
  auto* outcomes = static_cast<Outcomes*>(opaque);
  if (err == RD_KAFKA_RESP_ERR__FATAL) {
    // The idempotent producer cannot go on (every later record fails): this says why.
    char fatal[512];
    rd_kafka_resp_err_t cause = rd_kafka_fatal_error(rk, fatal, sizeof fatal);
    outcomes->first_client_error = std::string("fatal: ") + rd_kafka_err2name(cause) + ": " + fatal;
  } else if (outcomes->first_client_error.empty()) {
    outcomes->first_client_error = reason;
  }
}

// One idempotent producer writing records to options.topic. Not thread-safe.
class Producer {
 public:
  explicit Producer(const ProduceOptions& options) : options_(options) {}

  [[nodiscard]] Status Open();
  // Sends one non-blank line (1-based `line_number`, for error texts) as one record.
  void Send(std::string_view line, uint64_t line_number, ProduceReport* report);
  void Refuse(uint64_t line_number, std::string_view why) {
    outcomes_.SetFailure("line " + std::to_string(line_number) + ": " + std::string(why));
  }
  // Waits for the last delivery reports and fills the report's outcome fields.
  void Finish(ProduceReport* report);

 private:
  [[nodiscard]] Result<kafka::ConfPtr> MakeConf();
  void WaitForRoom();
  void Enqueue(const KafkaRecordOut& record, const std::optional<std::string>& key,
               uint64_t line_number);

  const ProduceOptions& options_;
  Outcomes outcomes_;  // declared before the handles: the callbacks' target outlives them
  kafka::KafkaPtr rk_;
  kafka::TopicPtr topic_;
};

Result<kafka::ConfPtr> Producer::MakeConf() {
  kafka::ConfPtr conf(rd_kafka_conf_new());
  std::map<std::string, std::string> props = {{"acks", "all"},
                                              {"message.timeout.ms", kDefaultMessageTimeoutMs}};
  if (!options_.brokers.empty()) props["bootstrap.servers"] = options_.brokers;
  for (const auto& [key, value] : options_.properties) props[key] = value;
  if (props["bootstrap.servers"].empty())
    return Status::InvalidArgument("no Kafka brokers (bootstrap.servers)");
  // The contract is an idempotent producer: turning it off is refused, not ignored.
  auto idempotence = props.find("enable.idempotence");
  if (idempotence != props.end() && idempotence->second != "true")
    return Status::InvalidArgument("Kafka property enable.idempotence: must be true");
  props["enable.idempotence"] = "true";
  if (Status s = kafka::SetProperties(conf.get(), props); !s.ok()) return s;
  rd_kafka_conf_set_opaque(conf.get(), &outcomes_);
  rd_kafka_conf_set_dr_msg_cb(conf.get(), OnDelivery);
  rd_kafka_conf_set_error_cb(conf.get(), OnError);
  return conf;
}

Status Producer::Open() {
  if (options_.topic.empty()) return Status::InvalidArgument("no Kafka topic");
  Result<kafka::ConfPtr> conf = MakeConf();
  if (!conf.ok()) return conf.status();
  char err[512];
  // On success rd_kafka_new owns the configuration; on failure it is still ours.
  rk_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf->get(), err, sizeof err));
  if (!rk_) return Status::InvalidArgument(std::string("Kafka producer: ") + err);
  static_cast<void>(conf->release());
  topic_.reset(rd_kafka_topic_new(rk_.get(), options_.topic.c_str(), nullptr));
  if (!topic_) {
    return Status::InvalidArgument("Kafka topic " + options_.topic + ": " +
                                   rd_kafka_err2str(rd_kafka_last_error()));
  }
  return Status::Ok();
}

void Producer::Send(std::string_view line, uint64_t line_number, ProduceReport* report) {
  Result<KafkaRecordOut> record = RecordFromEvent(line, options_.mode);
  if (!record.ok() && options_.mode != KafkaMode::kStructured) {
    // Not carried in the binary mode: sent as it is, so that the ledger judges and keeps it.
    record = RecordFromEvent(line, KafkaMode::kStructured);
    if (record.ok()) ++report->sent_structured;
  }
  if (!record.ok()) return Refuse(line_number, record.status().message());
  std::optional<std::string> key;
  if (options_.partition < 0) key = TopLevelSource(line);
  Enqueue(record.value(), key, line_number);
}

void Producer::WaitForRoom() {
  const uint64_t in_flight_max = std::max<uint64_t>(1, options_.in_flight_messages_max);
  while (outcomes_.enqueued - outcomes_.reported >= in_flight_max)
    rd_kafka_poll(rk_.get(), kPollWaitMs);
}

void Producer::Enqueue(const KafkaRecordOut& record, const std::optional<std::string>& key,
                       uint64_t line_number) {
  WaitForRoom();
  kafka::HeadersPtr headers(rd_kafka_headers_new(record.headers.size()));
  for (const auto& [name, value] : record.headers) {
    rd_kafka_header_add(headers.get(), name.data(), static_cast<ssize_t>(name.size()), value.data(),
                        static_cast<ssize_t>(value.size()));
  }
  const int32_t partition = options_.partition >= 0 ? options_.partition : RD_KAFKA_PARTITION_UA;
  const char* key_data = key ? key->data() : nullptr;  // no source: no key
  const size_t key_bytes = key ? key->size() : 0;
  char* value_data = const_cast<char*>(record.value.data());  // copied (RD_KAFKA_MSG_F_COPY)
  while (true) {
    rd_kafka_resp_err_t err = rd_kafka_producev(
        rk_.get(), RD_KAFKA_V_RKT(topic_.get()), RD_KAFKA_V_PARTITION(partition),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_VALUE(value_data, record.value.size()),
        RD_KAFKA_V_KEY(key_data, key_bytes), RD_KAFKA_V_HEADERS(headers.get()), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      static_cast<void>(headers.release());  // now owned by the message
      ++outcomes_.enqueued;
      rd_kafka_poll(rk_.get(), 0);  // serve delivery reports as they come
      return;
    }
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      return Refuse(line_number,
                    std::string(rd_kafka_err2str(err)) + " (" + rd_kafka_err2name(err) + ")");
    }
    rd_kafka_poll(rk_.get(), kPollWaitMs);  // the local queue is full: let deliveries drain it
  }
}

void Producer::Finish(ProduceReport* report) {
  if (rd_kafka_flush(rk_.get(), options_.flush_timeout_ms) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    // Give every record left its outcome now (failed), before the handle goes away.
    rd_kafka_purge(rk_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(rk_.get(), 0);
  }
  uint64_t unreported = outcomes_.enqueued - outcomes_.reported;
  if (unreported > 0) {
    outcomes_.failed += unreported;
    if (outcomes_.first_error.empty())
      outcomes_.first_error = "not delivered within the flush timeout";
  }
  report->delivered = outcomes_.delivered;
  report->failed = outcomes_.failed;
  report->first_error = outcomes_.first_error;
  if (report->failed > 0 && !outcomes_.first_client_error.empty())
    report->first_error += "; client error: " + outcomes_.first_client_error;
}

Result<FilePtr> OpenInput(const std::string& path) {
  if (path == "-") return FilePtr(stdin);
  FilePtr f(std::fopen(path.c_str(), "rb"));
  if (!f) return Status::IOError("cannot open " + path + ": " + std::strerror(errno));
  return f;
}

// Sends every non-blank line of `file`; false on a read error.
bool SendLines(std::FILE* file, Producer& producer, const ProduceOptions& options,
               ProduceReport* report) {
  // A line longer than kJsonLineBytesMax is refused (counted failed), not cut short and sent.
  JsonLinesReader reader(file, 0);
  std::string line;
  bool overlong = false;
  uint64_t line_number = 0;
  while (reader.Next(&line, &overlong)) {
    ++line_number;
    // As file intake: a byte order mark opening the file is not part of the first event.
    if (line_number == 1 && std::string_view(line).starts_with(kUtf8Bom))
      line.erase(0, kUtf8Bom.size());
    if (IsBlankLine(line)) {
      ++report->blank;
    } else {
      ++report->lines;
      if (overlong) {
        producer.Refuse(line_number,
                        "longer than " + std::to_string(kJsonLineBytesMax) + " bytes, not sent");
      } else {
        producer.Send(line, line_number, report);
      }
    }
    if (options.progress && line_number % kProgressEveryLines == 0)
      options.progress(line_number, 0);
  }
  if (options.progress) options.progress(line_number, 0);
  return !reader.failed();
}

std::string Summary(const ProduceReport& r) {
  return std::to_string(r.failed) + " of " + std::to_string(r.lines) +
         " records not delivered (delivered " + std::to_string(r.delivered) + ", failed " +
         std::to_string(r.failed) + ", blank " + std::to_string(r.blank) + ", sent_structured " +
         std::to_string(r.sent_structured) + ")" +
         (r.first_error.empty() ? "" : "; first error: " + r.first_error);
}

}  // namespace

Result<ProduceReport> ProduceFile(const std::string& path, const ProduceOptions& options) {
  Result<FilePtr> file = OpenInput(path);
  if (!file.ok()) return file.status();
  Producer producer(options);
  if (Status s = producer.Open(); !s.ok()) return s;
  ProduceReport report;
  bool read_ok = SendLines(file->get(), producer, options, &report);
  producer.Finish(&report);
  if (!read_ok) {
    return Status::IOError("cannot read " + path + " after " + std::to_string(report.lines) +
                           " lines; produce to " + options.topic + ": " + Summary(report));
  }
  if (report.failed > 0) {
    return Status::IOError("produce " + path + " to " + options.topic + ": " + Summary(report));
  }
  return report;
}

}  // namespace gpuledger
