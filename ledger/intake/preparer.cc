// The stateless part of the intake (checks 1 and 3-6, canonical hashing, encoding the
// entry and its leaf hash), separated from Ledger::Submit so that it can run on another
// thread, ahead of it. The entry holds no index (its index is its position), which is what
// lets the whole entry and its leaf be made here.
#include <ctime>

#include "ledger/audit/merkle.h"
#include "ledger/intake/prepared.h"

namespace gpuledger {

void PrepareMessage(PrepareContext& cx, std::string_view message, const Origin& origin,
                    int64_t ingest_time, const std::vector<std::string>* bound_sources,
                    std::string_view content_type, Prepared* out) {
  out->envelope = Envelope{};
  out->envelope_failure = cx.parser.ParseEnvelope(message, &out->envelope, &out->content);
  out->failure.reset();
  out->entry_bytes.clear();
  if (out->envelope_failure) return;
  out->failure = cx.parser.CheckType(out->envelope, &out->type, bound_sources);
  if (out->failure) return;
  out->failure = cx.parser.ParseData(out->envelope, out->type, &out->data);
  if (out->failure) return;
  std::string_view event = cx.event_encoder.Encode(out->envelope, out->type, out->data);
  EntryFields fields{ingest_time, &origin, out->content, message, content_type};
  out->entry_bytes = cx.entry_encoder.EncodeEntry(fields, event);
  out->leaf = LeafHash(cx.sha, out->entry_bytes);
}

void PreparedDeleter::operator()(Prepared* p) const { delete p; }

struct Preparer::Impl {
  PrepareContext context;
  std::function<int64_t()> now_seconds;
};

Preparer::Preparer(std::function<int64_t()> now_seconds) : impl_(std::make_unique<Impl>()) {
  impl_->now_seconds = std::move(now_seconds);
}
Preparer::~Preparer() = default;

PreparedPtr Preparer::Prepare(std::string_view message, const Origin& origin,
                              const std::vector<std::string>* bound_sources,
                              std::string_view content_type) {
  PreparedPtr p(new Prepared());
  int64_t now =
      impl_->now_seconds ? impl_->now_seconds() : static_cast<int64_t>(std::time(nullptr));
  PrepareMessage(impl_->context, message, origin, now, bound_sources, content_type, p.get());
  return p;
}

PreparedPtr Preparer::Reject(std::string_view reason_code, std::string detail) {
  PreparedPtr p(new Prepared());
  p->envelope_failure = CheckFailure{reason_code, std::move(detail)};
  return p;
}

}  // namespace gpuledger
