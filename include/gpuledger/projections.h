// Projections: event-sourced read models of the ledger (spec sections 5-7). They consume
// the ledger's entries in index order, as Kafka ingest consumes topics, and keep their state
// in their own RocksDB (<data dir>/projections) with the last applied index, both written in
// one synced WriteBatch per batch of entries: after a crash they resume where that batch
// ended and never apply an entry twice. Memory stays bounded by the batch limits.
//
// Thread-safety: one thread at a time. Lifetime: the Projections object owns its RocksDB
// handle; the Ledger passed to CatchUp/queries must outlive the call only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gpuledger/ledger.h"
#include "gpuledger/status.h"
#include "gpuledger/types.h"

namespace gpuledger {

// KRW amounts: floor(GPU-seconds x KRW per GPU-hour / 3600) can exceed 64 bits under the
// intake's bounds (docs/intake.md), so money is a 128-bit integer. Never floating point.
__extension__ typedef __int128 Krw;
std::string KrwText(Krw amount);  // decimal, with a leading '-' when negative

// The seven figures of spec section 5 for one contract and month.
struct SettlementFigures {
  int64_t committed_gpu_seconds = 0;
  int64_t delivered_gpu_seconds = 0;
  int64_t payable_gpu_seconds = 0;
  int64_t shortfall_gpu_seconds = 0;
  Krw capacity_amount_krw = 0;
  Krw penalty_krw = 0;
  Krw net_krw = 0;
  bool operator==(const SettlementFigures&) const = default;
};
SettlementFigures operator-(const SettlementFigures& a, const SettlementFigures& b);
SettlementFigures operator+(const SettlementFigures& a, const SettlementFigures& b);

// The contract's terms as registered (for reports and the FOCUS export).
struct ContractTerms {
  std::string contract_id, csp_id, programme, gpu_model;
  int64_t committed_gpus = 0;
  int64_t period_start = 0, period_end = 0;  // Unix seconds, whole hours
  int64_t price_krw_per_gpu_hour = 0, penalty_krw_per_gpu_hour = 0;
};

// One row of `report settlement` (spec section 8).
struct SettlementRow {
  std::string contract_id, csp_id, month;
  SettlementFigures current;  // the figures now (all zero if the contract is no longer live)
  ContractTerms terms;        // of the live contract, else of the one frozen at close
  // Closed months only (section 7): the figures frozen at the close, and where it stands.
  bool closed = false;
  SettlementFigures frozen, adjustment;  // adjustment = current - frozen
  uint64_t closed_at_tree_size = 0;
  Hash256 closed_at_root{};
};

// One row of `report usage`.
struct UsageRow {
  std::string allocation_id, contract_id, user_id, month;
  int64_t granted_gpu_seconds = 0;
  int64_t used_gpu_seconds = 0;
};

// One row of `report anomalies` (spec section 6). Fields a kind does not have are empty
// strings, std::nullopt or an empty vector.
struct AnomalyRow {
  std::string kind, event_id, source;
  uint64_t event_index = 0;  // ledger index of event_id's entry
  std::string other_event_id, allocation_id, contract_id, gpu_uuid, month;
  std::vector<std::string> contract_ids;  // gpu_double_claimed: the sorted pair
  std::optional<int64_t> start, end, gpu_seconds, max_gpu_seconds, window_start, window_end;
};

struct ProjectionOptions {
  bool sync_writes = true;
  uint64_t batch_entries_max = 20000;    // entries applied per WriteBatch
  uint64_t batch_bytes_max = 64u << 20;  // bytes of entries read per batch
};

class Projections {
 public:
  // Opens (creating if missing) the projections of the ledger stored in `data_dir`.
  [[nodiscard]] static Result<std::unique_ptr<Projections>> Open(const std::string& data_dir,
                                                                 const ProjectionOptions& options);
  // Deletes the projections of `data_dir` (rebuild: drop, then Open and CatchUp).
  [[nodiscard]] static Status Drop(const std::string& data_dir);
  ~Projections();
  Projections(const Projections&) = delete;
  Projections& operator=(const Projections&) = delete;

  // Applies every ledger entry from applied() to ledger.size(), batch by batch.
  [[nodiscard]] Status CatchUp(const Ledger& ledger, const ProgressFn& progress);
  uint64_t applied() const;  // entries applied: the next ledger index to apply

  // Reports of month "YYYY-MM" (a KST settlement month), rows sorted by id.
  [[nodiscard]] Result<std::vector<SettlementRow>> Settlement(std::string_view month) const;
  [[nodiscard]] Result<std::vector<UsageRow>> Usage(std::string_view month) const;
  // Whether `month` has a live close (its settlement rows then carry frozen figures).
  [[nodiscard]] Result<bool> IsClosed(std::string_view month) const;
  // Every anomaly row (month empty) or the rows of one month (section 6). The ledger gives
  // event ids of double claims. Sorted by event_id, source, kind, then the other fields.
  [[nodiscard]] Result<std::vector<AnomalyRow>> Anomalies(const Ledger& ledger,
                                                          std::string_view month) const;
  // Every stored key and value, in key order (rebuild-equals-incremental checks).
  [[nodiscard]] Status Dump(
      const std::function<void(std::string_view key, std::string_view value)>& fn) const;

  struct Impl;

 private:
  explicit Projections(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// "YYYY-MM" -> [start, end) in Unix seconds (KST calendar month); error if not a month.
[[nodiscard]] Result<std::pair<int64_t, int64_t>> SettlementMonthBounds(std::string_view month);

}  // namespace gpuledger
