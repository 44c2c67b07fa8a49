// The offline verifier's settlement replay (tools/verify/replay.h) against the operator's
// projections (consumers/), which are the reference here: ledgers built through the real
// intake, random here and hand-written in replay_cases_test.cc, compared month by month,
// now and frozen at each close.
//
// GPULEDGER_REPLAY_SEEDS=<n> runs seeds 1..n of the random scenarios (default 200);
// GPULEDGER_REPLAY_SEED=<s> runs seed s only.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "schemas/event_generated.h"
#include "tests/support/replay_test_util.h"

namespace gpuledger::testing {
namespace {

// KST month boundaries: 2026-04 starts at kB1, 2026-05 at kB2.
constexpr int64_t kB1 = 1774969200;  // 2026-03-31T15:00:00Z
constexpr int64_t kB2 = kB1 + 30 * 86400;
constexpr int64_t kHour = 3600;
const std::vector<std::string> kMonths = {"2026-03", "2026-04", "2026-05"};

// Random valid scenarios: up to four contract ids over three months (short periods at
// either boundary, or one spanning April), re-registered after voids, four GPU UUIDs shared
// among them, capacity reports short and long, grants, releases, usage, voids of every kind
// and closes (voided and closed again), interleaved so that much arrives after a close.
class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {}

  // What the scenario exercises (for the summary: the generator must reach these).
  const std::set<std::string>& features() const { return features_; }

  std::vector<Json> Make() {
    for (int64_t i = U(1, 3); i > 0; --i) Register();
    for (int64_t i = U(10, 40); i > 0; --i) {
      const int64_t r = U(0, 99);
      if (r < 38) {
        Capacity();
      } else if (r < 46) {
        Usage();
      } else if (r < 50) {
        Release();
      } else if (r < 55) {
        Grant();
      } else if (r < 75) {
        Void();
      } else if (r < 88) {
        Close();
      } else {
        Register();
      }
    }
    return events_;
  }

 private:
  struct Contract {
    bool live = false;
    int generation = 0;
    std::string csp;
    int64_t start = 0, end = 0, max_per = 1;
  };
  struct Alloc {
    std::string contract_id;
    int generation = 0;
    bool granted_live = true;
    int64_t start = 0, end = 0, gpus = 1;
  };
  struct Sent {  // what a void may target
    std::string id, source, contract_id, allocation_id, month;
    int generation = 0;
    char kind = 0;  // 'r'egistration, 'c'apacity, 'g'rant, 'a'llocation event, 'x' close
    bool voided = false;
  };

  int64_t U(int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng_); }
  bool P(int64_t percent) { return U(0, 99) < percent; }
  std::string Id(const char* prefix) { return std::string(prefix) + "-" + std::to_string(++n_); }
  int64_t Money() {
    const int64_t fixed[] = {0, 3600, 3333, 1001};
    const int64_t r = U(0, 4);
    return r < 4 ? fixed[r] : U(1, 9999);
  }
  int64_t Snap(int64_t t) {  // edges are where off-by-ones live
    const int64_t r = U(0, 99);
    if (r < 15) return (t + 1800) / kHour * kHour;
    if (r < 20) return P(50) ? kB1 : kB2;
    return t;
  }
  bool AllocLive(const Alloc& a) const {
    const Contract& c = contracts_.at(a.contract_id);
    return a.granted_live && c.live && c.generation == a.generation;
  }
  template <typename M>
  std::vector<std::string> Keys(const M& map, bool (Generator::*ok)(const std::string&) const) {
    std::vector<std::string> keys;
    for (const auto& [k, v] : map) {
      if ((this->*ok)(k)) keys.push_back(k);
    }
    return keys;
  }
  bool ContractLive(const std::string& id) const { return contracts_.at(id).live; }
  bool AllocIdLive(const std::string& id) const { return AllocLive(allocs_.at(id)); }
  const std::string& Pick(const std::vector<std::string>& v) {
    return v[static_cast<size_t>(U(0, static_cast<int64_t>(v.size()) - 1))];
  }

  void Register() {
    std::vector<std::string> free_ids;
    for (int i = 1; i <= 4; ++i) {
      const std::string id = "C-" + std::to_string(i);
      if (!contracts_[id].live) free_ids.push_back(id);
    }
    if (free_ids.empty()) return;
    const std::string cid = Pick(free_ids);
    Contract& c = contracts_[cid];
    if (c.generation > 0) features_.insert("registered_again");
    c.live = true, ++c.generation;
    c.csp = P(50) ? "kt-cloud" : "naver-cloud";
    if (P(15)) {  // all of April and a little around it
      features_.insert("long_contract");
      c.start = kB1 - U(1, 30) * kHour, c.end = kB2 + U(1, 30) * kHour;
    } else {
      c.start = (P(60) ? kB1 : kB2) + U(-3, 2) * kHour, c.end = c.start + U(1, 4) * kHour;
    }
    c.max_per = U(1, 3);
    const std::string id = Id("reg");
    events_.push_back(ContractEvent(id, cid, c.csp, U(1, 3), UtcText(c.start), UtcText(c.end),
                                    Money(), Money(), c.max_per));
    sent_.push_back({id, kMinistrySource, cid, "", "", c.generation, 'r'});
  }
  void Capacity() {
    const auto live = Keys(contracts_, &Generator::ContractLive);
    if (live.empty()) return;
    const std::string& cid = Pick(live);
    const Contract& c = contracts_[cid];
    const int64_t start = Snap(c.start + U(-2400, c.end - c.start));
    int64_t end = Snap(start + (P(15) ? U(1, 5 * 86400) : U(1, 5400)));
    if (end <= start) end = start + U(1, kHour);
    std::vector<std::string> gpus;
    for (int g = 1; g <= 4; ++g) {
      if (P(50)) gpus.push_back("GPU-" + std::to_string(g));
    }
    const std::string id = Id("cap");
    if (!closed_.empty()) features_.insert("capacity_after_close");
    events_.push_back(CapacityEvent(id, c.csp, cid, UtcText(start), UtcText(end), gpus));
    sent_.push_back({id, CspSource(c.csp), cid, "", "", c.generation, 'c'});
  }
  void Grant() {
    const auto live = Keys(contracts_, &Generator::ContractLive);
    if (live.empty()) return;
    const std::string& cid = Pick(live);
    const Contract& c = contracts_[cid];
    const std::string aid = "A-" + std::to_string(++n_allocs_);
    Alloc a{cid, c.generation,   true, Snap(c.start + U(-kHour, c.end - c.start)),
            0,   U(1, c.max_per)};
    a.end = std::max(a.start + 1, Snap(a.start + U(1, 3 * kHour)));
    allocs_[aid] = a;
    const std::string id = Id("grant");
    events_.push_back(GrantEvent(id, aid, cid, "U-1", a.gpus, UtcText(a.start), UtcText(a.end)));
    sent_.push_back({id, kMinistrySource, cid, aid, "", c.generation, 'g'});
  }
  void Usage() {
    const auto live = Keys(allocs_, &Generator::AllocIdLive);
    if (live.empty()) return;
    const std::string& aid = Pick(live);
    const Alloc& a = allocs_[aid];
    const int64_t start = a.start + U(-1800, a.end - a.start);
    const int64_t next_hour = start - start % kHour + kHour;
    const int64_t end = start + U(1, next_hour - start);
    const std::string csp = contracts_[a.contract_id].csp, id = Id("use");
    events_.push_back(
        UsageEvent(id, csp, aid, UtcText(start), UtcText(end), U(0, a.gpus * (end - start))));
    sent_.push_back({id, CspSource(csp), a.contract_id, aid, "", a.generation, 'a'});
  }
  void Release() {
    const auto live = Keys(allocs_, &Generator::AllocIdLive);
    if (live.empty()) return;
    const std::string& aid = Pick(live);
    const Alloc& a = allocs_[aid];
    const std::string source =
        P(50) ? std::string(kMinistrySource) : CspSource(contracts_[a.contract_id].csp);
    const std::string id = Id("rel");
    events_.push_back(ReleaseEvent(id, source, aid, UtcText(a.start + U(-900, a.end - a.start))));
    sent_.push_back({id, source, a.contract_id, aid, "", a.generation, 'a'});
  }
  void Close() {
    const std::string month = kMonths[static_cast<size_t>(U(0, 2))];
    if (closed_.count(month)) return;
    if (reopened_.count(month)) features_.insert("closed_again");
    closed_.insert(month);
    const std::string id = Id("close");
    events_.push_back(CloseEvent(id, month));
    sent_.push_back({id, kMinistrySource, "", "", month, 0, 'x'});
  }
  // Only events whose contract (and allocation) are still live, so that nothing the
  // intake might judge ambiguous is voided.
  bool Voidable(const Sent& s) {
    if (s.voided) return false;
    if (s.kind == 'x') return true;
    const Contract& c = contracts_[s.contract_id];
    if (!c.live || c.generation != s.generation) return false;
    if (s.kind == 'r') return P(10);
    if (s.kind == 'c') return true;
    return AllocLive(allocs_[s.allocation_id]) && (s.kind != 'g' || P(30));
  }
  void Void() {
    std::vector<size_t> candidates;
    for (size_t i = 0; i < sent_.size(); ++i) {
      if (Voidable(sent_[i])) candidates.push_back(i);
    }
    if (candidates.empty()) return;
    Sent& target =
        sent_[candidates[static_cast<size_t>(U(0, static_cast<int64_t>(candidates.size()) - 1))]];
    target.voided = true;
    if (target.kind == 'r') contracts_[target.contract_id].live = false;
    if (target.kind == 'g') allocs_[target.allocation_id].granted_live = false;
    if (target.kind == 'x') closed_.erase(target.month), reopened_.insert(target.month);
    features_.insert(std::string("void_of_") + target.kind);
    events_.push_back(VoidEvent(Id("void"), target.source, target.id));
  }

  std::mt19937_64 rng_;
  std::vector<Json> events_;
  std::vector<Sent> sent_;
  std::map<std::string, Contract> contracts_;
  std::map<std::string, Alloc> allocs_;
  std::set<std::string> closed_, reopened_, features_;
  int n_ = 0, n_allocs_ = 0;
};

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::atoi(v) : fallback;
}

TEST(ReplayTest, RandomScenariosAgreeWithProjections) {
  std::vector<uint64_t> seeds;
  if (const int one = EnvInt("GPULEDGER_REPLAY_SEED", 0); one > 0) {
    seeds.push_back(static_cast<uint64_t>(one));
  } else {
    for (int s = 1; s <= EnvInt("GPULEDGER_REPLAY_SEEDS", 200); ++s) seeds.push_back(s);
  }
  int failures = 0, closed_checked = 0, adjusted = 0;
  std::map<std::string, int> coverage;
  for (uint64_t seed : seeds) {
    Generator generator(seed);
    const std::vector<Json> events = generator.Make();
    for (const auto& f : generator.features()) ++coverage[f];
    ReplayBench bench;
    // Two parts, compared after each (the projections catch up incrementally).
    const auto split = static_cast<long>(events.size() / 2);
    std::string diff;
    for (const auto& part : {std::vector<Json>(events.begin(), events.begin() + split),
                             std::vector<Json>(events.begin() + split, events.end())}) {
      ASSERT_TRUE(bench.Ingest(part)) << "seed " << seed;
      diff += bench.Compare(std::set<std::string>(kMonths.begin(), kMonths.end()));
    }
    adjusted += bench.adjusted_months();
    closed_checked += static_cast<int>(bench.Replay()->ClosedMonths(bench.ledger().size()).size());
    if (!diff.empty()) {
      std::string text;
      for (const auto& e : events) text += e.dump() + "\n";
      ADD_FAILURE() << "seed " << seed << ":\n" << diff << "scenario:\n" << text;
      if (++failures >= 3) break;
    }
  }
  std::printf(
      "ReplayTest: %zu seeds, %d closed months at the end, %d comparisons of a closed "
      "month with an adjustment; scenarios with:",
      seeds.size(), closed_checked, adjusted);
  for (const auto& [name, count] : coverage) std::printf(" %s=%d", name.c_str(), count);
  std::printf("\n");
  EXPECT_GT(closed_checked, 0);
  EXPECT_GT(adjusted, 0);
}

// Many (month, prefix) pairs in one call (more than one pass's 64) give what each gives
// alone; bad wants are refused.
TEST(ReplayTest, ManyWantsAtOnceEqualOneByOne) {
  std::vector<Json> events;
  for (uint64_t seed = 1; events.size() < 30; ++seed) events = Generator(seed).Make();
  ReplayBench bench;
  ASSERT_TRUE(bench.Ingest(events));
  auto replay = bench.Replay();
  ASSERT_NE(replay, nullptr);
  const auto source = SourceOf(bench.ledger());
  std::vector<verify::SettlementReplay::Want> wants;
  for (uint64_t prefix = 0; prefix <= bench.ledger().size(); ++prefix) {
    for (const auto& month : kMonths) wants.push_back({month, prefix});
  }
  ASSERT_GT(wants.size(), 64u);
  auto all = replay->Settle(source, wants);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all.value().size(), wants.size());
  size_t with_rows = 0;
  for (const auto& want : wants) {
    auto one = replay->Settle(source, {want});
    ASSERT_TRUE(one.ok()) << one.status().ToString();
    EXPECT_EQ(one.value().at(want), all.value().at(want))
        << want.month << " at " << want.prefix_size;
    with_rows += one.value().at(want).empty() ? 0 : 1;
  }
  EXPECT_GT(with_rows, 0u);
  EXPECT_FALSE(replay->Settle(source, {{"2026-13", 1}}).ok());
  EXPECT_FALSE(replay->Settle(source, {{"2026-04", bench.ledger().size() + 1}}).ok());
}

}  // namespace
}  // namespace gpuledger::testing
