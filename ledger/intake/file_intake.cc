// JSON Lines intake: splits a file (or a buffer) into lines and feeds each non-blank line
// to Ledger::Submit, committing a durable batch every `batch_messages_max` messages or
// `batch_bytes_max` bytes. A file's resume position is committed in the same batch as the
// outcomes it covers, so an interrupted ingest of the same file resumes exactly after its
// last durable batch: no line is judged twice and none is skipped.
#include "gpuledger/file_intake.h"

#include <pthread.h>

#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "gpuledger/json_lines.h"
#include "ledger/audit/sha256.h"
#include "ledger/store/ledger_format.h"

namespace gpuledger {
namespace {

constexpr std::string_view kCursorPrefix = "file:";
constexpr size_t kCursorValueBytes = 8 * 6;

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

Result<std::string> HashFile(const std::string& path, uint64_t* size_bytes) {
  FilePtr f(std::fopen(path.c_str(), "rb"));
  if (!f) return Status::IOError("cannot open " + path + ": " + std::strerror(errno));
  Sha256 sha;
  std::string buf(1 << 20, '\0');
  *size_bytes = 0;
  while (size_t n = std::fread(buf.data(), 1, buf.size(), f.get())) {
    sha.Update(buf.data(), n);
    *size_bytes += n;
  }
  if (std::ferror(f.get())) return Status::IOError("cannot read " + path);
  return ToHex(sha.Final());
}

// The resume position of a file: physical lines consumed, byte offset, blank lines, and
// the outcomes so far (with rejects by reason), so that a resumed run reports the whole file.
struct FileCursor {
  uint64_t line = 0, offset = 0, blank = 0;
  IntakeCounts counts;
  std::string Encode() const {
    std::string v;
    for (uint64_t x : {line, offset, blank, counts.accepted, counts.duplicate, counts.rejected}) {
      format::PutU64(&v, x);
    }
    for (const auto& [reason_code, n] : counts.rejected_by_reason) {
      format::PutStr(&v, reason_code);
      format::PutU64(&v, n);
    }
    return v;
  }
  bool Decode(std::string_view v) {
    if (v.size() < kCursorValueBytes) return false;
    uint64_t* fields[] = {&line,           &offset, &blank, &counts.accepted, &counts.duplicate,
                          &counts.rejected};
    for (size_t i = 0; i < 6; ++i) *fields[i] = format::GetU64(v.data() + 8 * i);
    size_t pos = kCursorValueBytes;
    while (pos < v.size()) {
      std::string_view reason_code;
      if (!format::GetStr(v, &pos, &reason_code) || v.size() - pos < 8) return false;
      counts.rejected_by_reason[std::string(reason_code)] = format::GetU64(v.data() + pos);
      pos += 8;
    }
    return true;
  }
};

// One durable batch's worth of lines, read and prepared ahead of the intake.
struct Chunk {
  struct Item {
    uint64_t line_number = 0;
    std::string line;
    PreparedPtr prepared;
  };
  std::vector<Item> items;
  uint64_t last_line = 0;   // physical lines consumed through this chunk
  uint64_t end_offset = 0;  // byte offset after them
  uint64_t blank = 0;
  bool eof = false;
};

// A bounded hand-over between the reading thread and the intake thread.
class ChunkQueue {
 public:
  static constexpr size_t kDepthMax = 2;
  // False if the queue was cancelled.
  bool Push(Chunk chunk) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return cancelled_ || chunks_.size() < kDepthMax; });
    if (cancelled_) return false;
    chunks_.push_back(std::move(chunk));
    cv_.notify_all();
    return true;
  }
  // Waits for the next chunk; nullopt when the producer stopped without an end of input
  // (error() then says why).
  std::optional<Chunk> Pop() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return cancelled_ || !chunks_.empty(); });
    if (chunks_.empty()) return std::nullopt;
    Chunk c = std::move(chunks_.front());
    chunks_.pop_front();
    cv_.notify_all();
    return c;
  }
  void Cancel(std::string why = {}) {
    std::lock_guard lock(mu_);
    if (!cancelled_) error_ = std::move(why);
    cancelled_ = true;
    cv_.notify_all();
  }
  std::string error() {
    std::lock_guard lock(mu_);
    return error_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Chunk> chunks_;
  bool cancelled_ = false;
  std::string error_;
};

enum class LineRead { kLine, kEnd, kError };
using NextLineFn = std::function<LineRead(std::string*)>;

// The reading thread: splits lines into chunks and runs the stateless checks (Preparer)
// on them, so that parsing overlaps the sequential intake and the synced writes.
void ReadAndPrepare(const NextLineFn& next, const std::function<uint64_t()>& offset_now,
                    uint64_t first_line, std::string_view origin_name,
                    const std::function<int64_t()>& clock, const FileIngestOptions& options,
                    ChunkQueue* queue) {
  Preparer preparer(clock);
  Origin origin;
  origin.kind = Origin::Kind::kFile;
  origin.file = std::string(origin_name);
  uint64_t line_number = first_line;
  bool eof = false;
  while (!eof) {
    Chunk chunk;
    size_t chunk_bytes = 0;
    std::string line;
    while (chunk.items.size() < options.batch_messages_max &&
           chunk_bytes < options.batch_bytes_max) {
      LineRead r = next(&line);
      if (r == LineRead::kError) return queue->Cancel("read error");
      if (r == LineRead::kEnd) {
        eof = true;
        break;
      }
      ++line_number;
      // A UTF-8 byte order mark opening the file marks the file's encoding; it is not part
      // of the first message (RFC 8259 lets parsers ignore it).
      if (line_number == 1 && std::string_view(line).starts_with(kUtf8Bom))
        line.erase(0, kUtf8Bom.size());
      if (IsBlankLine(line)) {
        ++chunk.blank;
        continue;
      }
      chunk_bytes += line.size();
      origin.line = line_number;
      PreparedPtr prepared = preparer.Prepare(line, origin, nullptr);
      chunk.items.push_back(Chunk::Item{line_number, std::move(line), std::move(prepared)});
    }
    chunk.last_line = line_number;
    chunk.end_offset = offset_now();
    chunk.eof = eof;
    if (!queue->Push(std::move(chunk))) return;
  }
}

// Judges every prepared line of every chunk, committing one durable batch per chunk with
// the resume position after it (`cursor_name` empty: no resume cursor).
Status JudgeChunks(Ledger& ledger, ChunkQueue* queue, std::string_view origin_name,
                   const std::string& cursor_name, FileCursor* cursor,
                   const FileIngestOptions& options, uint64_t total_bytes) {
  Origin origin;
  origin.kind = Origin::Kind::kFile;
  origin.file = std::string(origin_name);
  while (true) {
    std::optional<Chunk> chunk = queue->Pop();
    if (!chunk) return Status::IOError("reading stopped: " + queue->error());
    for (const Chunk::Item& item : chunk->items) {
      origin.line = item.line_number;
      auto judged = ledger.Submit(item.line, origin, *item.prepared);
      if (!judged.ok()) {
        ledger.Abandon();
        (void)ledger.WaitCommitted();  // what was handed over before stays valid
        return judged.status();
      }
      cursor->counts.Add(judged.value());
    }
    cursor->line = chunk->last_line;
    cursor->offset = chunk->end_offset;
    cursor->blank += chunk->blank;
    if (!cursor_name.empty()) {
      std::string value = cursor->Encode();
      ledger.StageCursor(cursor_name,
                         chunk->eof ? std::nullopt : std::optional<std::string_view>(value));
    }
    // The batch is written while the next chunk is judged; the last one is waited for.
    if (Status s = chunk->eof ? ledger.Commit() : ledger.CommitAsync(); !s.ok()) return s;
    if (options.progress) options.progress(cursor->offset, total_bytes);
    if (chunk->eof) return Status::Ok();
  }
}

// Runs the two stages on two threads; joins before returning.
Status Pump(Ledger& ledger, const NextLineFn& next, std::string_view origin_name,
            const std::string& cursor_name, FileCursor* cursor, const FileIngestOptions& options,
            uint64_t total_bytes, const std::function<uint64_t()>& offset_now) {
  ChunkQueue queue;
  std::function<int64_t()> clock = ledger.clock();
  std::thread reader;
  try {
    reader = std::thread([&] {
      pthread_setname_np(pthread_self(), "gl-reader");  // for top -H and perf
      try {
        ReadAndPrepare(next, offset_now, cursor->line, origin_name, clock, options, &queue);
      } catch (const std::exception& e) {  // e.g. std::bad_alloc; never crosses the library
        queue.Cancel(e.what());
      }
      queue.Cancel("input ended");
    });
  } catch (const std::system_error& e) {
    return Status::IOError(std::string("cannot start the reading thread: ") + e.what());
  }
  Status s = JudgeChunks(ledger, &queue, origin_name, cursor_name, cursor, options, total_bytes);
  queue.Cancel();
  reader.join();
  return s;
}

void Finish(const Ledger& ledger, const FileCursor& cursor, FileIngestReport* report) {
  // The counts cover the whole file, including the part an interrupted run made durable.
  report->counts = cursor.counts;
  report->lines_read = cursor.counts.total();
  report->blank_lines = cursor.blank;
  report->ledger_size_after = ledger.size();
}

}  // namespace

Result<FileIngestReport> IngestFile(Ledger& ledger, const std::string& path,
                                    const FileIngestOptions& options) {
  FileIngestReport report;
  report.ledger_size_before = ledger.size();
  uint64_t total_bytes = 0;
  auto digest = HashFile(path, &total_bytes);
  if (!digest.ok()) return digest.status();
  report.file_sha256 = digest.value();
  const std::string cursor_name = std::string(kCursorPrefix) + report.file_sha256;
  FileCursor cursor;
  auto stored = ledger.GetCursor(cursor_name);
  if (!stored.ok()) return stored.status();
  if (stored.value()) {
    if (!cursor.Decode(*stored.value())) return Status::Corruption("resume cursor of " + path);
    report.resumed_from_line = cursor.line + 1;
  }
  FilePtr f(std::fopen(path.c_str(), "rb"));
  if (!f) return Status::IOError("cannot open " + path + ": " + std::strerror(errno));
  if (std::fseek(f.get(), static_cast<long>(cursor.offset), SEEK_SET) != 0) {
    return Status::IOError("cannot seek in " + path);
  }
  JsonLinesReader lines(f.get(), cursor.offset, options.read_buffer_bytes);
  auto next = [&](std::string* line) {
    if (lines.Next(line)) return LineRead::kLine;
    return lines.failed() ? LineRead::kError : LineRead::kEnd;
  };
  Status s = Pump(ledger, next, path, cursor_name, &cursor, options, total_bytes,
                  [&] { return lines.offset(); });
  if (!s.ok()) return Status::IOError(path + ": " + s.message());
  Finish(ledger, cursor, &report);
  return report;
}

Result<FileIngestReport> IngestBuffer(Ledger& ledger, std::string_view contents,
                                      std::string_view origin_name,
                                      const FileIngestOptions& options) {
  FileIngestReport report;
  report.ledger_size_before = ledger.size();
  FileCursor cursor;
  size_t pos = 0;
  auto next = [&](std::string* line) {
    if (pos >= contents.size()) return LineRead::kEnd;
    size_t nl = contents.find('\n', pos);
    size_t end = nl == std::string_view::npos ? contents.size() : nl;
    line->assign(contents.substr(pos, std::min(end - pos, kJsonLineBytesMax)));
    if (!line->empty() && line->back() == '\r') line->pop_back();
    pos = nl == std::string_view::npos ? contents.size() : nl + 1;
    return LineRead::kLine;
  };
  Status s = Pump(ledger, next, origin_name, std::string(), &cursor, options, contents.size(),
                  [&] { return static_cast<uint64_t>(pos); });
  if (!s.ok()) return s;
  Finish(ledger, cursor, &report);
  return report;
}

}  // namespace gpuledger
