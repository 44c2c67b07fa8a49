// Tamper evidence (spec sections 8 and 9): a ledger written by the CLI is changed behind
// its back, directly in RocksDB, one way at a time; `gpuledger verify` must then exit 1,
// report "ok":false and name the index of the entry that was changed (for a tree node, the
// entry that completes it), on stdout as "bad_index" and in plain words on stderr.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <cstring>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "gpuledger/ledger.h"
#include "ledger/audit/merkle.h"
#include "ledger/audit/sha256.h"
#include "ledger/store/ledger_format.h"
#include "tests/support/event_gen.h"
#include "tests/support/test_util.h"

namespace gpuledger::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A RocksDB handle on a ledger directory, opened without the ledger library.
class RawDb {
 public:
  explicit RawDb(const std::string& dir) {
    rocksdb::Options options;
    options.create_if_missing = false;
    rocksdb::DB* raw = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(options, dir, &raw);
    EXPECT_TRUE(s.ok()) << s.ToString();
    db_.reset(raw);
  }
  ~RawDb() { Close(); }
  void Close() {
    if (!db_) return;
    EXPECT_TRUE(db_->Flush(rocksdb::FlushOptions()).ok());
    EXPECT_TRUE(db_->Close().ok());
    db_.reset();
  }
  bool ok() const { return db_ != nullptr; }
  std::string Get(const std::string& key) {
    std::string v;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), key, &v);
    EXPECT_TRUE(s.ok()) << "key tag " << key[0] << ": " << s.ToString();
    return v;
  }
  void Put(const std::string& key, const std::string& value) {
    rocksdb::WriteOptions w;
    w.sync = true;
    ASSERT_TRUE(db_->Put(w, key, value).ok());
  }
  void Delete(const std::string& key) {
    rocksdb::WriteOptions w;
    w.sync = true;
    ASSERT_TRUE(db_->Delete(w, key).ok());
  }
  // Every (key, value) whose key starts with `tag`.
  std::vector<std::pair<std::string, std::string>> Scan(char tag) {
    std::vector<std::pair<std::string, std::string>> rows;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    for (it->Seek(std::string(1, tag)); it->Valid() && it->key()[0] == tag; it->Next()) {
      rows.emplace_back(it->key().ToString(), it->value().ToString());
    }
    EXPECT_TRUE(it->status().ok());
    return rows;
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
};

struct VerifyOutcome {
  int exit_code = -1;
  json out;
  std::string err;
};

VerifyOutcome RunVerify(const std::string& dir) {
  CommandResult r = RunCli({"verify", "--data", dir, "--quiet"});
  VerifyOutcome v;
  v.exit_code = r.exit_code;
  v.err = r.err;
  v.out = json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  return v;
}

// The whole check of one tampered copy: exit 1, "ok":false, "bad_index" == expected,
// stderr naming the entry.
void ExpectCaught(const std::string& dir, uint64_t expected_index, const std::string& what) {
  SCOPED_TRACE(what);
  VerifyOutcome v = RunVerify(dir);
  EXPECT_EQ(v.exit_code, 1) << "stdout: " << v.out.dump() << "\nstderr: " << v.err;
  ASSERT_TRUE(v.out.is_object()) << "verify stdout is not one JSON object; stderr: " << v.err;
  EXPECT_EQ(v.out.value("ok", true), false) << v.out.dump();
  ASSERT_TRUE(v.out.contains("bad_index")) << v.out.dump();
  EXPECT_EQ(v.out["bad_index"], json(expected_index)) << v.out.dump();
  EXPECT_TRUE(v.out.contains("problem") && v.out["problem"].is_string() &&
              !v.out["problem"].get<std::string>().empty())
      << v.out.dump();
  std::regex names_entry("entry\\s+" + std::to_string(expected_index) + "\\b");
  EXPECT_TRUE(std::regex_search(v.err, names_entry))
      << "stderr does not name entry " << expected_index << ": " << v.err;
}

std::string Flip(std::string value, size_t pos) {
  EXPECT_LT(pos, value.size());
  value[pos] = static_cast<char>(value[pos] ^ 0x5A);
  return value;
}

std::string HashBytes(const Hash256& h) {
  return std::string(reinterpret_cast<const char*>(h.data()), h.size());
}

// One ingested ledger shared by all cases; each case tampers with its own copy.
class TamperTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    std::string file = dir_->Sub("events.jsonl");
    WriteFile(file, GenerateJsonl(400, /*seed=*/7, &summary_));
    CommandResult r =
        RunCli({"ingest", "--data", dir_->Sub("pristine"), file, "--batch", "64", "--quiet"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    json out = json::parse(r.out);
    ASSERT_EQ(out["accepted"].get<uint64_t>(), summary_.accepted) << r.out;
    ASSERT_EQ(out["duplicate"].get<uint64_t>(), summary_.duplicate) << r.out;
    ASSERT_EQ(out["rejected"].get<uint64_t>(), summary_.rejected()) << r.out;
    size_ = summary_.accepted;
    ASSERT_GT(size_, 200u);
    // The middle entry, odd, so that it completes a level-1 node.
    mid_ = (size_ / 2) | 1;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  // A fresh copy of the pristine ledger.
  std::string Copy(const std::string& name) {
    std::string to = dir_->Sub(name);
    fs::remove_all(to);
    fs::copy(dir_->Sub("pristine"), to, fs::copy_options::recursive);
    return to;
  }

  static TempDir* dir_;
  static GenSummary summary_;
  static uint64_t size_;
  static uint64_t mid_;
};

TempDir* TamperTest::dir_ = nullptr;
GenSummary TamperTest::summary_;
uint64_t TamperTest::size_ = 0;
uint64_t TamperTest::mid_ = 0;

TEST_F(TamperTest, UntouchedCopyVerifies) {
  std::string dir = Copy("untouched");
  {
    RawDb db(dir);
    ASSERT_TRUE(db.ok());
  }  // opening and closing changes nothing that counts
  VerifyOutcome v = RunVerify(dir);
  EXPECT_EQ(v.exit_code, 0) << v.err;
  EXPECT_EQ(v.out.value("ok", false), true) << v.out.dump();
  EXPECT_EQ(v.out.value("entries", uint64_t{0}), size_) << v.out.dump();
  EXPECT_FALSE(v.out.contains("bad_index")) << v.out.dump();
  CommandResult stats = RunCli({"stats", "--data", dir});
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  json s = json::parse(stats.out);
  EXPECT_EQ(s["entries"].get<uint64_t>(), summary_.accepted);
  EXPECT_EQ(s["rejects"].get<uint64_t>(), summary_.rejected());
  EXPECT_EQ(s["duplicates"].get<uint64_t>(), summary_.duplicate);
}

// (a) one byte of entry i's stored bytes.
TEST_F(TamperTest, FlippedEntryByteIsNamed) {
  std::string dir = Copy("a");
  {
    RawDb db(dir);
    std::string key = format::IndexKey(format::kTagEntry, mid_);
    std::string v = db.Get(key);
    db.Put(key, Flip(v, v.size() / 2));
  }
  ExpectCaught(dir, mid_, "entry byte flipped");
}

// The first and the last entry too: no off-by-one at either end.
TEST_F(TamperTest, FlippedFirstAndLastEntryAreNamed) {
  for (uint64_t i : {uint64_t{0}, size_ - 1}) {
    std::string dir = Copy("a-" + std::to_string(i));
    {
      RawDb db(dir);
      std::string key = format::IndexKey(format::kTagEntry, i);
      std::string v = db.Get(key);
      db.Put(key, Flip(v, v.size() - 3));
    }
    ExpectCaught(dir, i, "entry " + std::to_string(i) + " byte flipped");
  }
}

// (b) a byte of a stored tree node: named by the entry that completes it (the key's u64),
// for a level-1 node in the middle and for the largest node stored.
TEST_F(TamperTest, FlippedTreeNodeIsNamedByItsCompletingEntry) {
  std::vector<std::pair<std::string, std::string>> nodes;
  {
    RawDb db(Copy("b-scan"));
    nodes = db.Scan(format::kTagNode);
  }
  ASSERT_GT(nodes.size(), size_ / 2);  // about one node per leaf
  const std::pair<std::string, std::string>* level1 = nullptr;
  const std::pair<std::string, std::string>* top = nullptr;
  for (const auto& n : nodes) {
    ASSERT_EQ(n.first.size(), format::kNodeKeyBytes);
    ASSERT_EQ(n.second.size(), kSha256Bytes);
    uint64_t done = format::GetU64(n.first.data() + 1);
    uint8_t level = static_cast<uint8_t>(n.first[9]);
    if (level == 1 && done >= size_ / 3 && !level1) level1 = &n;
    if (!top || level > static_cast<uint8_t>(top->first[9])) top = &n;
  }
  ASSERT_TRUE(level1 && top);
  ASSERT_GE(static_cast<uint8_t>(top->first[9]), 7);  // 256 leaves or more
  for (const auto* n : {level1, top}) {
    uint64_t done = format::GetU64(n->first.data() + 1);
    std::string what = "node level " + std::to_string(static_cast<int>(n->first[9])) + " done at " +
                       std::to_string(done);
    std::string dir = Copy("b-" + std::to_string(done));
    {
      RawDb db(dir);
      db.Put(n->first, Flip(n->second, 17));
    }
    ExpectCaught(dir, done, what);
  }
}

// (b') a stored tree node deleted: a level-1 node in the middle, and the largest node,
// which opening the ledger also reads (the frontier of the tree's right edge).
TEST_F(TamperTest, DeletedTreeNodeIsNamedByItsCompletingEntry) {
  std::vector<std::pair<std::string, std::string>> nodes;
  {
    RawDb db(Copy("b-del-scan"));
    nodes = db.Scan(format::kTagNode);
  }
  ASSERT_FALSE(nodes.empty());
  std::string level1_key = format::NodeKey(1, mid_ / 2);  // completed by mid_ (odd)
  std::string top_key;
  uint8_t top_level = 0;
  for (const auto& n : nodes) {
    if (static_cast<uint8_t>(n.first[9]) > top_level) {
      top_level = static_cast<uint8_t>(n.first[9]);
      top_key = n.first;
    }
  }
  ASSERT_EQ(format::GetU64(level1_key.data() + 1), mid_);
  for (const std::string& key : {level1_key, top_key}) {
    uint64_t done = format::GetU64(key.data() + 1);
    std::string what = "node level " + std::to_string(static_cast<int>(key[9])) + " done at " +
                       std::to_string(done) + " deleted";
    std::string dir = Copy("b-del-" + std::to_string(done));
    {
      RawDb db(dir);
      db.Delete(key);
    }
    ExpectCaught(dir, done, what);
  }
}

// (c) entry i deleted.
TEST_F(TamperTest, DeletedEntryIsNamed) {
  std::string dir = Copy("c");
  {
    RawDb db(dir);
    db.Delete(format::IndexKey(format::kTagEntry, mid_));
  }
  ExpectCaught(dir, mid_, "entry deleted");
}

// (d) a byte of the stored leaf hash, and of the stored chain hash.
TEST_F(TamperTest, ChangedLeafOrChainHashIsNamed) {
  for (size_t pos : {size_t{5}, size_t{32 + 20}}) {
    std::string dir = Copy("d-" + std::to_string(pos));
    {
      RawDb db(dir);
      std::string key = format::IndexKey(format::kTagHashes, mid_);
      std::string v = db.Get(key);
      ASSERT_EQ(v.size(), format::kHashesValueBytes);
      db.Put(key, Flip(v, pos));
    }
    ExpectCaught(dir, mid_, pos < 32 ? "leaf hash changed" : "chain hash changed");
  }
}

// (d') the H record of entry i deleted.
TEST_F(TamperTest, DeletedHashesAreNamed) {
  std::string dir = Copy("d-del");
  {
    RawDb db(dir);
    db.Delete(format::IndexKey(format::kTagHashes, mid_));
  }
  ExpectCaught(dir, mid_, "hashes deleted");
}

// (d'') the H record of the last entry deleted (opening the ledger reads the chain head there).
TEST_F(TamperTest, DeletedLastHashesAreNamed) {
  std::string dir = Copy("d-del-last");
  {
    RawDb db(dir);
    db.Delete(format::IndexKey(format::kTagHashes, size_ - 1));
  }
  ExpectCaught(dir, size_ - 1, "hashes of the last entry deleted");
}

// (e') the content hash held by entry i's dedup record changed.
TEST_F(TamperTest, ChangedDedupRecordIsNamed) {
  std::string dir = Copy("e-changed");
  {
    RawDb db(dir);
    for (const auto& [k, v] : db.Scan(format::kTagDedup)) {
      if (format::GetU64(v.data()) == mid_) db.Put(k, Flip(v, 8 + 3));
    }
  }
  ExpectCaught(dir, mid_, "dedup record content hash changed");
}

// (e) the dedup record of entry i deleted: named by the entry it belonged to.
TEST_F(TamperTest, DeletedDedupRecordIsNamed) {
  std::string dir = Copy("e");
  {
    RawDb db(dir);
    auto rows = db.Scan(format::kTagDedup);
    ASSERT_EQ(rows.size(), size_);
    const std::string* key = nullptr;
    for (const auto& [k, v] : rows) {
      ASSERT_GE(v.size(), format::kDedupValueBytesMin);
      if (format::GetU64(v.data()) == mid_) key = &k;
    }
    ASSERT_NE(key, nullptr) << "no dedup record points at entry " << mid_;
    db.Delete(*key);
  }
  ExpectCaught(dir, mid_, "dedup record deleted");
}

// Changes gpu_seconds inside the message stored in entry i's bytes (same length, still
// a well-formed entry): returns the new bytes.
std::string RewriteMessage(const std::string& entry) {
  const std::string needle = "\"gpu_seconds\":";
  size_t at = entry.find(needle);
  EXPECT_NE(at, std::string::npos) << "entry holds no usage report";
  std::string v = entry;
  char& digit = v[at + needle.size()];
  EXPECT_TRUE(digit >= '0' && digit <= '9');
  digit = digit == '9' ? '8' : static_cast<char>(digit + 1);
  return v;
}

// (f) entry i rewritten together with its leaf hash: the stale chain hash catches it.
TEST_F(TamperTest, RewrittenEntryWithLeafIsCaughtByChain) {
  std::string dir = Copy("f-chain");
  {
    RawDb db(dir);
    std::string ekey = format::IndexKey(format::kTagEntry, mid_);
    std::string hkey = format::IndexKey(format::kTagHashes, mid_);
    std::string entry = RewriteMessage(db.Get(ekey));
    std::string hashes = db.Get(hkey);
    Sha256 sha;
    hashes.replace(0, 32, HashBytes(LeafHash(sha, entry)));
    db.Put(ekey, entry);
    db.Put(hkey, hashes);
  }
  ExpectCaught(dir, mid_, "entry and leaf rewritten");
}

// (f) entry i rewritten with its leaf AND every chain hash from i on recomputed, so the
// chain is consistent to its head: only the stored tree nodes can catch it. mid_ is odd,
// so entry mid_ completes a level-1 node.
TEST_F(TamperTest, RewrittenEntryWithLeafAndChainIsCaughtByTreeNodes) {
  std::string dir = Copy("f-nodes");
  {
    RawDb db(dir);
    std::string ekey = format::IndexKey(format::kTagEntry, mid_);
    std::string entry = RewriteMessage(db.Get(ekey));
    db.Put(ekey, entry);
    Sha256 sha;
    std::string prev = db.Get(format::IndexKey(format::kTagHashes, mid_ - 1));
    Hash256 chain;
    std::memcpy(chain.data(), prev.data() + 32, 32);
    for (uint64_t i = mid_; i < size_; ++i) {
      std::string hkey = format::IndexKey(format::kTagHashes, i);
      std::string hashes = db.Get(hkey);
      Hash256 leaf;
      if (i == mid_) {
        leaf = LeafHash(sha, entry);
      } else {
        std::memcpy(leaf.data(), hashes.data(), 32);
      }
      chain = ChainHash(sha, chain, leaf);
      db.Put(hkey, HashBytes(leaf) + HashBytes(chain));
    }
  }
  ExpectCaught(dir, mid_, "entry, leaf and chain rewritten");
}

// The library API reports the same as the CLI.
TEST_F(TamperTest, LibraryVerifyNamesTheEntry) {
  std::string dir = Copy("lib");
  LedgerOptions options;
  options.read_only = true;
  {
    auto ledger = Ledger::Open(dir, options);
    ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
    VerifyReport report;
    ASSERT_TRUE(ledger.value()->Verify(&report, nullptr).ok());
    EXPECT_TRUE(report.ok) << report.problem;
    EXPECT_EQ(report.entries_checked, size_);
    EXPECT_FALSE(report.bad_index.has_value());
  }
  {
    RawDb db(dir);
    std::string key = format::IndexKey(format::kTagEntry, mid_);
    db.Put(key, Flip(db.Get(key), 40));
  }
  auto ledger = Ledger::Open(dir, options);
  ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
  VerifyReport report;
  ASSERT_TRUE(ledger.value()->Verify(&report, nullptr).ok());
  EXPECT_FALSE(report.ok);
  ASSERT_TRUE(report.bad_index.has_value());
  EXPECT_EQ(*report.bad_index, mid_);
  EXPECT_NE(report.problem.find(std::to_string(mid_)), std::string::npos) << report.problem;
  EXPECT_LT(report.entries_checked, size_);
}

}  // namespace
}  // namespace gpuledger::testing
