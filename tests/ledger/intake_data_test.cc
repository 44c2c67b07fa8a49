// Checks 5 and 6 of the intake rules (shared/spec/events.md): data fields missing or of the
// wrong JSON type, and the value rules that need no ledger state.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "gpuledger/types.h"
#include "tests/ledger/intake_rules_fixture.h"

namespace gpuledger::intake_rules_test {

namespace {

// Data fields holding timestamps (strings whose RFC 3339 form is a value rule).
const std::vector<std::string> kTimeFields = {
    "period_start", "period_end", "interval_start", "interval_end", "start", "end", "at"};

}  // namespace

// =========================================================================================
// Check 5: data fields missing or of the wrong JSON type.
// =========================================================================================
class IntakeDataTypeTest : public IntakeRulesTest {};

TEST_F(IntakeDataTypeTest, EveryRequiredDataFieldMissingIsMalformed) {
  Seed();
  for (auto& t : Types()) {
    SCOPED_TRACE(t.name);
    const J base = t.make();
    ASSERT_TRUE(base["data"].is_object());
    ASSERT_FALSE(base["data"].empty());
    for (auto& [field, value] : base["data"].items()) {
      SCOPED_TRACE(field);
      J e = base;
      e["data"].erase(field);
      EXPECT_TRUE(Rejects(reason::kMalformed, e));
    }
    J empty = base;
    empty["data"] = J::object();
    EXPECT_TRUE(Rejects(reason::kMalformed, empty));
    EXPECT_TRUE(Accepts(base));
  }
}

TEST_F(IntakeDataTypeTest, EveryDataFieldOfTheWrongJsonTypeIsMalformed) {
  Seed();
  const std::vector<J> not_string = {
      J(1), J(0), J(1.5), J(true), J(nullptr), J::array({"x"}), J::object({{"x", "y"}})};
  const std::vector<J> not_int = {J("8"),  J("2"),   J(1.0),     J(2.0),        J(2.5),
                                  J(true), J(false), J(nullptr), J::array({2}), J::object()};
  const std::vector<J> not_list = {J("GPU-0001"),
                                   J(1),
                                   J(true),
                                   J(nullptr),
                                   J::object(),
                                   J::array({1}),
                                   J::array({nullptr}),
                                   J::array({"GPU-0001", 2}),
                                   J::array({J::array({"GPU-0001"})})};
  for (auto& t : Types()) {
    SCOPED_TRACE(t.name);
    const J base = t.make();
    for (auto& [field, value] : base["data"].items()) {
      SCOPED_TRACE(field);
      const std::vector<J>* wrongs = value.is_string()           ? &not_string
                                     : value.is_number_integer() ? &not_int
                                     : value.is_array()          ? &not_list
                                                                 : nullptr;
      ASSERT_NE(wrongs, nullptr);
      for (const J& wrong : *wrongs) {
        SCOPED_TRACE(wrong.dump());
        J e = base;
        e["data"][field] = wrong;
        EXPECT_TRUE(Rejects(reason::kMalformed, e));
      }
    }
    EXPECT_TRUE(Accepts(base));
  }
}

TEST_F(IntakeDataTypeTest, IntegersWrittenWithAFractionOrExponentAreNotIntegers) {
  Seed();
  for (const char* raw : {"1200.0", "1.2e3", "1200.5"}) {
    SCOPED_TRACE(raw);
    J e = Usage();
    e["data"]["gpu_seconds"] = "@RAW@";
    EXPECT_TRUE(RejectsRaw(reason::kMalformed, DumpWithRaw(e, raw)));
  }
  J e = Usage();
  e["data"]["gpu_seconds"] = "@RAW@";
  EXPECT_TRUE(AcceptsRaw(DumpWithRaw(e, "1200")));
}

TEST_F(IntakeDataTypeTest, EmptyGpuListIsAListOfStrings) {
  Seed();
  J e = Capacity();
  e["data"]["gpu_uuids"] = J::array();
  EXPECT_TRUE(Accepts(e));
  J one = Capacity();
  one["data"]["gpu_uuids"] = J::array({"GPU-0009"});
  EXPECT_TRUE(Accepts(one));
}

// =========================================================================================
// Check 6: value rules that need no ledger state.
// =========================================================================================
class IntakeValueTest : public IntakeRulesTest {};

TEST_F(IntakeValueTest, FractionalSecondsInEnvelopeTimeAreInvalidValue) {
  Seed();
  for (auto& t : Types()) {
    SCOPED_TRACE(t.name);
    for (const char* time : {"2026-04-01T00:10:00.5Z", "2026-04-01T00:10:00.0Z",
                             "2026-04-01T00:10:00.000000001Z", "2026-04-01T09:10:00.250+09:00"}) {
      SCOPED_TRACE(time);
      J e = t.make();
      e["time"] = time;
      EXPECT_TRUE(Rejects(reason::kInvalidValue, e));
    }
    EXPECT_TRUE(Accepts(t.make()));
  }
}

TEST_F(IntakeValueTest, FractionalSecondsInDataTimesAreInvalidValue) {
  Seed();
  int checked = 0;
  for (auto& t : Types()) {
    SCOPED_TRACE(t.name);
    const J base = t.make();
    for (auto& [field, value] : base["data"].items()) {
      if (std::find(kTimeFields.begin(), kTimeFields.end(), field) == kTimeFields.end()) continue;
      SCOPED_TRACE(field);
      std::string text = value.get<std::string>();
      ASSERT_EQ(text.back(), 'Z');
      for (const char* frac : {".5", ".0", ".999"}) {
        J e = base;
        e["data"][field] = text.substr(0, text.size() - 1) + frac + "Z";
        EXPECT_TRUE(Rejects(reason::kInvalidValue, e));
      }
      ++checked;
    }
    EXPECT_TRUE(Accepts(base));
  }
  EXPECT_EQ(checked, 9);  // 2 contract + 2 capacity + 2 grant + 1 release + 2 usage
}

TEST_F(IntakeValueTest, DataTimesMustBeRfc3339) {
  // Section 2: timestamps are RFC 3339 date-times. A data time of the right JSON type
  // (string) but not a date-time breaks a value rule (check 6).
  Seed();
  for (const char* bad : {"2026-04-01 00:00:00Z", "2026-04-01T00:00:60Z", "2026-04-01T00:00:00",
                          "2026-04-01", "", "tomorrow"}) {
    SCOPED_TRACE(bad);
    J u = Usage();
    u["data"]["interval_start"] = bad;
    EXPECT_TRUE(Rejects(reason::kInvalidValue, u));
    J r = Release();
    r["data"]["at"] = bad;
    EXPECT_TRUE(Rejects(reason::kInvalidValue, r));
  }
  J lower = Release();
  lower["data"]["at"] = "2026-04-20t09:00:00+09:00";
  EXPECT_TRUE(Accepts(lower));
}

TEST_F(IntakeValueTest, StartMustBeBeforeEndForEveryInterval) {
  Seed();
  struct Interval {
    std::function<J()> make;
    std::string start, end;
  };
  std::vector<Interval> intervals = {
      {[this] { return Contract(NewId("C")); }, "period_start", "period_end"},
      {[this] { return Capacity(); }, "interval_start", "interval_end"},
      {[this] { return Grant(NewId("A")); }, "start", "end"},
      {[this] { return Usage(); }, "interval_start", "interval_end"},
  };
  for (auto& iv : intervals) {
    SCOPED_TRACE(iv.start);
    J equal = iv.make();
    equal["data"][iv.end] = equal["data"][iv.start];
    EXPECT_TRUE(Rejects(reason::kInvalidValue, equal)) << equal["type"];
    J reversed = iv.make();
    std::swap(reversed["data"][iv.start], reversed["data"][iv.end]);
    EXPECT_TRUE(Rejects(reason::kInvalidValue, reversed)) << reversed["type"];
    // Equal instants written with different offsets are still equal.
    J offset = iv.make();
    offset["data"][iv.start] = "2026-04-01T00:00:00Z";
    offset["data"][iv.end] = "2026-04-01T09:00:00+09:00";
    EXPECT_TRUE(Rejects(reason::kInvalidValue, offset)) << offset["type"];
    EXPECT_TRUE(Accepts(iv.make())) << iv.start;
  }
  // One second apart is enough for an interval that need not be on whole hours.
  J cap = Capacity();
  cap["data"]["interval_end"] = "2026-04-01T00:00:01Z";
  EXPECT_TRUE(Accepts(cap));
  J grant = Grant("A-short");
  grant["data"]["end"] = "2026-04-01T00:00:01Z";
  EXPECT_TRUE(Accepts(grant));
  J usage = Usage();
  usage["data"]["interval_end"] = "2026-04-01T00:00:01Z";
  usage["data"]["gpu_seconds"] = 2;
  EXPECT_TRUE(Accepts(usage));
}

TEST_F(IntakeValueTest, UsageIntervalMustNotCrossAnHourBoundary) {
  Seed();
  auto usage = [&](const char* start, const char* end) {
    J e = Usage();
    e["data"]["interval_start"] = start;
    e["data"]["interval_end"] = end;
    e["data"]["gpu_seconds"] = 600;
    return e;
  };
  EXPECT_TRUE(
      Rejects(reason::kInvalidValue, usage("2026-04-01T00:50:00Z", "2026-04-01T01:10:00Z")));
  EXPECT_TRUE(
      Rejects(reason::kInvalidValue, usage("2026-04-01T00:00:00Z", "2026-04-01T01:00:01Z")));
  EXPECT_TRUE(
      Rejects(reason::kInvalidValue, usage("2026-04-01T00:59:59Z", "2026-04-01T01:00:01Z")));
  EXPECT_TRUE(
      Rejects(reason::kInvalidValue, usage("2026-04-01T00:00:00Z", "2026-04-01T02:00:00Z")));
  EXPECT_TRUE(
      Rejects(reason::kInvalidValue, usage("2026-04-01T23:30:00Z", "2026-04-02T00:30:00Z")));
  // Ending exactly on the next whole hour is fine; so is a whole clock hour.
  EXPECT_TRUE(Accepts(usage("2026-04-01T00:50:00Z", "2026-04-01T01:00:00Z")));
  EXPECT_TRUE(Accepts(usage("2026-04-01T00:00:00Z", "2026-04-01T01:00:00Z")));
  EXPECT_TRUE(Accepts(usage("2026-04-01T23:59:59Z", "2026-04-02T00:00:00Z")));
  // The same instants written in KST (+09:00): KST and UTC hours coincide.
  EXPECT_TRUE(Accepts(usage("2026-04-01T09:50:00+09:00", "2026-04-01T10:00:00+09:00")));
  EXPECT_TRUE(Rejects(reason::kInvalidValue,
                      usage("2026-04-01T09:50:00+09:00", "2026-04-01T10:10:00+09:00")));
  // Mixed offsets: 00:30Z to 09:55+09:00 (= 00:55Z) stays inside one hour.
  EXPECT_TRUE(Accepts(usage("2026-04-01T00:30:00Z", "2026-04-01T09:55:00+09:00")));
}

TEST_F(IntakeValueTest, ContractPeriodMustBeOnWholeUtcHours) {
  Seed();
  auto contract = [&](const char* start, const char* end) {
    J e = Contract(NewId("C"));
    e["data"]["period_start"] = start;
    e["data"]["period_end"] = end;
    return e;
  };
  EXPECT_TRUE(
      Rejects(reason::kInvalidValue, contract("2026-04-01T00:30:00Z", "2026-07-01T00:00:00Z")));
  EXPECT_TRUE(
      Rejects(reason::kInvalidValue, contract("2026-04-01T00:00:00Z", "2026-07-01T00:00:01Z")));
  EXPECT_TRUE(
      Rejects(reason::kInvalidValue, contract("2026-04-01T00:00:59Z", "2026-07-01T00:00:00Z")));
  // 09:00+05:30 is 03:30Z: not a whole UTC hour.
  EXPECT_TRUE(Rejects(reason::kInvalidValue,
                      contract("2026-04-01T09:00:00+05:30", "2026-07-01T00:00:00Z")));
  // +09:00 offsets that land on whole UTC hours are fine; so is +05:30 landing on one.
  EXPECT_TRUE(Accepts(contract("2026-04-01T09:00:00+09:00", "2026-07-01T09:00:00+09:00")));
  EXPECT_TRUE(Accepts(contract("2026-04-01T05:30:00+05:30", "2026-04-01T06:30:00+05:30")));
  EXPECT_TRUE(Accepts(contract("2026-04-01T00:00:00Z", "2026-04-01T01:00:00Z")));
}

TEST_F(IntakeValueTest, ProgrammeMustBeKnown) {
  Seed();
  for (const char* p : {"hpc", "ai", "AI-RESEARCH", "ai-research ", "gov_gpu", "", "unknown"}) {
    SCOPED_TRACE(p);
    J e = Contract(NewId("C"));
    e["data"]["programme"] = p;
    EXPECT_TRUE(Rejects(reason::kInvalidValue, e));
  }
  for (const char* p : {"hpc-industry", "ai-research", "gov-gpu"}) {
    SCOPED_TRACE(p);
    J e = Contract(NewId("C"));
    e["data"]["programme"] = p;
    EXPECT_TRUE(Accepts(e));
  }
}

TEST_F(IntakeValueTest, MonthMustBeYYYYMM) {
  Seed();
  for (const char* m : {"2026-13", "2026-00", "2026-4", "26-04", "2026/04", "2026-04-01", "202604",
                        "2026-4 ", "", "April 2026", "2026-1a", "-2026-04"}) {
    SCOPED_TRACE(m);
    EXPECT_TRUE(Rejects(reason::kInvalidValue, Close(m)));
  }
  for (const char* m : {"2026-01", "2026-04", "2026-12", "2025-12"}) {
    SCOPED_TRACE(m);
    EXPECT_TRUE(Accepts(Close(m)));
  }
}

TEST_F(IntakeValueTest, GpuUuidsMustBeDistinctAndNonEmpty) {
  Seed();
  J dup = Capacity();
  dup["data"]["gpu_uuids"] = J::array({"GPU-0001", "GPU-0002", "GPU-0001"});
  EXPECT_TRUE(Rejects(reason::kInvalidValue, dup));
  J empty = Capacity();
  empty["data"]["gpu_uuids"] = J::array({"GPU-0001", ""});
  EXPECT_TRUE(Rejects(reason::kInvalidValue, empty));
  J only_empty = Capacity();
  only_empty["data"]["gpu_uuids"] = J::array({""});
  EXPECT_TRUE(Rejects(reason::kInvalidValue, only_empty));
  J none = Capacity();
  none["data"]["gpu_uuids"] = J::array();
  EXPECT_TRUE(Accepts(none));
  J distinct = Capacity();  // case differs: distinct strings
  distinct["data"]["gpu_uuids"] = J::array({"GPU-abc", "GPU-ABC"});
  EXPECT_TRUE(Accepts(distinct));
}

TEST_F(IntakeValueTest, NumbersMustBeInRange) {
  Seed();
  struct Case {
    std::function<J()> make;
    std::string field;
    std::vector<int64_t> bad, good;
  };
  std::vector<Case> cases = {
      {[this] { return Contract(NewId("C")); }, "committed_gpus", {0, -1, INT64_MIN}, {1, 8, 1000}},
      {[this] { return Contract(NewId("C")); },
       "price_krw_per_gpu_hour",
       {-1, INT64_MIN},
       {0, 1, 5000000}},
      {[this] { return Contract(NewId("C")); }, "penalty_krw_per_gpu_hour", {-1}, {0, 1, 5000000}},
      {[this] { return Contract(NewId("C")); }, "max_gpus_per_allocation", {0, -3}, {1, 16}},
      {[this] { return Grant(NewId("A")); }, "gpus", {0, -1}, {1, 4}},
      {[this] { return Usage(); }, "gpu_seconds", {-1, INT64_MIN}, {0, 1, 2 * 600}},
  };
  for (auto& c : cases) {
    SCOPED_TRACE(c.field);
    for (int64_t v : c.bad) {
      SCOPED_TRACE(v);
      J e = c.make();
      e["data"][c.field] = v;
      EXPECT_TRUE(Rejects(reason::kInvalidValue, e));
    }
    for (int64_t v : c.good) {
      SCOPED_TRACE(v);
      J e = c.make();
      e["data"][c.field] = v;
      EXPECT_TRUE(Accepts(e));
    }
  }
  // Over-reported usage is semantic trouble a CSP may report: accepted (an anomaly later).
  J over = Usage();
  over["data"]["gpu_seconds"] = 1000000;
  EXPECT_TRUE(Accepts(over));
}

TEST_F(IntakeValueTest, IntegerBeyondInt64IsInvalidValue) {
  Seed();
  struct Case {
    std::function<J()> make;
    std::string field;
  };
  std::vector<Case> cases = {
      {[this] { return Contract(NewId("C")); }, "committed_gpus"},
      {[this] { return Contract(NewId("C")); }, "price_krw_per_gpu_hour"},
      {[this] { return Contract(NewId("C")); }, "penalty_krw_per_gpu_hour"},
      {[this] { return Contract(NewId("C")); }, "max_gpus_per_allocation"},
      {[this] { return Grant(NewId("A")); }, "gpus"},
      {[this] { return Usage(); }, "gpu_seconds"},
  };
  for (auto& c : cases) {
    SCOPED_TRACE(c.field);
    J e = c.make();
    e["data"][c.field] = "@RAW@";
    EXPECT_TRUE(RejectsRaw(reason::kInvalidValue, DumpWithRaw(e, "9223372036854775808")));
    EXPECT_TRUE(RejectsRaw(reason::kInvalidValue, DumpWithRaw(e, "18446744073709551615")));
  }
}

// Integers that do not fit even in uint64 are valid JSON (RFC 8259) and
// integers, so the spec's answer is check 6 "a number out of range" (invalid_value); the
// parser needs a second pass for them (event_parse.cc).
TEST_F(IntakeValueTest, IntegerBeyondUint64IsInvalidValue) {
  Seed();
  for (const char* raw :
       {"18446744073709551616", "-9223372036854775809", "123456789012345678901234567890"}) {
    SCOPED_TRACE(raw);
    J e = Usage();
    e["data"]["gpu_seconds"] = "@RAW@";
    EXPECT_TRUE(RejectsRaw(reason::kInvalidValue, DumpWithRaw(e, raw)));
  }
}

TEST_F(IntakeValueTest, IdsInDataMustBeNonEmpty) {
  Seed();
  struct Case {
    std::function<J()> make;
    std::string field;
  };
  std::vector<Case> cases = {
      {[this] { return Contract(NewId("C")); }, "contract_id"},
      {[this] { return Contract(NewId("C")); }, "csp_id"},
      {[this] { return Contract(NewId("C")); }, "gpu_model"},
      {[this] { return Capacity(); }, "contract_id"},
      {[this] { return Grant(NewId("A")); }, "allocation_id"},
      {[this] { return Grant(NewId("A")); }, "contract_id"},
      {[this] { return Grant(NewId("A")); }, "user_id"},
      {[this] { return Release(); }, "allocation_id"},
      {[this] { return Usage(); }, "allocation_id"},
      {[this] {
         J target = Capacity();
         EXPECT_TRUE(Accepts(target));
         return Void(target["id"].get<std::string>(), kKt);
       },
       "event_id"},
  };
  for (auto& c : cases) {
    SCOPED_TRACE(c.field);
    J e = c.make();
    e["data"][c.field] = "";
    EXPECT_TRUE(Rejects(reason::kInvalidValue, e)) << e["type"];
    EXPECT_TRUE(Accepts(c.make())) << c.field;
  }
  // `reason` of event.voided is a plain string, not an id: empty is fine.
  J target = Capacity();
  ASSERT_TRUE(Accepts(target));
  J v = Void(target["id"].get<std::string>(), kKt);
  v["data"]["reason"] = "";
  EXPECT_TRUE(Accepts(v));
}

TEST_F(IntakeValueTest, SemanticTroubleIsAccepted) {
  // Section 4: what a report can legitimately contain is accepted (and raised as an anomaly
  // by the projections), not rejected by the intake.
  Seed();
  J cap = Capacity();  // outside the contract period
  cap["data"]["interval_start"] = "2025-01-01T00:00:00Z";
  cap["data"]["interval_end"] = "2025-01-01T05:00:00Z";
  EXPECT_TRUE(Accepts(cap));
  J overlap = Capacity();  // the same GPUs as another report for the same time
  EXPECT_TRUE(Accepts(overlap));
  J grant = Grant("A-long");  // past the contract period, and before it
  grant["data"]["start"] = "2026-03-01T00:00:00Z";
  grant["data"]["end"] = "2027-01-01T00:00:00Z";
  EXPECT_TRUE(Accepts(grant));
  J early = Release();  // at before the allocation's start
  early["data"]["at"] = "2020-01-01T00:00:00Z";
  EXPECT_TRUE(Accepts(early));
  J late = Release();  // at after its end
  late["data"]["at"] = "2030-01-01T00:00:00Z";
  EXPECT_TRUE(Accepts(late));
  J outside = Usage();  // outside the allocation's window
  outside["data"]["interval_start"] = "2028-01-01T00:00:00Z";
  outside["data"]["interval_end"] = "2028-01-01T00:30:00Z";
  EXPECT_TRUE(Accepts(outside));
  J over = Usage();  // more GPU-seconds than gpus x length
  over["data"]["gpu_seconds"] = 2 * 600 + 1;
  EXPECT_TRUE(Accepts(over));
  EXPECT_TRUE(Accepts(Usage()));  // overlapping an earlier usage report
  J time = Usage();               // event time unrelated to the interval
  time["time"] = "2019-01-01T00:00:00Z";
  EXPECT_TRUE(Accepts(time));
}

}  // namespace gpuledger::intake_rules_test
