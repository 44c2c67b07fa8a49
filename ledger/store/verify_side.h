// Parts of Ledger::Verify beyond the entries' own hashes: the side records (rejects and
// duplicates, each covered by a side chain) and the intake state (contracts, allocations,
// voids, closed months), which is recomputed by replaying the entries. Private to ledger/.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "gpuledger/ledger.h"
#include "ledger/store/ledger_impl.h"

namespace gpuledger {

// Checks records 0..count-1 of a side range (format::kTagReject or kTagDuplicate): dense,
// nothing beyond, each decodes, and each stored side-chain hash recomputes. On failure
// fills report->problem (report->bad_index stays empty: no entry is bad) and returns false.
bool VerifySideRecords(const Ledger::Impl& impl, char tag, uint64_t count, VerifyReport* report);

// Whether an event of `type` can write intake state (ledger_format.h, 'S' records): the
// one list StateReplay::Apply and verify's scans both go by.
constexpr bool MakesIntakeState(EventType type) {
  return type == EventType::kContractRegistered || type == EventType::kAllocationGranted ||
         type == EventType::kPeriodClosed || type == EventType::kEventVoided;
}

// Rebuilds the intake state records from the entries, in index order, and compares them
// with the stored ones. Memory: one record per contract, allocation, void and closed month
// (not per event). Not thread-safe.
class StateReplay {
 public:
  explicit StateReplay(const Ledger::Impl& impl) : impl_(impl) {}
  // Applies entry `index`; false (with *problem) if the entry cannot be read for it.
  bool Apply(uint64_t index, std::string_view entry_bytes, std::string* problem);
  // Compares the rebuilt records with the stored 'S' range; false fills the report.
  bool Compare(VerifyReport* report);

 private:
  struct Expected {
    std::string value;
    uint64_t made_by = 0;  // the entry whose intake wrote this record last
  };
  void Put(std::string key, std::string value, uint64_t made_by);

  const Ledger::Impl& impl_;
  std::map<std::string, Expected> expected_;
  std::map<std::string, ContractState> contracts_;
  std::map<std::string, AllocationState> allocations_;
};

}  // namespace gpuledger
