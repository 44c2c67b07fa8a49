#include "ledger/intake/event_json.h"

#include <simdjson.h>

#include <cstring>
#include <vector>

#include "ledger/audit/rfc3339.h"
#include "ledger/intake/json_canon.h"
#include "schemas/event_generated.h"

namespace gpuledger {
namespace {

namespace fb = gpuledger::fb;
using FbString = flatbuffers::String;

// An Event is two tables (the event and its payload) two levels deep; the bounds leave room
// for fields added at the ends of tables and stop a crafted buffer early.
constexpr flatbuffers::uoffset_t kFlatBuffersDepthMax = 8;
constexpr flatbuffers::uoffset_t kFlatBuffersTablesMax = 16;

bool IsJsonWhiteSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsStructural(char c) {
  return c == '{' || c == '}' || c == '[' || c == ']' || c == ',' || c == ':' || c == '"';
}

// Index just past the closing quote of the string literal opening at `open`; npos if the
// text ends first.
size_t SkipString(std::string_view text, size_t open) {
  for (size_t i = open + 1; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++i;
    } else if (text[i] == '"') {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

void OptionalString(JsonObjectWriter& w, std::string_view name, const FbString* s) {
  if (s != nullptr) w.String(name, s->string_view());
}

void RenderContract(JsonObjectWriter& w, const fb::ContractRegistered& d) {
  OptionalString(w, "contract_id", d.contract_id());
  OptionalString(w, "csp_id", d.csp_id());
  OptionalString(w, "programme", d.programme());
  OptionalString(w, "gpu_model", d.gpu_model());
  w.Int("committed_gpus", d.committed_gpus());
  w.Time("period_start", d.period_start());
  w.Time("period_end", d.period_end());
  w.Int("price_krw_per_gpu_hour", d.price_krw_per_gpu_hour());
  w.Int("penalty_krw_per_gpu_hour", d.penalty_krw_per_gpu_hour());
  w.Int("max_gpus_per_allocation", d.max_gpus_per_allocation());
}

// False if a GPU UUID is not UTF-8.
bool RenderCapacity(JsonObjectWriter& w, const fb::CapacityReported& d) {
  OptionalString(w, "contract_id", d.contract_id());
  w.Time("interval_start", d.interval_start());
  w.Time("interval_end", d.interval_end());
  if (d.gpu_uuids() == nullptr) return true;
  w.Member("gpu_uuids");
  std::string* out = w.out();
  out->push_back('[');
  for (flatbuffers::uoffset_t i = 0; i < d.gpu_uuids()->size(); ++i) {
    std::string_view uuid = d.gpu_uuids()->Get(i)->string_view();
    if (!simdjson::validate_utf8(uuid.data(), uuid.size())) return false;
    if (i > 0) out->push_back(',');
    AppendJcsString(uuid, out);
  }
  out->push_back(']');
  return true;
}

void RenderGrant(JsonObjectWriter& w, const fb::AllocationGranted& d) {
  OptionalString(w, "allocation_id", d.allocation_id());
  OptionalString(w, "contract_id", d.contract_id());
  OptionalString(w, "user_id", d.user_id());
  w.Int("gpus", d.gpus());
  w.Time("start", d.start());
  w.Time("end", d.end());
}

void RenderUsage(JsonObjectWriter& w, const fb::UsageReported& d) {
  OptionalString(w, "allocation_id", d.allocation_id());
  w.Time("interval_start", d.interval_start());
  w.Time("interval_end", d.interval_end());
  w.Int("gpu_seconds", d.gpu_seconds());
}

// Appends the `data` member for the payload; a missing or unknown payload leaves `data`
// out. Returns the name of a string that is not UTF-8, if any (it is left out).
std::optional<std::string> RenderPayload(JsonObjectWriter& event, const fb::Event& e) {
  if (e.data() == nullptr) return std::nullopt;
  switch (e.data_type()) {
    case fb::Payload::ContractRegistered:
    case fb::Payload::CapacityReported:
    case fb::Payload::AllocationGranted:
    case fb::Payload::AllocationReleased:
    case fb::Payload::UsageReported:
    case fb::Payload::PeriodClosed:
    case fb::Payload::EventVoided:
      break;
    default:  // NONE, or a payload type newer than this schema
      return std::nullopt;
  }
  event.Member("data");
  JsonObjectWriter w(event.out());
  bool uuids_ok = true;
  if (const auto* d = e.data_as_ContractRegistered()) RenderContract(w, *d);
  if (const auto* d = e.data_as_CapacityReported()) uuids_ok = RenderCapacity(w, *d);
  if (const auto* d = e.data_as_AllocationGranted()) RenderGrant(w, *d);
  if (const auto* d = e.data_as_AllocationReleased()) {
    OptionalString(w, "allocation_id", d->allocation_id());
    w.Time("at", d->at());
  }
  if (const auto* d = e.data_as_UsageReported()) RenderUsage(w, *d);
  if (const auto* d = e.data_as_PeriodClosed()) OptionalString(w, "month", d->month());
  if (const auto* d = e.data_as_EventVoided()) {
    OptionalString(w, "event_id", d->event_id());
    OptionalString(w, "reason", d->reason());
  }
  w.Close();
  if (!uuids_ok) return "data.gpu_uuids";
  if (w.bad_utf8_member()) return "data." + *w.bad_utf8_member();
  return std::nullopt;
}

std::optional<std::string> Copy(const FbString* s) {
  return s ? std::optional<std::string>(s->str()) : std::nullopt;
}

}  // namespace

JsonObjectWriter::JsonObjectWriter(std::string* out) : out_(out) { out_->push_back('{'); }

bool JsonObjectWriter::Key(std::string_view name) {
  if (!simdjson::validate_utf8(name.data(), name.size())) {
    if (!bad_utf8_member_) bad_utf8_member_ = PrintableBytes(name);
    return false;
  }
  if (!first_) out_->push_back(',');
  first_ = false;
  AppendJcsString(name, out_);
  out_->push_back(':');
  return true;
}

void JsonObjectWriter::String(std::string_view name, std::string_view value) {
  if (!simdjson::validate_utf8(value.data(), value.size())) {
    if (!bad_utf8_member_) bad_utf8_member_ = PrintableBytes(name);
    return;
  }
  if (Key(name)) AppendJcsString(value, out_);
}

void JsonObjectWriter::Int(std::string_view name, int64_t value) {
  if (Key(name)) out_->append(std::to_string(value));
}

void JsonObjectWriter::Time(std::string_view name, int64_t unix_seconds) {
  if (Key(name)) AppendJcsString(FormatRfc3339Utc(unix_seconds), out_);
}

void JsonObjectWriter::Raw(std::string_view name, std::string_view json) {
  if (Key(name)) out_->append(json);
}

void JsonObjectWriter::Member(std::string_view name) { Key(name); }

void JsonObjectWriter::Close() { out_->push_back('}'); }

JsonShape JsonShapeOf(std::string_view text, size_t depth_max) {
  std::string closers;  // the closing bracket each open container expects, innermost last
  bool complete = false;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (IsJsonWhiteSpace(c)) {
      ++i;
    } else if (complete) {
      return JsonShape::kOther;  // something after the value
    } else if (c == '"') {
      i = SkipString(text, i);
      if (i == std::string_view::npos) return JsonShape::kOther;
      complete = closers.empty();
    } else if (c == '{' || c == '[') {
      if (closers.size() >= depth_max) return JsonShape::kOther;
      closers.push_back(c == '{' ? '}' : ']');
      ++i;
    } else if (c == '}' || c == ']') {
      if (closers.empty() || closers.back() != c) return JsonShape::kOther;
      closers.pop_back();
      complete = closers.empty();
      ++i;
    } else if (!closers.empty()) {
      ++i;  // separators and scalars inside a container: the parser's business
    } else if (c == ',' || c == ':') {
      return JsonShape::kOther;
    } else {  // a scalar at the top level runs to white space or structure
      while (i < text.size() && !IsJsonWhiteSpace(text[i]) && !IsStructural(text[i])) ++i;
      complete = true;
    }
  }
  if (complete) return JsonShape::kOneValue;
  // Not complete: either only white space was seen, or a container is still open.
  return closers.empty() ? JsonShape::kEmpty : JsonShape::kOther;
}

bool RenderFlatBuffersEvent(std::string_view bytes, FlatBuffersEventJson* out,
                            std::string* problem) {
  // Scalars are read in place, so the buffer must be aligned as the builder aligned it.
  std::vector<uint64_t> aligned((bytes.size() + 7) / 8);
  if (!bytes.empty()) std::memcpy(aligned.data(), bytes.data(), bytes.size());
  const auto* buf = reinterpret_cast<const uint8_t*>(aligned.data());
  flatbuffers::Verifier::Options options;
  options.max_depth = kFlatBuffersDepthMax;
  options.max_tables = kFlatBuffersTablesMax;
  flatbuffers::Verifier verifier(buf, bytes.size(), options);
  if (bytes.size() < 8 || !fb::VerifyEventBuffer(verifier)) {
    *problem =
        "the record value is not a valid FlatBuffers Event (schemas/event.fbs, file "
        "identifier GLEV)";
    return false;
  }
  const fb::Event* e = fb::GetEvent(buf);
  out->json.clear();
  JsonObjectWriter w(&out->json);
  OptionalString(w, "specversion", e->specversion());
  OptionalString(w, "id", e->id());
  OptionalString(w, "source", e->source());
  OptionalString(w, "type", e->type());
  w.Time("time", e->time());
  OptionalString(w, "subject", e->subject());
  OptionalString(w, "datacontenttype", e->datacontenttype());
  OptionalString(w, "dataschema", e->dataschema());
  std::optional<std::string> bad_data = RenderPayload(w, *e);
  w.Close();
  if (w.bad_utf8_member() || bad_data) {
    *problem = "a string of the FlatBuffers event ('" +
               (w.bad_utf8_member() ? *w.bad_utf8_member() : *bad_data) + "') is not UTF-8";
    return false;
  }
  out->specversion = Copy(e->specversion());
  out->id = Copy(e->id());
  out->source = Copy(e->source());
  out->type = Copy(e->type());
  return true;
}

std::string PrintableBytes(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    if (c >= 0x20 && c < 0x7F && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace gpuledger
