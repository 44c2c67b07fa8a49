// Reading JSON Lines (spec section 2), shared by file intake and the producer: lines of
// bounded length; a line of only white space is blank (skipped and not counted).
// Standard library only.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace gpuledger {

// A line longer than this is cut here (the intake rejects anything over its message bound,
// so the cut only bounds memory).
inline constexpr size_t kJsonLineBytesMax = 16u << 20;

// A UTF-8 byte order mark: ignored where it opens a file or a structured Kafka record
// (RFC 8259 section 8.1 lets parsers ignore it); it is not part of the event.
inline constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// The white space of a blank line; the same for a blank Kafka record.
bool IsBlankLine(std::string_view line);

// Reads lines from a FILE* it does not own. Not thread-safe.
class JsonLinesReader {
 public:
  // `offset` is where the FILE is positioned (for offset()).
  JsonLinesReader(std::FILE* f, uint64_t offset, size_t buffer_bytes = 1u << 20);
  // False at end of input (or on a read error: see failed()). *line excludes the '\n' and a
  // '\r' before it; *overlong (if given) says the line was cut at kJsonLineBytesMax.
  bool Next(std::string* line, bool* overlong = nullptr);
  uint64_t offset() const { return offset_; }  // bytes consumed, including newlines
  bool failed() const { return std::ferror(f_) != 0; }

 private:
  std::FILE* f_;
  uint64_t offset_;
  std::string buffer_;
  size_t pos_ = 0, len_ = 0;
};

}  // namespace gpuledger
