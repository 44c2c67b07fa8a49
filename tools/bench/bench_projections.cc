// gpuledger_bench_projections: how fast projections catch up with a large ledger, what one
// new batch costs per event as the ledger grows, and how much memory the catch-up takes,
// next to the physical limits measured on the same machine in the same run.
//
//   catch-up   = Projections::CatchUp from zero over a ledger of --events simulated events
//                (default 5,000,000), in a process of its own: events/s (wall), events per
//                CPU-second, and peak memory (VmHWM; ru_maxrss too, which Linux carries
//                over from the image the process was forked from).
//   batch      = --rounds batches of --batch new simulated events appended to caught-up
//                ledgers of --events / 10 (1x) and --events (10x) entries, each applied by
//                CatchUp: microseconds per event of the median batch (wall, and CPU of the
//                applying thread) at 1x and 10x and their ratio (flat: O(batch), not
//                O(history)). A warm-up batch is not counted.
//   bare read  = a plain read-only RocksDB iterator over the ledger's entry range ('E') with
//                Ledger::ScanEntries' read options: the projections' input limit.
//   bare write = a fresh RocksDB taking 100-byte values in synced WriteBatches of the
//                projections' batch size: their output limit, in values/s.
//
// The fixtures (two ledgers built by streaming gpuledger::Simulate months 2026-01, 2026-02,
// ... through the intake, never all in memory) stay under --dir; --reuse skips rebuilding
// them when they match the options. The phases run on hard-linked copies of the fixtures.
// The machine's load average is printed: other work on it slows wall-clock figures (CPU
// figures much less). A benchmark, not a test: it prints figures and a one-line JSON
// summary, and fails only when something does not work. Figures are integers.
//
//   ops/bench-projections.sh [--events N] [--reuse] [--dir D] ...
#include <fmt/core.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "gpuledger/file_intake.h"
#include "gpuledger/ledger.h"
#include "gpuledger/projections.h"
#include "ledger/store/ledger_format.h"
#include "tools/csp/simulate.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace gpuledger;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "gpuledger_bench_projections: %s\n", what.c_str());
  std::exit(1);
}

int64_t NanosSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
}

// n events in `nanos` nanoseconds, per second (n <= 2^32: no overflow).
uint64_t PerSecond(uint64_t n, int64_t nanos) {
  return n * 1'000'000'000 / static_cast<uint64_t>(std::max<int64_t>(1, nanos));
}

// Thousandths as "i.fff" (ratios and microseconds from nanoseconds), integers only.
std::string Milli(uint64_t thousandths) {
  return fmt::format("{}.{:03}", thousandths / 1000, thousandths % 1000);
}

// Progress on stderr, at most every 2 s, only for phases that last that long.
class Progress {
 public:
  explicit Progress(std::string phase)
      : phase_(std::move(phase)), start_(Clock::now()), last_(start_), tty_(isatty(2) != 0) {}
  void Update(uint64_t done, uint64_t total, const char* unit) {
    auto now = Clock::now();
    if (now - last_ < std::chrono::seconds(2)) return;
    last_ = now;
    shown_ = true;
    const uint64_t pct = total ? done * 100 / total : 0;
    std::fprintf(stderr, "%s[%s] %llu/%llu %s (%llu%%) %lld s%s", tty_ ? "\r" : "", phase_.c_str(),
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
                 unit, static_cast<unsigned long long>(pct),
                 static_cast<long long>(NanosSince(start_) / 1'000'000'000), tty_ ? "   " : "\n");
  }
  ~Progress() {
    if (shown_ && tty_) std::fprintf(stderr, "\n");
  }

 private:
  std::string phase_;
  Clock::time_point start_, last_;
  bool tty_;
  bool shown_ = false;
};

// --- options -------------------------------------------------------------------------

struct Options {
  uint64_t events = 5'000'000;
  std::string dir;
  bool reuse = false;
  bool keep_work = false;
  uint64_t batch = 10'000;
  uint32_t rounds = 9;
  uint64_t seed = 7;
  uint32_t scale = 10;
  uint32_t csps = 3;
  uint32_t capacity_interval_seconds = 600;
  uint64_t bare_values = 1'000'000;
  uint64_t bare_batch = 20'000;  // ProjectionOptions::batch_entries_max
  // Child phases (run by the benchmark itself).
  std::string phase, work;
  uint32_t batch_month = 0;
};

// The k-th simulated month: 2026-01 + k.
std::string MonthAt(uint32_t k) {
  const uint32_t m = 2026 * 12 + k;
  return fmt::format("{:04}-{:02}", m / 12, m % 12 + 1);
}

SimulateOptions SimulateMonth(const Options& o, uint32_t k) {
  SimulateOptions sim;
  sim.seed = o.seed + k;
  sim.scale = o.scale;
  sim.csps = o.csps;
  sim.capacity_interval_seconds = o.capacity_interval_seconds;
  sim.month = MonthAt(k);
  return sim;
}

// --- feeding simulated events through the intake ------------------------------------

// Collects JSON lines into a chunk and ingests it through IngestBuffer (the intake, in
// batches); every event must be accepted.
class ChunkedIngest {
 public:
  explicit ChunkedIngest(Ledger* ledger) : ledger_(ledger) {}
  void Add(std::string_view json) {
    chunk_.append(json);
    chunk_.push_back('\n');
    if (++lines_ >= kChunkLines) Flush();
  }
  void Flush() {
    if (lines_ == 0) return;
    FileIngestOptions fo;
    fo.batch_messages_max = kBatchLines;
    auto report = IngestBuffer(*ledger_, chunk_, "bench-projections.jsonl", fo);
    if (!report.ok()) Die("ingest: " + report.status().ToString());
    const IntakeCounts& c = report->counts;
    if (c.accepted != lines_) {
      std::string why;
      if (c.rejected > 0 && ledger_->stats().rejects > 0) {
        auto r = ledger_->ReadReject(ledger_->stats().rejects - 1);
        if (r.ok()) why = "; last reject: " + r->reason + ": " + r->detail;
      }
      Die(fmt::format("{} of {} events accepted ({} duplicate, {} rejected){}", c.accepted, lines_,
                      c.duplicate, c.rejected, why));
    }
    accepted_ += lines_;
    chunk_.clear();
    lines_ = 0;
  }
  uint64_t accepted() const { return accepted_; }

 private:
  // Lines per IngestBuffer call (~60 MB), committed in batches of kBatchLines: the intake
  // overlaps preparing, judging and writing only within one call (3x faster than 5000).
  static constexpr uint64_t kChunkLines = 50000;
  static constexpr uint64_t kBatchLines = 5000;
  Ledger* ledger_;
  std::string chunk_;
  uint64_t lines_ = 0;
  uint64_t accepted_ = 0;
};

// Events [skip, skip + count) of month k, through the intake (count = 0: all of them).
// Returns how many were ingested.
uint64_t IngestMonth(Ledger* ledger, const Options& o, uint32_t k, uint64_t skip, uint64_t count) {
  ChunkedIngest ingest(ledger);
  uint64_t seen = 0;
  auto summary = Simulate(SimulateMonth(o, k), [&](const SimulatedEvent& e) {
    const uint64_t i = seen++;
    if (i >= skip && (count == 0 || i - skip < count)) ingest.Add(e.json);
  });
  if (!summary.ok()) Die("simulate: " + summary.status().ToString());
  ingest.Flush();
  return ingest.accepted();
}

Result<std::unique_ptr<Ledger>> OpenWritable(const std::string& dir) {
  LedgerOptions lo;
  lo.sync_writes = false;  // fixtures and appended batches: not what is measured
  return Ledger::Open(dir, lo);
}

// --- fixtures ------------------------------------------------------------------------

std::string FixtureKey(const Options& o, uint64_t events) {
  return fmt::format("events={} seed={} scale={} csps={} capacity_interval_seconds={} format=1\n",
                     events, o.seed, o.scale, o.csps, o.capacity_interval_seconds);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A ledger of the first `events` simulated events (months 0, 1, ...; the last one possibly
// in part). Returns the number of months it draws from.
uint32_t BuildLedger(const std::string& dir, const Options& o, uint64_t events) {
  fs::remove_all(dir);
  auto ledger = OpenWritable(dir);
  if (!ledger.ok()) Die(ledger.status().ToString());
  Progress progress("build " + fs::path(dir).filename().string());
  uint32_t k = 0;
  while (ledger.value()->size() < events) {
    const uint64_t left = events - ledger.value()->size();
    IngestMonth(ledger.value().get(), o, k++, 0, left);
    progress.Update(ledger.value()->size(), events, "events");
  }
  ledger.value().reset();
  // Opening a RocksDB writable replays its log into tables: the fixture then holds no log
  // that every later (read-only) open would replay into memory.
  ledger = OpenWritable(dir);
  if (!ledger.ok()) Die(ledger.status().ToString());
  return k;
}

struct Fixture {
  uint32_t months = 0;
  int64_t build_nanos = -1;  // -1: reused
};

// Builds (or, with --reuse and matching options, keeps) the ledger of `events` entries in
// `dir`.
Fixture EnsureFixture(const std::string& dir, const Options& o, uint64_t events) {
  const std::string key_path = dir + ".key";
  const std::string key = FixtureKey(o, events);
  std::string kept = ReadFile(key_path);
  Fixture f;
  if (o.reuse && kept.starts_with(key) && fs::is_directory(dir)) {
    f.months = static_cast<uint32_t>(std::stoul(kept.substr(kept.rfind('=') + 1)));
    return f;
  }
  fs::remove(key_path);
  auto start = Clock::now();
  f.months = BuildLedger(dir, o, events);
  f.build_nanos = NanosSince(start);
  std::ofstream(key_path) << key << "months=" << f.months;
  return f;
}

// Builds or keeps both fixtures (in a process of its own: the catch-up processes forked
// later start from a small parent); prints key=value integers on stdout.
int RunBuildPhase(const Options& o) {
  fs::create_directories(o.dir);
  const Fixture x1 = EnsureFixture(o.dir + "/ledger-1x", o, o.events / 10);
  const Fixture x10 = EnsureFixture(o.dir + "/ledger-10x", o, o.events);
  fmt::print("months_1x={} build_nanos_1x={} months_10x={} build_nanos_10x={}\n", x1.months,
             x1.build_nanos, x10.months, x10.build_nanos);
  return 0;
}

// A copy of a closed RocksDB directory whose immutable files (SST, blob) are hard links;
// subdirectories (the projections) are left out.
void CloneStore(const std::string& from, const std::string& to) {
  fs::remove_all(to);
  fs::create_directories(to);
  for (const fs::directory_entry& e : fs::directory_iterator(from)) {
    if (!e.is_regular_file()) continue;
    const fs::path target = fs::path(to) / e.path().filename();
    const std::string ext = e.path().extension().string();
    if (ext == ".sst" || ext == ".blob") {
      fs::create_hard_link(e.path(), target);
    } else {
      fs::copy_file(e.path(), target);
    }
  }
}

// --- child phases (separate processes) -----------------------------------------------

uint64_t ProcStatusKb(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const size_t n = std::strlen(field);
  while (std::getline(in, line)) {
    if (line.compare(0, n, field) == 0 && line.size() > n && line[n] == ':') {
      return std::strtoull(line.c_str() + n + 1, nullptr, 10);
    }
  }
  return 0;
}

// CPU time (user + system) of the process (RUSAGE_SELF: every thread, RocksDB's background
// ones included) or of the calling thread (RUSAGE_THREAD). With other work on the machine,
// CPU time per event stays meaningful where wall time does not.
int64_t CpuNanos(int who) {
  rusage ru{};
  getrusage(who, &ru);
  auto nanos = [](const timeval& tv) {
    return int64_t{tv.tv_sec} * 1'000'000'000 + int64_t{tv.tv_usec} * 1000;
  };
  return nanos(ru.ru_utime) + nanos(ru.ru_stime);
}

// The 1-minute load average in hundredths (/proc/loadavg), or -1.
int64_t LoadAverageHundredths() {
  std::ifstream in("/proc/loadavg");
  std::string first;
  if (!(in >> first)) return -1;
  const size_t dot = first.find('.');
  if (dot == std::string::npos || first.size() < dot + 3) return -1;
  return std::stoll(first.substr(0, dot)) * 100 + std::stoll(first.substr(dot + 1, 2));
}

uint64_t MaxRssKb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<uint64_t>(ru.ru_maxrss);  // KiB on Linux
}

// Catch-up from zero over the ledger in `work`; prints key=value integers on stdout.
int RunCatchUpPhase(const Options& o) {
  if (Status s = Projections::Drop(o.work); !s.ok()) Die("drop: " + s.ToString());
  LedgerOptions lo;
  lo.read_only = true;
  auto ledger = Ledger::Open(o.work, lo);
  if (!ledger.ok()) Die(ledger.status().ToString());
  const uint64_t rss_before_kb = ProcStatusKb("VmRSS");
  auto start = Clock::now();
  auto projections = Projections::Open(o.work, ProjectionOptions{});
  if (!projections.ok()) Die("projections open: " + projections.status().ToString());
  const int64_t open_nanos = NanosSince(start);
  Progress progress("catch-up " + fs::path(o.work).filename().string());
  const int64_t cpu_start = CpuNanos(RUSAGE_SELF);
  start = Clock::now();
  Status s = projections.value()->CatchUp(*ledger.value(), [&](uint64_t done, uint64_t total) {
    progress.Update(done, total, "entries");
  });
  const int64_t nanos = NanosSince(start);
  const int64_t cpu_nanos = CpuNanos(RUSAGE_SELF) - cpu_start;
  if (!s.ok()) Die("catch-up: " + s.ToString());
  const uint64_t applied = projections.value()->applied();
  if (applied != ledger.value()->size()) {
    Die(fmt::format("catch-up applied {} of {} entries", applied, ledger.value()->size()));
  }
  fmt::print(
      "entries={} nanos={} cpu_nanos={} open_nanos={} maxrss_kb={} hwm_kb={} "
      "rss_before_kb={}\n",
      applied, nanos, cpu_nanos, open_nanos, MaxRssKb(), ProcStatusKb("VmHWM"), rss_before_kb);
  return 0;
}

// Appends --rounds + 1 batches of --batch events of month --batch-month to the caught-up
// ledger in `work`, applying each with CatchUp; the first round warms up and is not counted.
// The median round is the figure: RocksDB's background flushes and compactions of the
// appended events share the two cores with some rounds.
int RunBatchPhase(const Options& o) {
  auto ledger = OpenWritable(o.work);
  if (!ledger.ok()) Die(ledger.status().ToString());
  auto projections = Projections::Open(o.work, ProjectionOptions{});
  if (!projections.ok()) Die("projections open: " + projections.status().ToString());
  Projections& p = *projections.value();
  const uint64_t size_before = ledger.value()->size();
  if (p.applied() != size_before) Die("the projections are not caught up");
  std::vector<int64_t> rounds_nanos, rounds_cpu_nanos;
  for (uint32_t round = 0; round <= o.rounds; ++round) {
    const uint64_t added =
        IngestMonth(ledger.value().get(), o, o.batch_month, round * o.batch, o.batch);
    if (added != o.batch) Die(fmt::format("month {} has too few events", MonthAt(o.batch_month)));
    const int64_t cpu_start = CpuNanos(RUSAGE_THREAD);
    auto start = Clock::now();
    Status s = p.CatchUp(*ledger.value(), nullptr);
    const int64_t round_nanos = NanosSince(start);
    const int64_t round_cpu_nanos = CpuNanos(RUSAGE_THREAD) - cpu_start;
    if (!s.ok()) Die("catch-up: " + s.ToString());
    if (p.applied() != ledger.value()->size()) Die("a batch was not applied whole");
    if (round == 0) continue;  // warm-up
    rounds_nanos.push_back(round_nanos);
    rounds_cpu_nanos.push_back(round_cpu_nanos);
  }
  int64_t total_nanos = 0;
  for (int64_t n : rounds_nanos) total_nanos += n;
  std::sort(rounds_nanos.begin(), rounds_nanos.end());
  std::sort(rounds_cpu_nanos.begin(), rounds_cpu_nanos.end());
  fmt::print(
      "size_before={} events={} nanos={} median_round_nanos={} min_round_nanos={} "
      "max_round_nanos={} median_round_thread_cpu_nanos={}\n",
      size_before, uint64_t{o.rounds} * o.batch, total_nanos, rounds_nanos[rounds_nanos.size() / 2],
      rounds_nanos.front(), rounds_nanos.back(), rounds_cpu_nanos[rounds_cpu_nanos.size() / 2]);
  return 0;
}

// Runs this benchmark again with `args`; returns the key=value integers it printed.
std::map<std::string, int64_t> RunChild(const std::vector<std::string>& args) {
  std::vector<std::string> full = {fs::read_symlink("/proc/self/exe").string()};
  full.insert(full.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : full) argv.push_back(a.data());
  argv.push_back(nullptr);
  int fds[2];
  if (pipe(fds) != 0) Die("pipe failed");
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) Die("fork failed");
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(fds[1]);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) Die("phase " + args[1] + " failed");
  std::map<std::string, int64_t> values;
  std::istringstream words(out);
  for (std::string word; words >> word;) {
    const size_t eq = word.find('=');
    if (eq != std::string::npos) values[word.substr(0, eq)] = std::stoll(word.substr(eq + 1));
  }
  return values;
}

// --- physical limits -----------------------------------------------------------------

struct BareRead {
  uint64_t entries = 0, bytes = 0;
  int64_t nanos = 0;
};

// Iterates the ledger's entry range with a plain read-only RocksDB handle and the read
// options of Ledger::ScanEntries (2 MiB readahead, no block cache fill), touching every
// value: the projections' input, nothing decoded.
BareRead BareIterate(const std::string& dir) {
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::OpenForReadOnly(rocksdb::Options(), dir, &raw);
  if (!s.ok()) Die("read-only open of the ledger: " + s.ToString());
  std::unique_ptr<rocksdb::DB> db(raw);
  const std::string lower(1, format::kTagEntry), upper(1, format::kTagEntry + 1);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions read_options;
  read_options.iterate_upper_bound = &upper_slice;
  read_options.readahead_size = 2u << 20;
  read_options.fill_cache = false;
  BareRead out;
  Progress progress("bare read");
  auto start = Clock::now();
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read_options));
  uint64_t sum = 0;
  for (it->Seek(lower); it->Valid(); it->Next()) {
    rocksdb::Slice v = it->value();
    out.bytes += v.size();
    sum += v.size() ? static_cast<uint8_t>(v[v.size() / 2]) : 0;
    if (++out.entries % 65536 == 0) progress.Update(out.entries, 0, "entries");
  }
  out.nanos = NanosSince(start);
  if (!it->status().ok()) Die("bare read: " + it->status().ToString());
  if (sum == 1) std::fprintf(stderr, " ");  // keeps the reads
  return out;
}

// Simulated JSON as filler for the bare writes: about as compressible as real state.
std::string Filler(const Options& o, size_t bytes) {
  std::string filler;
  auto summary = Simulate(SimulateMonth(o, 0), [&](const SimulatedEvent& e) {
    if (filler.size() < bytes) filler.append(e.json);
  });
  if (!summary.ok()) Die("simulate: " + summary.status().ToString());
  return filler;
}

// A fresh RocksDB taking `o.bare_values` values of `value_bytes` bytes with 9-byte keys in
// synced WriteBatches of `o.bare_batch`; returns nanoseconds.
int64_t BareWrite(const std::string& dir, const Options& o, size_t value_bytes) {
  fs::remove_all(dir);
  rocksdb::Options options;
  options.create_if_missing = true;
  options.write_buffer_size = 64u << 20;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, dir, &raw);
  if (!s.ok()) Die("bare rocksdb open: " + s.ToString());
  std::unique_ptr<rocksdb::DB> db(raw);
  const std::string filler = Filler(o, 4u << 20);
  const size_t span = filler.size() - value_bytes;
  rocksdb::WriteOptions write_options;
  write_options.sync = true;
  rocksdb::WriteBatch wb;
  Progress progress("bare write");
  auto start = Clock::now();
  size_t pos = 0;
  for (uint64_t i = 0; i < o.bare_values; ++i) {
    wb.Put(format::IndexKey('X', i), rocksdb::Slice(filler.data() + pos, value_bytes));
    pos = (pos + value_bytes + 7) % span;
    if (wb.Count() >= o.bare_batch || i + 1 == o.bare_values) {
      s = db->Write(write_options, &wb);
      if (!s.ok()) Die("bare rocksdb write: " + s.ToString());
      wb.Clear();
      progress.Update(i + 1, o.bare_values, "values");
    }
  }
  const int64_t nanos = NanosSince(start);
  s = db->Close();
  if (!s.ok()) Die("bare rocksdb close: " + s.ToString());
  db.reset();
  fs::remove_all(dir);
  return nanos;
}

// --- the run -------------------------------------------------------------------------

struct SizeResult {
  std::map<std::string, int64_t> catchup, batch;
  uint64_t event_picos = 0;       // per event of the median batch (wall time)
  uint64_t cpu_event_picos = 0;   // per event of the median batch (CPU time of its thread)
  uint64_t mean_event_picos = 0;  // per event of all counted batches (wall time)
};

std::vector<std::string> SimulationArgs(const Options& o) {
  return {"--seed",
          std::to_string(o.seed),
          "--scale",
          std::to_string(o.scale),
          "--csps",
          std::to_string(o.csps),
          "--capacity-interval-seconds",
          std::to_string(o.capacity_interval_seconds)};
}

// Clones `fixture`, catches projections up from zero, then applies the batches.
SizeResult RunSize(const Options& o, const std::string& fixture, const std::string& work,
                   uint32_t batch_month) {
  CloneStore(fixture, work);
  SizeResult r;
  r.catchup = RunChild({"--phase", "catchup", "--work", work});
  std::vector<std::string> args = {"--phase",       "batch",
                                   "--work",        work,
                                   "--batch-month", std::to_string(batch_month),
                                   "--batch",       std::to_string(o.batch),
                                   "--rounds",      std::to_string(o.rounds)};
  for (std::string& a : SimulationArgs(o)) args.push_back(std::move(a));
  r.batch = RunChild(args);
  r.event_picos = static_cast<uint64_t>(r.batch.at("median_round_nanos")) * 1000 / o.batch;
  r.cpu_event_picos =
      static_cast<uint64_t>(r.batch.at("median_round_thread_cpu_nanos")) * 1000 / o.batch;
  r.mean_event_picos = static_cast<uint64_t>(r.batch.at("nanos")) * 1000 /
                       static_cast<uint64_t>(std::max<int64_t>(1, r.batch.at("events")));
  if (!o.keep_work) fs::remove_all(work);
  return r;
}

// VmHWM is the catch-up process's own peak; ru_maxrss also counts the image it was forked
// from (Linux keeps the larger across exec), i.e. the benchmark's parent at fork time.
void PrintCatchUp(const char* label, const std::map<std::string, int64_t>& c, uint64_t bare_read,
                  uint64_t parent_rss_kb) {
  const uint64_t entries = static_cast<uint64_t>(c.at("entries"));
  const uint64_t rate = PerSecond(entries, c.at("nanos"));
  fmt::print("catch-up  {}: {} entries in {} ms: {} events/s{}; catch-up/bare read = {}\n", label,
             entries, c.at("nanos") / 1'000'000, rate,
             rate >= 500'000 ? "" : " [target >= 500000 events/s]",
             Milli(rate * 1000 / std::max<uint64_t>(1, bare_read)));
  fmt::print("          CPU time (all threads) {} ms: {} events per CPU-second\n",
             c.at("cpu_nanos") / 1'000'000, PerSecond(entries, c.at("cpu_nanos")));
  fmt::print(
      "          peak memory: VmHWM {} MiB{} (RSS {} MiB with the ledger open, before "
      "Projections::Open, {} ms); ru_maxrss {} MiB (parent at fork: {} MiB)\n",
      c.at("hwm_kb") / 1024, c.at("hwm_kb") < 512 * 1024 ? "" : " [target < 512 MiB]",
      c.at("rss_before_kb") / 1024, c.at("open_nanos") / 1'000'000, c.at("maxrss_kb") / 1024,
      parent_rss_kb / 1024);
}

void PrintBatch(const char* label, const Options& o, const SizeResult& r) {
  const auto& b = r.batch;
  fmt::print(
      "batch     {}: on a ledger of {} entries, {} batches of {} new events: {} us/event "
      "(median batch; its thread's CPU {} us/event; mean {} us/event; batches of {}..{} ms)\n",
      label, b.at("size_before"), o.rounds, o.batch, Milli(r.event_picos / 1000),
      Milli(r.cpu_event_picos / 1000), Milli(r.mean_event_picos / 1000),
      b.at("min_round_nanos") / 1'000'000, b.at("max_round_nanos") / 1'000'000);
}

}  // namespace

namespace {

void AddOptions(CLI::App& app, Options& o) {
  app.add_option("--events", o.events, "entries of the large (10x) ledger; the 1x one has a tenth")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{100'000}, uint64_t{1} << 32));
  app.add_option("--dir", o.dir,
                 "where the fixtures stay (default: ${TMPDIR:-/tmp}/gpuledger-bench-projections)");
  app.add_flag("--reuse", o.reuse, "keep fixtures already built with the same options");
  app.add_flag("--keep-work", o.keep_work, "keep the work copies (with their projections)");
  app.add_option("--batch", o.batch,
                 "new events per batch ((rounds + 1) batches come from one simulated month: "
                 "~16,000 events per unit of scale with 3 CSPs)")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{1}, uint64_t{1'000'000}));
  app.add_option("--rounds", o.rounds, "batches timed (after one warm-up batch); the median counts")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  app.add_option("--seed", o.seed, "simulation seed (of the first month)")->capture_default_str();
  app.add_option("--scale", o.scale, "simulated contracts per CSP and month")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  app.add_option("--csps", o.csps, "simulated CSPs")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  app.add_option("--capacity-interval-seconds", o.capacity_interval_seconds,
                 "seconds between simulated capacity reports")
      ->capture_default_str()
      ->check(CLI::Range(60, 3600));
  app.add_option("--bare-values", o.bare_values, "values of the bare synced-write limit")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{1000}, uint64_t{1} << 32));
  app.add_option("--phase", o.phase)
      ->group("")
      ->check(CLI::IsMember({"build", "catchup", "batch"}));
  app.add_option("--work", o.work)->group("");
  app.add_option("--batch-month", o.batch_month)->group("");
}

std::string DefaultDir() {
  const char* tmp = std::getenv("TMPDIR");
  return std::string(tmp && *tmp ? tmp : "/tmp") + "/gpuledger-bench-projections";
}

struct Limits {
  uint64_t bare_read = 0, bare_write = 0;  // entries/s, values/s
  int64_t load_start = -1, load_end = -1;  // 1-minute load average, hundredths
};

void PrintJson(const Options& o, const SizeResult& x1, const SizeResult& x10, const Limits& l) {
  const auto& c = x10.catchup;
  const uint64_t entries = static_cast<uint64_t>(c.at("entries"));
  const uint64_t rate = PerSecond(entries, c.at("nanos"));
  const std::vector<std::pair<const char*, int64_t>> fields = {
      {"events", entries},
      {"catchup_events_per_s", rate},
      {"catchup_events_per_cpu_s", PerSecond(entries, c.at("cpu_nanos"))},
      {"bare_read_entries_per_s", l.bare_read},
      {"catchup_to_bare_read_permille", rate * 1000 / std::max<uint64_t>(1, l.bare_read)},
      {"catchup_vmhwm_kib", c.at("hwm_kb")},
      {"catchup_ru_maxrss_kib", c.at("maxrss_kb")},
      {"catchup_1x_events_per_s",
       PerSecond(static_cast<uint64_t>(x1.catchup.at("entries")), x1.catchup.at("nanos"))},
      {"catchup_1x_vmhwm_kib", x1.catchup.at("hwm_kb")},
      {"batch_events", o.batch},
      {"batch_rounds", o.rounds},
      {"batch_ns_per_event_1x", x1.event_picos / 1000},
      {"batch_ns_per_event_10x", x10.event_picos / 1000},
      {"batch_10x_to_1x_permille", x10.event_picos * 1000 / std::max<uint64_t>(1, x1.event_picos)},
      {"batch_cpu_ns_per_event_1x", x1.cpu_event_picos / 1000},
      {"batch_cpu_ns_per_event_10x", x10.cpu_event_picos / 1000},
      {"batch_cpu_10x_to_1x_permille",
       x10.cpu_event_picos * 1000 / std::max<uint64_t>(1, x1.cpu_event_picos)},
      {"bare_write_values_per_s", l.bare_write},
      {"bare_write_batch", o.bare_batch},
      {"load_average_start_x100", l.load_start},
      {"load_average_end_x100", l.load_end},
  };
  std::string json = "{";
  for (const auto& [key, value] : fields) {
    json += fmt::format("{}\"{}\":{}", json.size() > 1 ? "," : "", key, value);
  }
  fmt::print("{}}}\n", json);
}

// Builds or reuses the fixtures in a child process; returns the months they draw from.
uint32_t PrepareFixtures(const Options& o) {
  std::vector<std::string> args = {"--phase", "build",    "--dir",
                                   o.dir,     "--events", std::to_string(o.events)};
  if (o.reuse) args.push_back("--reuse");
  for (std::string& a : SimulationArgs(o)) args.push_back(std::move(a));
  auto built = RunChild(args);
  for (const char* size : {"1x", "10x"}) {
    const int64_t nanos = built.at(fmt::format("build_nanos_{}", size));
    const uint64_t entries = std::string_view(size) == "1x" ? o.events / 10 : o.events;
    if (nanos < 0) {
      fmt::print("fixture   ledger-{}: {} entries, reused\n", size, entries);
    } else {
      fmt::print(
          "fixture   ledger-{}: {} entries from {} months built in {} ms ({} events/s, "
          "not synced)\n",
          size, entries, built.at(fmt::format("months_{}", size)), nanos / 1'000'000,
          PerSecond(entries, nanos));
    }
  }
  return static_cast<uint32_t>(built.at("months_10x"));
}

int RunBenchmark(Options o) {
  if (o.dir.empty()) o.dir = DefaultDir();
  fs::create_directories(o.dir);
  fmt::print(
      "gpuledger_bench_projections: {} events (1x: {}), simulated months from {} (scale {}, "
      "{} CSPs, capacity every {} s), {} batches of {}, dir {}\n",
      o.events, o.events / 10, MonthAt(0), o.scale, o.csps, o.capacity_interval_seconds, o.rounds,
      o.batch, o.dir);
  const uint32_t months = PrepareFixtures(o);
  const std::string fixture1 = o.dir + "/ledger-1x", fixture10 = o.dir + "/ledger-10x";
  Limits limits;
  limits.load_start = LoadAverageHundredths();

  // The input limit: twice, so that the second pass (reported) reads a warm page cache as
  // the catch-up right after it does.
  BareIterate(fixture10);
  const BareRead bare = BareIterate(fixture10);
  if (bare.entries != o.events) Die(fmt::format("the ledger has {} entries", bare.entries));
  limits.bare_read = PerSecond(bare.entries, bare.nanos);
  fmt::print("bare read {} entries ({} bytes/entry stored) in {} ms: {} entries/s\n", bare.entries,
             bare.bytes / bare.entries, bare.nanos / 1'000'000, limits.bare_read);

  // The batches come from a month neither fixture draws from, the same for both sizes.
  const uint64_t parent_rss_kb = ProcStatusKb("VmRSS");
  const SizeResult x10 = RunSize(o, fixture10, o.dir + "/work-10x", months);
  PrintCatchUp("10x", x10.catchup, limits.bare_read, parent_rss_kb);
  const SizeResult x1 = RunSize(o, fixture1, o.dir + "/work-1x", months);
  PrintCatchUp("1x", x1.catchup, limits.bare_read, parent_rss_kb);
  PrintBatch("1x ", o, x1);
  PrintBatch("10x", o, x10);
  fmt::print("          10x/1x = {} wall, {} CPU (median batches; flat: ~1.000)\n",
             Milli(x10.event_picos * 1000 / std::max<uint64_t>(1, x1.event_picos)),
             Milli(x10.cpu_event_picos * 1000 / std::max<uint64_t>(1, x1.cpu_event_picos)));

  // The output limit.
  const int64_t write_nanos = BareWrite(o.dir + "/bare-rocksdb", o, 100);
  limits.bare_write = PerSecond(o.bare_values, write_nanos);
  fmt::print(
      "bare write {} values of 100 bytes, synced WriteBatches of {}, in {} ms: {} values/s\n",
      o.bare_values, o.bare_batch, write_nanos / 1'000'000, limits.bare_write);
  limits.load_end = LoadAverageHundredths();
  fmt::print("load      1-minute load average {} at the start, {} at the end ({} CPUs)\n",
             Milli(static_cast<uint64_t>(std::max<int64_t>(0, limits.load_start)) * 10),
             Milli(static_cast<uint64_t>(std::max<int64_t>(0, limits.load_end)) * 10),
             std::thread::hardware_concurrency());
  PrintJson(o, x1, x10, limits);
  fmt::print(stderr, "fixtures kept in {} (--reuse); remove it when done\n", o.dir);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gpuledger projections benchmark: catch-up, batch cost at 1x and 10x, memory"};
  Options o;
  AddOptions(app, o);
  CLI11_PARSE(app, argc, argv);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // figures as they come, also into a pipe
  if (o.phase == "build") return RunBuildPhase(o);
  if (o.phase == "catchup") return RunCatchUpPhase(o);
  if (o.phase == "batch") return RunBatchPhase(o);
  return RunBenchmark(o);
}
