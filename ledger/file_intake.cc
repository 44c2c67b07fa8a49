// JSON Lines intake: splits a file (or a buffer) into lines and feeds each non-blank line
// to Ledger::Submit, committing a durable batch every `batch_messages_max` messages or
// `batch_bytes_max` bytes. A file's resume position is committed in the same batch as the
// outcomes it covers, so an interrupted ingest of the same file resumes exactly after its
// last durable batch: no line is judged twice and none is skipped.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "gpuledger/file_intake.h"
#include "ledger/ledger_format.h"
#include "ledger/sha256.h"

namespace gpuledger {
namespace {

// A line longer than this is cut here; the intake rejects anything over kMessageBytesMax,
// so the cut only bounds memory.
constexpr size_t kLineBytesMax = 16u << 20;
constexpr std::string_view kCursorPrefix = "file:";
constexpr size_t kCursorValueBytes = 8 * 6;

bool IsBlank(std::string_view line) {
  return line.find_first_not_of(" \t\r\n\f\v") == std::string_view::npos;
}

// Reads lines from a FILE*, bounded by kLineBytesMax. Not thread-safe.
class FileLines {
 public:
  FileLines(std::FILE* f, uint64_t offset, size_t buffer_bytes) : f_(f), offset_(offset), buffer_(buffer_bytes, '\0') {}
  // False at end of file. *line excludes the '\n' (and a '\r' before it).
  bool Next(std::string* line) {
    line->clear();
    bool any = false;
    while (true) {
      if (pos_ == len_) {
        len_ = std::fread(buffer_.data(), 1, buffer_.size(), f_);
        pos_ = 0;
        if (len_ == 0) break;
      }
      any = true;
      const char* start = buffer_.data() + pos_;
      const void* nl = std::memchr(start, '\n', len_ - pos_);
      size_t take = nl ? static_cast<const char*>(nl) - start : len_ - pos_;
      if (line->size() < kLineBytesMax) line->append(start, std::min(take, kLineBytesMax - line->size()));
      pos_ += take;
      offset_ += take;
      if (nl) {
        ++pos_;
        ++offset_;
        break;
      }
    }
    if (!line->empty() && line->back() == '\r') line->pop_back();
    return any;
  }
  uint64_t offset() const { return offset_; }
  bool failed() const { return std::ferror(f_) != 0; }

 private:
  std::FILE* f_;
  uint64_t offset_;
  std::string buffer_;
  size_t pos_ = 0, len_ = 0;
};

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
    uint64_t* fields[] = {&line, &offset, &blank, &counts.accepted, &counts.duplicate, &counts.rejected};
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

// Feeds lines from `next(&line)` to the ledger. `cursor_name` empty: no resume cursor.
template <typename NextLine>
Status Pump(Ledger& ledger, NextLine&& next, std::string_view origin_name, const std::string& cursor_name,
            FileCursor* cursor, const FileIngestOptions& options, uint64_t total_bytes,
            const std::function<uint64_t()>& offset_now) {
  Origin origin;
  origin.kind = Origin::Kind::kFile;
  origin.file = std::string(origin_name);
  std::string line;
  auto commit = [&](bool done) -> Status {
    cursor->offset = offset_now();
    if (!cursor_name.empty()) {
      std::string value = cursor->Encode();
      ledger.StageCursor(cursor_name, done ? std::nullopt : std::optional<std::string_view>(value));
    }
    if (Status s = ledger.Commit(); !s.ok()) return s;
    if (options.progress) options.progress(cursor->offset, total_bytes);
    return Status::Ok();
  };
  while (next(&line)) {
    ++cursor->line;
    if (IsBlank(line)) {
      ++cursor->blank;
      continue;
    }
    origin.line = cursor->line;
    auto judged = ledger.Submit(line, origin);
    if (!judged.ok()) {
      ledger.Abandon();
      return judged.status();
    }
    cursor->counts.Add(judged.value());
    if (ledger.staged_messages() >= options.batch_messages_max || ledger.staged_bytes() >= options.batch_bytes_max) {
      if (Status s = commit(false); !s.ok()) return s;
    }
  }
  return commit(true);
}

void Finish(const Ledger& ledger, const FileCursor& cursor, FileIngestReport* report) {
  // The counts cover the whole file, including the part an interrupted run made durable.
  report->counts = cursor.counts;
  report->lines_read = cursor.counts.total();
  report->blank_lines = cursor.blank;
  report->ledger_size_after = ledger.size();
}

}  // namespace

Result<FileIngestReport> IngestFile(Ledger& ledger, const std::string& path, const FileIngestOptions& options) {
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
  FileLines lines(f.get(), cursor.offset, options.read_buffer_bytes);
  Status s = Pump(ledger, [&](std::string* line) { return lines.Next(line); }, path, cursor_name, &cursor, options,
                  total_bytes, [&] { return lines.offset(); });
  if (!s.ok()) return s;
  if (lines.failed()) return Status::IOError("read error in " + path);
  Finish(ledger, cursor, &report);
  return report;
}

Result<FileIngestReport> IngestBuffer(Ledger& ledger, std::string_view contents, std::string_view origin_name,
                                      const FileIngestOptions& options) {
  FileIngestReport report;
  report.ledger_size_before = ledger.size();
  FileCursor cursor;
  size_t pos = 0;
  auto next = [&](std::string* line) {
    if (pos >= contents.size()) return false;
    size_t nl = contents.find('\n', pos);
    size_t end = nl == std::string_view::npos ? contents.size() : nl;
    line->assign(contents.substr(pos, std::min(end - pos, kLineBytesMax)));
    if (!line->empty() && line->back() == '\r') line->pop_back();
    pos = nl == std::string_view::npos ? contents.size() : nl + 1;
    return true;
  };
  Status s = Pump(ledger, next, origin_name, std::string(), &cursor, options, contents.size(),
                  [&] { return static_cast<uint64_t>(pos); });
  if (!s.ok()) return s;
  Finish(ledger, cursor, &report);
  return report;
}

}  // namespace gpuledger
