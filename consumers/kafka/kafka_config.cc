// The `serve` config file (docs/kafka.md): librdkafka properties, topic bindings, batch
// bounds. nlohmann-json is fine here: a config is read once.
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "gpuledger/kafka_ingest.h"

namespace gpuledger {
namespace {

using nlohmann::json;

// Properties the exactly-once design owns, with the values it needs.
const std::map<std::string, std::string>& OwnedProperties() {
  static const std::map<std::string, std::string> owned = {
      {"enable.auto.commit", "false"},  // offsets are committed after the ledger's sync
      {"enable.auto.offset.store", "false"},
      {"enable.partition.eof", "true"},  // drain mode and lag need the end of a partition
      {"auto.offset.reset", "error"},    // never skip records silently (docs/kafka.md)
  };
  return owned;
}

Status ReadProperties(const json& kafka, KafkaIngestConfig* config) {
  if (!kafka.is_object()) return Status::InvalidArgument("\"kafka\" must be an object");
  for (const auto& [key, value] : kafka.items()) {
    std::string text;
    if (value.is_string()) {
      text = value.get<std::string>();
    } else if (value.is_number_integer() || value.is_boolean()) {
      text = value.dump();
    } else {
      return Status::InvalidArgument("kafka property " + key + " must be a string or integer");
    }
    config->properties[key] = text;
  }
  return Status::Ok();
}

Status ReadTopics(const json& topics, KafkaIngestConfig* config) {
  if (!topics.is_object() || topics.empty()) {
    return Status::InvalidArgument("\"topics\" must be an object of topic -> [sources]");
  }
  for (const auto& [topic, sources] : topics.items()) {
    if (topic.empty()) return Status::InvalidArgument("a topic name is empty");
    if (!sources.is_array() || sources.empty()) {
      return Status::InvalidArgument("topic " + topic + ": sources must be a non-empty array");
    }
    TopicBinding binding{topic, {}};
    for (const json& s : sources) {
      if (!s.is_string() || s.get<std::string>().empty()) {
        return Status::InvalidArgument("topic " + topic + ": each source is a non-empty string");
      }
      binding.sources.push_back(s.get<std::string>());
    }
    config->topics.push_back(std::move(binding));
  }
  return Status::Ok();
}

Status ReadFirst(const json& topics, KafkaIngestConfig* config) {
  if (!topics.is_array()) return Status::InvalidArgument("\"read_first\" must be an array");
  for (const json& t : topics) {
    if (!t.is_string()) return Status::InvalidArgument("read_first lists topic names");
    config->read_first.push_back(t.get<std::string>());
  }
  return Status::Ok();
}

// Reads an integer field bounded to [min, max] into *out, if present.
template <typename T>
Status ReadBounded(const json& obj, const char* key, int64_t min, int64_t max, T* out) {
  if (!obj.contains(key)) return Status::Ok();
  const json& v = obj.at(key);
  if (!v.is_number_integer() || v.get<int64_t>() < min || v.get<int64_t>() > max) {
    return Status::InvalidArgument(std::string(key) + " must be an integer in [" +
                                   std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  *out = static_cast<T>(v.get<int64_t>());
  return Status::Ok();
}

Status ReadBatch(const json& batch, KafkaIngestConfig* config) {
  if (!batch.is_object()) return Status::InvalidArgument("\"batch\" must be an object");
  for (const auto& [key, value] : batch.items()) {
    if (key != "messages_max" && key != "bytes_max" && key != "linger_ms") {
      return Status::InvalidArgument("unknown batch field " + key);
    }
  }
  Status s = ReadBounded(batch, "messages_max", 1, 1000000, &config->batch_messages_max);
  if (s.ok()) s = ReadBounded(batch, "bytes_max", 1 << 16, 1 << 30, &config->batch_bytes_max);
  if (s.ok()) s = ReadBounded(batch, "linger_ms", 1, 60000, &config->batch_linger_ms);
  return s;
}

}  // namespace

Result<KafkaIngestConfig> ParseKafkaConfig(std::string_view text) {
  json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Status::InvalidArgument("the config is not a JSON object");
  }
  KafkaIngestConfig config;
  for (const auto& [key, value] : doc.items()) {
    Status s;
    if (key == "kafka") {
      s = ReadProperties(value, &config);
    } else if (key == "topics") {
      s = ReadTopics(value, &config);
    } else if (key == "batch") {
      s = ReadBatch(value, &config);
    } else if (key == "progress_interval_seconds") {
      s = ReadBounded(doc, "progress_interval_seconds", 1, 86400,
                      &config.progress_interval_seconds);
    } else if (key == "read_first") {
      s = ReadFirst(value, &config);
    } else if (key == "skip_missing_history") {
      if (!value.is_boolean())
        return Status::InvalidArgument("skip_missing_history is true or false");
      config.skip_missing_history = value.get<bool>();
    } else if (key == "poll_timeout_ms") {
      s = ReadBounded(doc, "poll_timeout_ms", 1, 10000, &config.poll_timeout_ms);
    } else {
      s = Status::InvalidArgument("unknown config field " + key);
    }
    if (!s.ok()) return s;
  }
  if (config.topics.empty()) return Status::InvalidArgument("the config names no topics");
  for (const std::string& t : config.read_first) {
    bool known = false;
    for (const TopicBinding& b : config.topics) known = known || b.topic == t;
    if (!known) return Status::InvalidArgument("read_first names " + t + ", not in topics");
  }
  if (!config.properties.count("bootstrap.servers")) {
    return Status::InvalidArgument("the config has no kafka.bootstrap.servers");
  }
  if (Status s = ApplyKafkaProperties(&config.properties); !s.ok()) return s;
  return config;
}

Status ApplyKafkaProperties(std::map<std::string, std::string>* properties) {
  for (const auto& [key, value] : OwnedProperties()) {
    auto [it, fresh] = properties->try_emplace(key, value);
    if (!fresh && it->second != value) {
      return Status::InvalidArgument("kafka property " + key + " is set by gpuledger to " + value +
                                     " (exactly-once ingest needs it)");
    }
  }
  properties->try_emplace("group.id", "gpuledger");
  // New partitions of a topic are noticed within seconds, not librdkafka's default 5 min.
  properties->try_emplace("topic.metadata.refresh.interval.ms", "5000");
  return Status::Ok();
}

Result<KafkaIngestConfig> LoadKafkaConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot open config " + path);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::IOError("cannot read config " + path);
  auto config = ParseKafkaConfig(text.str());
  if (!config.ok()) return Status::InvalidArgument(path + ": " + config.status().message());
  return config;
}

std::string KafkaCursorName(std::string_view topic, int32_t partition) {
  return "kafka:" + std::string(topic) + ":" + std::to_string(partition);
}

int64_t ServeStats::total_lag() const {
  int64_t lag = 0;
  for (const PartitionProgress& p : partitions) lag += p.lag();
  return lag;
}

}  // namespace gpuledger
