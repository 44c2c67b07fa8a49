// Parts of gpuledger-verify on their own: exact JSON integers (KRW beyond 64 bits) and the
// bundle's entry reader on cut or impossible records.
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>

#include "tests/support/test_util.h"
#include "tools/verify/bundle_reader.h"
#include "tools/verify/exact_json.h"

namespace gpuledger::verify {
namespace {

TEST(VerifyExactJson, IntegersBeyond64BitsKeepEveryDigit) {
  auto doc = ParseExactJson(R"({"a":1,"b":-9223372036854775808,"c":18446744073709551615,)"
                            R"("d":-170141183460469231731687303715884105728,"e":1.5,"f":1e3})");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  const nlohmann::json& d = doc.value();
  EXPECT_EQ(IntegerText(d["a"]), "1");
  EXPECT_EQ(IntegerText(d["b"]), "-9223372036854775808");
  EXPECT_EQ(IntegerText(d["c"]), "18446744073709551615");
  EXPECT_EQ(IntegerText(d["d"]), "-170141183460469231731687303715884105728");
  EXPECT_EQ(IntegerText(d["e"]), std::nullopt);
  EXPECT_EQ(IntegerText(d["f"]), std::nullopt);
  EXPECT_EQ(IntegerText(nlohmann::json("12")), std::nullopt) << "a string is not a number";
}

TEST(VerifyExactJson, RefusesRepeatedKeysAndBadJson) {
  EXPECT_FALSE(ParseExactJson(R"({"a":1,"a":2})").ok());
  EXPECT_FALSE(ParseExactJson(R"({"a":1)").ok());
  EXPECT_FALSE(ParseExactJson(std::string(100, '[') + std::string(100, ']')).ok());
  EXPECT_TRUE(ParseExactJson(R"({"rows":[{"x":[1,2,{"y":null}]}]})").ok());
}

TEST(VerifyEntryReader, ReadsRecordsAndNamesWhereAFileIsCut) {
  testing::TempDir dir;
  std::string file = "gpuledger-entries/v1\n";
  auto record = [](const std::string& bytes) {
    std::string r;
    for (int shift = 24; shift >= 0; shift -= 8)
      r.push_back(static_cast<char>(bytes.size() >> shift));
    return r + bytes + std::string(64, '\x11');
  };
  file += record("abc") + record("defgh");
  testing::WriteFile(dir.Sub("ok.bin"), file);
  auto reader = EntryReader::Open(dir.Sub("ok.bin"));
  ASSERT_TRUE(reader.ok());
  EntryRecord rec;
  ASSERT_TRUE(reader.value()->Next(&rec).value());
  EXPECT_EQ(rec.bytes, "abc");
  ASSERT_TRUE(reader.value()->Next(&rec).value());
  EXPECT_EQ(rec.bytes, "defgh");
  EXPECT_EQ(rec.leaf[0], 0x11);
  EXPECT_FALSE(reader.value()->Next(&rec).value()) << "a clean end";

  testing::WriteFile(dir.Sub("cut.bin"), file.substr(0, file.size() - 10));
  reader = EntryReader::Open(dir.Sub("cut.bin"));
  ASSERT_TRUE(reader.ok());
  ASSERT_TRUE(reader.value()->Next(&rec).ok());
  auto cut = reader.value()->Next(&rec);
  EXPECT_FALSE(cut.ok());
  testing::WriteFile(dir.Sub("zero.bin"), "gpuledger-entries/v1\n" + std::string(4, '\0'));
  reader = EntryReader::Open(dir.Sub("zero.bin"));
  ASSERT_TRUE(reader.ok());
  EXPECT_FALSE(reader.value()->Next(&rec).ok()) << "an entry of length 0";
  testing::WriteFile(dir.Sub("magic.bin"), "not a bundle");
  EXPECT_FALSE(EntryReader::Open(dir.Sub("magic.bin")).ok());
}

TEST(VerifyLinks, OnlyOpenSslAndTheCRuntime) {
  // The issue's promise: the verifier links OpenSSL, FlatBuffers and the standard library
  // only, so an auditor need not trust RocksDB, librdkafka or the operator's other code.
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(
      popen((std::string("ldd ") + GPULEDGER_VERIFY_PATH).c_str(), "r"), &pclose);
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, pipe.get())) > 0;) out.append(buf, n);
  EXPECT_NE(out.find("libcrypto"), std::string::npos) << out;
  for (const char* banned : {"rocksdb", "rdkafka", "libfmt", "simdjson", "jemalloc", "gtest"}) {
    EXPECT_EQ(out.find(banned), std::string::npos) << banned << " in\n" << out;
  }
}

}  // namespace
}  // namespace gpuledger::verify
