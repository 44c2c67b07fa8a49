// The stateless part of the intake (checks 1 and 3-6, canonical hashing, event encoding),
// separated from Ledger::Submit so that it can run on another thread, ahead of it.
#include "ledger/entry_codec.h"
#include "ledger/prepared.h"

namespace gpuledger {

void PrepareMessage(EventParser& parser, EventEncoder& encoder, std::string_view message,
                    const std::vector<std::string>* bound_sources, Prepared* out) {
  out->envelope = Envelope{};
  out->envelope_failure = parser.ParseEnvelope(message, &out->envelope, &out->content);
  out->failure.reset();
  out->event_bytes.clear();
  if (out->envelope_failure) return;
  out->failure = parser.CheckType(out->envelope, &out->type, bound_sources);
  if (out->failure) return;
  out->failure = parser.ParseData(out->envelope, out->type, &out->data);
  if (out->failure) return;
  out->event_bytes = encoder.Encode(out->envelope, out->type, out->data);
}

void PreparedDeleter::operator()(Prepared* p) const { delete p; }

struct Preparer::Impl {
  EventParser parser;
  EventEncoder encoder;
};

Preparer::Preparer() : impl_(std::make_unique<Impl>()) {}
Preparer::~Preparer() = default;

PreparedPtr Preparer::Prepare(std::string_view message, const std::vector<std::string>* bound_sources) {
  PreparedPtr p(new Prepared());
  PrepareMessage(impl_->parser, impl_->encoder, message, bound_sources, p.get());
  return p;
}

}  // namespace gpuledger
