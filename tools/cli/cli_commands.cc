// The ledger subcommands: ingest, verify, log, show, stats. Output is stable JSON on
// stdout; progress and errors are plain words on stderr.
#include <fmt/core.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

#include "gpuledger/file_intake.h"
#include "gpuledger/ledger.h"
#include "tools/cli/cli.h"

namespace gpuledger::cli {

int Failure(const Status& status) {
  std::cerr << "gpuledger: " << status.ToString() << "\n";
  return kExitFailed;
}

Result<std::unique_ptr<Ledger>> OpenLedger(const std::string& dir, bool read_only) {
  LedgerOptions options;
  options.read_only = read_only;
  options.create_if_missing = !read_only;
  return Ledger::Open(dir, options);
}

// Prints progress to stderr at most once a second.
ProgressFn Progress(std::string what, std::string unit, bool quiet) {
  if (quiet) return nullptr;
  auto last = std::make_shared<std::chrono::steady_clock::time_point>();
  return [what, unit, last](uint64_t done, uint64_t total) {
    auto now = std::chrono::steady_clock::now();
    if (now - *last < std::chrono::seconds(1) && done != total) return;
    *last = now;
    if (total > 0) {
      std::cerr << fmt::format("{}: {}% ({} of {} {})\n", what, done * 100 / total, done, total,
                               unit);
    } else {
      std::cerr << fmt::format("{}: {} {}\n", what, done, unit);
    }
  };
}

namespace {

using nlohmann::ordered_json;

ordered_json OriginJson(const Origin& o) {
  if (o.kind == Origin::Kind::kFile) return {{"file", o.file}, {"line", o.line}};
  return {{"topic", o.topic}, {"partition", o.partition}, {"offset", o.offset}};
}

// The raw message as a JSON string when it is UTF-8, else as hex.
void PutMessage(ordered_json* row, const std::string& message) {
  try {
    (void)ordered_json(message).dump();
    (*row)["message"] = message;
  } catch (const ordered_json::exception&) {
    (*row)["message_hex"] = HexOf(message);
  }
}

ordered_json EntryJson(const EntryView& e) {
  ordered_json row = {{"index", e.index},
                      {"source", e.source},
                      {"id", e.id},
                      {"type", e.type},
                      {"time", FormatRfc3339Utc(e.time)},
                      {"ingest_time", FormatRfc3339Utc(e.ingest_time)},
                      {"origin", OriginJson(e.origin)},
                      {"content_type", e.content_type},
                      {"content_sha256", HexOf(e.content_sha256)},
                      {"leaf_hash", HexOf(e.leaf_hash)},
                      {"chain_hash", HexOf(e.chain_hash)}};
  PutMessage(&row, e.message);
  return row;
}

ordered_json DuplicateJson(const DuplicateView& d) {
  return {{"seq", d.seq},
          {"original_index", d.original_index},
          {"origin", OriginJson(d.origin)},
          {"ingest_time", FormatRfc3339Utc(d.ingest_time)},
          {"message_sha256", HexOf(d.message_sha256)}};
}

ordered_json RejectJson(const RejectView& r) {
  ordered_json row = {{"seq", r.seq},
                      {"reason", r.reason},
                      {"detail", r.detail},
                      {"origin", OriginJson(r.origin)},
                      {"ingest_time", FormatRfc3339Utc(r.ingest_time)}};
  PutMessage(&row, r.message);
  return row;
}

}  // namespace

int RunIngest(const std::string& data_dir, const std::string& file, uint64_t batch_messages_max,
              bool quiet) {
  auto ledger = OpenLedger(data_dir, false);
  if (!ledger.ok()) return Failure(ledger.status());
  FileIngestOptions options;
  options.batch_messages_max = batch_messages_max;
  options.progress = Progress("ingest " + file, "bytes", quiet);
  auto report = IngestFile(*ledger.value(), file, options);
  if (!report.ok()) return Failure(report.status());
  const FileIngestReport& r = report.value();
  LedgerStats stats = ledger.value()->stats();
  ordered_json out = {{"accepted", r.counts.accepted},
                      {"duplicate", r.counts.duplicate},
                      {"rejected", r.counts.rejected},
                      {"lines_read", r.lines_read},
                      {"blank_lines", r.blank_lines},
                      {"rejected_by_reason", r.counts.rejected_by_reason},
                      {"resumed_from_line", r.resumed_from_line},
                      {"file", file},
                      {"file_sha256", r.file_sha256},
                      {"ledger_size", stats.entries},
                      {"root", HexOf(stats.root)}};
  std::cout << out.dump() << "\n";
  return kExitOk;
}

int RunVerify(const std::string& data_dir, bool quiet) {
  auto ledger = OpenLedger(data_dir, true);
  if (!ledger.ok()) {
    ordered_json out = {{"ok", false}, {"problem", ledger.status().ToString()}};
    std::cout << out.dump() << "\n";
    return Failure(ledger.status());
  }
  VerifyReport report;
  Status s = ledger.value()->Verify(&report, Progress("verify", "entries", quiet));
  if (!s.ok()) return Failure(s);
  ordered_json out = {{"ok", report.ok},
                      {"entries", report.entries_checked},
                      {"nodes", report.nodes_checked},
                      {"dedup_records", report.dedup_checked},
                      {"rejects", report.rejects_checked},
                      {"duplicates", report.duplicates_checked},
                      {"state_records", report.state_records_checked},
                      {"checkpoints", report.checkpoints_checked},
                      {"root", HexOf(report.root)}};
  if (!report.ok) {
    out["bad_index"] = report.bad_index ? ordered_json(*report.bad_index) : ordered_json(nullptr);
    out["problem"] = report.problem;
    std::cerr << "gpuledger: verification FAILED"
              << (report.bad_index ? " at entry " + std::to_string(*report.bad_index)
                                   : std::string())
              << ": " << report.problem << "\n";
  }
  std::cout << out.dump() << "\n";
  return report.ok ? kExitOk : kExitFailed;
}

int RunLog(const std::string& data_dir, uint64_t from, uint64_t limit, bool rejects,
           bool duplicates) {
  auto ledger = OpenLedger(data_dir, true);
  if (!ledger.ok()) return Failure(ledger.status());
  LedgerStats stats = ledger.value()->stats();
  uint64_t end = rejects ? stats.rejects : duplicates ? stats.duplicates : stats.entries;
  for (uint64_t i = from, n = 0; i < end && n < limit; ++i, ++n) {
    if (duplicates) {
      auto d = ledger.value()->ReadDuplicate(i);
      if (!d.ok()) return Failure(d.status());
      std::cout << DuplicateJson(d.value()).dump() << "\n";
    } else if (rejects) {
      auto r = ledger.value()->ReadReject(i);
      if (!r.ok()) return Failure(r.status());
      std::cout << RejectJson(r.value()).dump() << "\n";
    } else {
      auto e = ledger.value()->ReadEntry(i);
      if (!e.ok()) return Failure(e.status());
      std::cout << EntryJson(e.value()).dump() << "\n";
    }
  }
  return kExitOk;
}

int RunShow(const std::string& data_dir, int64_t index, int64_t reject_seq) {
  auto ledger = OpenLedger(data_dir, true);
  if (!ledger.ok()) return Failure(ledger.status());
  if (index >= 0) {
    auto e = ledger.value()->ReadEntry(static_cast<uint64_t>(index));
    if (!e.ok()) return Failure(e.status());
    std::cout << EntryJson(e.value()).dump(2) << "\n";
  } else {
    auto r = ledger.value()->ReadReject(static_cast<uint64_t>(reject_seq));
    if (!r.ok()) return Failure(r.status());
    std::cout << RejectJson(r.value()).dump(2) << "\n";
  }
  return kExitOk;
}

int RunStats(const std::string& data_dir) {
  auto ledger = OpenLedger(data_dir, true);
  if (!ledger.ok()) return Failure(ledger.status());
  LedgerStats s = ledger.value()->stats();
  auto cursors = ledger.value()->ListCursors("kafka:");
  if (!cursors.ok()) return Failure(cursors.status());
  // The Kafka offsets the ledger holds: where `serve` resumes each partition.
  ordered_json offsets = ordered_json::object();
  for (const auto& [name, value] : cursors.value()) {
    char* end = nullptr;
    long long next = std::strtoll(value.c_str(), &end, 10);
    if (end == nullptr || *end != '\0' || value.empty()) {
      offsets[name.substr(6)] = value;  // not a number: shown as stored (verify's business)
    } else {
      offsets[name.substr(6)] = next;
    }
  }
  ordered_json out = {
      {"entries", s.entries},         {"rejects", s.rejects},
      {"duplicates", s.duplicates},   {"messages", s.entries + s.rejects + s.duplicates},
      {"root", HexOf(s.root)},        {"chain_head", HexOf(s.chain_head)},
      {"kafka_next_offsets", offsets}};
  std::cout << out.dump() << "\n";
  return kExitOk;
}

}  // namespace gpuledger::cli
