// Tests for the two forms of a ProofDocument (ledger/audit/proof.h): exact output, round
// trips, verification through the document, and refusal of malformed input.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ledger/audit/proof.h"
#include "ledger/audit/sha256.h"
#include "tests/support/proof_test_util.h"

namespace gpuledger::audit {
namespace {

using test::H;
using test::LeafTree;

// RFC 6962 vector: leaf 5 of the 8-leaf tree (transparency-dev/merkle, see proof_test.cc).
ProofDocument InclusionOf5In8() {
  ProofDocument doc;
  doc.kind = ProofDocument::Kind::kInclusion;
  doc.index = 5;
  doc.leaf_hash = H("4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658");
  doc.tree_size = 8;
  doc.root = H("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328");
  doc.proof = test::HashList({"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                              "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                              "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"});
  return doc;
}

ProofDocument Consistency6To8() {
  ProofDocument doc;
  doc.kind = ProofDocument::Kind::kConsistency;
  doc.old_size = 6;
  doc.old_root = H("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef");
  doc.tree_size = 8;
  doc.root = H("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328");
  doc.proof = test::HashList({"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                              "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                              "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"});
  return doc;
}

const char kInclusionText[] =
    "gpuledger.inclusion-proof/v1\n"
    "index 5\n"
    "size 8\n"
    "leaf QnGia+DYqE8L1UyMMC58s6O10fpngKQLzOKHNHfatlg=\n"
    "root XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n"
    "vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms=\n"
    "yoVOoSjtBQtBs1/8G4e46yveRh6eO1WW7Oa51ZdaCuA=\n"
    "037kGJdt2VdTwcc4Yrk5j6Kiz5tP8P3+izDNlSCWFLc=\n";

const char kConsistencyText[] =
    "gpuledger.consistency-proof/v1\n"
    "old 6\n"
    "new 8\n"
    "old-root duZ9rbzfHhDht03cYIq9L5jfsW+851J3tSMqEn8gh+8=\n"
    "new-root XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n"
    "DrxdNDf74tsVi58Sah0RjjCBgQMdCpSfje3t68VY72o=\n"
    "yoVOoSjtBQtBs1/8G4e46yveRh6eO1WW7Oa51ZdaCuA=\n"
    "037kGJdt2VdTwcc4Yrk5j6Kiz5tP8P3+izDNlSCWFLc=\n";

void ExpectSame(const ProofDocument& a, const ProofDocument& b) {
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.index, b.index);
  EXPECT_EQ(a.leaf_hash, b.leaf_hash);
  EXPECT_EQ(a.old_size, b.old_size);
  EXPECT_EQ(a.old_root, b.old_root);
  EXPECT_EQ(a.tree_size, b.tree_size);
  EXPECT_EQ(a.root, b.root);
  EXPECT_EQ(a.proof, b.proof);
}

TEST(ProofDocumentTest, ExactForms) {
  EXPECT_EQ(ProofToText(InclusionOf5In8()), kInclusionText);
  EXPECT_EQ(ProofToText(Consistency6To8()), kConsistencyText);
  EXPECT_EQ(ProofToJson(InclusionOf5In8()),
            "{\"type\":\"inclusion\",\"leaf_index\":5,\"leaf_hash\":"
            "\"4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658\","
            "\"tree_size\":8,\"root\":"
            "\"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328\",\"proof\":["
            "\"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b\","
            "\"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0\","
            "\"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7\"]}");
  const std::string json = ProofToJson(Consistency6To8());
  EXPECT_EQ(json.rfind("{\"type\":\"consistency\",\"old_size\":6,\"old_root\":\"76e67dad", 0), 0u)
      << json;
}

TEST(ProofDocumentTest, RoundTripsAndVerifies) {
  const LeafTree tree = LeafTree::Numbered(40);
  std::vector<ProofDocument> docs = {InclusionOf5In8(), Consistency6To8()};
  for (uint64_t n : {1, 2, 7, 32, 40}) {
    ProofDocument inclusion;
    inclusion.index = n - 1;
    inclusion.leaf_hash = tree.leaf(n - 1);
    inclusion.tree_size = n;
    inclusion.root = tree.ReferenceRootOf(n);
    inclusion.proof = MakeInclusionProof(n - 1, n, tree.Reader(n)).value();
    docs.push_back(inclusion);
    ProofDocument consistency;
    consistency.kind = ProofDocument::Kind::kConsistency;
    consistency.old_size = (n + 1) / 2;
    consistency.old_root = tree.ReferenceRootOf(consistency.old_size);
    consistency.tree_size = n;
    consistency.root = inclusion.root;
    consistency.proof = MakeConsistencyProof(consistency.old_size, n, tree.Reader(n)).value();
    docs.push_back(consistency);
  }
  for (const ProofDocument& doc : docs) {
    SCOPED_TRACE(ProofToText(doc));
    ASSERT_TRUE(VerifyProofDocument(doc).ok());
    for (const std::string& form :
         {ProofToJson(doc), ProofToText(doc), " \n\t" + ProofToJson(doc)}) {
      const Result<ProofDocument> parsed = ParseProof(form);
      ASSERT_TRUE(parsed.ok()) << parsed.status().ToString() << "\n" << form;
      ExpectSame(parsed.value(), doc);
      EXPECT_TRUE(VerifyProofDocument(parsed.value()).ok());
    }
    ProofDocument wrong = doc;
    wrong.root[31] ^= 1;
    EXPECT_EQ(VerifyProofDocument(wrong).code(), Status::Code::kCorruption);
  }
  ProofDocument too_long = InclusionOf5In8();
  too_long.proof.resize(kProofHashesMax + 1);
  EXPECT_FALSE(VerifyProofDocument(too_long).ok());
}

TEST(ProofDocumentTest, RefusesMalformedText) {
  const std::string good = kInclusionText;
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string text = good;
    text.replace(text.find(from), from.size(), to);
    return text;
  };
  const std::vector<std::string> bad = {
      "",
      "\n",
      good.substr(0, good.size() - 1),                       // no final newline
      " " + good,                                            // leading space
      good + "\n",                                           // blank line at the end
      good + "vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms",  // unterminated line
      replace("\n", "\r\n"),
      replace("inclusion-proof/v1", "inclusion-proof/v2"),
      replace("gpuledger.inclusion-proof/v1", "c2sp.org/tlog-proof@v1"),
      replace("index 5", "index 05"),
      replace("index 5", "index  5"),
      replace("index 5", "index +5"),
      replace("index 5", "index -5"),
      replace("index 5", "index 5 "),
      replace("index 5", "index"),
      replace("index 5", "index 18446744073709551616"),  // 2^64
      replace("index 5", "old 5"),
      replace("size 8\n", ""),
      replace("size 8", "size 0x8"),
      replace("leaf ", "leaf  "),
      replace("leaf QnGia", "leaf QnGi"),                               // 43 chars
      replace("fatlg=", "fatlh="),                                      // bits left over
      replace("fatlg=", "fatl=="),                                      // 31 bytes
      replace("root XcnaeacG", "root Xcnaeac*"),                        // not base64
      replace("root ", "new-root "),                                    // wrong keyword
      replace("vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms=\n", "\n"),  // blank line
      replace("vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms=",
              "vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnm"),
      replace("yoVOoSjtBQ", "yoVOoSjtBQ "),
      std::string(kConsistencyText).replace(0, 30, "gpuledger.inclusion-proof/v1"),
  };
  for (const std::string& text : bad) {
    const Result<ProofDocument> parsed = ParseProof(text);
    EXPECT_EQ(parsed.status().code(), Status::Code::kInvalidArgument) << "accepted:\n" << text;
  }
  // Bounds: kProofHashesMax hashes parse, one more does not; nor does a larger file.
  std::string longest = good;
  for (size_t i = 3; i < kProofHashesMax; ++i) {
    longest += "vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms=\n";
  }
  EXPECT_EQ(ParseProof(longest).value().proof.size(), kProofHashesMax);
  EXPECT_FALSE(ParseProof(longest + "vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms=\n").ok());
  EXPECT_FALSE(ParseProof(good + std::string(kProofFileBytesMax, 'A')).ok());
}

TEST(ProofDocumentTest, RefusesMalformedJson) {
  const std::string good = ProofToJson(Consistency6To8());
  ASSERT_TRUE(ParseProof(good).ok());
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string json = good;
    json.replace(json.find(from), from.size(), to);
    return json;
  };
  const std::string root = "\"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328\"";
  const std::vector<std::string> bad = {
      "{",
      "{}",
      "[]",
      good + "x",
      good.substr(0, good.size() - 1),
      replace("\"consistency\"", "\"Consistency\""),
      replace("\"consistency\"", "1"),
      replace("\"old_size\":6", "\"old_size\":-6"),
      replace("\"old_size\":6", "\"old_size\":6.0"),
      replace("\"old_size\":6", "\"old_size\":\"6\""),
      replace("\"old_size\":6", "\"old_size\":18446744073709551616"),
      replace("\"old_size\":6", "\"leaf_index\":6"),  // the other kind's key
      replace("\"tree_size\":8,", ""),
      replace("\"tree_size\":8", "\"tree_size\":8,\"extra\":1"),
      replace("\"tree_size\":8", "\"tree_size\":8,\"tree_size\":8"),  // duplicate key
      replace("\"tree_size\":8", "\"tree_size\":8,\"root\":" + root),
      replace("\"old_root\":\"76e67dad", "\"old_root\":\"76E67DAD"),  // one spelling only
      replace("\"old_root\":\"76e67dad", "\"old_root\":\"76e67da"),
      replace("\"proof\":[", "\"proof\":[1,"),
      replace("\"proof\":[", "\"proof\":[\"\","),
      replace("\"proof\":[\"0ebc", "\"proof\":{\"a\":[\"0ebc") + "}",
      replace("\"type\"", "\"type\xff\""),  // not UTF-8
  };
  for (const std::string& json : bad) {
    const Result<ProofDocument> parsed = ParseProof(json);
    EXPECT_EQ(parsed.status().code(), Status::Code::kInvalidArgument) << "accepted: " << json;
  }
  std::string many = R"({"type":"inclusion","leaf_index":0,"leaf_hash":)" + root +
                     R"(,"tree_size":1,"root":)" + root + R"(,"proof":[)";
  for (size_t i = 0; i <= kProofHashesMax; ++i) many += (i == 0 ? "" : ",") + root;
  EXPECT_FALSE(ParseProof(many + "]}").ok());
}

}  // namespace
}  // namespace gpuledger::audit
