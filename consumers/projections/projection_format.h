// Key and value layouts of the projections' RocksDB (<data dir>/projections). Twin of
// docs/projections.md: change both together. Private to consumers/.
//
// Every key starts with a one-byte tag. Integers in keys are big-endian so that keys sort
// numerically; signed times are stored with the sign bit flipped (so negative times sort
// first). Months are their 7 bytes "YYYY-MM". An "instance" is the ledger index of the
// event that made a contract or allocation (a voided id registered again is a new instance).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gpuledger::proj {

inline constexpr uint32_t kFormatVersion = 1;
inline constexpr int64_t kHourSeconds = 3600;
inline constexpr size_t kMonthBytes = 7;  // "YYYY-MM"

// --- tags ---
inline constexpr char kTagMeta = 'M';          // M + name -> (version u32 | applied u64)
inline constexpr char kTagContract = 'c';      // c + inst -> ContractRec
inline constexpr char kTagLiveContract = 'k';  // k + contract_id (raw, to the end) -> inst
inline constexpr char kTagAllocation = 'a';    // a + inst -> AllocationRec
inline constexpr char kTagLiveAlloc = 'l';     // l + allocation_id (raw) -> inst
inline constexpr char kTagOutside = 'o';       // o + contract inst + index -> "" (see below)
inline constexpr char kTagUsage = 'u';         // u + alloc inst + time start + index -> UsageRec
inline constexpr char kTagRelease = 'r';       // r + alloc inst + index -> time at
inline constexpr char kTagClaim = 'h';         // h + hour + index -> ClaimRec (GPUs: the entry)
inline constexpr char kTagCell = 'p';          // p + hour + contract inst -> delivered i64
inline constexpr char kTagMonthSums = 's';     // s + contract inst + month -> MonthSums
inline constexpr char kTagUsed = 'g';          // g + alloc inst + month -> used i64
inline constexpr char kTagDouble = 'x';        // x + hour + str gpu + inst + inst -> DoubleRec
inline constexpr char kTagAnomaly = 'y';       // y + index + kind u8 + tail u64 -> AnomalyRec
inline constexpr char kTagAnomalyMonth = 'z';  // z + month + (the y key) -> ""
inline constexpr char kTagClosed = 'q';        // q + month -> CloseRec
inline constexpr char kTagFrozen = 'f';        // f + month + contract_id (raw) -> FrozenRec

inline constexpr std::string_view kMetaVersion = "version";
inline constexpr std::string_view kMetaApplied = "applied";  // next ledger index to apply

// Anomaly kinds (spec section 6) as stored; gpu_double_claimed rows are not stored as rows
// but assembled from the DoubleRec segments of each hour when reported.
enum class AnomalyKind : uint8_t {
  kUsageOverReported = 1,
  kUsageOutsideAllocation = 2,
  kUsageOverlap = 3,
  kCapacityOutsideContract = 4,
  kLateForClosedPeriod = 5,
  kGpuDoubleClaimed = 6,
};
std::string_view AnomalyKindName(AnomalyKind kind);

// Per-event records are not kept: the ledger holds every event, and a void finds its
// target there (Ledger::IndexOf, ReadStored). What the projections store per event is only
// what a query needs: a capacity claim per hour it covers, a usage or release record, and
// 'o' keys listing the capacity reports of a contract that lie wholly outside its period
// (they have no claims, yet their rows must go if the contract is voided).

// --- records ---
struct ContractRec {
  std::string contract_id, csp_id, programme, gpu_model;
  int64_t committed_gpus = 0, period_start = 0, period_end = 0;
  int64_t price_krw_per_gpu_hour = 0, penalty_krw_per_gpu_hour = 0;
  bool live = true;
};
struct AllocationRec {
  std::string allocation_id, contract_id, user_id;
  uint64_t contract_inst = 0;
  int64_t gpus = 0, start = 0, end = 0;
  int64_t release_at = INT64_MAX;  // earliest live release; INT64_MAX: none
  bool live = true;
  int64_t window_end() const;  // max(start, min(end, release_at))
};
struct UsageRec {
  int64_t end = 0, gpu_seconds = 0;
};
struct ClaimRec {  // the GPU list is the capacity event's, read from the ledger
  uint64_t contract_inst = 0;
  int64_t start = 0, end = 0;  // inside one clock hour and the contract's period
};
struct MonthSums {
  int64_t delivered = 0, payable = 0;
};
struct DoubleSegment {
  int64_t start = 0, end = 0;
  uint64_t last_index = 0;  // the last live capacity event of either contract over it
};
struct AnomalyRec {
  AnomalyKind kind = AnomalyKind::kUsageOverReported;
  uint64_t other_index = UINT64_MAX;  // usage_overlap: the earlier event
  std::string allocation_id, contract_id, month;
  int64_t start = 0, end = 0, gpu_seconds = 0, max_gpu_seconds = 0;
  int64_t window_start = 0, window_end = 0;
};
struct CloseRec {
  uint64_t index = 0;  // the close's ledger index = closed_at_tree_size
  std::string root;    // 32 bytes: Merkle root of the first `index` entries
};
struct Figures {  // the four GPU-second sums; money is derived from them and the terms
  int64_t committed = 0, delivered = 0, payable = 0, shortfall = 0;
};
struct FrozenRec {
  ContractRec terms;
  Figures figures;
};

// --- encoding ---
// Appends big-endian fields; Reader reads them back and remembers any overrun.
class Writer {
 public:
  void U8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void U64(uint64_t v);
  void I64(int64_t v) { U64(static_cast<uint64_t>(v) ^ (uint64_t{1} << 63)); }
  void Str(std::string_view s);  // u32 length + bytes
  void Raw(std::string_view s) { out_.append(s); }
  std::string& str() { return out_; }

 private:
  std::string out_;
};
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  uint8_t U8();
  uint64_t U64();
  int64_t I64() { return static_cast<int64_t>(U64() ^ (uint64_t{1} << 63)); }
  std::string_view Str();
  std::string_view Rest();
  // True if every read stayed inside the input and all of it was read.
  bool Done() const { return ok_ && pos_ == in_.size(); }
  bool ok() const { return ok_; }

 private:
  bool Need(size_t n);
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

std::string Encode(const ContractRec& r);
std::string Encode(const AllocationRec& r);
std::string Encode(const UsageRec& r);
std::string Encode(const ClaimRec& r);
std::string Encode(const MonthSums& r);
std::string Encode(const std::vector<DoubleSegment>& r);
std::string Encode(const AnomalyRec& r);
std::string Encode(const CloseRec& r);
std::string Encode(const FrozenRec& r);
bool Decode(std::string_view in, ContractRec* out);
bool Decode(std::string_view in, AllocationRec* out);
bool Decode(std::string_view in, UsageRec* out);
bool Decode(std::string_view in, ClaimRec* out);
bool Decode(std::string_view in, MonthSums* out);
bool Decode(std::string_view in, std::vector<DoubleSegment>* out);
bool Decode(std::string_view in, AnomalyRec* out);
bool Decode(std::string_view in, CloseRec* out);
bool Decode(std::string_view in, FrozenRec* out);
std::string EncodeI64(int64_t v);
bool DecodeI64(std::string_view in, int64_t* out);

// --- keys ---
std::string MetaKey(std::string_view name);
std::string IndexKey(char tag, uint64_t index);                 // c, a
std::string NameKey(char tag, std::string_view name);           // k, l (raw name)
std::string PairKey(char tag, uint64_t first, uint64_t index);  // o, r
std::string UsageKey(uint64_t alloc, int64_t start, uint64_t index);
std::string UsagePrefix(uint64_t alloc, int64_t start);  // u + alloc + start
std::string ClaimKey(int64_t hour, uint64_t index);
std::string HourPrefix(char tag, int64_t hour);  // h, p, x + hour
std::string CellKey(int64_t hour, uint64_t contract);
std::string MonthKey(char tag, uint64_t inst, std::string_view month);  // s, g
std::string DoubleKey(int64_t hour, std::string_view gpu, uint64_t c1, uint64_t c2);
std::string AnomalyKey(uint64_t index, AnomalyKind kind, uint64_t tail);
std::string AnomalyMonthKey(std::string_view month, std::string_view anomaly_key);
std::string MonthNameKey(char tag, std::string_view month, std::string_view name);  // q, f
// The key just after every key starting with `prefix` (an exclusive upper bound).
std::string PrefixEnd(std::string prefix);

inline constexpr size_t kIndexKeyBytes = 1 + 8;
inline constexpr size_t kAnomalyKeyBytes = 1 + 8 + 1 + 8;
static_assert(kAnomalyKeyBytes == 18, "y + index + kind + tail");
static_assert(kMonthBytes == std::string_view("2026-04").size());

}  // namespace gpuledger::proj
