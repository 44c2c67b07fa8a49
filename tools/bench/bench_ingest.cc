// gpuledger_bench_ingest: how fast the durable ingest path and verify run, next to their
// floors on the same machine in the same run.
//
//   ingest  = gpuledger::IngestBuffer into a fresh Ledger (sync_writes=true): parsing, checks,
//             RFC 8785 hashing, FlatBuffers encoding, dedup, Merkle/chain hashing and the
//             synced WriteBatch per `--batch` messages.
//   bare    = a fresh RocksDB (default options, 64 MiB write buffer) taking one value of the
//             average stored entry size per event, 9-byte big-endian keys, synced batches.
//   verify  = Ledger::Verify over the ingested ledger, reopened read-only.
//   sha256  = one reused OpenSSL EVP context hashing buffers of the stored entries' sizes.
//
// The events are tools/bench/bench_events.h's (~600-byte usage reports), generated in memory.
//
// A benchmark, not a test: it prints figures and a one-line JSON summary; it fails (exit 1)
// only when something does not work (an event not accepted, verify not ok, an I/O error).
#include <openssl/evp.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gpuledger/file_intake.h"
#include "gpuledger/ledger.h"
#include "ledger/store/ledger_format.h"
#include "tools/bench/bench_events.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "gpuledger_bench_ingest: %s\n", what.c_str());
  std::exit(1);
}

// Progress on stderr, at most every 2 s, only for phases that last that long.
class Progress {
 public:
  explicit Progress(const char* phase)
      : phase_(phase), start_(Clock::now()), last_(start_), tty_(isatty(2) != 0) {}
  void Update(uint64_t done, uint64_t total, const char* unit) {
    auto now = Clock::now();
    if (now - last_ < std::chrono::seconds(2)) return;
    last_ = now;
    shown_ = true;
    double pct = total ? 100.0 * static_cast<double>(done) / static_cast<double>(total) : 0.0;
    std::fprintf(stderr, "%s[%s] %" PRIu64 "/%" PRIu64 " %s (%.0f%%) %.1f s%s", tty_ ? "\r" : "",
                 phase_, done, total, unit, pct, SecondsSince(start_), tty_ ? "   " : "\n");
  }
  ~Progress() {
    if (shown_ && tty_) std::fprintf(stderr, "\n");
  }

 private:
  const char* phase_;
  Clock::time_point start_, last_;
  bool tty_;
  bool shown_ = false;
};

// --- memory --------------------------------------------------------------------------

double PeakRssMb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

double ProcStatusMb(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const size_t n = std::strlen(field);
  while (std::getline(in, line)) {
    if (line.compare(0, n, field) == 0 && line.size() > n && line[n] == ':') {
      return std::strtod(line.c_str() + n + 1, nullptr) / 1024.0;  // kB
    }
  }
  return 0;
}

void PrintMemory(const char* when) {
  std::printf("  memory %-16s rss %.0f MB, peak so far %.0f MB\n", when, ProcStatusMb("VmRSS"),
              ProcStatusMb("VmHWM"));
}

// --- 3. bare RocksDB -----------------------------------------------------------------

double BareRocksDb(const std::string& dir, uint64_t n, size_t batch, size_t value_bytes,
                   std::string_view filler) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.error_if_exists = true;
  options.write_buffer_size = 64u << 20;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, dir, &raw);
  if (!s.ok()) Die("bare rocksdb open: " + s.ToString());
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::WriteOptions write_options;
  write_options.sync = true;
  rocksdb::WriteBatch wb;
  // Values are slices of the generated JSON: about as compressible as the stored entries.
  const size_t span = filler.size() > value_bytes ? filler.size() - value_bytes : 1;
  if (filler.size() < value_bytes) Die("filler smaller than one value");
  Progress progress("bare rocksdb");
  auto start = Clock::now();
  size_t pos = 0;
  for (uint64_t i = 0; i < n; ++i) {
    std::string key = gpuledger::format::IndexKey(gpuledger::format::kTagEntry, i);
    wb.Put(key, rocksdb::Slice(filler.data() + pos, value_bytes));
    pos = (pos + value_bytes + 7) % span;
    if (wb.Count() >= batch || i + 1 == n) {
      s = db->Write(write_options, &wb);
      if (!s.ok()) Die("bare rocksdb write: " + s.ToString());
      wb.Clear();
      progress.Update(i + 1, n, "values");
    }
  }
  double secs = SecondsSince(start);
  s = db->Close();
  if (!s.ok()) Die("bare rocksdb close: " + s.ToString());
  return secs;
}

// --- 4. stored entries and bare SHA-256 ------------------------------------------------

struct StoredEntries {
  std::vector<uint32_t> sizes;  // of every stored entry, in index order
  std::string arena;            // the first ~64 MiB of stored entry bytes, concatenated
  uint64_t total_bytes = 0;
};

// Reads the ledger's entry range (tag 'E') with a plain read-only RocksDB handle: the exact
// stored FlatBuffer sizes, without decoding. Keeps only the first `arena_max` bytes.
StoredEntries ReadStoredEntries(const std::string& dir, size_t arena_max) {
  rocksdb::Options options;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::OpenForReadOnly(options, dir, &raw);
  if (!s.ok()) Die("read-only open of the ledger: " + s.ToString());
  std::unique_ptr<rocksdb::DB> db(raw);
  StoredEntries out;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(std::string(1, gpuledger::format::kTagEntry));
       it->Valid() && it->key()[0] == gpuledger::format::kTagEntry; it->Next()) {
    rocksdb::Slice v = it->value();
    out.sizes.push_back(static_cast<uint32_t>(v.size()));
    out.total_bytes += v.size();
    if (out.arena.size() + v.size() <= arena_max) out.arena.append(v.data(), v.size());
  }
  if (!it->status().ok()) Die("scan of the ledger entries: " + it->status().ToString());
  return out;
}

// One EVP context reused, the digest fetched once: the way ledger/audit/sha256.cc hashes. Hashes
// a buffer of each stored entry's size, walking through a 64 MiB arena of real entry bytes
// (larger than the caches, as verify's reads are).
double BareSha256(const StoredEntries& entries) {
  EVP_MD* md = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (md == nullptr || ctx == nullptr) Die("OpenSSL SHA2-256 unavailable");
  uint8_t out[EVP_MAX_MD_SIZE];
  const std::string& arena = entries.arena;
  size_t pos = 0;
  auto start = Clock::now();
  for (uint32_t size : entries.sizes) {
    if (pos + size > arena.size()) pos = 0;
    if (EVP_DigestInit_ex2(ctx, md, nullptr) != 1 ||
        EVP_DigestUpdate(ctx, arena.data() + pos, size) != 1 ||
        EVP_DigestFinal_ex(ctx, out, nullptr) != 1) {
      Die("EVP digest failed");
    }
    pos += size;
  }
  double secs = SecondsSince(start);
  EVP_MD_CTX_free(ctx);
  EVP_MD_free(md);
  return secs;
}

// --- 6. openssl speed, for reference -----------------------------------------------------

// Hashes of 600 bytes per second from `openssl speed -mr`, or 0 if unavailable.
double OpensslSpeed() {
  std::FILE* p = popen("openssl speed -mr -evp sha256 -bytes 600 -seconds 1 2>/dev/null", "r");
  if (p == nullptr) return 0;
  char line[512];
  double bytes_per_s = 0;
  while (std::fgets(line, sizeof(line), p)) {
    // "+F:<n>:sha256:<bytes per second>"
    if (std::strncmp(line, "+F:", 3) == 0) {
      const char* last = std::strrchr(line, ':');
      if (last) bytes_per_s = std::strtod(last + 1, nullptr);
    }
  }
  pclose(p);
  return bytes_per_s / 600.0;
}

std::string MakeTempDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/gpuledger-bench-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr)
    Die("cannot create a temporary directory: " + std::string(std::strerror(errno)));
  return pattern;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "gpuledger ingest and verify benchmark (durable path, against bare RocksDB and SHA-256)"};
  uint64_t n = 1'000'000;
  size_t batch = 1000;
  std::string dir_option;
  uint64_t seed = 42;
  app.add_option("--events", n, "events to generate and ingest")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{10}, uint64_t{1} << 32));
  app.add_option("--batch", batch, "messages per durable batch (and values per bare WriteBatch)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--dir", dir_option,
                 "work directory, kept (default: a fresh temporary one, removed at the end)");
  app.add_option("--seed", seed, "random seed of the generated events")->capture_default_str();
  std::string events_out;
  app.add_option("--write-events", events_out, "also write the generated JSON Lines to this file");
  CLI11_PARSE(app, argc, argv);

  const bool temporary = dir_option.empty();
  const std::string dir = temporary ? MakeTempDir() : dir_option;
  const std::string ledger_dir = dir + "/ledger", bare_dir = dir + "/bare-rocksdb";
  for (const auto& d : {ledger_dir, bare_dir}) {
    std::error_code ec;
    if (fs::exists(d, ec) && !fs::is_empty(d, ec))
      Die(d + " exists and is not empty: the benchmark needs fresh stores");
  }
  fs::create_directories(dir);

  std::printf("gpuledger_bench_ingest: %" PRIu64 " events, batch %zu, seed %" PRIu64 ", dir %s%s\n",
              n, batch, seed, dir.c_str(), temporary ? " (temporary)" : "");

  // 1. Generate (not timed).
  auto t0 = Clock::now();
  uint64_t usage_events = 0;
  const std::string events = gpuledger::bench::GenerateEvents(n, seed, &usage_events);
  std::printf("generated  %" PRIu64 " events (%" PRIu64
              " usage.reported), %.1f MB, %.1f bytes/event avg, in %.1f s\n",
              n, usage_events, static_cast<double>(events.size()) / 1e6,
              static_cast<double>(events.size()) / static_cast<double>(n), SecondsSince(t0));
  PrintMemory("after generate");
  if (!events_out.empty()) {
    std::ofstream f(events_out, std::ios::binary);
    f.write(events.data(), static_cast<std::streamsize>(events.size()));
    if (!f) Die("cannot write " + events_out);
  }

  // 2. Ingest, durable.
  double ingest_secs = 0;
  {
    gpuledger::LedgerOptions lo;
    lo.sync_writes = true;
    auto ledger = gpuledger::Ledger::Open(ledger_dir, lo);
    if (!ledger.ok()) Die(ledger.status().ToString());
    gpuledger::FileIngestOptions fo;
    fo.batch_messages_max = batch;  // batch_bytes_max stays at its default (8 MiB), as shipped
    Progress progress("ingest");
    fo.progress = [&progress](uint64_t done, uint64_t total) {
      progress.Update(done, total, "bytes");
    };
    auto start = Clock::now();
    auto report = gpuledger::IngestBuffer(*ledger.value(), events, "bench.jsonl", fo);
    ingest_secs = SecondsSince(start);
    if (!report.ok()) Die("ingest: " + report.status().ToString());
    const auto& c = report->counts;
    if (c.accepted != n || c.duplicate != 0 || c.rejected != 0) {
      std::string why;
      if (c.rejected > 0) {
        auto r = ledger.value()->ReadReject(0);
        if (r.ok())
          why = "; first reject (line " + std::to_string(r->origin.line) + "): " + r->reason +
                ": " + r->detail;
      }
      Die("not all events accepted: accepted " + std::to_string(c.accepted) + ", duplicate " +
          std::to_string(c.duplicate) + ", rejected " + std::to_string(c.rejected) + why);
    }
  }
  const double ingest_rate = static_cast<double>(n) / ingest_secs;
  std::printf("ingest     %" PRIu64
              " events accepted in %.2f s: %.0f events/s (%.1f MB/s of JSON)\n",
              n, ingest_secs, ingest_rate, static_cast<double>(events.size()) / 1e6 / ingest_secs);
  PrintMemory("after ingest");

  // Stored entry sizes (and the first 64 MiB of their bytes for the SHA-256 floor).
  StoredEntries stored = ReadStoredEntries(ledger_dir, 64u << 20);
  if (stored.sizes.size() != n)
    Die("the ledger stores " + std::to_string(stored.sizes.size()) + " entries, not " +
        std::to_string(n));
  const size_t avg_entry = static_cast<size_t>((stored.total_bytes + n / 2) / n);
  std::printf(
      "entries    average stored entry (LedgerEntry FlatBuffer) %zu bytes, message %.0f bytes\n",
      avg_entry, static_cast<double>(events.size()) / static_cast<double>(n) - 1);

  // 3. Bare RocksDB.
  const double bare_secs = BareRocksDb(bare_dir, n, batch, avg_entry, events);
  const double bare_rate = static_cast<double>(n) / bare_secs;
  const double ingest_ratio = ingest_rate / bare_rate;
  std::printf("bare       %" PRIu64
              " values of %zu bytes, 9-byte keys, synced batches of %zu in %.2f s: %.0f values/s\n",
              n, avg_entry, batch, bare_secs, bare_rate);
  std::printf("           ingest/bare = %.3f (target >= 0.5)\n", ingest_ratio);

  // 4. Verify, read-only, and the SHA-256 floor.
  double verify_secs = 0;
  {
    gpuledger::LedgerOptions lo;
    lo.read_only = true;
    auto ledger = gpuledger::Ledger::Open(ledger_dir, lo);
    if (!ledger.ok()) Die(ledger.status().ToString());
    gpuledger::VerifyReport vr;
    Progress progress("verify");
    auto start = Clock::now();
    gpuledger::Status s = ledger.value()->Verify(&vr, [&progress](uint64_t done, uint64_t total) {
      progress.Update(done, total, "entries");
    });
    verify_secs = SecondsSince(start);
    if (!s.ok()) Die("verify: " + s.ToString());
    if (!vr.ok || vr.entries_checked != n) Die("verify failed: " + vr.problem);
  }
  const double verify_rate = static_cast<double>(n) / verify_secs;
  std::printf("verify     %" PRIu64 " entries in %.2f s: %.0f entries/s\n", n, verify_secs,
              verify_rate);
  const double sha_secs = BareSha256(stored);
  const double sha_rate = static_cast<double>(n) / sha_secs;
  const double verify_ratio = verify_rate / sha_rate;
  std::printf("sha256     %" PRIu64
              " hashes of the stored entry sizes (avg %zu bytes) in %.2f s: %.0f hashes/s "
              "(%.0f MB/s)\n",
              n, avg_entry, sha_secs, sha_rate,
              static_cast<double>(stored.total_bytes) / 1e6 / sha_secs);
  std::printf("           verify/bare = %.3f (target >= 0.5)\n", verify_ratio);

  // 6. openssl speed, for reference.
  const double speed = OpensslSpeed();
  if (speed > 0) {
    std::printf("openssl    speed -evp sha256 -bytes 600: %.0f hashes/s (%.0f MB/s)\n", speed,
                speed * 600 / 1e6);
  } else {
    std::printf("openssl    speed: not available\n");
  }

  if (temporary) {
    std::error_code ec;
    fs::remove_all(dir, ec);
    if (ec)
      std::fprintf(stderr, "gpuledger_bench_ingest: could not remove %s: %s\n", dir.c_str(),
                   ec.message().c_str());
  }

  // 5. Peak memory.
  const double peak_mb = PeakRssMb();
  std::printf("memory     peak RSS %.0f MB (of which the generated input %.0f MB)\n", peak_mb,
              static_cast<double>(events.capacity()) / (1 << 20));
  std::printf("{\"events\":%" PRIu64
              ",\"batch\":%zu,\"ingest_events_per_s\":%.0f,\"bare_rocksdb_values_per_s\":%.0f,"
              "\"ingest_ratio\":%.4f,\"verify_entries_per_s\":%.0f,\"bare_sha256_per_s\":%.0f,"
              "\"verify_ratio\":%.4f,"
              "\"peak_rss_mb\":%.1f}\n",
              n, batch, ingest_rate, bare_rate, ingest_ratio, verify_rate, sha_rate, verify_ratio,
              peak_mb);
  return 0;
}
