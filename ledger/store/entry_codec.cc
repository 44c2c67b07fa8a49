#include "ledger/store/entry_codec.h"

#include <cstring>

#include "schemas/event_generated.h"
#include "schemas/ledger_entry_generated.h"

namespace gpuledger {
namespace {

namespace fb = gpuledger::fb;
using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

Offset<fb::Origin> BuildOrigin(FlatBufferBuilder& b, const Origin& o) {
  if (o.kind == Origin::Kind::kFile) {
    auto file = b.CreateString(o.file);
    return fb::CreateOrigin(b, fb::OriginKind::File, file, o.line);
  }
  auto topic = b.CreateString(o.topic);
  return fb::CreateOrigin(b, fb::OriginKind::Kafka, 0, 0, topic, o.partition, o.offset);
}

Offset<flatbuffers::Vector<uint8_t>> Bytes(FlatBufferBuilder& b, std::string_view s) {
  return b.CreateVector(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

Offset<void> BuildPayload(FlatBufferBuilder& b, const EventData& data) {
  return std::visit(
      [&b](const auto& d) -> Offset<void> {
        using T = std::decay_t<decltype(d)>;
        if constexpr (std::is_same_v<T, ContractRegisteredData>) {
          return fb::CreateContractRegisteredDirect(
                     b, d.contract_id.c_str(), d.csp_id.c_str(), d.programme.c_str(),
                     d.gpu_model.c_str(), d.committed_gpus, d.period_start, d.period_end,
                     d.price_krw_per_gpu_hour, d.penalty_krw_per_gpu_hour,
                     d.max_gpus_per_allocation)
              .Union();
        } else if constexpr (std::is_same_v<T, CapacityReportedData>) {
          auto uuids = b.CreateVectorOfStrings(d.gpu_uuids);
          auto id = b.CreateString(d.contract_id);
          return fb::CreateCapacityReported(b, id, d.interval_start, d.interval_end, uuids).Union();
        } else if constexpr (std::is_same_v<T, AllocationGrantedData>) {
          return fb::CreateAllocationGrantedDirect(b, d.allocation_id.c_str(),
                                                   d.contract_id.c_str(), d.user_id.c_str(), d.gpus,
                                                   d.start, d.end)
              .Union();
        } else if constexpr (std::is_same_v<T, AllocationReleasedData>) {
          return fb::CreateAllocationReleasedDirect(b, d.allocation_id.c_str(), d.at).Union();
        } else if constexpr (std::is_same_v<T, UsageReportedData>) {
          return fb::CreateUsageReportedDirect(b, d.allocation_id.c_str(), d.interval_start,
                                               d.interval_end, d.gpu_seconds)
              .Union();
        } else if constexpr (std::is_same_v<T, PeriodClosedData>) {
          return fb::CreatePeriodClosedDirect(b, d.month.c_str()).Union();
        } else {
          return fb::CreateEventVoidedDirect(b, d.event_id.c_str(), d.reason.c_str()).Union();
        }
      },
      data);
}

Offset<flatbuffers::String> OptString(FlatBufferBuilder& b, const std::optional<std::string>& s) {
  return s ? b.CreateString(*s) : 0;
}

Origin DecodeOrigin(const fb::Origin* o) {
  Origin out;
  if (o == nullptr) return out;
  out.kind = o->kind() == fb::OriginKind::Kafka ? Origin::Kind::kKafka : Origin::Kind::kFile;
  if (o->file()) out.file = o->file()->str();
  out.line = o->line();
  if (o->topic()) out.topic = o->topic()->str();
  out.partition = o->partition();
  out.offset = o->offset();
  return out;
}

std::string BytesOf(const flatbuffers::Vector<uint8_t>* v) {
  return v ? std::string(reinterpret_cast<const char*>(v->data()), v->size()) : std::string();
}

}  // namespace

std::string_view EventEncoder::Encode(const Envelope& env, EventType type, const EventData& data) {
  FlatBufferBuilder& b = fbb_;
  b.Clear();
  auto payload = BuildPayload(b, data);
  auto specversion = b.CreateString(env.specversion);
  auto id = b.CreateString(env.id);
  auto source = b.CreateString(env.source);
  auto type_name = b.CreateString(env.type);
  auto subject = OptString(b, env.subject);
  auto content_type = OptString(b, env.datacontenttype);
  auto schema = OptString(b, env.dataschema);
  // Payload union tags follow EventType's numbering (both start at ContractRegistered = 1).
  static_assert(static_cast<int>(fb::Payload::ContractRegistered) ==
                static_cast<int>(EventType::kContractRegistered));
  static_assert(static_cast<int>(fb::Payload::EventVoided) ==
                static_cast<int>(EventType::kEventVoided));
  auto event = fb::CreateEvent(b, specversion, id, source, type_name, env.time, subject,
                               content_type, schema, static_cast<fb::Payload>(type), payload);
  fb::FinishEventBuffer(b, event);
  return {reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize()};
}

std::string_view EntryEncoder::EncodeEntry(const EntryFields& f, std::string_view event) {
  FlatBufferBuilder& b = fbb_;
  b.Clear();
  auto origin = BuildOrigin(b, *f.origin);
  auto content = b.CreateVector(f.content_sha256.data(), f.content_sha256.size());
  auto message = Bytes(b, f.message);
  auto content_type = b.CreateString(f.content_type);
  auto event_bytes = Bytes(b, event);
  auto entry = fb::CreateLedgerEntry(b, 1, f.ingest_time, origin, content, message, content_type,
                                     event_bytes);
  b.Finish(entry);
  return {reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize()};
}

std::string_view EntryEncoder::EncodeReject(uint64_t seq, int64_t ingest_time, const Origin& origin,
                                            std::string_view reason, std::string_view detail,
                                            std::string_view message) {
  FlatBufferBuilder& b = fbb_;
  b.Clear();
  auto o = BuildOrigin(b, origin);
  auto r = b.CreateString(reason.data(), reason.size());
  auto d = b.CreateString(detail.data(), detail.size());
  auto m = Bytes(b, message);
  b.Finish(fb::CreateRejectRecord(b, 1, seq, ingest_time, o, r, d, m));
  return {reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize()};
}

std::string_view EntryEncoder::EncodeDuplicate(uint64_t seq, int64_t ingest_time,
                                               const Origin& origin, uint64_t original_index,
                                               const Hash256& message_sha256) {
  FlatBufferBuilder& b = fbb_;
  b.Clear();
  auto o = BuildOrigin(b, origin);
  auto h = b.CreateVector(message_sha256.data(), message_sha256.size());
  b.Finish(fb::CreateDuplicateRecord(b, 1, seq, ingest_time, o, original_index, h));
  return {reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize()};
}

Result<DuplicateView> DecodeDuplicate(std::string_view bytes) {
  flatbuffers::Verifier verifier(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  if (!verifier.VerifyBuffer<fb::DuplicateRecord>(nullptr)) {
    return Status::Corruption("duplicate bytes are not a valid DuplicateRecord flatbuffer");
  }
  const fb::DuplicateRecord* r = flatbuffers::GetRoot<fb::DuplicateRecord>(bytes.data());
  DuplicateView v;
  v.seq = r->seq();
  v.ingest_time = r->ingest_time();
  v.origin = DecodeOrigin(r->origin());
  v.original_index = r->original_index();
  if (r->message_sha256() == nullptr || r->message_sha256()->size() != v.message_sha256.size()) {
    return Status::Corruption("duplicate record has no 32-byte message hash");
  }
  std::memcpy(v.message_sha256.data(), r->message_sha256()->data(), v.message_sha256.size());
  return v;
}

Result<EntryView> DecodeEntry(std::string_view bytes) {
  EntryKeyFields fields;  // PeekEntry verifies the entry and its nested event
  if (Status s = PeekEntry(bytes, &fields); !s.ok()) return s;
  const fb::LedgerEntry* e = flatbuffers::GetRoot<fb::LedgerEntry>(bytes.data());
  const fb::Event* ev = e->event_nested_root();
  if (ev->type() == nullptr) return Status::Corruption("entry's event lacks its type");
  EntryView v;
  v.ingest_time = e->ingest_time();
  v.origin = DecodeOrigin(e->origin());
  v.message = BytesOf(e->message());
  if (e->content_type()) v.content_type = e->content_type()->str();
  v.content_sha256 = fields.content_sha256;
  v.id = std::string(fields.id);
  v.source = std::string(fields.source);
  v.type = ev->type()->str();
  v.time = ev->time();
  return v;
}

Status PeekEntry(std::string_view bytes, EntryKeyFields* out) {
  flatbuffers::Verifier verifier(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  if (!verifier.VerifyBuffer<fb::LedgerEntry>(nullptr)) {
    return Status::Corruption("entry bytes are not a valid LedgerEntry flatbuffer");
  }
  const fb::LedgerEntry* e = flatbuffers::GetRoot<fb::LedgerEntry>(bytes.data());
  if (e->event() == nullptr || e->content_sha256() == nullptr ||
      e->content_sha256()->size() != out->content_sha256.size()) {
    return Status::Corruption("entry lacks its event or content hash");
  }
  flatbuffers::Verifier event_verifier(e->event()->data(), e->event()->size());
  if (!event_verifier.VerifyBuffer<fb::Event>(nullptr)) {
    return Status::Corruption("entry's event bytes are not a valid Event flatbuffer");
  }
  const fb::Event* ev = e->event_nested_root();
  if (ev->id() == nullptr || ev->source() == nullptr) {
    return Status::Corruption("entry's event lacks id or source");
  }
  out->source = ev->source()->string_view();
  out->id = ev->id()->string_view();
  if (ev->data_type() == fb::Payload::NONE || ev->data() == nullptr) {
    return Status::Corruption("entry's event has no payload");
  }
  out->type = static_cast<EventType>(ev->data_type());
  const flatbuffers::String* key = nullptr;
  if (const auto* c = ev->data_as_ContractRegistered()) key = c->contract_id();
  if (const auto* g = ev->data_as_AllocationGranted()) key = g->allocation_id();
  if (const auto* m = ev->data_as_PeriodClosed()) key = m->month();
  out->key = key ? key->string_view() : std::string_view();
  std::memcpy(out->content_sha256.data(), e->content_sha256()->data(), out->content_sha256.size());
  return Status::Ok();
}

Result<RejectView> DecodeReject(std::string_view bytes) {
  flatbuffers::Verifier verifier(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  if (!verifier.VerifyBuffer<fb::RejectRecord>(nullptr)) {
    return Status::Corruption("reject bytes are not a valid RejectRecord flatbuffer");
  }
  const fb::RejectRecord* r = flatbuffers::GetRoot<fb::RejectRecord>(bytes.data());
  RejectView v;
  v.seq = r->seq();
  v.ingest_time = r->ingest_time();
  v.origin = DecodeOrigin(r->origin());
  if (r->reason()) v.reason = r->reason()->str();
  if (r->detail()) v.detail = r->detail()->str();
  v.message = BytesOf(r->message());
  return v;
}

}  // namespace gpuledger
