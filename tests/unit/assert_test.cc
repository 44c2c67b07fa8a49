// GPULEDGER_ASSERT (include/gpuledger/assert.h) runs in every build type: these death tests
// pass in Release, RelWithDebInfo and MinSizeRel (where NDEBUG compiles assert() out) as in
// Debug. Each breaks an invariant on purpose and expects the abort with its message.
#include "gpuledger/assert.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gpuledger/status.h"
#include "ledger/audit/merkle.h"

namespace gpuledger {
namespace {

// The build type this binary was made with, for the record in CTest's output.
TEST(AssertTest, BuildTypeIsRecorded) {
#ifdef NDEBUG
  RecordProperty("ndebug", "defined: assert() is compiled out, GPULEDGER_ASSERT is not");
#else
  RecordProperty("ndebug", "not defined");
#endif
  SUCCEED();
}

TEST(AssertDeathTest, FailedAssertionPrintsFileLineConditionAndMessageAndAborts) {
  const int entries = 3;
  EXPECT_DEATH(GPULEDGER_ASSERT(entries == 4, "expected " + std::to_string(entries + 1)),
               "gpuledger: assertion failed: .*assert_test\\.cc:[0-9]+: entries == 4: expected 4");
}

TEST(AssertDeathTest, MessageIsBuiltOnlyOnFailure) {
  int built = 0;
  auto message = [&] {
    ++built;
    return std::string("never");
  };
  GPULEDGER_ASSERT(built == 0, message());
  EXPECT_EQ(built, 0);
}

TEST(AssertDeathTest, ValueOfAnErrorResultAborts) {
  Result<int> failed(Status::IOError("the disk is gone"));
  EXPECT_DEATH((void)failed.value(), "Result::value\\(\\) on an error: the disk is gone");
}

TEST(AssertDeathTest, ResultFromAnOkStatusAborts) {
  EXPECT_DEATH({ Result<int> r{Status::Ok()}; }, "a Result made from an ok Status");
}

// A store-boundary invariant broken on purpose: a frontier restored with a root missing.
TEST(AssertDeathTest, FrontierRestoredWithTheWrongNumberOfRootsAborts) {
  std::vector<Hash256> one_root(1);
  EXPECT_DEATH(MerkleFrontier(3, one_root), "a frontier of size 3 needs 2 subtree roots, not 1");
}

}  // namespace
}  // namespace gpuledger
