// The hash-chained, Merkle-tree ledger of accepted events, its rejects store and the
// intake that judges every message (spec sections 4 and 9).
//
// Thread-safety: a Ledger is used by one thread at a time (the caller serialises).
// Lifetime: the Ledger owns its RocksDB handle; destroy it to release the directory lock.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gpuledger/status.h"
#include "gpuledger/types.h"

namespace gpuledger {

struct LedgerOptions {
  bool read_only = false;         // open for reading (verify, log, show, stats) only
  bool create_if_missing = true;  // ignored when read_only
  bool sync_writes = true;        // fsync every committed batch (off only in benchmarks)
  size_t block_cache_bytes = 64u << 20;
  size_t write_buffer_bytes = 64u << 20;
  // Seconds since the epoch stamped on entries and rejects; nullptr means the wall clock.
  std::function<int64_t()> now_seconds;
};

// What a message's entry says about it, for log/show.
struct EntryView {
  uint64_t index = 0;
  int64_t ingest_time = 0;
  Origin origin;
  std::string content_type;
  std::string message;       // exactly as received
  Hash256 content_sha256{};  // RFC 8785 canonical content hash
  Hash256 leaf_hash{};
  Hash256 chain_hash{};
  std::string source, id, type;
  int64_t time = 0;
};

struct RejectView {
  uint64_t seq = 0;
  int64_t ingest_time = 0;
  Origin origin;
  std::string reason;
  std::string detail;
  std::string message;  // raw bytes, possibly not UTF-8
};

struct DuplicateView {
  uint64_t seq = 0;
  int64_t ingest_time = 0;
  Origin origin;
  uint64_t original_index = 0;  // the accepted entry it duplicates
  Hash256 message_sha256{};     // of the raw bytes received this time
};

struct LedgerStats {
  uint64_t entries = 0;
  uint64_t rejects = 0;
  uint64_t duplicates = 0;
  Hash256 root{};
  Hash256 chain_head{};  // chain hash of the last entry (zeros when empty)
};

// A signed checkpoint as the ledger stores it: a C2SP signed note whose text is a
// tlog-checkpoint body for `tree_size` (docs/audit.md).
struct CheckpointRecord {
  uint64_t tree_size = 0;
  std::string note;
};

struct VerifyReport {
  bool ok = false;
  uint64_t checkpoints_checked = 0;
  uint64_t entries_checked = 0;
  uint64_t nodes_checked = 0;
  uint64_t dedup_checked = 0;
  uint64_t rejects_checked = 0;
  uint64_t duplicates_checked = 0;
  uint64_t state_records_checked = 0;
  std::optional<uint64_t> bad_index;  // the first entry index at which something disagreed
  std::string problem;                // what disagreed, in plain words
  Hash256 root{};
};

// A message that went through the intake's stateless checks (1 and 3-6) and encoding
// ahead of Submit, possibly on another thread. Opaque; made by a Preparer.
struct Prepared;
struct PreparedDeleter {
  void operator()(Prepared* p) const;
};
using PreparedPtr = std::unique_ptr<Prepared, PreparedDeleter>;

// Runs the stateless part of the intake, so that parsing, canonical hashing and encoding
// can overlap the sequential, stateful part. Thread-safety: one Preparer per thread; the
// Prepared it makes may be handed to the thread that calls Ledger::Submit.
class Preparer {
 public:
  // `now_seconds` stamps the ingest time of entries (nullptr: the wall clock); pass
  // Ledger::clock() to use the ledger's.
  explicit Preparer(std::function<int64_t()> now_seconds = nullptr);
  ~Preparer();
  Preparer(const Preparer&) = delete;
  Preparer& operator=(const Preparer&) = delete;
  // `bound_sources` (Kafka): the sources the message's topic admits; nullptr for files.
  // The message bytes are not kept: pass the same bytes and origin to Submit.
  // `content_type` is recorded in the entry: how the event arrived (cloudevents_kafka.h).
  PreparedPtr Prepare(std::string_view message, const Origin& origin,
                      const std::vector<std::string>* bound_sources,
                      std::string_view content_type = "application/cloudevents+json");
  // A message that is rejected before it can be judged (e.g. a Kafka record that is not an
  // event at all): Submit keeps it as a reject record with this reason code (a reason::
  // constant) and detail.
  PreparedPtr Reject(std::string_view reason_code, std::string detail);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class Ledger {
 public:
  // Opens (or creates) the ledger stored in `dir`.
  [[nodiscard]] static Result<std::unique_ptr<Ledger>> Open(const std::string& dir,
                                                            const LedgerOptions& options);
  ~Ledger();
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  // --- intake (writable ledgers only) ---
  // Judges `message` against the committed ledger and what this batch staged before it;
  // an accepted message is staged as the next entry, a rejected one as a reject record,
  // a duplicate is counted. Nothing is durable until Commit().
  // `bound_sources` (Kafka): the sources the message's topic admits; nullptr for files.
  [[nodiscard]] Result<Judgement> Submit(std::string_view message, const Origin& origin,
                                         const std::vector<std::string>* bound_sources = nullptr);
  // The same, for a message that a Preparer has prepared (`message` and `origin` are what
  // it prepared).
  [[nodiscard]] Result<Judgement> Submit(std::string_view message, const Origin& origin,
                                         const Prepared& prepared);
  // Stages the resume position of an input (a file, a Kafka partition) in this batch;
  // std::nullopt erases it.
  void StageCursor(std::string_view name, std::optional<std::string_view> value);
  size_t staged_messages() const;
  size_t staged_bytes() const;
  // Writes everything staged as one RocksDB WriteBatch (synced per options): after a crash
  // the batch is there whole or not at all. Returns once it is durable.
  Status Commit();
  // Hands everything staged to a writer thread as one WriteBatch and returns at once, so
  // that the next batch can be judged (on top of it) while it is written. At most one
  // batch is in flight: this first waits for the previous one. If a write fails, the batch
  // staged on top of it is abandoned too and the error is returned by the next
  // CommitAsync, WaitCommitted or Commit.
  Status CommitAsync();
  // Waits until the batch in flight (if any) is durable; its status.
  Status WaitCommitted();
  // Forgets everything staged since the last Commit() or CommitAsync().
  void Abandon();
  [[nodiscard]] Result<std::optional<std::string>> GetCursor(std::string_view name) const;
  // Every committed cursor whose name starts with `prefix` (e.g. "kafka:"), by name, at
  // most `limit` of them.
  [[nodiscard]] Result<std::vector<std::pair<std::string, std::string>>> ListCursors(
      std::string_view prefix, size_t limit = 100000) const;

  // --- reading ---
  uint64_t size() const;                   // committed entries
  std::function<int64_t()> clock() const;  // LedgerOptions::now_seconds
  LedgerStats stats() const;
  [[nodiscard]] Result<Hash256> RootAt(uint64_t tree_size) const;
  [[nodiscard]] Result<EntryView> ReadEntry(uint64_t index) const;
  // The index of the accepted event (source, id), from the dedup index; nullopt if none.
  [[nodiscard]] Result<std::optional<uint64_t>> IndexOf(std::string_view source,
                                                        std::string_view id) const;
  // The stored bytes of entry `index` (as ScanEntries gives them).
  [[nodiscard]] Result<std::string> ReadStored(uint64_t index) const;
  // Calls `fn` with the stored bytes of entries [first, end) in index order (the LedgerEntry
  // FlatBuffer of schemas/ledger_entry.fbs; valid during the call only) while it returns
  // true; an error it returns ends the scan with that error. Reads sequentially: the way
  // projections consume.
  [[nodiscard]] Status ScanEntries(
      uint64_t first, uint64_t end,
      const std::function<Result<bool>(uint64_t index, std::string_view stored)>& fn) const;
  [[nodiscard]] Result<RejectView> ReadReject(uint64_t seq) const;
  [[nodiscard]] Result<DuplicateView> ReadDuplicate(uint64_t seq) const;

  // --- audit (docs/audit.md) ---
  [[nodiscard]] Result<Hash256> LeafHashAt(uint64_t index) const;
  // RFC 9162 proofs from the stored tree nodes: O(log n) reads.
  [[nodiscard]] Result<std::vector<Hash256>> InclusionProof(uint64_t index,
                                                            uint64_t tree_size) const;
  [[nodiscard]] Result<std::vector<Hash256>> ConsistencyProof(uint64_t old_size,
                                                              uint64_t new_size) const;
  // Signs a checkpoint of the committed size with every key in `signer_keys` (the text of
  // `gpuledger keygen`'s private key files) and stores it, with the keys' public halves, in
  // one synced write. The origin line is `origin`, or the first key's name when empty; it
  // must be the same for every checkpoint of a ledger. Before signing it checks that the new
  // tree is consistent with the latest stored checkpoint (an RFC 9162 proof from the stored
  // nodes, verified), so the ledger never signs two inconsistent checkpoints. When the
  // latest checkpoint already has this size, it is returned unchanged. Waits for a batch in
  // flight; nothing may be staged.
  [[nodiscard]] Result<CheckpointRecord> SignCheckpoint(const std::vector<std::string>& signer_keys,
                                                        std::string_view origin = {});
  // Stored checkpoints with tree_size in [first_size, end_size), by size, at most `limit`.
  [[nodiscard]] Result<std::vector<CheckpointRecord>> Checkpoints(uint64_t first_size = 0,
                                                                  uint64_t end_size = UINT64_MAX,
                                                                  size_t limit = 1000000) const;
  [[nodiscard]] Result<std::optional<CheckpointRecord>> LatestCheckpoint() const;
  // The public keys (vkey text) of every key that signed a stored checkpoint.
  [[nodiscard]] Result<std::vector<std::string>> CheckpointKeys() const;

  // Recomputes every leaf from the stored bytes, the chain, every stored tree node and the
  // root, and checks the dedup index and the rejects store. Stops at the first mismatch.
  [[nodiscard]] Status Verify(VerifyReport* report, const ProgressFn& progress) const;

  struct Impl;

 private:
  explicit Ledger(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gpuledger
