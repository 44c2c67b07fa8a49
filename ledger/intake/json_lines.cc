#include "gpuledger/json_lines.h"

#include <algorithm>
#include <cstring>

namespace gpuledger {

bool IsBlankLine(std::string_view line) {
  return line.find_first_not_of(" \t\r\n\f\v") == std::string_view::npos;
}

JsonLinesReader::JsonLinesReader(std::FILE* f, uint64_t offset, size_t buffer_bytes)
    : f_(f), offset_(offset), buffer_(std::max<size_t>(buffer_bytes, 1), '\0') {}

bool JsonLinesReader::Next(std::string* line, bool* overlong) {
  line->clear();
  bool cut = false, any = false;
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
    size_t room = kJsonLineBytesMax - line->size();
    if (take > room) cut = true;
    line->append(start, std::min(take, room));
    pos_ += take;
    offset_ += take;
    if (nl) {
      ++pos_;
      ++offset_;
      break;
    }
  }
  if (!cut && !line->empty() && line->back() == '\r') line->pop_back();
  if (overlong) *overlong = cut;
  return any;
}

}  // namespace gpuledger
