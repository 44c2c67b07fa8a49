// GPULEDGER_ASSERT: an invariant check that runs in every build type, Release included.
//
// The C assert() is compiled out wherever NDEBUG is defined (Release, RelWithDebInfo,
// MinSizeRel: every build a user or a script makes), so an invariant of the ledger written
// with it is never checked where it matters. This one always is: on failure it prints the
// file, the line, the condition and the message to stderr and aborts, before a broken
// invariant can reach a synced write.
//
// Contract: `condition` is evaluated exactly once; `message` (anything that converts to
// std::string_view: a literal or a std::string) is evaluated only when the condition is
// false, so building it costs nothing on the hot path. Use it for what must hold whatever
// the input (the store's index continuity, a frontier's size); bad input, a bad disk or a
// tampered ledger are reported as a Status, never asserted.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace gpuledger::detail {

// Prints "gpuledger: assertion failed: FILE:LINE: CONDITION: MESSAGE" and aborts.
[[noreturn, gnu::cold, gnu::noinline]] inline void AssertFailed(const char* condition,
                                                                const char* file, int line,
                                                                std::string_view message) noexcept {
  std::fprintf(stderr, "gpuledger: assertion failed: %s:%d: %s: %.*s\n", file, line, condition,
               static_cast<int>(message.size()), message.data());
  std::fflush(stderr);
  std::abort();
}

}  // namespace gpuledger::detail

#define GPULEDGER_ASSERT(condition, message)         \
  (__builtin_expect(static_cast<bool>(condition), 1) \
       ? static_cast<void>(0)                        \
       : ::gpuledger::detail::AssertFailed(#condition, __FILE__, __LINE__, (message)))
