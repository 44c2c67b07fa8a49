// JSON parsing that keeps every number exact: the settlement statements carry KRW amounts
// that can exceed 64 bits, which nlohmann-json would turn into doubles.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "gpuledger/status.h"

namespace gpuledger::verify {

// Parses `text` (strict JSON); a number that does not fit a 64-bit integer becomes a binary
// value holding its text (JSON text cannot make a binary value, so nothing can pose as one).
// Depth is bounded.
[[nodiscard]] Result<nlohmann::json> ParseExactJson(std::string_view text);
// The decimal text of an integer value (either form); nullopt if `v` is not an integer.
std::optional<std::string> IntegerText(const nlohmann::json& v);

}  // namespace gpuledger::verify
