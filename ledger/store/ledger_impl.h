// Ledger::Impl: the state behind the public Ledger. Private to ledger/.
#pragma once

#include <rocksdb/db.h>

#include <memory>

#include "gpuledger/ledger.h"
#include "ledger/audit/merkle.h"
#include "ledger/audit/sha256.h"
#include "ledger/intake/event_parse.h"
#include "ledger/intake/prepared.h"
#include "ledger/intake/state_view.h"
#include "ledger/store/batch_writer.h"
#include "ledger/store/entry_codec.h"

namespace gpuledger {

// The append position of the ledger. `committed` is what RocksDB holds; `working` adds
// what the current batch staged. Copying it is O(log n) (the frontier).
struct LedgerTip {
  uint64_t size = 0;
  uint64_t rejects = 0;
  uint64_t duplicates = 0;
  MerkleFrontier frontier;
  Hash256 chain{};            // chain hash of the last entry, zeros when empty
  Hash256 reject_chain{};     // side chain of the last reject record
  Hash256 duplicate_chain{};  // side chain of the last duplicate record
};

struct ContractState {
  uint64_t registered_index = 0;
  int64_t max_gpus_per_allocation = 0;
  bool live = false;
  std::string csp_id;
  std::string Encode() const;
  static bool Decode(std::string_view bytes, ContractState* out);
};

struct AllocationState {
  uint64_t granted_index = 0;
  uint64_t contract_registered_index = 0;
  bool live = false;
  std::string contract_id;
  std::string csp_id;
  std::string Encode() const;
  static bool Decode(std::string_view bytes, AllocationState* out);
};

struct DedupValue {
  uint64_t index = 0;
  Hash256 content{};
  EventType type = EventType::kContractRegistered;
  std::string key;  // what the event made live: contract_id, allocation_id or month
  std::string Encode() const;
  static bool Decode(std::string_view bytes, DedupValue* out);
};

struct Ledger::Impl {
  LedgerOptions options;
  std::unique_ptr<rocksdb::DB> db;
  std::unique_ptr<StateView> state;
  std::unique_ptr<BatchWriter> writer;  // declared after db: destroyed (joined) before it
  LedgerTip committed;                  // durable
  LedgerTip inflight;                   // committed plus the batch being written (when one is)
  LedgerTip working;                    // plus what is staged
  size_t staged_messages = 0;
  size_t staged_bytes = 0;
  bool staged_anything = false;
  // Read-only opens tolerate a tip (frontier, chain head) that cannot be loaded, so that
  // verify can still scan and name the first bad index; this says what failed.
  std::string tip_problem;
  PrepareContext prepare;  // for Submit without a Prepared
  Prepared scratch;        // likewise
  EntryEncoder encoder;    // reject records
  Sha256 sha;

  int64_t Now() const;
  Status LoadTip();
  Status LoadFrontierAndChain(LedgerTip* tip) const;
  Status LoadSideChain(char tag, uint64_t count, Hash256* chain) const;
  // The record bytes of side record `seq` (without its chain hash).
  Result<std::string> ReadSideRecord(char tag, uint64_t seq) const;
  Result<Judgement> Submit(std::string_view message, const Origin& origin,
                           const Prepared& prepared);
  // Stages entry `working.size`: entry bytes, leaf and chain, completed tree nodes.
  void StageEntry(std::string_view entry_bytes, const Hash256& leaf);
  // Stages a side record (reject or duplicate) with its side-chain hash.
  void StageSideRecord(char tag, uint64_t seq, std::string_view record, Hash256* chain);
  Judgement StageReject(std::string_view reason, const std::string& detail,
                        std::string_view message, const Origin& origin);
  // Undoes what the voided event made live (contract, allocation, closed month) and marks
  // it voided by entry `void_index`.
  Status ApplyVoid(const DedupValue& target, uint64_t void_index);
  // The stored leaf and chain hashes of entry `index` (either pointer may be null).
  Status ReadHashes(uint64_t index, Hash256* leaf, Hash256* chain) const;
  Result<Hash256> ReadLeaf(uint64_t index) const;
  Result<Hash256> ReadNode(uint8_t level, uint64_t index) const;
};

}  // namespace gpuledger
