// Checks 3 and 4 of the intake rules (shared/spec/events.md): an unknown type, and who may
// send which type (including the Kafka topic bound to a source).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gpuledger/types.h"
#include "tests/ledger/intake_rules_fixture.h"

namespace gpuledger::intake_rules_test {

namespace {

// The names of section 3.
const std::vector<std::string> kTypeNames = {
    "contract.registered", "capacity.reported", "allocation.granted", "allocation.released",
    "usage.reported",      "period.closed",     "event.voided"};

}  // namespace

// =========================================================================================
// Check 3: unknown type.
// =========================================================================================
class IntakeTypeTest : public IntakeRulesTest {};

TEST_F(IntakeTypeTest, TypeMustBeASection3NameInTheV1Namespace) {
  Seed();
  for (const char* t : {"io.gpuledger.foo.v1", "io.gpuledger.usage.reported.v2", "usage.reported",
                        "io.gpuledger.usage.reported", "io.gpuledger.usage.reported.v1.v1",
                        "io.gpuledger..v1", "io.gpuledger.v1", "IO.GPULEDGER.USAGE.REPORTED.V1",
                        "io.gpuledger.Usage.Reported.v1", "io.gpuledger.usage_reported.v1",
                        "com.example.usage.reported.v1", "io.gpuledger.usage.reported.v1 ",
                        " io.gpuledger.usage.reported.v1", "", "io.gpuledger.reported.v1"}) {
    SCOPED_TRACE(t);
    J e = Usage();
    e["type"] = t;
    EXPECT_TRUE(Rejects(reason::kUnknownType, e));
  }
  // Every section 3 name, outside the v1 namespace, is unknown too.
  for (const std::string& name : kTypeNames) {
    for (const std::string& t : {"io.gpuledger." + name + ".v2", name, "io.gpuledger." + name,
                                 name + ".v1", "io.gpuledger." + name + ".V1"}) {
      SCOPED_TRACE(t);
      J e = Usage();
      e["type"] = t;
      EXPECT_TRUE(Rejects(reason::kUnknownType, e));
    }
  }
  EXPECT_TRUE(Accepts(Usage()));
}

// =========================================================================================
// Check 4: who may send what.
// =========================================================================================
class IntakeSourceTest : public IntakeRulesTest {};

TEST_F(IntakeSourceTest, MinistrySendsOnlyItsTypes) {
  Seed();
  J usage = Usage("A-1", kMinistry);
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, usage));
  J cap = Capacity("C-1", kMinistry);
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, cap));
  // Its own types are accepted (release and void also from the ministry).
  EXPECT_TRUE(Accepts(Contract("C-m")));
  EXPECT_TRUE(Accepts(Grant("A-m")));
  EXPECT_TRUE(Accepts(Release("A-m", kMinistry)));
  EXPECT_TRUE(Accepts(Close("2026-04")));
}

TEST_F(IntakeSourceTest, CspSendsOnlyItsTypes) {
  Seed();
  J reg = Contract("C-csp");
  reg["source"] = kKt;
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, reg));
  J grant = Grant("A-csp");
  grant["source"] = kKt;
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, grant));
  J close = Close("2026-04");
  close["source"] = kKt;
  EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, close));
  EXPECT_TRUE(Accepts(Capacity("C-1", kKt)));
  EXPECT_TRUE(Accepts(Usage("A-1", kKt)));
  EXPECT_TRUE(Accepts(Release("A-1", kKt)));
}

TEST_F(IntakeSourceTest, OtherSourcesMaySendNothing) {
  Seed();
  for (const char* source :
       {"csp/", "csp", "someone", "Ministry", "MINISTRY", "ministry/", "ministry/kt-cloud",
        "CSP/kt-cloud", "kt-cloud", " csp/kt-cloud", "https://ministry.go.kr"}) {
    SCOPED_TRACE(source);
    for (auto& t : Types()) {
      SCOPED_TRACE(t.name);
      J e = t.make();
      e["source"] = source;
      EXPECT_TRUE(Rejects(reason::kUnauthorizedSource, e));
    }
  }
}

TEST_F(IntakeSourceTest, KafkaTopicMustBeBoundToTheSource) {
  Seed();
  const std::vector<std::string> kt_topic = {kKt};
  const std::vector<std::string> naver_topic = {kNaver};
  const std::vector<std::string> none = {};
  const std::vector<std::string> many = {kMinistry, kNaver, kKt};
  EXPECT_TRUE(
      JudgedRaw(Usage().dump(), Outcome::kRejected, reason::kUnauthorizedSource, &naver_topic));
  EXPECT_TRUE(JudgedRaw(Usage().dump(), Outcome::kRejected, reason::kUnauthorizedSource, &none));
  // A ministry event on a CSP's topic.
  EXPECT_TRUE(JudgedRaw(Contract("C-k").dump(), Outcome::kRejected, reason::kUnauthorizedSource,
                        &kt_topic));
  EXPECT_TRUE(JudgedRaw(Usage().dump(), Outcome::kAccepted, "", &kt_topic));
  EXPECT_TRUE(JudgedRaw(Usage().dump(), Outcome::kAccepted, "", &many));
  EXPECT_TRUE(JudgedRaw(Contract("C-k").dump(), Outcome::kAccepted, "", &many));
  // Bound topic but bad data: check 4 comes before check 5.
  J bad = Usage();
  bad["data"].erase("gpu_seconds");
  EXPECT_TRUE(JudgedRaw(bad.dump(), Outcome::kRejected, reason::kUnauthorizedSource, &naver_topic));
  EXPECT_TRUE(JudgedRaw(bad.dump(), Outcome::kRejected, reason::kMalformed, &kt_topic));
}

}  // namespace gpuledger::intake_rules_test
