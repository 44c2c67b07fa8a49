// How limits of different folders relate. A limit's relation to others in its own folder is
// a static_assert beside it (e.g. ledger/store/ledger_format.h); relations that cross
// libraries are stated here, where every header can be included, so that changing one limit
// without the other fails the build of the tests.
#include <gtest/gtest.h>

#include "ledger/audit/bundle_format.h"
#include "ledger/store/ledger_format.h"

namespace gpuledger {
namespace {

// An entry holds its message: a message at the intake's limit must fit a bundle's entry
// record, or a ledger could hold an entry that export refuses.
static_assert(format::kMessageBytesMax < bundle::kEntryBytesMax);

TEST(LimitsTest, RelationsHoldAtCompileTime) { SUCCEED() << "see the static_asserts above"; }

}  // namespace
}  // namespace gpuledger
