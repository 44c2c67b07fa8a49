// Kafka ingest with an exactly-once effect: records of the configured topics go through the
// same intake as files (Ledger::Submit), and the next offset of every partition is stored
// in the same durable batch as the outcomes it covers. On start and on every assignment
// the consumer resumes from the offsets stored in the ledger; Kafka's committed offsets are
// written too, but only so that Kafka tooling sees the lag.
// Standard library only.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "gpuledger/ledger.h"
#include "gpuledger/status.h"
#include "gpuledger/types.h"

namespace gpuledger {

// The sources a topic admits (exact names, "<prefix>/*" such as "csp/*", or "*").
struct TopicBinding {
  std::string topic;
  std::vector<std::string> sources;
};

struct KafkaIngestConfig {
  // librdkafka properties, passed through: bootstrap.servers, group.id, security.protocol,
  // sasl.*, ssl.*, ... A few that the exactly-once design owns are set by gpuledger and
  // may not be given other values (docs/kafka.md).
  std::map<std::string, std::string> properties;
  std::vector<TopicBinding> topics;
  // Topics read to their end before the others are read, at every assignment: the
  // ministry's topic, so that a backlog of CSP reports is not judged before the contracts
  // and grants they refer to (docs/kafka.md).
  std::vector<std::string> read_first;
  size_t batch_messages_max = 5000;    // records per durable batch
  size_t batch_bytes_max = 16u << 20;  // record bytes per durable batch
  int batch_linger_ms = 200;           // a batch is made durable at most this long after
                                       // its first record arrived
  int poll_timeout_ms = 100;
  // A partition the ledger has no offset for is read from offset 0, and if Kafka no longer
  // holds offset 0 (retention deleted records never ingested) serve stops and says so.
  // true: read such a partition from its log start instead, logging what was missing.
  bool skip_missing_history = false;
  int progress_interval_seconds = 10;
};

// Reads the JSON config file (docs/kafka.md); InvalidArgument names what is wrong.
[[nodiscard]] Result<KafkaIngestConfig> LoadKafkaConfig(const std::string& path);
[[nodiscard]] Result<KafkaIngestConfig> ParseKafkaConfig(std::string_view json);

// Sets the librdkafka properties that exactly-once ingest owns (refusing other values for
// them, InvalidArgument) and gpuledger's defaults for the others. ParseKafkaConfig and
// Serve both apply it, so a config made in code gets the same guarantees as a file.
[[nodiscard]] Status ApplyKafkaProperties(std::map<std::string, std::string>* properties);

// The ledger cursor that holds a partition's next offset.
std::string KafkaCursorName(std::string_view topic, int32_t partition);

struct PartitionProgress {
  std::string topic;
  int32_t partition = 0;
  int64_t next_offset = 0;      // durable in the ledger: every earlier record is accounted for
  int64_t high_watermark = -1;  // as last seen from the broker (-1: not known)
  int64_t lag() const { return high_watermark < 0 ? 0 : high_watermark - next_offset; }
};

struct ServeStats {
  IntakeCounts counts;  // outcomes of the records judged by this run
  uint64_t blank = 0;   // structured-mode records of only white space: skipped, not counted
  uint64_t redelivered_skipped = 0;  // records below the stored offset (already accounted)
  uint64_t offset_gaps = 0;  // offsets Kafka never delivered (transaction markers, compaction)
  uint64_t batches = 0;      // durable batches written
  uint64_t assignments = 0;  // partition assignments (start and rebalances)
  uint64_t revocations = 0;
  uint64_t ledger_size = 0;
  uint64_t checkpoints_signed = 0;            // by this run (ServeCheckpoints)
  uint64_t checkpoint_size = 0;               // tree size of the latest checkpoint it signed
  std::vector<PartitionProgress> partitions;  // every partition seen, sorted
  int64_t total_lag() const;
};

// Automatic signed checkpoints (docs/audit.md): one when serving starts (which also checks
// the keys and the origin), then after a durable batch when at least `every_entries`
// entries or `every_seconds` seconds have passed since the last one, and once more at a
// graceful stop.
struct ServeCheckpoints {
  std::vector<std::string> signer_keys;  // private key texts; empty: no checkpoints
  std::string origin;                    // empty: the first key's name
  uint64_t every_entries = 100000;
  int64_t every_seconds = 60;
};

struct ServeOptions {
  // Graceful stop (e.g. set by a SIGTERM/SIGINT handler): the batch being judged is
  // finished and made durable, then the consumer is closed.
  const std::atomic<bool>* stop = nullptr;
  // Stop by itself once partitions are assigned and every assigned partition is read to
  // its end (tests, benchmarks, `serve --drain`).
  bool drain = false;
  int drain_assignment_timeout_ms = 60000;          // drain: fail if nothing is assigned by then
  std::function<void(const ServeStats&)> progress;  // every progress_interval_seconds
  std::function<void(std::string_view)> log;        // plain-words events: assignments, errors
  ServeCheckpoints checkpoints;
};

// Runs until options.stop is set, or (drain) until caught up, or until an error. The stats
// are those at the end. Thread-safety: the ledger is used by this call's threads only
// until it returns.
[[nodiscard]] Result<ServeStats> Serve(Ledger& ledger, const KafkaIngestConfig& config,
                                       const ServeOptions& options);

}  // namespace gpuledger
