// "verify fails after any stored byte is changed": for every key of a ledger that holds
// entries, tree nodes, dedup records, intake state (contracts, allocations, a void, a
// closed month), rejects, duplicates and meta, change one byte of the value (first,
// middle, last), or delete the key, through RocksDB itself; verify must fail every time.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "gpuledger/file_intake.h"
#include "gpuledger/ledger.h"
#include "tests/support/test_util.h"

namespace gpuledger {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

std::string SamplePath() {
  return std::string(GPULEDGER_SOURCE_DIR) + "/ops/demo/sample-events.jsonl";
}

std::vector<std::string> AllKeys(const std::string& dir) {
  rocksdb::DB* raw = nullptr;
  rocksdb::Options options;
  EXPECT_TRUE(rocksdb::DB::OpenForReadOnly(options, dir, &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  std::vector<std::string> keys;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) keys.push_back(it->key().ToString());
  return keys;
}

// Applies `change` to `key` in a copy of `source`; returns the copy's directory.
template <typename Change>
void Tamper(const std::string& copy, const std::string& key, Change change) {
  rocksdb::DB* raw = nullptr;
  rocksdb::Options options;
  ASSERT_TRUE(rocksdb::DB::Open(options, copy, &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  change(db.get(), key);
}

bool Verifies(const std::string& dir) {
  LedgerOptions options;
  options.read_only = true;
  auto ledger = Ledger::Open(dir, options);
  if (!ledger.ok()) return false;  // e.g. the format version was changed
  VerifyReport report;
  if (!ledger.value()->Verify(&report, nullptr).ok()) return false;
  return report.ok;
}

class TamperAnyByteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ledger = Ledger::Open(ledger_dir_, LedgerOptions{});
    ASSERT_TRUE(ledger.ok());
    // Twice: the second run adds a duplicate record for every accepted line.
    for (int run = 0; run < 2; ++run)
      ASSERT_TRUE(IngestFile(*ledger.value(), SamplePath(), {}).ok());
    LedgerStats stats = ledger.value()->stats();
    ASSERT_GT(stats.entries, 10u);
    ASSERT_GT(stats.rejects, 5u);
    ASSERT_GT(stats.duplicates, 10u);
  }

  TempDir tmp_;
  std::string ledger_dir_ = tmp_.Sub("ledger");
};

TEST_F(TamperAnyByteTest, EveryValueByteFlipAndEveryDeletionIsDetected) {
  ASSERT_TRUE(Verifies(ledger_dir_));
  std::vector<std::string> keys = AllKeys(ledger_dir_);
  std::set<char> tags;
  for (const std::string& k : keys) tags.insert(k[0]);
  // Every kind of record is present, so every kind is tampered with below.
  for (char tag : {'M', 'E', 'H', 'N', 'D', 'R', 'U', 'S'}) EXPECT_TRUE(tags.count(tag)) << tag;
  int cases = 0;
  for (const std::string& key : keys) {
    for (int where = 0; where < 4; ++where) {  // 0..2: flip a byte at first/middle/last; 3: delete
      std::string copy = tmp_.Sub("copy-" + std::to_string(cases++));
      fs::copy(ledger_dir_, copy, fs::copy_options::recursive);
      Tamper(copy, key, [where](rocksdb::DB* db, const std::string& k) {
        if (where == 3) {
          ASSERT_TRUE(db->Delete(rocksdb::WriteOptions(), k).ok());
          return;
        }
        std::string v;
        ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), k, &v).ok());
        ASSERT_FALSE(v.empty());
        size_t pos = where == 0 ? 0 : where == 1 ? v.size() / 2 : v.size() - 1;
        v[pos] = static_cast<char>(v[pos] ^ 0x01);
        ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), k, v).ok());
      });
      EXPECT_FALSE(Verifies(copy))
          << "undetected: " << (where == 3 ? "deleting" : "flipping a byte of") << " key tag '"
          << key[0] << "' (" << key.size() << " bytes), case " << where;
      fs::remove_all(copy);
    }
  }
  EXPECT_GT(cases, 400);
}

}  // namespace
}  // namespace gpuledger
