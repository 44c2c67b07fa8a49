// What a failed RocksDB call means to gpuledger. Private to ledger/.
//
// Only a real mismatch is Corruption: RocksDB's own Corruption (a block checksum or a
// structure that does not hold) and, for a key the ledger must hold, NotFound (it was lost
// or removed). Everything else RocksDB reports (EIO from a failing disk, a full disk, a
// lock held by another process, a busy or timed-out read) is IOError, so that an operator
// can tell a failing disk from tampering.
#pragma once

#include <rocksdb/status.h>

#include <string>

#include "gpuledger/status.h"

namespace gpuledger {

// True when `s` failed for a reason that says nothing of the data (EIO, a full disk, a
// lock, a busy or timed-out read): neither NotFound nor RocksDB's Corruption.
inline bool IsDiskFailure(const rocksdb::Status& s) {
  return !s.ok() && !s.IsNotFound() && !s.IsCorruption();
}

// `s` (not ok) of a read or write of `what`.
inline Status FromRocks(const rocksdb::Status& s, const std::string& what) {
  if (s.IsCorruption()) return Status::Corruption(what + ": " + s.ToString());
  return Status::IOError(what + ": " + s.ToString());
}

// `s` (not ok) of a Get of `what`, a key that must exist: NotFound is Corruption.
inline Status RequiredKeyFailure(const rocksdb::Status& s, const std::string& what) {
  if (s.IsNotFound()) return Status::Corruption(what + " is missing");
  return FromRocks(s, what);
}

}  // namespace gpuledger
