// verify's dedup record (ledger/store/verify_scan.h) is built by hand in a reused buffer so
// that verify's hot loop does not allocate; it must equal the key and DedupValue::Encode()
// that the intake writes, or verify would miss (or invent) a mismatch of the dedup index.
#include "ledger/store/verify_scan.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "ledger/store/ledger_format.h"

namespace gpuledger::verify_internal {
namespace {

TEST(VerifyDedupRecord, EntriesViewEqualsTheStoredKeyAndEncodedValue) {
  const std::string_view keys_made_live[] = {"", "C-1", "2026-04", std::string_view("A-\0x", 4)};
  for (const std::string_view key_made_live : keys_made_live) {
    EntryKeyFields f;
    f.source = "csp/kt-cloud";
    f.id = "e-0001";
    for (size_t i = 0; i < f.content_sha256.size(); ++i) f.content_sha256[i] = uint8_t(i * 7);
    f.type = EventType::kAllocationGranted;
    f.key = key_made_live;
    const uint64_t index = 0x0102030405060708;

    DedupRecord record;
    const std::string_view view = record.OfEntry(index, f);
    const std::string key = format::DedupKey(f.source, f.id);
    const std::string value =
        DedupValue{index, f.content_sha256, f.type, std::string(key_made_live)}.Encode();
    uint64_t key_size = 0;
    ASSERT_GE(view.size(), sizeof(key_size));
    std::memcpy(&key_size, view.data(), sizeof(key_size));
    EXPECT_EQ(key_size, key.size());
    EXPECT_EQ(view.substr(sizeof(key_size), key.size()), key);
    EXPECT_EQ(view.substr(sizeof(key_size) + key.size()), value);
    // And the index's view of the same stored pair is byte for byte the entries' view.
    DedupRecord stored;
    EXPECT_EQ(std::string(stored.OfIndex(key, value)), std::string(view));
  }
}

}  // namespace
}  // namespace gpuledger::verify_internal
