// The on-disk layout of a gpuledger store: every RocksDB key and value, in one place.
// docs/ledger-format.md is the prose twin of this file; change both or neither.
//
// All keys live in RocksDB's default column family and start with a one-byte tag, so
// that each kind of record is one contiguous, ordered key range. Integers in keys are
// big-endian so that key order is numeric order. Strings in keys are length-prefixed
// (u32 big-endian) so that no byte value inside an id can make two keys collide.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "gpuledger/json_lines.h"
#include "ledger/audit/sha256.h"

namespace gpuledger::format {

inline constexpr uint32_t kFormatVersion = 1;

// Tags (first key byte).
inline constexpr char kTagMeta = 'M';    // M + name            -> value (see below)
inline constexpr char kTagEntry = 'E';   // E + u64 index       -> LedgerEntry flatbuffer
inline constexpr char kTagHashes = 'H';  // E's twin: H + u64   -> leaf(32) || chain(32)
inline constexpr char kTagNode = 'N';    // N + u64 done + u8 level -> node hash (32)
inline constexpr char kTagDedup = 'D';   // D + str id + str source -> DedupValue (below)
inline constexpr char kTagReject = 'R';  // R + u64 seq   -> RejectRecord flatbuffer || chain(32)
inline constexpr char kTagDuplicate =
    'U';                                 // U + u64 seq   -> DuplicateRecord flatbuffer || chain(32)
inline constexpr char kTagState = 'S';   // S + kind + ...      -> intake state (below)
inline constexpr char kTagCursor = 'P';  // P + name            -> resume position of a source
inline constexpr char kTagCheckpoint = 'K';     // K + u64 tree size -> signed note (C2SP text)
inline constexpr char kTagCheckpointKey = 'V';  // V + vkey text  -> empty: a key that signed

// Intake state kinds (second key byte after kTagState).
inline constexpr char kStateContract = 'c';    // S c + str contract_id   -> ContractState
inline constexpr char kStateAllocation = 'a';  // S a + str allocation_id -> AllocationState
inline constexpr char kStateVoided = 'v';      // S v + u64 index  -> u64 index of the void
inline constexpr char kStateClosed = 'm';      // S m + "YYYY-MM"  -> u64 index of the close

// Meta names.
inline constexpr std::string_view kMetaVersion = "version";        // u32
inline constexpr std::string_view kMetaSize = "size";              // u64 entries
inline constexpr std::string_view kMetaRejects = "rejects";        // u64 reject records
inline constexpr std::string_view kMetaDuplicates = "duplicates";  // u64 duplicate records
// The origin line of every checkpoint this ledger signs (fixed by the first checkpoint).
inline constexpr std::string_view kMetaCheckpointOrigin = "checkpoint_origin";

// Rejects and duplicates are side records, not entries, but every byte of them is covered
// all the same: each record's value ends with its side-chain hash
//   side[i] = SHA-256(side[i-1] || SHA-256(0x00 || record bytes)), side[-1] = 32 zero bytes,
// one chain for rejects and one for duplicates, which verify recomputes.
inline constexpr size_t kSideChainBytes = kSha256Bytes;

inline constexpr size_t kHashesValueBytes = 2 * kSha256Bytes;
inline constexpr size_t kDedupValueBytesMin = 8 + kSha256Bytes + 1 + 4;
inline constexpr size_t kIndexKeyBytes = 1 + 8;
inline constexpr size_t kNodeKeyBytes = 1 + 8 + 1;
static_assert(kHashesValueBytes == 64);
static_assert(kDedupValueBytesMin == 45);
static_assert(kNodeKeyBytes == 10);
static_assert(kFormatVersion == 1, "a format change needs a migration and a doc update");

// Limits (a limit on everything).
inline constexpr size_t kMessageBytesMax = 1 << 20;  // one event record
// Ids and sources inside keys are bounded by the message limit; node levels by the u64 size.
static_assert(kMessageBytesMax <= (1u << 24));
// A line over the message limit is still read whole (up to the line limit), so that it is
// rejected as too long, with its first bytes kept, rather than cut into a second message.
static_assert(kMessageBytesMax < kJsonLineBytesMax);
// A rejected message keeps at most kMessageBytesMax raw bytes, which fits the u32 length.
static_assert(kMessageBytesMax < (uint64_t{1} << 32));

// DedupValue: u64 entry index || content sha256 (32) || u8 EventType || str key, where key
// is what the event made live (contract_id, allocation_id, month) or empty, so that a void
// can undo it without reading the voided entry back.
// ContractState value: u64 registration index || u64 max_gpus_per_allocation ||
// u8 live || str csp_id.  AllocationState value: u64 grant index || u64 contract
// registration index || u8 live || str contract_id || str csp_id.

// --- encoding helpers (header-only: they are the layout) ---

inline void PutU64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}
inline void PutU32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}
inline void PutStr(std::string* out, std::string_view s) {
  PutU32(out, static_cast<uint32_t>(s.size()));
  out->append(s);
}
inline uint64_t GetU64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}
inline uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}
// Reads a length-prefixed string at *pos; false if it runs past `in`.
inline bool GetStr(std::string_view in, size_t* pos, std::string_view* out) {
  if (in.size() < *pos + 4) return false;
  uint32_t n = GetU32(in.data() + *pos);
  if (in.size() - *pos - 4 < n) return false;
  *out = in.substr(*pos + 4, n);
  *pos += 4 + n;
  return true;
}

inline std::string MetaKey(std::string_view name) {
  std::string k(1, kTagMeta);
  k.append(name);
  return k;
}
inline std::string IndexKey(char tag, uint64_t index) {
  std::string k(1, tag);
  PutU64(&k, index);
  return k;
}
// A node of `level` covering leaves [index << level, (index + 1) << level) is keyed by
// the index of the last leaf it covers, so that nodes sort in the order they complete.
inline uint64_t NodeDoneLeaf(uint8_t level, uint64_t index) { return ((index + 1) << level) - 1; }
inline std::string NodeKey(uint8_t level, uint64_t index) {
  std::string k(1, kTagNode);
  PutU64(&k, NodeDoneLeaf(level, index));
  k.push_back(static_cast<char>(level));
  return k;
}
// Dedup keys sort by id first, so that "who sent id X" is one prefix scan.
inline std::string DedupPrefix(std::string_view id) {
  std::string k(1, kTagDedup);
  PutStr(&k, id);
  return k;
}
inline std::string DedupKey(std::string_view source, std::string_view id) {
  std::string k = DedupPrefix(id);
  PutStr(&k, source);
  return k;
}
inline std::string StateKey(char kind, std::string_view name) {
  std::string k{kTagState, kind};
  PutStr(&k, name);
  return k;
}
inline std::string VoidedKey(uint64_t index) {
  std::string k{kTagState, kStateVoided};
  PutU64(&k, index);
  return k;
}
inline std::string CursorKey(std::string_view name) {
  std::string k(1, kTagCursor);
  k.append(name);
  return k;
}

}  // namespace gpuledger::format
