#include "tests/support/audit_bundle_util.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "ledger/audit/merkle.h"

namespace gpuledger::testing {

namespace fs = std::filesystem;

void BuildAuditFixture(AuditFixture* f, uint64_t seed) {
  f->data = f->dir.Sub("data");
  f->bundle = f->dir.Sub("bundle");
  const std::string sim = f->dir.Sub("sim.jsonl");
  auto r = RunCli({"simulate", "--seed", std::to_string(seed), "--scale", "1", "--csps", "2",
                   "--days", "3", "--faults", "--out", sim});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(ReadFile(sim));
  std::string line, first, rest;
  for (size_t n = 0; std::getline(lines, line); ++n) (n < 700 ? first : rest) += line + "\n";
  WriteFile(f->dir.Sub("a.jsonl"), first);
  WriteFile(f->dir.Sub("b.jsonl"), rest);
  if (f->key.empty()) {
    r = RunCli({"keygen", "--name", "gpuledger.test/ledger", "--out", f->dir.Sub("log")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    f->key = f->dir.Sub("log.key");
    f->vkey = f->dir.Sub("log.vkey");
  }
  for (const char* part : {"a.jsonl", "b.jsonl"}) {
    r = RunCli({"ingest", "--data", f->data, f->dir.Sub(part), "--quiet"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string note = f->dir.Sub(std::string(part) + ".checkpoint");
    r = RunCli({"checkpoint", "--data", f->data, "--key", f->key, "--out", note});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const uint64_t size = nlohmann::json::parse(r.out)["tree_size"];
    if (f->first_size == 0) {
      f->first_size = size;
      f->first_checkpoint = note;
    } else {
      f->size = size;
      f->checkpoint = note;
    }
  }
  r = RunCli({"export", "bundle", "--data", f->data, "--out", f->bundle, "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

BundleRecords ReadRecords(const std::string& bundle_dir) {
  const std::string bytes = ReadFile(bundle_dir + "/entries.bin");
  BundleRecords r;
  r.magic = bytes.substr(0, 21);
  size_t pos = 21;
  while (pos + 4 <= bytes.size()) {
    uint32_t n = 0;
    for (int i = 0; i < 4; ++i) n = (n << 8) | static_cast<uint8_t>(bytes[pos + i]);
    r.records.push_back(bytes.substr(pos, 4 + n + 64));
    pos += 4 + n + 64;
  }
  return r;
}

void WriteRecords(const std::string& bundle_dir, const BundleRecords& r) {
  std::string bytes = r.magic;
  for (const std::string& rec : r.records) bytes += rec;
  WriteFile(bundle_dir + "/entries.bin", bytes);
}

void CopyBundle(const std::string& from, const std::string& to) {
  fs::copy(from, to, fs::copy_options::recursive);
}

std::string EntryOf(const std::string& record) { return record.substr(4, record.size() - 4 - 64); }

std::string RecordOf(const std::string& entry, Hash256* chain) {
  Sha256 sha;
  const Hash256 leaf = LeafHash(sha, entry);
  *chain = ChainHash(sha, *chain, leaf);
  std::string rec;
  for (int shift = 24; shift >= 0; shift -= 8)
    rec.push_back(static_cast<char>(entry.size() >> shift));
  rec += entry;
  rec.append(reinterpret_cast<const char*>(leaf.data()), leaf.size());
  rec.append(reinterpret_cast<const char*>(chain->data()), chain->size());
  return rec;
}

void Relink(BundleRecords* r) {
  Hash256 chain{};
  for (std::string& rec : r->records) rec = RecordOf(EntryOf(rec), &chain);
}

bool ReportHas(const nlohmann::json& report, const std::string& check) {
  for (const nlohmann::json& f : report["failures"]) {
    if (f["check"] == check) return true;
  }
  return false;
}

nlohmann::json VerifyReportOf(const std::string& bundle, const std::string& vkey, int* exit_code,
                              const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"bundle", bundle, "--key", vkey, "--quiet"};
  args.insert(args.end(), extra.begin(), extra.end());
  CommandResult r = RunVerifier(args);
  *exit_code = r.exit_code;
  auto report = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  EXPECT_TRUE(report.is_object()) << r.out << r.err;
  return report;
}

}  // namespace gpuledger::testing
