// JSON Lines file intake (spec section 2: one structured-mode event per line; lines of only
// white space are skipped and not counted). Uses the same Ledger::Submit as Kafka ingest.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "gpuledger/ledger.h"

namespace gpuledger {

struct FileIngestOptions {
  size_t batch_messages_max = 1000;   // messages per durable batch
  size_t batch_bytes_max = 8u << 20;  // staged bytes per durable batch
  size_t read_buffer_bytes = 1u << 20;
  ProgressFn progress;  // called about once per batch with (bytes, file bytes)
};

struct FileIngestReport {
  IntakeCounts counts;             // outcomes of every non-blank line of the file
  uint64_t lines_read = 0;         // non-blank lines judged (== counts.total())
  uint64_t blank_lines = 0;        // skipped, not counted
  uint64_t resumed_from_line = 0;  // 0, or the 1-based line an interrupted ingest resumed at
  std::string file_sha256;         // identity of the file for resuming
  uint64_t ledger_size_before = 0;
  uint64_t ledger_size_after = 0;
};

// Ingests a JSON Lines file. If an earlier ingest of the same file (same bytes) was
// interrupted, resumes after its last durable batch, and the report covers the whole file.
[[nodiscard]] Result<FileIngestReport> IngestFile(Ledger& ledger, const std::string& path,
                                                  const FileIngestOptions& options);

// Ingests JSON Lines held in memory; `origin_name` is recorded as the file of each origin.
// No resume cursor is kept (the benchmark and tests use it).
[[nodiscard]] Result<FileIngestReport> IngestBuffer(Ledger& ledger, std::string_view contents,
                                                    std::string_view origin_name,
                                                    const FileIngestOptions& options);

}  // namespace gpuledger
