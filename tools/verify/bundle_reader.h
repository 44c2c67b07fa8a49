// Reading an audit bundle (ledger/audit/bundle_format.h) with bounded buffers: the entry
// records of entries.bin one at a time, and small files whole. No RocksDB.
//
// Thread-safety: an EntryReader is used by one thread. Lifetime: the views it returns are
// valid until the next call.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gpuledger/status.h"
#include "ledger/audit/sha256.h"

namespace gpuledger::verify {

struct EntryRecord {
  std::string_view bytes;  // the LedgerEntry as stored
  Hash256 leaf{};          // as the bundle lists it
  Hash256 chain{};         // as the bundle lists it
};

class EntryReader {
 public:
  [[nodiscard]] static Result<std::unique_ptr<EntryReader>> Open(const std::string& path);
  // The next record; false at a clean end of file. A record cut short or longer than the
  // limit is a Corruption naming the byte offset.
  [[nodiscard]] Result<bool> Next(EntryRecord* record);
  uint64_t offset() const { return offset_; }  // bytes consumed so far

 private:
  struct FileCloser {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  explicit EntryReader(std::unique_ptr<std::FILE, FileCloser> file) : file_(std::move(file)) {}
  // Reads exactly `size` bytes into buf_ (reused); false at end of file before any byte.
  Result<bool> ReadExactly(size_t size, bool eof_ok);

  std::unique_ptr<std::FILE, FileCloser> file_;
  std::string buf_;
  uint64_t offset_ = 0;
};

// A whole file of at most `bytes_max` bytes.
[[nodiscard]] Result<std::string> ReadSmallFile(const std::string& path, size_t bytes_max);
// The regular files in `dir` (names only), sorted; empty if it does not exist. More than
// `files_max` is an InvalidArgument (found without listing them all).
[[nodiscard]] Result<std::vector<std::string>> ListFiles(const std::string& dir, size_t files_max);

}  // namespace gpuledger::verify
