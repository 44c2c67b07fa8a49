// Checks 7, 8 and 9 of the intake rules (shared/spec/events.md): references to unknown or
// voided contracts, allocations and events, ownership, and the rules on the ledger's state.
#include <gtest/gtest.h>

#include <string>

#include "gpuledger/types.h"
#include "tests/ledger/intake_rules_fixture.h"

namespace gpuledger::intake_rules_test {

// =========================================================================================
// Check 7: references to unknown or voided contracts, allocations and events.
// =========================================================================================
class IntakeReferenceTest : public IntakeRulesTest {};

TEST_F(IntakeReferenceTest, UnknownContractOrAllocation) {
  Seed();
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Capacity("C-404")));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Grant("A-new", "C-404")));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Usage("A-404")));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Release("A-404")));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Release("A-404", kMinistry)));
  // Ids are case-sensitive: "c-1" is not "C-1".
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Capacity("c-1")));
  // An allocation id is not a contract id and vice versa.
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Capacity("A-1")));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Usage("C-1")));
  // The known ones pass.
  EXPECT_TRUE(Accepts(Capacity("C-1")));
  EXPECT_TRUE(Accepts(Grant("A-new", "C-1")));
  EXPECT_TRUE(Accepts(Usage("A-1")));
  EXPECT_TRUE(Accepts(Release("A-1")));
}

TEST_F(IntakeReferenceTest, VoidedContractTakesItsAllocationsWithIt) {
  Seed();
  J reg = Contract("C-3", "kt-cloud");
  ASSERT_TRUE(Accepts(reg));
  ASSERT_TRUE(Accepts(Grant("A-3", "C-3")));
  EXPECT_TRUE(Accepts(Usage("A-3")));
  ASSERT_NO_FATAL_FAILURE(Commit());
  ASSERT_TRUE(Accepts(Void(reg["id"].get<std::string>(), kMinistry)));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Capacity("C-3")));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Grant("A-4", "C-3")));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Usage("A-3")));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Release("A-3")));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Release("A-3", kMinistry)));
  // Survives commit and reopen.
  CommitAndReopen();
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Usage("A-3")));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Capacity("C-3")));
  // Other contracts are unaffected.
  EXPECT_TRUE(Accepts(Usage("A-1")));
}

TEST_F(IntakeReferenceTest, VoidedAllocation) {
  Seed();
  J grant = Grant("A-5", "C-1");
  ASSERT_TRUE(Accepts(grant));
  EXPECT_TRUE(Accepts(Usage("A-5")));
  ASSERT_TRUE(Accepts(Void(grant["id"].get<std::string>(), kMinistry)));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Usage("A-5")));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Release("A-5")));
  CommitAndReopen();
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Usage("A-5")));
  // The contract itself stays live.
  EXPECT_TRUE(Accepts(Capacity("C-1")));
}

TEST_F(IntakeReferenceTest, VoidOfAnIdNoSourceSent) {
  Seed();
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Void("never-sent", kKt)));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Void("never-sent", kMinistry)));
  // An id that was only rejected was never "sent as an accepted event".
  J bad = Usage("A-404");
  ASSERT_TRUE(Rejects(reason::kInvalidReference, bad));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Void(bad["id"].get<std::string>(), kKt)));
  // Ids are exact: a prefix of an accepted id is not that id.
  J cap = Capacity();
  ASSERT_TRUE(Accepts(cap));
  const std::string id = cap["id"].get<std::string>();
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Void(id.substr(0, id.size() - 1), kKt)));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Void(id + "0", kKt)));
  EXPECT_TRUE(Accepts(Void(id, kKt)));
}

// =========================================================================================
// Check 8: CSPs refer only to their own contracts, allocations and events.
// =========================================================================================
class IntakeOwnershipTest : public IntakeRulesTest {};

TEST_F(IntakeOwnershipTest, CspReportsOnlyOnItsOwnContractsAndAllocations) {
  Seed();
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, Capacity("C-1", kNaver)));
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, Capacity("C-2", kKt)));
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, Usage("A-1", kNaver)));
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, Usage("A-2", kKt)));
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, Release("A-1", kNaver)));
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, Release("A-2", kKt)));
  // A CSP whose name extends another's is another CSP.
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, Capacity("C-1", "csp/kt-cloud2")));
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, Usage("A-1", "csp/kt")));
  EXPECT_TRUE(Accepts(Capacity("C-1", kKt)));
  EXPECT_TRUE(Accepts(Capacity("C-2", kNaver)));
  EXPECT_TRUE(Accepts(Usage("A-1", kKt)));
  EXPECT_TRUE(Accepts(Usage("A-2", kNaver)));
  EXPECT_TRUE(Accepts(Release("A-2", kNaver)));
  // The ministry may release any allocation.
  EXPECT_TRUE(Accepts(Release("A-1", kMinistry)));
  EXPECT_TRUE(Accepts(Release("A-2", kMinistry)));
}

TEST_F(IntakeOwnershipTest, SourcesVoidOnlyTheirOwnEvents) {
  Seed();
  J kt_usage = Usage("A-1", kKt);
  ASSERT_TRUE(Accepts(kt_usage));
  const std::string kt_id = kt_usage["id"].get<std::string>();
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, Void(kt_id, kNaver)));
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, Void(kt_id, kMinistry)));
  // The ministry's own event cannot be voided by a CSP, even the CSP it concerns.
  J reg = Contract("C-own", "kt-cloud");
  ASSERT_TRUE(Accepts(reg));
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, Void(reg["id"].get<std::string>(), kKt)));
  // Survives reopen.
  CommitAndReopen();
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, Void(kt_id, kNaver)));
  EXPECT_TRUE(Accepts(Void(kt_id, kKt)));
  EXPECT_TRUE(Accepts(Void(reg["id"].get<std::string>(), kMinistry)));
}

TEST_F(IntakeOwnershipTest, VoidOfASharedIdVoidsTheSendersOwnEvent) {
  Seed();
  // kt-cloud and naver-cloud both sent an event with id "same-id".
  J kt = Usage("A-1", kKt);
  kt["id"] = "same-id";
  J naver = Usage("A-2", kNaver);
  naver["id"] = "same-id";
  ASSERT_TRUE(Accepts(kt));
  ASSERT_TRUE(Accepts(naver));
  // The ministry sent none: another source's id only.
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, Void("same-id", kMinistry)));
  EXPECT_TRUE(Accepts(Void("same-id", kKt)));
  EXPECT_TRUE(Accepts(Void("same-id", kNaver)));  // its own, not kt's (which is voided)
}

// =========================================================================================
// Check 9: rules that depend on the ledger's state.
// =========================================================================================
class IntakeStateRuleTest : public IntakeRulesTest {};

TEST_F(IntakeStateRuleTest, GpusAtMostTheContractsMaxPerAllocation) {
  Seed();  // C-1: max 4; C-2: max 8
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Grant(NewId("A"), "C-1", 5)));
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Grant(NewId("A"), "C-1", 1000)));
  EXPECT_TRUE(Accepts(Grant(NewId("A"), "C-1", 4)));  // equal is fine
  EXPECT_TRUE(Accepts(Grant(NewId("A"), "C-2", 5)));  // another contract's max
  EXPECT_TRUE(Accepts(Grant(NewId("A"), "C-2", 8)));
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Grant(NewId("A"), "C-2", 9)));
  // Registered in the same batch: its max applies at once.
  ASSERT_TRUE(Accepts(Contract("C-max1", "kt-cloud", 1)));
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Grant(NewId("A"), "C-max1", 2)));
  EXPECT_TRUE(Accepts(Grant(NewId("A"), "C-max1", 1)));
  CommitAndReopen();
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Grant(NewId("A"), "C-max1", 2)));
  EXPECT_TRUE(Accepts(Grant(NewId("A"), "C-max1", 1)));
}

TEST_F(IntakeStateRuleTest, LiveContractCannotBeRegisteredAgain) {
  Seed();
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Contract("C-1", "kt-cloud")));
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Contract("C-1", "naver-cloud")));
  CommitAndReopen();
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Contract("C-1", "kt-cloud")));
  // Registered earlier in the same uncommitted batch: also live.
  ASSERT_TRUE(Accepts(Contract("C-batch")));
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Contract("C-batch")));
}

TEST_F(IntakeStateRuleTest, VoidedContractCanBeRegisteredAgainAndOldAllocationsStayDead) {
  Seed();
  J reg = Contract("C-7", "kt-cloud", 2);
  ASSERT_TRUE(Accepts(reg));
  J old_grant = Grant("A-7", "C-7", 2);
  ASSERT_TRUE(Accepts(old_grant));
  ASSERT_TRUE(Accepts(Usage("A-7")));
  ASSERT_NO_FATAL_FAILURE(Commit());
  ASSERT_TRUE(Accepts(Void(reg["id"].get<std::string>(), kMinistry)));
  // Re-registered, now for naver-cloud with a larger max.
  J rereg = Contract("C-7", "naver-cloud", 6);
  EXPECT_TRUE(Accepts(rereg));
  CommitAndReopen();
  // Allocations granted on the OLD registration are dead.
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Usage("A-7", kKt)));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Usage("A-7", kNaver)));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Release("A-7", kMinistry)));
  // The new registration: its CSP, its max.
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, Capacity("C-7", kKt)));
  EXPECT_TRUE(Accepts(Capacity("C-7", kNaver)));
  EXPECT_TRUE(Accepts(Grant("A-8", "C-7", 6)));
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Grant(NewId("A"), "C-7", 7)));
  // The dead allocation id may be granted again on the new registration (its grant is
  // treated as never sent), and then is live.
  EXPECT_TRUE(Accepts(Grant("A-7", "C-7", 3)));
  EXPECT_TRUE(Accepts(Usage("A-7", kNaver)));
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, Usage("A-7", kKt)));
  // Voiding the old grant of A-7 (not itself voided so far) does not touch the new grant.
  EXPECT_TRUE(Accepts(Void(old_grant["id"].get<std::string>(), kMinistry)));
  EXPECT_TRUE(Accepts(Usage("A-7", kNaver)));
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Grant("A-7", "C-7", 1)));
  // And the new registration is live: it cannot be registered a third time.
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Contract("C-7")));
  // Voiding the old (already voided) registration again is voiding twice.
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Void(reg["id"].get<std::string>(), kMinistry)));
}

TEST_F(IntakeStateRuleTest, LiveAllocationCannotBeGrantedAgain) {
  Seed();
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Grant("A-1", "C-1")));
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Grant("A-1", "C-2")));  // on another contract too
  CommitAndReopen();
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Grant("A-1", "C-1")));
  // Void the grant of A-1, then re-grant: accepted.
  ASSERT_TRUE(Accepts(Void(grant_a1_id_, kMinistry)));
  EXPECT_TRUE(Rejects(reason::kInvalidReference, Usage("A-1")));
  J regrant = Grant("A-1", "C-2", 3);  // now on naver-cloud's contract
  EXPECT_TRUE(Accepts(regrant));
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Grant("A-1", "C-1")));
  CommitAndReopen();
  EXPECT_TRUE(Accepts(Usage("A-1", kNaver)));
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, Usage("A-1", kKt)));
}

TEST_F(IntakeStateRuleTest, VoidingAVoidIsInvalidValue) {
  Seed();
  J cap = Capacity();
  ASSERT_TRUE(Accepts(cap));
  J v = Void(cap["id"].get<std::string>(), kKt);
  ASSERT_TRUE(Accepts(v));
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Void(v["id"].get<std::string>(), kKt)));
  CommitAndReopen();
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Void(v["id"].get<std::string>(), kKt)));
  // Another source voiding that void: check 8 comes before check 9.
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, Void(v["id"].get<std::string>(), kNaver)));
}

TEST_F(IntakeStateRuleTest, VoidingTwiceIsInvalidValue) {
  Seed();
  J usage = Usage();
  ASSERT_TRUE(Accepts(usage));
  const std::string id = usage["id"].get<std::string>();
  ASSERT_TRUE(Accepts(Void(id, kKt)));
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Void(id, kKt)));  // same batch
  CommitAndReopen();
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Void(id, kKt)));  // after reopen
  // A different, unvoided event of the same source can still be voided.
  J other = Usage();
  ASSERT_TRUE(Accepts(other));
  EXPECT_TRUE(Accepts(Void(other["id"].get<std::string>(), kKt)));
}

TEST_F(IntakeStateRuleTest, ClosingAClosedMonthUnlessItsCloseWasVoided) {
  Seed();
  J close = Close("2026-04");
  ASSERT_TRUE(Accepts(close));
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Close("2026-04")));
  EXPECT_TRUE(Accepts(Close("2026-05")));  // another month
  CommitAndReopen();
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Close("2026-04")));
  // Voiding the close re-opens the month: closing again is accepted, once.
  ASSERT_TRUE(Accepts(Void(close["id"].get<std::string>(), kMinistry)));
  J close2 = Close("2026-04");
  EXPECT_TRUE(Accepts(close2));
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Close("2026-04")));
  CommitAndReopen();
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Close("2026-04")));
  // Voiding the first close again is voiding twice; it does not re-open the month.
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Void(close["id"].get<std::string>(), kMinistry)));
  EXPECT_TRUE(Rejects(reason::kInvalidValue, Close("2026-04")));
  // Voiding the second close re-opens it again.
  ASSERT_TRUE(Accepts(Void(close2["id"].get<std::string>(), kMinistry)));
  CommitAndReopen();
  EXPECT_TRUE(Accepts(Close("2026-04")));
}

}  // namespace gpuledger::intake_rules_test
