#include "tools/verify/log_keys.h"

#include <string>

namespace gpuledger::verify {

Result<std::vector<audit::VerifierKey>> ParseLogKeys(std::string_view text,
                                                     std::string_view where) {
  std::vector<audit::VerifierKey> keys;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    auto key = audit::ParseVerifierKey(line);
    if (!key.ok())
      return Status::InvalidArgument(std::string(where) + ": " + key.status().message());
    if (key->type != audit::kKeyTypeEd25519) {
      return Status::InvalidArgument(std::string(where) + ": " + key->name +
                                     " is not a log's Ed25519 signed-note key (a witness key?)");
    }
    keys.push_back(std::move(key.value()));
  }
  if (keys.empty()) return Status::InvalidArgument(std::string(where) + " holds no key");
  return keys;
}

}  // namespace gpuledger::verify
