// FlatBuffers encoding of ledger entries, events and reject records (schemas/*.fbs), and
// their checked decoding. Private to ledger/. An EntryEncoder is not thread-safe.
#pragma once

#include <flatbuffers/flatbuffers.h>

#include <string_view>

#include "gpuledger/ledger.h"
#include "ledger/intake/event_parse.h"

namespace gpuledger {

struct EntryFields {
  int64_t ingest_time = 0;
  const Origin* origin = nullptr;
  Hash256 content_sha256{};
  std::string_view message;
  std::string_view content_type;
};

// Encodes the typed Event (schemas/event.fbs). Not thread-safe: one per thread.
class EventEncoder {
 public:
  // The bytes stay valid until the next call on this encoder.
  std::string_view Encode(const Envelope& envelope, EventType type, const EventData& data);

 private:
  flatbuffers::FlatBufferBuilder fbb_{1024};
};

class EntryEncoder {
 public:
  // The bytes stay valid until the next call on this encoder. `event_bytes` is an Event
  // FlatBuffer from EventEncoder.
  std::string_view EncodeEntry(const EntryFields& fields, std::string_view event_bytes);
  std::string_view EncodeReject(uint64_t seq, int64_t ingest_time, const Origin& origin,
                                std::string_view reason, std::string_view detail,
                                std::string_view message);
  std::string_view EncodeDuplicate(uint64_t seq, int64_t ingest_time, const Origin& origin,
                                   uint64_t original_index, const Hash256& message_sha256);

 private:
  flatbuffers::FlatBufferBuilder fbb_{2048};
};

// Verifies the buffer against the schema and decodes it; Corruption if it does not verify.
// EntryView::index is left for the caller (it is the entry's position).
[[nodiscard]] Result<EntryView> DecodeEntry(std::string_view bytes);
// The few fields verify needs, without copying: the views point into `bytes`.
struct EntryKeyFields {
  std::string_view source, id;
  Hash256 content_sha256{};
  EventType type = EventType::kContractRegistered;
  std::string_view key;  // what the event makes live (DedupValue::key): an id, a month or ""
};
[[nodiscard]] Status PeekEntry(std::string_view bytes, EntryKeyFields* out);
[[nodiscard]] Result<RejectView> DecodeReject(std::string_view bytes);
[[nodiscard]] Result<DuplicateView> DecodeDuplicate(std::string_view bytes);

}  // namespace gpuledger
