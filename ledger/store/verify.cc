// Ledger::Verify: recompute every leaf from the stored entry bytes, the hash chain, every
// stored tree node and the root, and check the dedup index, the intake state (replayed)
// and the side records (rejects, duplicates).
//
// The work is cut into independent jobs and run on two threads (the caller's and one
// worker): the machine verify is measured on has two cores, and its floor (bare SHA-256
// over the entry bytes, tools/bench/bench_ingest.cc) is single-threaded, so using both cores is
// fair; with one thread (tiny ledgers, or a worker that cannot be started) the very same
// jobs run one after the other on the caller's thread.
//
//  - Entry chunks: [begin, end) ranges of entry indexes, each scanned with its own E, H and
//    N iterators. A chunk after the first starts from the *stored* chain hash of entry
//    begin-1 and the *stored* roots of the perfect subtrees left of begin (O(log n) point
//    reads). That gives the same answer as one sequential pass: if every earlier chunk
//    passes, those stored values equal the recomputed ones (they were all checked), and if
//    an earlier chunk fails, its failure is the first one and later chunks do not count.
//    Chunk boundaries are multiples of a power of two, so each chunk's first node is where
//    the previous chunk's node scan would have stopped.
//  - Dedup parts: the dedup index's key range cut at sampled keys; their digests add up.
//
// The intake state replay (StateReplay) needs the entries in index order: chunks note the
// entries that make state (a small minority: contracts, allocations, closed months, voids),
// with their bytes up to a bound, and the caller's thread replays them in order at the end.
// Then the dedup, state and side-record checks run as in a single pass.
//
// Hashing goes through VerifySha256 (ledger/store/verify_sha256.h, OpenSSL), one per thread.
//
// Every scan is sequential and memory is bounded whatever the ledger's size: O(log n) per
// job plus at most kStateBytesKept per chunk (the replay's indexes, like StateReplay's own
// maps, grow with the state-making entries, not with the entries). All reads go through
// one RocksDB snapshot. The report is the one a single pass in index order would give: the
// first bad index, the same problem wording, the same counts.
#include <rocksdb/db.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ledger/store/checkpoint.h"
#include "ledger/store/ledger_format.h"
#include "ledger/store/ledger_impl.h"
#include "ledger/store/rocks_status.h"
#include "ledger/store/verify_scan.h"
#include "ledger/store/verify_sha256.h"
#include "ledger/store/verify_side.h"

namespace gpuledger {
namespace {

using namespace verify_internal;  // NOLINT: the other half of this file

class Verifier {
 public:
  Verifier(const Ledger::Impl& impl, VerifyReport* report)
      : impl_(impl), report_(report), replay_(impl) {}
  ~Verifier() {
    if (snapshot_ != nullptr) impl_.db->ReleaseSnapshot(snapshot_);
  }
  Status Run(const ProgressFn& progress);

 private:
  bool MarkBad(uint64_t index, std::string problem) {
    report_->ok = false;
    report_->bad_index = index;
    report_->problem = std::move(problem);
    return false;
  }
  void PlanJobs(bool parallel);
  void AddChunk(uint64_t begin, uint64_t end);
  void AddPart(std::string lower, std::string upper);
  std::vector<std::string> SampleDedupKeys();
  // Runs jobs until none is left. `main` is the caller's thread, which reports progress.
  void RunJobs(bool main);
  void ReportProgress(uint64_t done);
  uint64_t EntriesDone() const { return shared_->entries_done.load(std::memory_order_relaxed); }
  bool RunAll(bool parallel);
  bool Replay(const EntryChunk* failed);
  // Names the first entry whose dedup record disagrees; false when it found one (or a read
  // failed for another reason than a missing key: then io_error_ says why).
  bool LocateDedupMismatch();
  bool ReadFailed(const rocksdb::Status& s, const std::string& what);  // sets io_error_

  const Ledger::Impl& impl_;
  VerifyReport* report_;
  std::string io_error_;  // a read that failed on the disk, not on the data: an IOError
  const rocksdb::Snapshot* snapshot_ = nullptr;
  const ProgressFn* progress_ = nullptr;
  uint64_t size_ = 0;
  uint64_t next_progress_ = kProgressEveryEntries;
  std::vector<EntryChunk> chunks_;
  std::vector<DedupPart> parts_;
  std::unique_ptr<Shared> shared_;
  std::function<void()> tick_;
  Sha256 sha_;  // for the root
  StateReplay replay_;
};

// The dedup keys of entries spread over the ledger, sorted and distinct: cut points that
// split the index's key range into parts of similar sizes. Best effort: an entry that
// cannot be read is skipped (the entry scan reports it).
std::vector<std::string> Verifier::SampleDedupKeys() {
  std::vector<std::string> keys;
  const rocksdb::ReadOptions read = PointOptions(snapshot_);
  std::string bytes;
  for (size_t j = 1; j < kDedupSamples; ++j) {
    const uint64_t index = size_ / kDedupSamples * j;
    EntryKeyFields f;
    if (!impl_.db->Get(read, IndexKeyBuf(format::kTagEntry, index).slice(), &bytes).ok() ||
        !PeekEntry(bytes, &f).ok()) {
      continue;
    }
    keys.push_back(format::DedupKey(f.source, f.id));
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

void Verifier::PlanJobs(bool parallel) {
  chunks_.clear();
  parts_.clear();
  shared_ = std::make_unique<Shared>();
  if (!parallel) {
    // One pass in index order: exactly the sequential algorithm.
    AddChunk(0, size_);
    AddPart(std::string(1, format::kTagDedup), {});
  } else {
    const uint64_t chunk_entries = std::max(kMinChunkEntries, std::bit_ceil(size_ / kTargetChunks));
    for (uint64_t begin = 0; begin < size_; begin += chunk_entries) {
      const uint64_t end = std::min(size_, begin + chunk_entries);
      AddChunk(begin, end);
    }
    std::vector<std::string> samples = SampleDedupKeys();
    std::string lower(1, format::kTagDedup);
    for (size_t p = 1; p < kDedupParts && !samples.empty(); ++p) {
      const std::string& cut = samples[samples.size() * p / kDedupParts];
      if (cut <= lower) continue;
      AddPart(lower, cut);
      lower = cut;
    }
    AddPart(lower, {});
  }
}

void Verifier::AddChunk(uint64_t begin, uint64_t end) {
  EntryChunk& c = chunks_.emplace_back();
  c.begin = begin;
  c.end = end;
  c.last = end == size_;
}

void Verifier::AddPart(std::string lower, std::string upper) {
  DedupPart& p = parts_.emplace_back();
  p.lower = std::move(lower);
  p.upper = std::move(upper);
}

// Reports every multiple of kProgressEveryEntries up to `done` not reported yet, in order,
// on the caller's thread (the callback need not be thread-safe).
void Verifier::ReportProgress(uint64_t done) {
  if (!*progress_) return;
  while (next_progress_ <= done && next_progress_ <= size_) {
    (*progress_)(next_progress_, size_);
    next_progress_ += kProgressEveryEntries;
  }
}

void Verifier::RunJobs(bool main) {
  VerifySha256 sha;  // per thread: not thread-safe
  const std::function<void()> no_tick;
  const std::function<void()>& tick = main ? tick_ : no_tick;
  const size_t jobs = chunks_.size() + parts_.size();
  for (size_t job; (job = shared_->next_job.fetch_add(1, std::memory_order_relaxed)) < jobs;) {
    if (job < chunks_.size()) {
      if (shared_->ChunkMoot(job)) continue;
      ChunkScanner(impl_.db.get(), snapshot_, size_, sha)
          .Run(job, &chunks_[job], shared_.get(), tick);
    } else {
      if (shared_->DedupMoot()) continue;
      ScanDedupPart(impl_.db.get(), snapshot_, size_, sha, &parts_[job - chunks_.size()],
                    shared_.get(), tick);
    }
  }
}

// Plans and runs every job, on two threads if `parallel` and a worker can be started.
// False if the parallel run went wrong in a way only a sequential run can sort out.
bool Verifier::RunAll(bool parallel) {
  PlanJobs(parallel);
  std::thread worker;
  std::mutex mutex;
  std::condition_variable worker_finished;
  bool finished = false;
  bool worker_failed = false;
  if (parallel) {
    try {
      worker = std::thread([&] {
        bool ok = true;
        try {
          RunJobs(false);
        } catch (...) {
          ok = false;
          shared_->NoteFailedChunk(0);  // stop the other thread early: this run is discarded
        }
        std::lock_guard<std::mutex> lock(mutex);
        worker_failed = !ok;
        finished = true;
        worker_finished.notify_one();
      });
    } catch (...) {
      // No worker (std::system_error or bad_alloc): the caller's thread runs every job.
    }
  }
  try {
    RunJobs(true);
  } catch (...) {
    if (worker.joinable()) {
      shared_->NoteFailedChunk(0);
      worker.join();
    }
    throw;
  }
  if (worker.joinable()) {
    std::unique_lock<std::mutex> lock(mutex);
    while (!finished) {
      worker_finished.wait_for(lock, std::chrono::milliseconds(100));
      lock.unlock();
      ReportProgress(EntriesDone());
      lock.lock();
    }
    lock.unlock();
    worker.join();
  }
  return !worker_failed;
}

// Replays the state-making entries in index order, up to where a single pass would have
// stopped: before the failing entry of `failed`, or through it if its tree nodes failed
// (the replay's turn comes before theirs). False (report filled) if an entry fails it.
bool Verifier::Replay(const EntryChunk* failed) {
  IteratorPtr entries;  // for the entries whose bytes were not kept
  static constexpr char kAfterEntries = format::kTagEntry + 1;
  const rocksdb::Slice entries_upper(&kAfterEntries, 1);
  std::string problem;
  for (const EntryChunk& c : chunks_) {
    for (const EntryChunk::StateEntry& e : c.state_entries) {
      if (&c == failed && (e.index > failed->failure->index ||
                           (e.index == failed->failure->index && !failed->failed_at_nodes))) {
        return true;
      }
      std::string_view bytes;
      if (e.kept) {
        bytes = std::string_view(c.state_bytes).substr(e.offset, e.size);
      } else {
        const IndexKeyBuf key(format::kTagEntry, e.index);
        if (!entries) entries.reset(impl_.db->NewIterator(ScanOptions(snapshot_, &entries_upper)));
        // Step forward to a nearby entry, seek to a far one.
        for (int steps = 0;
             steps < 16 && entries->Valid() && entries->key().compare(key.slice()) < 0; ++steps) {
          entries->Next();
        }
        if (!entries->Valid() || entries->key().compare(key.slice()) != 0)
          entries->Seek(key.slice());
        if (!entries->Valid() || entries->key().ToStringView() != key.view()) {
          // The chunk read it from the same snapshot: only an I/O error gets here.
          return MarkBad(e.index, "entry " + std::to_string(e.index) + " is missing");
        }
        bytes = entries->value().ToStringView();
      }
      if (!replay_.Apply(e.index, bytes, &problem)) {
        // A single pass stops here: every entry before this one passed every check.
        report_->entries_checked = e.index;
        report_->nodes_checked = e.index - std::popcount(e.index);
        return MarkBad(e.index, problem);
      }
    }
    if (&c == failed) break;
  }
  return true;
}

// A read that fails on the disk (IsDiskFailure) stops verify with an IOError instead of
// naming an entry as bad; NotFound and RocksDB's Corruption are about the data.
bool Verifier::ReadFailed(const rocksdb::Status& s, const std::string& what) {
  io_error_ = "reading " + what + ": " + s.ToString();
  return false;
}

// Slow path, only after the digests disagree: look every entry up in the index.
bool Verifier::LocateDedupMismatch() {
  const rocksdb::ReadOptions read = PointOptions(snapshot_);
  for (uint64_t i = 0; i < size_; ++i) {
    std::string bytes, value;
    rocksdb::Status s = impl_.db->Get(read, format::IndexKey(format::kTagEntry, i), &bytes);
    EntryKeyFields f;
    if (IsDiskFailure(s)) return ReadFailed(s, "entry " + std::to_string(i));
    if (!s.ok() || !PeekEntry(bytes, &f).ok()) {
      return MarkBad(i, "entry " + std::to_string(i) + " cannot be read");
    }
    s = impl_.db->Get(read, format::DedupKey(f.source, f.id), &value);
    if (IsDiskFailure(s)) return ReadFailed(s, "dedup record of entry " + std::to_string(i));
    if (!s.ok()) return MarkBad(i, "the dedup index has no record of entry " + std::to_string(i));
    if (value != DedupValue{i, f.content_sha256, f.type, std::string(f.key)}.Encode()) {
      return MarkBad(i, "the dedup index record of entry " + std::to_string(i) +
                            " disagrees with the entry (index, content hash, type or key)");
    }
  }
  return MarkBad(size_, "the dedup index holds records of no entry");
}

Status Verifier::Run(const ProgressFn& progress) {
  *report_ = VerifyReport{};
  report_->ok = true;
  size_ = impl_.committed.size;
  progress_ = &progress;
  tick_ = [this] { ReportProgress(EntriesDone()); };
  snapshot_ = impl_.db->GetSnapshot();  // may be null: each iterator then reads its own

  // Two threads only when there are at least two chunks to share.
  bool parallel = size_ >= 2 * kMinChunkEntries;
  bool usable = RunAll(parallel);
  // The first chunk that did not pass must be a failure; anything else (a chunk that could
  // not start although all before it passed, a worker that threw) means the parallel run
  // is no answer: run again, sequentially.
  const EntryChunk* failed = nullptr;
  if (usable) {
    for (const EntryChunk& c : chunks_) {
      if (c.done && !c.failure) continue;
      if (c.done)
        failed = &c;
      else
        usable = false;
      break;
    }
    if (usable && !failed) {
      for (const DedupPart& p : parts_) usable = usable && p.done;
    }
  }
  if (!usable && parallel) {
    *report_ = VerifyReport{};
    report_->ok = true;
    RunAll(false);
    failed = nullptr;
    for (const EntryChunk& c : chunks_) {
      if (c.failure) failed = &c;
    }
  }

  for (const EntryChunk& c : chunks_) {
    report_->entries_checked += c.entries_checked;
    report_->nodes_checked += c.nodes_checked;
    if (&c == failed) break;
  }
  const bool replayed = Replay(failed);  // may stop before `failed`
  ReportProgress(report_->entries_checked);
  if (!replayed) return Status::Ok();
  if (failed) {
    MarkBad(failed->failure->index, failed->failure->problem);
    return Status::Ok();
  }
  const EntryChunk& last = chunks_.back();
  if (!last.scan_error.empty()) return Status::IOError("verify scan: " + last.scan_error);
  if (last.tail_failure) {
    MarkBad(last.tail_failure->index, last.tail_failure->problem);
    return Status::Ok();
  }
  report_->root = RootFromPerfectSubtrees(sha_, last.roots);
  if (!impl_.tip_problem.empty()) {
    MarkBad(size_ > 0 ? size_ - 1 : 0,
            "the ledger's tip could not be loaded: " + impl_.tip_problem);
    return Status::Ok();
  }
  if (size_ > 0 && last.chain != impl_.committed.chain) {
    MarkBad(size_ - 1, "the chain head differs from the one the ledger opened with");
    return Status::Ok();
  }
  // The dedup index: one record per entry, the same records as the entries name.
  Digest256 entry_digest, index_digest;
  uint64_t count = 0;
  bool bad = false;
  for (const EntryChunk& c : chunks_) entry_digest.Add(c.digest);
  for (const DedupPart& p : parts_) {
    index_digest.Add(p.digest);
    count += p.count;
    bad = bad || p.bad;
  }
  if (!bad) report_->dedup_checked = count;
  if (bad || count != size_ || !(index_digest == entry_digest)) {
    if (!LocateDedupMismatch()) {
      if (!io_error_.empty()) return Status::IOError(io_error_);
      return Status::Ok();
    }
  }
  if (!replay_.Compare(report_) ||
      !VerifySideRecords(impl_, format::kTagReject, impl_.committed.rejects, report_) ||
      !VerifySideRecords(impl_, format::kTagDuplicate, impl_.committed.duplicates, report_) ||
      !VerifyStoredCheckpoints(impl_, report_)) {
    return Status::Ok();
  }
  if (progress) progress(size_, size_);
  return Status::Ok();
}

}  // namespace

Status Ledger::Verify(VerifyReport* report, const ProgressFn& progress) const {
  return Verifier(*impl_, report).Run(progress);
}

}  // namespace gpuledger
