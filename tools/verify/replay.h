// The offline verifier's own settlement: spec sections 5 and 7 recomputed in memory from
// ledger entries, independently of consumers/ (no RocksDB). Used by gpuledger-verify to
// check a bundle's closed-month statements against the ledger prefix they claim.
//
// Thread-safety: a SettlementReplay is used by one thread. Lifetime: it copies what it
// keeps out of the entries it is shown; the caller's buffers may go after each call.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "gpuledger/status.h"

namespace gpuledger::fb {
struct Event;
}

namespace gpuledger::verify {

__extension__ typedef __int128 Krw;  // 128-bit: floors of 64-bit products
std::string KrwDecimal(Krw value);

// The seven figures of spec section 5 for one contract and month.
struct Figures {
  int64_t committed_gpu_seconds = 0;
  int64_t delivered_gpu_seconds = 0;
  int64_t payable_gpu_seconds = 0;
  int64_t shortfall_gpu_seconds = 0;
  Krw capacity_amount_krw = 0;
  Krw penalty_krw = 0;
  Krw net_krw = 0;
  bool operator==(const Figures&) const = default;
};

struct StatementRow {
  std::string contract_id, csp_id;
  Figures figures;
  bool operator==(const StatementRow&) const = default;
};

// Calls `fn(index, event)` for every entry in index order from 0, stopping early (and
// returning its status) if fn fails. The verifier hands the nested Event of each entry,
// whose leaf hash it has already checked. May be called more than once.
using EventVisitor = std::function<Status(uint64_t index, const fb::Event& event)>;
using EventSource = std::function<Status(const EventVisitor& fn)>;

// What an entry touches, for a tamper report: the contracts it refers to (directly, or
// through an allocation or the event it voids) and the settlement months of its footprint.
struct EntryTouches {
  std::set<std::string> contract_ids;
  std::set<std::string> months;  // "YYYY-MM"
};

class SettlementReplay {
 public:
  // Reads the whole source once (contracts, allocations, voids, closes: small state). The
  // source must give indexes 0, 1, 2, ... in order (Corruption otherwise), and an event
  // without a payload is Corruption too.
  [[nodiscard]] static Result<std::unique_ptr<SettlementReplay>> Load(const EventSource& source);
  ~SettlementReplay();

  uint64_t size() const;  // entries seen
  // Months with a live period.closed among entries [0, prefix_size): month -> the close's
  // index (its closed_at_tree_size).
  std::map<std::string, uint64_t> ClosedMonths(uint64_t prefix_size) const;
  // Settlement of `month` as computed from entries [0, prefix_size) alone (voids at or after
  // prefix_size do not count): one row per contract live at prefix_size and active in the
  // month, sorted by contract_id. Reads the source again (capacity reports are not kept
  // between calls, to bound memory): it must give the entries Load saw. Several (month,
  // prefix) pairs in one pass (up to 64; more take more passes). Memory: the capacity
  // reports that count for some wanted pair (a few dozen bytes each, GPU lists interned
  // and shared), plus one day of one month's GPU intervals at a time; ask for fewer months
  // a call to use less. InvalidArgument for a malformed month or a prefix beyond size().
  struct Want {
    std::string month;
    uint64_t prefix_size = 0;
    auto operator<=>(const Want&) const = default;
  };
  [[nodiscard]] Result<std::map<Want, std::vector<StatementRow>>> Settle(
      const EventSource& source, const std::vector<Want>& wants) const;
  // What `event`, entry `index` of the ledger, touches: its references resolve to the
  // latest registration (grant) of the id below `index`, as the intake judged them. A
  // contract: its period; a capacity report: its interval inside that contract's period;
  // a grant: its window; a release: the part of the window it takes away; usage: its
  // interval; a close: its month (a close has no time footprint, but its month's statement
  // is what it touches); a void: what its target touches. A void of a capacity report,
  // usage or release names nothing until ResolveVoidTargets has run (Load keeps only
  // contracts, grants, closes and voids).
  EntryTouches Touches(uint64_t index, const fb::Event& event) const;
  // The same for an entry whose index is not at hand: a contract, grant, close or void
  // seen is placed at its own index (found by source and id), any other event at the end.
  EntryTouches Touches(const fb::Event& event) const;
  // Reads the source once more to learn what the targets of voids that are capacity
  // reports, usage or releases touch; memory grows with the number of such voids only.
  [[nodiscard]] Status ResolveVoidTargets(const EventSource& source);

  struct State;  // replay_state.h (private to tools/verify)

 private:
  SettlementReplay();
  std::unique_ptr<State> state_;
};

// "YYYY-MM" -> [start, end) Unix seconds of that KST settlement month; false if malformed.
bool MonthBounds(std::string_view month, int64_t* start, int64_t* end);

}  // namespace gpuledger::verify
