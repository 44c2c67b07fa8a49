// Plain value types shared by the public API. Standard library only.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace gpuledger {

using Hash256 = std::array<uint8_t, 32>;

// Where a message came from (spec section 4: "topic, partition, offset, or file and line").
struct Origin {
  enum class Kind : uint8_t { kFile = 0, kKafka = 1 };
  Kind kind = Kind::kFile;
  std::string file;   // kFile: the path as given
  uint64_t line = 0;  // kFile: 1-based line number
  std::string topic;  // kKafka
  int32_t partition = -1;
  int64_t offset = -1;
};

enum class Outcome : uint8_t { kAccepted, kDuplicate, kRejected };
std::string_view OutcomeName(Outcome outcome);

// Spec section 4 reason codes, the only values Judgement::reason takes when rejected.
namespace reason {
inline constexpr std::string_view kMalformed = "malformed";
inline constexpr std::string_view kConflictingDuplicate = "conflicting_duplicate";
inline constexpr std::string_view kUnknownType = "unknown_type";
inline constexpr std::string_view kUnauthorizedSource = "unauthorized_source";
inline constexpr std::string_view kInvalidValue = "invalid_value";
inline constexpr std::string_view kInvalidReference = "invalid_reference";
}  // namespace reason

// The intake's verdict on one message.
struct Judgement {
  Outcome outcome = Outcome::kRejected;
  std::string_view reason;  // a reason:: code when rejected; empty otherwise (static storage)
  std::string detail;       // plain words: which rule, which field
  uint64_t index = 0;       // accepted: the new entry's index; duplicate: the original's
};

struct IntakeCounts {
  uint64_t accepted = 0;
  uint64_t duplicate = 0;
  uint64_t rejected = 0;
  std::map<std::string, uint64_t> rejected_by_reason;
  uint64_t total() const { return accepted + duplicate + rejected; }
  void Add(const Judgement& judgement);
  void Add(const IntakeCounts& other);  // sums every count, by reason too
};

// Lowercase hex of bytes (hashes in reports and logs).
std::string HexOf(std::string_view bytes);
inline std::string HexOf(const Hash256& h) {
  return HexOf(std::string_view(reinterpret_cast<const char*>(h.data()), h.size()));
}

// Unix seconds as "YYYY-MM-DDTHH:MM:SSZ" (RFC 3339, UTC): how every time is printed.
std::string FormatRfc3339Utc(int64_t unix_seconds);

// Called now and then by long operations: work done so far and the total (0 if unknown).
using ProgressFn = std::function<void(uint64_t done, uint64_t total)>;

}  // namespace gpuledger
