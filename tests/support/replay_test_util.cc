#include "tests/support/replay_test_util.h"

#include <flatbuffers/flatbuffers.h>

#include <map>

#include "schemas/event_generated.h"
#include "schemas/ledger_entry_generated.h"

namespace gpuledger::testing {

verify::EventSource SourceOf(const Ledger& ledger) {
  return [&ledger](const verify::EventVisitor& fn) -> Status {
    return ledger.ScanEntries(
        0, ledger.size(), [&](uint64_t index, std::string_view stored) -> Result<bool> {
          flatbuffers::Verifier verifier(reinterpret_cast<const uint8_t*>(stored.data()),
                                         stored.size());
          if (!fb::VerifyLedgerEntryBuffer(verifier)) {
            return Status::Corruption("entry " + std::to_string(index) + " does not verify");
          }
          const fb::Event* event = fb::GetLedgerEntry(stored.data())->event_nested_root();
          if (event == nullptr) return Status::Corruption("entry without an event");
          Status s = fn(index, *event);
          if (!s.ok()) return s;
          return true;
        });
  };
}

ReplayBench::ReplayBench() {
  LedgerOptions options;
  options.sync_writes = false;  // a test: durability is not what is compared
  auto ledger = Ledger::Open(dir_.Sub("data"), options);
  EXPECT_TRUE(ledger.ok()) << ledger.status().ToString();
  if (ledger.ok()) ledger_ = std::move(ledger).value();
  ProjectionOptions popts;
  popts.sync_writes = false;
  auto projections = Projections::Open(dir_.Sub("data"), popts);
  EXPECT_TRUE(projections.ok()) << projections.status().ToString();
  if (projections.ok()) projections_ = std::move(projections).value();
}

::testing::AssertionResult ReplayBench::Ingest(const std::vector<Json>& events, bool all_accepted,
                                               std::vector<uint64_t>* indexes) {
  std::vector<std::string> lines;
  for (const Json& e : events) lines.push_back(e.dump());
  for (const std::string& line : lines) {
    Origin origin;
    origin.file = "scenario.jsonl";
    origin.line = ++line_;
    auto judged = ledger_->Submit(line, origin);
    if (!judged.ok()) return ::testing::AssertionFailure() << judged.status().ToString();
    if (judged->outcome == Outcome::kAccepted && indexes != nullptr) {
      indexes->push_back(judged->index);
    }
    if (all_accepted && judged->outcome != Outcome::kAccepted) {
      return ::testing::AssertionFailure()
             << "not accepted (" << judged->reason << ": " << judged->detail << "): " << line;
    }
  }
  Status s = ledger_->Commit();
  if (!s.ok()) return ::testing::AssertionFailure() << s.ToString();
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult ReplayBench::IngestLines(const std::vector<std::string>& lines) {
  std::vector<Json> events;
  for (const std::string& line : lines) events.push_back(Json::parse(line, nullptr, false));
  return Ingest(events, /*all_accepted=*/false);
}

std::unique_ptr<verify::SettlementReplay> ReplayBench::Replay() const {
  auto replay = verify::SettlementReplay::Load(SourceOf(*ledger_));
  EXPECT_TRUE(replay.ok()) << replay.status().ToString();
  return replay.ok() ? std::move(replay).value() : nullptr;
}

namespace {

std::string Line(const std::string& contract_id, const std::string& csp_id, int64_t committed,
                 int64_t delivered, int64_t payable, int64_t shortfall, const std::string& amount,
                 const std::string& penalty, const std::string& net) {
  return contract_id + " " + csp_id + " committed=" + std::to_string(committed) +
         " delivered=" + std::to_string(delivered) + " payable=" + std::to_string(payable) +
         " shortfall=" + std::to_string(shortfall) + " amount=" + amount + " penalty=" + penalty +
         " net=" + net;
}

std::string LineOf(const std::string& cid, const std::string& csp, const SettlementFigures& f) {
  return Line(cid, csp, f.committed_gpu_seconds, f.delivered_gpu_seconds, f.payable_gpu_seconds,
              f.shortfall_gpu_seconds, KrwText(f.capacity_amount_krw), KrwText(f.penalty_krw),
              KrwText(f.net_krw));
}

std::string LineOf(const std::string& cid, const std::string& csp, const verify::Figures& f) {
  return Line(cid, csp, f.committed_gpu_seconds, f.delivered_gpu_seconds, f.payable_gpu_seconds,
              f.shortfall_gpu_seconds, verify::KrwDecimal(f.capacity_amount_krw),
              verify::KrwDecimal(f.penalty_krw), verify::KrwDecimal(f.net_krw));
}

std::string Differ(const std::string& what, const std::vector<std::string>& projected,
                   const std::vector<std::string>& replayed) {
  if (projected == replayed) return "";
  std::string out = what + " differs\n  projections:";
  for (const auto& l : projected) out += "\n    " + l;
  out += "\n  replay:";
  for (const auto& l : replayed) out += "\n    " + l;
  return out + "\n";
}

}  // namespace

std::string ReplayBench::CompareMonth(const verify::SettlementReplay& replay,
                                      const std::string& month) {
  const uint64_t size = ledger_->size();
  auto rows = projections_->Settlement(month);
  auto is_closed = projections_->IsClosed(month);
  if (!rows.ok() || !is_closed.ok()) return "projections failed on " + month;
  const auto closed = replay.ClosedMonths(size);
  const auto close = closed.find(month);
  if (is_closed.value() != (close != closed.end())) {
    return month + ": projections say closed=" + std::to_string(is_closed.value()) + ", replay not";
  }
  std::vector<verify::SettlementReplay::Want> wants = {{month, size}};
  if (close != closed.end()) wants.push_back({month, close->second});
  auto settled = replay.Settle(SourceOf(*ledger_), wants);
  if (!settled.ok()) return "replay Settle failed: " + settled.status().ToString();
  std::vector<std::string> projected, replayed;
  for (const SettlementRow& row : rows.value()) {
    if (row.closed != (close != closed.end()))
      return month + ": row closed flag " + row.contract_id;
    // A closed month's rows include contracts no longer live (zeros now): not current rows.
    if (!row.closed || row.current.committed_gpu_seconds > 0) {
      projected.push_back(LineOf(row.contract_id, row.csp_id, row.current));
    }
  }
  for (const auto& r : settled->at(wants[0]))
    replayed.push_back(LineOf(r.contract_id, r.csp_id, r.figures));
  std::string diff =
      Differ(month + " current (size " + std::to_string(size) + ")", projected, replayed);
  if (close == closed.end() || !diff.empty()) return diff;
  projected.clear(), replayed.clear();
  for (const SettlementRow& row : rows.value()) {
    if (row.closed_at_tree_size != close->second) {
      return month + ": closed_at_tree_size " + std::to_string(row.closed_at_tree_size) +
             " vs replay " + std::to_string(close->second);
    }
    // Every contract active in a month commits > 0: a frozen side exists iff it does.
    if (row.frozen.committed_gpu_seconds > 0)
      projected.push_back(LineOf(row.contract_id, "", row.frozen));
  }
  adjusted_months_ += settled->at(wants[0]) != settled->at(wants[1]) ? 1 : 0;
  for (const auto& r : settled->at(wants[1]))
    replayed.push_back(LineOf(r.contract_id, "", r.figures));
  return Differ(month + " frozen at " + std::to_string(close->second), projected, replayed);
}

std::string ReplayBench::Compare(const std::set<std::string>& extra_months) {
  Status s = projections_->CatchUp(*ledger_, nullptr);
  if (!s.ok()) return "CatchUp: " + s.ToString();
  auto replay = Replay();
  if (replay == nullptr) return "replay Load failed";
  if (replay->size() != ledger_->size()) return "replay size differs";
  // Every month some entry touches: all months that can have rows.
  std::set<std::string> months = extra_months;
  s = SourceOf(*ledger_)([&](uint64_t index, const fb::Event& event) {
    const auto t = replay->Touches(index, event);
    months.insert(t.months.begin(), t.months.end());
    return Status::Ok();
  });
  if (!s.ok()) return "scan: " + s.ToString();
  std::string diffs;
  for (const auto& month : months) diffs += CompareMonth(*replay, month);
  return diffs;
}

}  // namespace gpuledger::testing
