// The layout of an audit bundle (`gpuledger export bundle`, read by gpuledger-verify):
// every file name and byte layout in one place. docs/bundle.md is the prose twin of this
// file; change both or neither. A bundle holds entries [0, tree_size) of one ledger, where
// tree_size is the size of a signed checkpoint in it.
//
//   manifest.json            what is in the bundle (docs/bundle.md)
//   entries.bin              kEntriesMagic, then one record per entry, in index order:
//                              u32 big-endian length || LedgerEntry bytes (as stored)
//                              || leaf hash (32) || chain hash (32)
//   checkpoints/<size>.txt   signed notes (C2SP signed-note + tlog-checkpoint), size
//                            zero-padded to 20 digits so that names sort by size
//   keys/<n>.vkey            public keys that signed them (informational: an auditor trusts
//                            the keys given on the command line, not these)
//   statements/<YYYY-MM>.json  each closed month's frozen settlement (kStatementFormat)
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "ledger/audit/sha256.h"

namespace gpuledger::bundle {

inline constexpr std::string_view kFormat = "gpuledger-bundle/v1";
inline constexpr std::string_view kStatementFormat = "gpuledger-statement/v1";
inline constexpr std::string_view kManifestFile = "manifest.json";
inline constexpr std::string_view kEntriesFile = "entries.bin";
inline constexpr std::string_view kCheckpointsDir = "checkpoints";
inline constexpr std::string_view kKeysDir = "keys";
inline constexpr std::string_view kStatementsDir = "statements";

inline constexpr std::string_view kEntriesMagic = "gpuledger-entries/v1\n";
inline constexpr size_t kLengthBytes = 4;
inline constexpr size_t kRecordTrailerBytes = 2 * kSha256Bytes;  // leaf || chain
// An entry holds one message (at most 1 MiB) twice at most (raw and typed) plus a little.
inline constexpr size_t kEntryBytesMax = 4u << 20;
inline constexpr size_t kManifestBytesMax = 64u << 20;
inline constexpr size_t kStatementBytesMax = 64u << 20;  // ~150k contracts
inline constexpr size_t kCheckpointFilesMax = 1u << 20;  // a bundle with more is refused
inline constexpr size_t kStatementFilesMax = 12 * 1000;  // a thousand years of months
static_assert(kEntriesMagic.size() == 21);
static_assert(kRecordTrailerBytes == 64);
static_assert(kEntryBytesMax < (uint64_t{1} << 32), "lengths are u32");

inline std::string CheckpointFile(uint64_t tree_size) {
  char name[64];
  std::snprintf(name, sizeof name, "%020llu.txt", static_cast<unsigned long long>(tree_size));
  return std::string(kCheckpointsDir) + "/" + name;
}
inline std::string StatementFile(std::string_view month) {
  return std::string(kStatementsDir) + "/" + std::string(month) + ".json";
}

}  // namespace gpuledger::bundle
