// Check 2 of the intake rules (shared/spec/events.md): duplicates and conflicting
// duplicates of an accepted (source, id), and where that check comes in the order.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "gpuledger/ledger.h"
#include "gpuledger/types.h"
#include "tests/ledger/intake_rules_fixture.h"

namespace gpuledger::intake_rules_test {

// =========================================================================================
// Check 2: duplicates.
// =========================================================================================
class IntakeDuplicateTest : public IntakeRulesTest {};

TEST_F(IntakeDuplicateTest, SameSourceIdAndContentIsDuplicate) {
  Seed();
  const uint64_t before = ledger_->size();
  J e = Usage();
  Judgement first = SubmitRaw(e.dump());
  ASSERT_EQ(first.outcome, Outcome::kAccepted) << Describe(first);
  Judgement again = SubmitRaw(e.dump());
  EXPECT_EQ(again.outcome, Outcome::kDuplicate) << Describe(again);
  EXPECT_TRUE(again.reason.empty());
  EXPECT_EQ(again.index, first.index);
  Commit();
  EXPECT_EQ(ledger_->size(), before + 1);  // not appended again
  EXPECT_EQ(ledger_->stats().duplicates, 1u);
  EXPECT_EQ(ledger_->stats().rejects, 0u);
}

TEST_F(IntakeDuplicateTest, DuplicateSurvivesCommitAndReopen) {
  Seed();
  J e = Usage();
  Judgement first = SubmitRaw(e.dump());
  ASSERT_EQ(first.outcome, Outcome::kAccepted) << Describe(first);
  CommitAndReopen();
  Judgement again = SubmitRaw(e.dump());
  EXPECT_EQ(again.outcome, Outcome::kDuplicate) << Describe(again);
  EXPECT_EQ(again.index, first.index);
  J changed = e;
  changed["data"]["gpu_seconds"] = 1201;
  EXPECT_TRUE(Rejects(reason::kConflictingDuplicate, changed));
  CommitAndReopen();
  EXPECT_TRUE(Duplicate(e));
  EXPECT_TRUE(Rejects(reason::kConflictingDuplicate, changed));
}

TEST_F(IntakeDuplicateTest, CanonicalEqualityIgnoresKeyOrderWhitespaceAndNumberSpelling) {
  Seed();
  J e = Usage();
  e["x-extension"] = "@RAW@";
  ASSERT_TRUE(AcceptsRaw(DumpWithRaw(e, "10")));
  // Same content, keys in another order, with white space.
  std::string reordered =
      "{ \"data\" : { \"gpu_seconds\" : 1200 ,\n \"interval_end\" : \"" +
      e["data"]["interval_end"].get<std::string>() + "\", \"interval_start\":\"" +
      e["data"]["interval_start"].get<std::string>() +
      "\", \"allocation_id\":\"A-1\"},\t\"x-extension\": 10, \"time\":\"" +
      e["time"].get<std::string>() + "\", \"type\":\"" + e["type"].get<std::string>() +
      "\", \"source\":\"" + kKt + "\", \"id\":\"" + e["id"].get<std::string>() +
      "\", \"datacontenttype\":\"application/json\", \"specversion\":\"1.0\" }";
  EXPECT_TRUE(DuplicateRaw(reordered));
  // Numbers equal as IEEE-754 doubles are the same content (RFC 8785 3.2.2.3).
  for (const char* spelling : {"1.0e1", "10.0", "1E1", "100e-1", "10.000000"}) {
    SCOPED_TRACE(spelling);
    EXPECT_TRUE(DuplicateRaw(DumpWithRaw(e, spelling)));
  }
  // String escapes that decode to the same characters are the same content.
  std::string escaped = DumpWithRaw(e, "10");
  const std::string alloc = "\"allocation_id\":\"A-1\"";
  escaped.replace(escaped.find(alloc), alloc.size(), "\"allocation_id\":\"\\u0041-\\u0031\"");
  EXPECT_TRUE(DuplicateRaw(escaped));
  // A different number is different content, even in an ignored field.
  EXPECT_TRUE(RejectsRaw(reason::kConflictingDuplicate, DumpWithRaw(e, "11")));
  EXPECT_TRUE(RejectsRaw(reason::kConflictingDuplicate, DumpWithRaw(e, "\"10\"")));
}

TEST_F(IntakeDuplicateTest, DifferentContentIsConflictingDuplicate) {
  Seed();
  J e = Usage();
  ASSERT_TRUE(Accepts(e));
  J gpu = e;
  gpu["data"]["gpu_seconds"] = 1199;
  EXPECT_TRUE(Rejects(reason::kConflictingDuplicate, gpu));
  J extra = e;  // an ignored extra data field still is content
  extra["data"]["note"] = "x";
  EXPECT_TRUE(Rejects(reason::kConflictingDuplicate, extra));
  J subject = e;  // an optional attribute
  subject["subject"] = "alloc/A-1";
  EXPECT_TRUE(Rejects(reason::kConflictingDuplicate, subject));
  J no_dct = e;  // an attribute removed
  no_dct.erase("datacontenttype");
  EXPECT_TRUE(Rejects(reason::kConflictingDuplicate, no_dct));
  J time = e;  // the same instant written another way is different content
  time["time"] = "2026-04-01T09:10:00+09:00";
  EXPECT_TRUE(Rejects(reason::kConflictingDuplicate, time));
  // A conflicting duplicate is rejected, not appended: the original still stands.
  Commit();
  EXPECT_EQ(ledger_->size(), 5u);  // Seed's 4 and e
  EXPECT_EQ(ledger_->stats().rejects, 5u);
  EXPECT_TRUE(Duplicate(e));
}

TEST_F(IntakeDuplicateTest, SameIdFromAnotherSourceIsNotADuplicate) {
  Seed();
  J kt = Usage("A-1", kKt);
  kt["id"] = "shared-id-1";
  ASSERT_TRUE(Accepts(kt));
  J naver = Usage("A-2", kNaver);
  naver["id"] = "shared-id-1";
  EXPECT_TRUE(Accepts(naver));
  J ministry = Release("A-1", kMinistry);
  ministry["id"] = "shared-id-1";
  EXPECT_TRUE(Accepts(ministry));
  // Byte-identical content except the source: judged afresh, not as a duplicate (here
  // check 8: A-1 is kt-cloud's allocation, not kt-cloud-2's).
  J same = kt;
  same["source"] = "csp/kt-cloud-2";
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, same));
  CommitAndReopen();
  EXPECT_TRUE(Duplicate(kt));
  EXPECT_TRUE(Duplicate(naver));
  EXPECT_TRUE(Duplicate(ministry));
}

TEST_F(IntakeDuplicateTest, RejectedMessageIsJudgedAfreshWhenSentAgain) {
  Seed();
  J usage = Usage("A-9");  // A-9 not granted yet
  EXPECT_TRUE(Rejects(reason::kInvalidReference, usage));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, usage));  // still rejected, not duplicate
  CommitAndReopen();
  EXPECT_TRUE(Rejects(reason::kInvalidReference, usage));
  ASSERT_TRUE(Accepts(Grant("A-9", "C-1")));
  EXPECT_TRUE(Accepts(usage));  // the same bytes, now accepted
  EXPECT_TRUE(Duplicate(usage));
  Commit();
  EXPECT_EQ(ledger_->stats().rejects, 3u);
  // A malformed message with an id does not claim the id either.
  J bad = Usage();
  bad["time"] = "yesterday";
  EXPECT_TRUE(Rejects(reason::kMalformed, bad));
  bad["time"] = "2026-04-01T00:10:00Z";
  EXPECT_TRUE(Accepts(bad));
  // Nor does an invalid_value reject; the corrected message under its id is accepted.
  J later = Usage();
  J negative = later;
  negative["data"]["gpu_seconds"] = -5;
  EXPECT_TRUE(Rejects(reason::kInvalidValue, negative));
  EXPECT_TRUE(Accepts(later));
}

TEST_F(IntakeDuplicateTest, DuplicateCheckComesBeforeTypeAndStateChecks) {
  Seed();
  J e = Usage();
  ASSERT_TRUE(Accepts(e));
  // Same (source, id), now with an unknown type: check 2 (conflicting) before check 3.
  J unknown = e;
  unknown["type"] = "io.gpuledger.foo.v1";
  EXPECT_TRUE(Rejects(reason::kConflictingDuplicate, unknown));
  // Same (source, id), data that would fail checks 5/6: still conflicting_duplicate.
  J bad = e;
  bad["data"].erase("gpu_seconds");
  EXPECT_TRUE(Rejects(reason::kConflictingDuplicate, bad));
  // Once the allocation is voided a fresh usage is invalid_reference, but the exact
  // re-send is still a duplicate (check 2 comes before check 7).
  ASSERT_TRUE(Accepts(Void(grant_a1_id_, kMinistry)));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Usage()));
  EXPECT_TRUE(Duplicate(e));
  // Fractional envelope time (check 6) under the (source, id) of an accepted event.
  J frac = e;
  frac["time"] = "2026-04-01T00:10:00.5Z";
  EXPECT_TRUE(Rejects(reason::kConflictingDuplicate, frac));
  // A message that fails check 1 is malformed even with the (source, id) of an accepted event.
  J malformed = e;
  malformed["specversion"] = "0.3";
  EXPECT_TRUE(Rejects(reason::kMalformed, malformed));
}

}  // namespace gpuledger::intake_rules_test
