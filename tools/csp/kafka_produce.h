// A JSON Lines file produced into a Kafka topic with librdkafka's idempotent producer, in
// any CloudEvents Kafka binding mode; every delivery report is checked.
// Standard library only. Thread-safety: one call at a time per options object.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "gpuledger/cloudevents_kafka.h"
#include "gpuledger/status.h"
#include "gpuledger/types.h"

namespace gpuledger {

struct ProduceOptions {
  std::string brokers;  // bootstrap.servers
  std::string topic;
  KafkaMode mode = KafkaMode::kStructured;
  int32_t partition = -1;  // -1: partition by key (the event's source, so that each source's
                           // events keep their order)
  // Extra librdkafka properties (security.protocol, sasl.*, ssl.*, linger.ms, ...).
  std::map<std::string, std::string> properties;
  size_t in_flight_messages_max = 100000;  // bound on undelivered messages queued locally
  int flush_timeout_ms = 60000;            // how long to wait for the last deliveries
  ProgressFn progress;                     // (lines done, 0) now and then
};

struct ProduceReport {
  uint64_t lines = 0;      // non-blank lines read
  uint64_t blank = 0;      // blank lines skipped (not sent, as file intake skips them)
  uint64_t delivered = 0;  // acknowledged by the broker (delivery report without error)
  uint64_t failed = 0;     // delivery report with an error, or not delivered by the timeout
  // Binary modes: lines that could not be carried in the mode (not a well-formed event)
  // and were sent in structured mode instead, so that the ledger judges and keeps them.
  uint64_t sent_structured = 0;
  std::string first_error;  // the first delivery error, in plain words
};

// Produces every non-blank line of `path` ("-" is standard input) as one record, keyed by
// the event's top-level source unless options.partition >= 0 (then no key). A UTF-8 byte
// order mark opening the file is dropped, as file intake does; a line longer than 16 MiB is
// not sent and counts as failed. message.timeout.ms defaults to 30000 (so an unreachable
// cluster fails records instead of hanging); enable.idempotence=false is refused.
// OK only if every record was delivered (then failed == 0 and delivered == lines).
// Otherwise: InvalidArgument for bad options or a property librdkafka refuses, IOError if
// the file cannot be opened (nothing sent either way); else, after the flush, IOError when
// a record failed or the file could not be read to its end, whose message carries the
// report: "<failed> of <lines> records not delivered (delivered D, failed F, blank B,
// sent_structured S); first error: <first_error>".
[[nodiscard]] Result<ProduceReport> ProduceFile(const std::string& path,
                                                const ProduceOptions& options);

}  // namespace gpuledger
