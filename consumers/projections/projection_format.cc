// Encoding of the projections' keys and records (projection_format.h, docs/projections.md).
#include "consumers/projections/projection_format.h"

#include <algorithm>

namespace gpuledger::proj {

std::string_view AnomalyKindName(AnomalyKind kind) {
  switch (kind) {
    case AnomalyKind::kUsageOverReported:
      return "usage_over_reported";
    case AnomalyKind::kUsageOutsideAllocation:
      return "usage_outside_allocation";
    case AnomalyKind::kUsageOverlap:
      return "usage_overlap";
    case AnomalyKind::kCapacityOutsideContract:
      return "capacity_outside_contract";
    case AnomalyKind::kLateForClosedPeriod:
      return "late_for_closed_period";
    case AnomalyKind::kGpuDoubleClaimed:
      return "gpu_double_claimed";
  }
  return "unknown";
}

int64_t AllocationRec::window_end() const { return std::max(start, std::min(end, release_at)); }

void Writer::U64(uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out_.push_back(static_cast<char>(v >> shift));
}
void Writer::Str(std::string_view s) {
  uint32_t n = static_cast<uint32_t>(s.size());
  for (int shift = 24; shift >= 0; shift -= 8) out_.push_back(static_cast<char>(n >> shift));
  out_.append(s);
}

bool Reader::Need(size_t n) {
  if (!ok_ || in_.size() - pos_ < n) ok_ = false;
  return ok_;
}
uint8_t Reader::U8() { return Need(1) ? static_cast<uint8_t>(in_[pos_++]) : 0; }
uint64_t Reader::U64() {
  if (!Need(8)) return 0;
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(in_[pos_++]);
  return v;
}
std::string_view Reader::Str() {
  if (!Need(4)) return {};
  uint32_t n = 0;
  for (int i = 0; i < 4; ++i) n = (n << 8) | static_cast<uint8_t>(in_[pos_++]);
  if (!Need(n)) return {};
  std::string_view s = in_.substr(pos_, n);
  pos_ += n;
  return s;
}
std::string_view Reader::Rest() {
  std::string_view s = in_.substr(pos_);
  pos_ = in_.size();
  return s;
}

// --- records ---

std::string Encode(const ContractRec& r) {
  Writer w;
  w.Str(r.contract_id), w.Str(r.csp_id), w.Str(r.programme), w.Str(r.gpu_model);
  w.I64(r.committed_gpus), w.I64(r.period_start), w.I64(r.period_end);
  w.I64(r.price_krw_per_gpu_hour), w.I64(r.penalty_krw_per_gpu_hour), w.U8(r.live);
  return std::move(w.str());
}
bool Decode(std::string_view in, ContractRec* out) {
  Reader r(in);
  out->contract_id = r.Str(), out->csp_id = r.Str(), out->programme = r.Str();
  out->gpu_model = r.Str();
  out->committed_gpus = r.I64(), out->period_start = r.I64(), out->period_end = r.I64();
  out->price_krw_per_gpu_hour = r.I64(), out->penalty_krw_per_gpu_hour = r.I64();
  out->live = r.U8() != 0;
  return r.Done();
}

std::string Encode(const AllocationRec& r) {
  Writer w;
  w.Str(r.allocation_id), w.Str(r.contract_id), w.Str(r.user_id), w.U64(r.contract_inst);
  w.I64(r.gpus), w.I64(r.start), w.I64(r.end), w.I64(r.release_at), w.U8(r.live);
  return std::move(w.str());
}
bool Decode(std::string_view in, AllocationRec* out) {
  Reader r(in);
  out->allocation_id = r.Str(), out->contract_id = r.Str(), out->user_id = r.Str();
  out->contract_inst = r.U64();
  out->gpus = r.I64(), out->start = r.I64(), out->end = r.I64(), out->release_at = r.I64();
  out->live = r.U8() != 0;
  return r.Done();
}

std::string Encode(const UsageRec& r) {
  Writer w;
  w.I64(r.end), w.I64(r.gpu_seconds);
  return std::move(w.str());
}
bool Decode(std::string_view in, UsageRec* out) {
  Reader r(in);
  out->end = r.I64(), out->gpu_seconds = r.I64();
  return r.Done();
}

std::string Encode(const ClaimRec& r) {
  Writer w;
  w.U64(r.contract_inst), w.I64(r.start), w.I64(r.end);
  return std::move(w.str());
}
bool Decode(std::string_view in, ClaimRec* out) {
  Reader r(in);
  out->contract_inst = r.U64(), out->start = r.I64(), out->end = r.I64();
  return r.Done();
}

std::string Encode(const MonthSums& r) {
  Writer w;
  w.I64(r.delivered), w.I64(r.payable);
  return std::move(w.str());
}
bool Decode(std::string_view in, MonthSums* out) {
  Reader r(in);
  out->delivered = r.I64(), out->payable = r.I64();
  return r.Done();
}

std::string Encode(const std::vector<DoubleSegment>& r) {
  Writer w;
  for (const DoubleSegment& s : r) w.I64(s.start), w.I64(s.end), w.U64(s.last_index);
  return std::move(w.str());
}
bool Decode(std::string_view in, std::vector<DoubleSegment>* out) {
  if (in.size() % 24 != 0) return false;
  Reader r(in);
  out->clear();
  while (r.ok() && !r.Done()) {
    DoubleSegment s;
    s.start = r.I64(), s.end = r.I64(), s.last_index = r.U64();
    out->push_back(s);
  }
  return r.Done();
}

std::string Encode(const AnomalyRec& r) {
  Writer w;
  w.U8(static_cast<uint8_t>(r.kind)), w.U64(r.other_index);
  w.Str(r.allocation_id), w.Str(r.contract_id), w.Str(r.month);
  w.I64(r.start), w.I64(r.end), w.I64(r.gpu_seconds), w.I64(r.max_gpu_seconds);
  w.I64(r.window_start), w.I64(r.window_end);
  return std::move(w.str());
}
bool Decode(std::string_view in, AnomalyRec* out) {
  Reader r(in);
  uint8_t kind = r.U8();
  out->kind = static_cast<AnomalyKind>(kind);
  out->other_index = r.U64();
  out->allocation_id = r.Str(), out->contract_id = r.Str(), out->month = r.Str();
  out->start = r.I64(), out->end = r.I64(), out->gpu_seconds = r.I64();
  out->max_gpu_seconds = r.I64(), out->window_start = r.I64(), out->window_end = r.I64();
  return r.Done() && kind >= 1 && kind <= static_cast<uint8_t>(AnomalyKind::kGpuDoubleClaimed);
}

std::string Encode(const CloseRec& r) {
  Writer w;
  w.U64(r.index), w.Str(r.root);
  return std::move(w.str());
}
bool Decode(std::string_view in, CloseRec* out) {
  Reader r(in);
  out->index = r.U64(), out->root = r.Str();
  return r.Done() && out->root.size() == 32;
}

std::string Encode(const FrozenRec& r) {
  Writer w;
  w.Str(Encode(r.terms));
  w.I64(r.figures.committed), w.I64(r.figures.delivered), w.I64(r.figures.payable);
  w.I64(r.figures.shortfall);
  return std::move(w.str());
}
bool Decode(std::string_view in, FrozenRec* out) {
  Reader r(in);
  std::string_view terms = r.Str();
  out->figures.committed = r.I64(), out->figures.delivered = r.I64();
  out->figures.payable = r.I64(), out->figures.shortfall = r.I64();
  return r.Done() && Decode(terms, &out->terms);
}

std::string EncodeI64(int64_t v) {
  Writer w;
  w.I64(v);
  return std::move(w.str());
}
bool DecodeI64(std::string_view in, int64_t* out) {
  Reader r(in);
  *out = r.I64();
  return r.Done();
}

// --- keys ---

std::string MetaKey(std::string_view name) { return std::string(1, kTagMeta).append(name); }
std::string IndexKey(char tag, uint64_t index) {
  Writer w;
  w.U8(static_cast<uint8_t>(tag)), w.U64(index);
  return std::move(w.str());
}
std::string NameKey(char tag, std::string_view name) { return std::string(1, tag).append(name); }
std::string PairKey(char tag, uint64_t first, uint64_t index) {
  Writer w;
  w.U8(static_cast<uint8_t>(tag)), w.U64(first), w.U64(index);
  return std::move(w.str());
}
std::string UsagePrefix(uint64_t alloc, int64_t start) {
  Writer w;
  w.U8(kTagUsage), w.U64(alloc), w.I64(start);
  return std::move(w.str());
}
std::string UsageKey(uint64_t alloc, int64_t start, uint64_t index) {
  std::string k = UsagePrefix(alloc, start);
  Writer w;
  w.U64(index);
  return k.append(w.str());
}
std::string HourPrefix(char tag, int64_t hour) {
  Writer w;
  w.U8(static_cast<uint8_t>(tag)), w.I64(hour);
  return std::move(w.str());
}
std::string ClaimKey(int64_t hour, uint64_t index) {
  Writer w;
  w.Raw(HourPrefix(kTagClaim, hour)), w.U64(index);
  return std::move(w.str());
}
std::string CellKey(int64_t hour, uint64_t contract) {
  Writer w;
  w.Raw(HourPrefix(kTagCell, hour)), w.U64(contract);
  return std::move(w.str());
}
std::string MonthKey(char tag, uint64_t inst, std::string_view month) {
  Writer w;
  w.U8(static_cast<uint8_t>(tag)), w.U64(inst), w.Raw(month);
  return std::move(w.str());
}
std::string DoubleKey(int64_t hour, std::string_view gpu, uint64_t c1, uint64_t c2) {
  Writer w;
  w.Raw(HourPrefix(kTagDouble, hour)), w.Str(gpu), w.U64(c1), w.U64(c2);
  return std::move(w.str());
}
std::string AnomalyKey(uint64_t index, AnomalyKind kind, uint64_t tail) {
  Writer w;
  w.U8(kTagAnomaly), w.U64(index), w.U8(static_cast<uint8_t>(kind)), w.U64(tail);
  return std::move(w.str());
}
std::string AnomalyMonthKey(std::string_view month, std::string_view anomaly_key) {
  return std::string(1, kTagAnomalyMonth).append(month).append(anomaly_key);
}
std::string MonthNameKey(char tag, std::string_view month, std::string_view name) {
  return std::string(1, tag).append(month).append(name);
}
std::string PrefixEnd(std::string prefix) {
  while (!prefix.empty() && static_cast<uint8_t>(prefix.back()) == 0xff) prefix.pop_back();
  if (!prefix.empty()) prefix.back() = static_cast<char>(static_cast<uint8_t>(prefix.back()) + 1);
  return prefix;  // empty: no bound (every key)
}

}  // namespace gpuledger::proj
