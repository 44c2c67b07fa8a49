// gpuledger_bench_audit: the audit side at scale, each figure next to its floor in the same
// run (ops/bench-audit.sh). A benchmark, not a test: it prints figures and a one-line JSON
// summary, and fails (exit 1) only when something does not work.
//
//   ledger   DIR/ledger: N-1 events of tools/bench/bench_events.h (IngestBuffer in chunks, not
//            synced: building is not measured), a period.closed of 2026-01 (so the bundle has
//            a statement), a checkpoint of size N signed by a fresh DIR/log.key.
//   proofs   K inclusion proofs at size N and K consistency proofs from random old sizes,
//            each timed alone through the Ledger API and verified afterwards (untimed);
//            `gpuledger prove` end to end once each (process start and database open too).
//   export   `gpuledger project` (the catch-up export would do itself, as a month is
//            closed), then `gpuledger export bundle`, timed apart.
//   bare     entries.bin read as the verifier reads it, one SHA-256 per entry with a reused
//            EVP context: the floor; before and after the verifier, the faster run counts.
//   verifier `gpuledger-verify bundle`: every check it makes, as a child process.
#include <fcntl.h>
#include <fmt/core.h>
#include <openssl/evp.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "gpuledger/file_intake.h"
#include "gpuledger/ledger.h"
#include "ledger/audit/bundle_format.h"
#include "ledger/audit/note.h"
#include "ledger/audit/proof.h"
#include "tools/bench/bench_events.h"

namespace {

namespace fs = std::filesystem;
using gpuledger::Hash256;
using Clock = std::chrono::steady_clock;
using Proof = std::vector<Hash256>;
using Json = nlohmann::ordered_json;

constexpr uint64_t kChunkLines = 200'000;  // bounds the generated JSON held at once
constexpr char kCloseEvent[] =
    R"({"specversion":"1.0","id":"close-2026-01","source":"ministry","type":"io.gpuledger.period.closed.v1","time":"2026-02-01T00:00:00Z","datacontenttype":"application/json","data":{"month":"2026-01"}})"
    "\n";

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double Round3(double x) { return std::round(x * 1e3) / 1e3; }

[[noreturn]] void Die(const std::string& what) {
  fmt::print(stderr, "gpuledger_bench_audit: {}\n", what);
  std::exit(1);
}

struct Options {
  std::string dir, cli, verify;
  uint64_t entries = 10'000'000, proofs = 2000, seed = 42;
  bool reuse = false;
  std::string Ledger() const { return dir + "/ledger"; }
  std::string Bundle() const { return dir + "/bundle"; }
};

bool NonEmptyDir(const std::string& path) {
  std::error_code ec;
  return fs::exists(path, ec) && !fs::is_empty(path, ec);
}

// --- a. the ledger -----------------------------------------------------------------------

void IngestChunk(gpuledger::Ledger& ledger, std::string_view lines, uint64_t count,
                 const std::string& name) {
  gpuledger::FileIngestOptions fo;
  auto report = gpuledger::IngestBuffer(ledger, lines, name, fo);
  if (!report.ok()) Die("ingest: " + report.status().ToString());
  if (report->counts.accepted == count) return;
  std::string why;
  if (auto r = ledger.ReadReject(0); r.ok())
    why = "; first reject: " + r->reason + ": " + r->detail;
  Die(fmt::format("{}: {} of {} events accepted{}", name, report->counts.accepted, count, why));
}

// N-1 generated events and the close, then the signed checkpoint; with --reuse, an existing
// ledger is used as it is (ApiProofs checks that it has N entries).
void BuildLedger(const Options& o, Json* summary) {
  if (o.reuse && fs::exists(o.dir + "/log.vkey") && NonEmptyDir(o.Ledger())) return;
  if (NonEmptyDir(o.Ledger())) Die(o.Ledger() + " exists: pass --reuse, or remove it");
  gpuledger::LedgerOptions lo;
  lo.sync_writes = false;
  auto ledger = gpuledger::Ledger::Open(o.Ledger(), lo);
  if (!ledger.ok()) Die(ledger.status().ToString());
  gpuledger::bench::BenchEventStream stream(o.entries - 1, o.seed);
  auto start = Clock::now(), last = start;
  std::string chunk;
  for (uint64_t part = 0; !stream.done(); ++part) {
    chunk.clear();
    const uint64_t lines = stream.Next(&chunk, kChunkLines);
    IngestChunk(*ledger.value(), chunk, lines, fmt::format("bench-audit-{}.jsonl", part));
    if (Clock::now() - last > std::chrono::seconds(10) || stream.done()) {
      last = Clock::now();
      fmt::print(stderr, "[build] {}/{} events, {:.0f} s\n", stream.emitted(), stream.size(),
                 SecondsSince(start));
    }
  }
  IngestChunk(*ledger.value(), kCloseEvent, 1, "bench-audit-close.jsonl");
  auto key = gpuledger::audit::GenerateSignerKey("gpuledger-bench-audit");
  if (!key.ok()) Die(key.status().ToString());
  const std::string key_text = gpuledger::audit::EncodeSignerKey(key.value());
  auto checkpoint = ledger.value()->SignCheckpoint({key_text});
  if (!checkpoint.ok()) Die("sign checkpoint: " + checkpoint.status().ToString());
  // A failed write shows as the verifier refusing log.vkey.
  std::ofstream(o.dir + "/log.key") << key_text << "\n";
  std::ofstream(o.dir + "/log.vkey") << gpuledger::audit::EncodeVerifierKey(key->verifier) << "\n";
  const double seconds = SecondsSince(start);
  fmt::print(
      "ledger      built in {:.1f} s (generate + ingest, not synced, + checkpoint): "
      "{:.0f} entries/s\n",
      seconds, static_cast<double>(o.entries) / seconds);
  (*summary)["build_s"] = Round3(seconds);
}

// --- b. proofs ---------------------------------------------------------------------------

// Verifies a proof against the leaf hash and roots the ledger gives (untimed).
gpuledger::Status Check(bool inclusion, const gpuledger::Ledger& ledger, uint64_t param, uint64_t n,
                        const Proof& proof, const Hash256& root) {
  namespace audit = gpuledger::audit;
  auto first = inclusion ? ledger.LeafHashAt(param) : ledger.RootAt(param);
  if (!first.ok()) return first.status();
  return inclusion ? audit::VerifyInclusion(first.value(), param, n, proof, root)
                   : audit::VerifyConsistency(param, n, proof, first.value(), root);
}

// Inclusion proofs of the leaves `params` (or consistency proofs from the old sizes
// `params`) at size n, each timed alone through the Ledger API, then each verified.
void TimeProofs(bool inclusion, const gpuledger::Ledger& ledger, uint64_t n,
                const std::vector<uint64_t>& params, Json* summary) {
  const char* what = inclusion ? "inclusion" : "consistency";
  std::vector<Proof> proofs(params.size());
  std::vector<double> us(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    auto start = Clock::now();
    auto proof =
        inclusion ? ledger.InclusionProof(params[i], n) : ledger.ConsistencyProof(params[i], n);
    us[i] = SecondsSince(start) * 1e6;
    if (!proof.ok())
      Die(fmt::format("{} proof {}: {}", what, params[i], proof.status().ToString()));
    proofs[i] = std::move(proof.value());
  }
  auto root = ledger.RootAt(n);
  if (!root.ok()) Die(root.status().ToString());
  uint64_t reads_total = 0, reads_max = 0;
  for (size_t i = 0; i < params.size(); ++i) {
    if (auto s = Check(inclusion, ledger, params[i], n, proofs[i], root.value()); !s.ok())
      Die(fmt::format("{} proof {} does not verify: {}", what, params[i], s.ToString()));
    uint64_t reads = 0;  // stored-node reads (RocksDB Gets): the construction, counting
    const gpuledger::audit::SubtreeReader counter = [&reads](uint8_t, uint64_t) {
      ++reads;
      return gpuledger::Result<Hash256>(Hash256{});
    };
    (void)(inclusion ? gpuledger::audit::MakeInclusionProof(params[i], n, counter)
                     : gpuledger::audit::MakeConsistencyProof(params[i], n, counter));
    reads_total += reads;
    reads_max = std::max(reads_max, reads);
  }
  const double first = us.front(), reads_avg = static_cast<double>(reads_total) / us.size();
  std::sort(us.begin(), us.end());
  auto rank = [&us](size_t pct) { return us[(us.size() * pct + 99) / 100 - 1]; };  // nearest
  const double p50 = rank(50), p99 = rank(99), max = us.back();
  const auto over_1ms = us.end() - std::upper_bound(us.begin(), us.end(), 1000.0);
  fmt::print(
      "{:<11} {} proofs at size N: p50 {:.1f} us, p99 {:.1f} us, max {:.1f} us (the first "
      "{:.1f} us), {} over 1000 us (target: none); stored-node reads (RocksDB Gets) {:.1f} on "
      "average, {} at most\n",
      what, us.size(), p50, p99, max, first, over_1ms, reads_avg, reads_max);
  (*summary)[what] = {{"p50_us", Round3(p50)}, {"p99_us", Round3(p99)},
                      {"max_us", Round3(max)}, {"first_us", Round3(first)},
                      {"over_1ms", over_1ms},  {"reads_avg", Round3(reads_avg)},
                      {"reads_max", reads_max}};
}

void ApiProofs(const Options& o, Json* summary) {
  gpuledger::LedgerOptions lo;
  lo.read_only = true;
  auto ledger = gpuledger::Ledger::Open(o.Ledger(), lo);
  if (!ledger.ok()) Die(ledger.status().ToString());
  const uint64_t n = o.entries;
  if (ledger.value()->size() != n)
    Die(fmt::format("{} holds {} entries, not {}", o.Ledger(), ledger.value()->size(), n));
  std::mt19937_64 rng(o.seed);
  for (const bool inclusion : {true, false}) {  // leaves in [0, n), old sizes in [1, n)
    std::uniform_int_distribution<uint64_t> pick(inclusion ? 0 : 1, n - 1);
    std::vector<uint64_t> params(o.proofs);
    for (uint64_t& p : params) p = pick(rng);
    TimeProofs(inclusion, *ledger.value(), n, params, summary);
  }
}

// --- child processes (the CLI, the verifier) ---------------------------------------------

struct ChildRun {
  double seconds = 0, peak_rss_mb = 0;
};

// Runs argv[0] (a path) with stdout to `stdout_path`; stderr stays ours. Dies unless it
// exits 0. The peak RSS is the child's own (wait4's rusage).
ChildRun RunChild(const std::vector<std::string>& argv, const std::string& stdout_path) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::fflush(nullptr);
  auto start = Clock::now();
  const pid_t pid = fork();
  if (pid < 0) Die("fork failed");
  if (pid == 0) {  // only async-signal-safe calls until exec
    int fd = ::open(stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0) _exit(127);
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  rusage ru{};
  if (wait4(pid, &status, 0, &ru) != pid) Die("wait4 failed");
  ChildRun run{SecondsSince(start), static_cast<double>(ru.ru_maxrss) / 1024.0};
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    Die(fmt::format("{} {} failed (status {:#x}); its output: {}", argv[0], argv[1], status,
                    stdout_path));
  }
  return run;
}

// --- d. the bare SHA-256 loop ------------------------------------------------------------

struct ShaRun {
  uint64_t entries = 0, entry_bytes = 0;
  double seconds = 0;
};

// Reads entries.bin as the verifier does (4 MiB stdio buffer, one fread per record into a
// reused buffer) and hashes each entry's bytes once: 0x00 || entry, a leaf hash's input.
ShaRun BareSha256(const std::string& path) {
  namespace bundle = gpuledger::bundle;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  EVP_MD* md = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (!f || md == nullptr || ctx == nullptr) Die("cannot open " + path + " or SHA2-256");
  std::setvbuf(f.get(), nullptr, _IOFBF, 4u << 20);
  std::string record(bundle::kEntriesMagic.size(), '\0');
  unsigned char length[bundle::kLengthBytes], digest[EVP_MAX_MD_SIZE], zero = 0;
  ShaRun run;
  auto start = Clock::now();
  const size_t magic_bytes = std::fread(record.data(), 1, record.size(), f.get());
  if (magic_bytes != record.size() || record != bundle::kEntriesMagic) Die(path + ": no magic");
  while (std::fread(length, 1, sizeof length, f.get()) == sizeof length) {
    const size_t len = size_t{length[0]} << 24 | size_t{length[1]} << 16 | size_t{length[2]} << 8 |
                       size_t{length[3]};
    if (len > bundle::kEntryBytesMax) Die(path + ": impossible record length");
    record.resize(len + bundle::kRecordTrailerBytes);
    if (std::fread(record.data(), 1, record.size(), f.get()) != record.size())
      Die(path + " ends inside a record");
    if (EVP_DigestInit_ex2(ctx, md, nullptr) != 1 || EVP_DigestUpdate(ctx, &zero, 1) != 1 ||
        EVP_DigestUpdate(ctx, record.data(), len) != 1 ||
        EVP_DigestFinal_ex(ctx, digest, nullptr) != 1) {
      Die("EVP digest failed");
    }
    ++run.entries;
    run.entry_bytes += len;
  }
  run.seconds = SecondsSince(start);
  EVP_MD_CTX_free(ctx);
  EVP_MD_free(md);
  return run;
}

// --- the phases, each printing its figures and adding them to the summary ---------------

void CliProofs(const Options& o, Json* summary) {
  const uint64_t index = o.entries / 3, from = o.entries / 2;
  const ChildRun inc = RunChild(
      {o.cli, "prove", "inclusion", "--data", o.Ledger(), "--index", std::to_string(index)},
      o.dir + "/prove-inclusion.json");
  const ChildRun con = RunChild(
      {o.cli, "prove", "consistency", "--data", o.Ledger(), "--from", std::to_string(from)},
      o.dir + "/prove-consistency.json");
  fmt::print(
      "cli         `gpuledger prove inclusion --index {}` {:.1f} ms, `prove consistency "
      "--from {}` {:.1f} ms, end to end (process start, database open, proof, JSON)\n",
      index, inc.seconds * 1e3, from, con.seconds * 1e3);
  (*summary)["cli_prove_inclusion_ms"] = Round3(inc.seconds * 1e3);
  (*summary)["cli_prove_consistency_ms"] = Round3(con.seconds * 1e3);
}

void Export(const Options& o, Json* summary) {
  if (o.reuse && fs::exists(o.Bundle() + "/manifest.json")) return;
  if (NonEmptyDir(o.Bundle())) Die(o.Bundle() + " exists: pass --reuse, or remove it");
  fmt::print(stderr, "[export] gpuledger project, then gpuledger export bundle\n");
  const ChildRun project =
      RunChild({o.cli, "project", "--data", o.Ledger(), "--quiet"}, o.dir + "/project.json");
  const ChildRun exp =
      RunChild({o.cli, "export", "bundle", "--data", o.Ledger(), "--out", o.Bundle(), "--quiet"},
               o.dir + "/export.json");
  fmt::print(
      "export      projections catch-up (`gpuledger project`, which export does itself "
      "when a month is closed) {:.1f} s, peak RSS {:.0f} MB; `export bundle` then {:.1f} "
      "s, peak RSS {:.0f} MB\n",
      project.seconds, project.peak_rss_mb, exp.seconds, exp.peak_rss_mb);
  (*summary)["project_s"] = Round3(project.seconds);
  (*summary)["export_s"] = Round3(exp.seconds);
}

void ShaAndVerifier(const Options& o, Json* summary) {
  const std::string entries = o.Bundle() + "/entries.bin";
  fmt::print(stderr, "[verify] bare SHA-256 loop, gpuledger-verify bundle, bare loop again\n");
  const ShaRun before = BareSha256(entries);
  const std::string out = o.dir + "/verify.json";
  const ChildRun verify =
      RunChild({o.verify, "bundle", o.Bundle(), "--key", o.dir + "/log.vkey", "--quiet"}, out);
  Json report = Json::parse(std::ifstream(out), nullptr, /*allow_exceptions=*/false);
  if (report.is_discarded() || report.value("ok", false) != true ||
      report.value("entries_checked", uint64_t{0}) != o.entries || report["statements"].empty())
    Die("the verifier did not check the whole bundle and its statement: see " + out);
  const ShaRun after = BareSha256(entries);
  if (before.entries != o.entries) Die(fmt::format("{} holds {} entries", entries, before.entries));
  const ShaRun& bare = before.seconds < after.seconds ? before : after;
  const double n = static_cast<double>(o.entries), mb = static_cast<double>(bare.entry_bytes) / 1e6;
  const double bare_rate = n / bare.seconds, verify_rate = n / verify.seconds;
  fmt::print(
      "sha256      {} entries, {:.0f} MB of entry bytes: {:.2f} s before, {:.2f} s after "
      "the verifier; best {:.0f} entries/s ({:.0f} MB/s, avg entry {:.0f} bytes)\n",
      o.entries, mb, before.seconds, after.seconds, bare_rate, mb / bare.seconds, mb * 1e6 / n);
  fmt::print(
      "verifier    {} entries in {:.2f} s: {:.0f} entries/s ({:.0f} MB/s), peak RSS {:.0f} "
      "MB\n            verifier/bare = {:.3f} (target >= 0.5)\n",
      o.entries, verify.seconds, verify_rate, mb / verify.seconds, verify.peak_rss_mb,
      verify_rate / bare_rate);
  (*summary)["entry_bytes"] = bare.entry_bytes;
  (*summary)["bare_sha256_s"] = {Round3(before.seconds), Round3(after.seconds)};
  (*summary)["bare_sha256_entries_per_s"] = std::round(bare_rate);
  (*summary)["verify_s"] = Round3(verify.seconds);
  (*summary)["verify_entries_per_s"] = std::round(verify_rate);
  (*summary)["verify_ratio"] = Round3(verify_rate / bare_rate);
  (*summary)["verify_peak_rss_mb"] = std::round(verify.peak_rss_mb);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "gpuledger audit benchmark: proof times, and the offline verifier against a bare "
      "SHA-256 loop over the bundle's entries"};
  Options o;
  app.add_option("--dir", o.dir, "work directory (ledger/, bundle/, keys, outputs)")->required();
  app.add_option("--entries", o.entries, "ledger entries N (N-1 events and a close)")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{16}, uint64_t{1} << 32));
  app.add_flag("--reuse", o.reuse, "use the ledger and bundle already in --dir");
  app.add_option("--cli", o.cli, "path of the gpuledger executable")->required();
  app.add_option("--verify", o.verify, "path of the gpuledger-verify executable")->required();
  app.add_option("--proofs", o.proofs, "proofs of each kind to time")
      ->capture_default_str()
      ->check(CLI::Range(1, 10'000'000));
  app.add_option("--seed", o.seed, "random seed of the events and proofs")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // figures and progress interleave in a log
  fs::create_directories(o.dir);

  Json summary = {{"entries", o.entries}, {"proofs", o.proofs}};
  fmt::print("gpuledger_bench_audit: {} entries, {} proofs of each kind, dir {}\n", o.entries,
             o.proofs, o.dir);
  BuildLedger(o, &summary);
  ApiProofs(o, &summary);
  CliProofs(o, &summary);
  Export(o, &summary);
  ShaAndVerifier(o, &summary);
  // Other work on the machine skews every figure: the load average says if there was any.
  double load_1m = 0;
  std::ifstream("/proc/loadavg") >> load_1m;
  const double mem_gb = static_cast<double>(sysconf(_SC_PHYS_PAGES)) *
                        static_cast<double>(sysconf(_SC_PAGE_SIZE)) / 1e9;
  fmt::print("machine     {} CPUs, {:.1f} GB RAM, load average {:.2f} at the end\n",
             sysconf(_SC_NPROCESSORS_ONLN), mem_gb, load_1m);
  summary["nproc"] = sysconf(_SC_NPROCESSORS_ONLN);
  summary["mem_gb"] = Round3(mem_gb);
  summary["load_1m_end"] = load_1m;
  fmt::print("{}\n", summary.dump());
  return 0;
}
