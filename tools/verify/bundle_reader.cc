#include "tools/verify/bundle_reader.h"

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "ledger/audit/bundle_format.h"

namespace gpuledger::verify {

Result<std::unique_ptr<EntryReader>> EntryReader::Open(const std::string& path) {
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) return Status::IOError("cannot open " + path + ": " + std::strerror(errno));
  // Large stdio buffer: the verifier reads the file once, sequentially.
  std::setvbuf(file.get(), nullptr, _IOFBF, 4u << 20);
  std::unique_ptr<EntryReader> reader(new EntryReader(std::move(file)));
  auto magic = reader->ReadExactly(bundle::kEntriesMagic.size(), /*eof_ok=*/false);
  if (!magic.ok()) return magic.status();
  if (reader->buf_ != bundle::kEntriesMagic) {
    return Status::Corruption(path + " does not start with \"gpuledger-entries/v1\"");
  }
  return reader;
}

Result<bool> EntryReader::ReadExactly(size_t size, bool eof_ok) {
  buf_.resize(size);
  size_t got = std::fread(buf_.data(), 1, size, file_.get());
  if (got == 0 && eof_ok && size > 0 && std::feof(file_.get())) return false;
  if (got != size) {
    return Status::Corruption("entries file cut short at byte " + std::to_string(offset_ + got));
  }
  offset_ += size;
  return true;
}

Result<bool> EntryReader::Next(EntryRecord* record) {
  auto more = ReadExactly(bundle::kLengthBytes, /*eof_ok=*/true);
  if (!more.ok() || !more.value()) return more;
  uint32_t length = 0;
  for (size_t i = 0; i < bundle::kLengthBytes; ++i) {
    length = (length << 8) | static_cast<uint8_t>(buf_[i]);
  }
  if (length == 0 || length > bundle::kEntryBytesMax) {
    return Status::Corruption("entry record at byte " + std::to_string(offset_ - 4) +
                              " has an impossible length " + std::to_string(length));
  }
  auto body = ReadExactly(length + bundle::kRecordTrailerBytes, /*eof_ok=*/false);
  if (!body.ok()) return body.status();
  record->bytes = std::string_view(buf_.data(), length);
  std::memcpy(record->leaf.data(), buf_.data() + length, kSha256Bytes);
  std::memcpy(record->chain.data(), buf_.data() + length + kSha256Bytes, kSha256Bytes);
  return true;
}

Result<std::string> ReadSmallFile(const std::string& path, size_t bytes_max) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                       &std::fclose);
  if (!file) return Status::IOError("cannot open " + path + ": " + std::strerror(errno));
  // Grows as it reads (the limit is a bound, not a size to allocate up front).
  std::string text;
  char chunk[64 * 1024];
  for (size_t got; (got = std::fread(chunk, 1, sizeof chunk, file.get())) > 0;) {
    if (text.size() + got > bytes_max) {
      return Status::InvalidArgument(path + " is larger than " + std::to_string(bytes_max) +
                                     " bytes");
    }
    text.append(chunk, got);
  }
  if (std::ferror(file.get())) return Status::IOError("cannot read " + path);
  return text;
}

Result<std::vector<std::string>> ListFiles(const std::string& dir, size_t files_max) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (!e.is_regular_file(ec)) continue;
    if (names.size() == files_max) {
      return Status::InvalidArgument(dir + " holds more than " + std::to_string(files_max) +
                                     " files");
    }
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace gpuledger::verify
