// RFC 8785 JSON Canonicalization Scheme (JCS) over a simdjson DOM element.
// The content hash of an event (spec section 4, "same content") is SHA-256 of this output.
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>

namespace gpuledger {

// Appends the JCS form of `element` to `*out`. Object members are sorted by their keys'
// UTF-16 code units; strings are escaped as JCS requires; numbers are serialised as
// ECMAScript's Number.prototype.toString does for the IEEE-754 double of the value.
// Returns false (out left partly written) only for a number that is not finite as a double.
// Thread-safe (no shared state).
bool AppendCanonicalJson(simdjson::dom::element element, std::string* out);

// ECMAScript Number::toString of a finite double ("-0" prints as "0").
void AppendEcmaNumber(double value, std::string* out);

// Appends a JSON string literal escaped as JCS requires (input must be valid UTF-8).
void AppendJcsString(std::string_view utf8, std::string* out);

// True if UTF-16 code-unit order puts `a` before `b` (both valid UTF-8).
bool Utf16Less(std::string_view a, std::string_view b);

}  // namespace gpuledger
