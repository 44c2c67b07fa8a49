// Tests for ledger/audit/proof.h, generation and verification: the RFC 6962 reference
// vectors, then every proof of every tree of 1..64 leaves against the RFC's recursive
// definitions, then the number of subtree reads for trees of up to 2^40 leaves. The
// document forms are tested in proof_document_test.cc.
#include "ledger/audit/proof.h"

#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "ledger/audit/merkle.h"
#include "ledger/audit/sha256.h"
#include "tests/support/proof_test_util.h"

namespace gpuledger::audit {
namespace {

using test::FlipBit;
using test::H;
using test::HashList;
using test::LeafTree;

// ---------------------------------------------------------------------------------------
// RFC 6962 reference vectors, copied as facts from transparency-dev/merkle (Apache-2.0;
// the same values as google/certificate-transparency's merkle_tree_test.cc):
// testonly/constants.go (NodeHashes, RootHashes) and proof/verify_test.go and
// testonly/reference_test.go (the proofs; verify_test.go counts leaves from 1, here
// indices count from 0). Leaves: LeafInputs() of constants.go.

constexpr const char* kNodeHashes[4][8] = {
    {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
     "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
     "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
     "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
     "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
     "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
     "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
     "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"},
    {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
     "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
     "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
     "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"},
    {"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
     "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"},
    {"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"},
};

struct InclusionVector {
  uint64_t index;
  uint64_t size;
  std::vector<const char*> proof;
};
const InclusionVector kInclusionVectors[] = {
    {0, 1, {}},
    {0, 2, {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"}},
    {1, 2, {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"}},
    {2, 3, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
    {1,
     5,
     {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
    {0,
     8,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {5,
     8,
     {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
};

struct ConsistencyVector {
  uint64_t old_size;
  uint64_t new_size;
  std::vector<const char*> proof;
};
const ConsistencyVector kConsistencyVectors[] = {
    {1, 1, {}},
    {1,
     8,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {6,
     8,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2,
     5,
     {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
    {6,
     7,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
};

TEST(Rfc9162VectorsTest, SubtreesAndRootsOfTheEightLeaves) {
  const LeafTree tree = LeafTree::Rfc6962();
  const SubtreeReader read = tree.Reader(8);
  for (uint8_t level = 0; level < 4; ++level) {
    for (uint64_t i = 0; i < (uint64_t{8} >> level); ++i) {
      EXPECT_EQ(ToHex(read(level, i).value()), kNodeHashes[level][i]) << +level << "/" << i;
    }
  }
  for (uint64_t n = 0; n <= 8; ++n) {
    const Result<Hash256> root = RootFromSubtrees(n, tree.Reader(n));
    ASSERT_TRUE(root.ok());
    EXPECT_EQ(root.value(), test::Rfc6962Root(n)) << "size " << n;
  }
}

TEST(Rfc9162VectorsTest, InclusionProofs) {
  const LeafTree tree = LeafTree::Rfc6962();
  for (const InclusionVector& v : kInclusionVectors) {
    SCOPED_TRACE("index " + std::to_string(v.index) + " size " + std::to_string(v.size));
    const Result<std::vector<Hash256>> proof =
        MakeInclusionProof(v.index, v.size, tree.Reader(v.size));
    ASSERT_TRUE(proof.ok()) << proof.status().ToString();
    EXPECT_EQ(proof.value(), HashList(v.proof));
    const Hash256 root = test::Rfc6962Root(v.size);
    EXPECT_TRUE(VerifyInclusion(tree.leaf(v.index), v.index, v.size, proof.value(), root).ok());
    // The probes of verify_test.go: wrong index, size, leaf, root, extra hashes.
    EXPECT_FALSE(
        VerifyInclusion(tree.leaf(v.index), v.index + 1, v.size, proof.value(), root).ok());
    EXPECT_FALSE(
        VerifyInclusion(tree.leaf(v.index), v.index, v.size * 2, proof.value(), root).ok());
    EXPECT_FALSE(
        VerifyInclusion(tree.leaf(v.index), v.index, v.size / 2, proof.value(), root).ok());
    EXPECT_FALSE(VerifyInclusion(Sha256Of("WrongLeaf"), v.index, v.size, proof.value(), root).ok());
    EXPECT_FALSE(
        VerifyInclusion(tree.leaf(v.index), v.index, v.size, proof.value(), Sha256Of("")).ok());
    std::vector<Hash256> longer = proof.value();
    longer.push_back(root);
    EXPECT_FALSE(VerifyInclusion(tree.leaf(v.index), v.index, v.size, longer, root).ok());
    longer.insert(longer.begin(), root);
    longer.pop_back();
    EXPECT_FALSE(VerifyInclusion(tree.leaf(v.index), v.index, v.size, longer, root).ok());
  }
}

TEST(Rfc9162VectorsTest, ConsistencyProofs) {
  const LeafTree tree = LeafTree::Rfc6962();
  for (const ConsistencyVector& v : kConsistencyVectors) {
    SCOPED_TRACE(std::to_string(v.old_size) + " -> " + std::to_string(v.new_size));
    const Result<std::vector<Hash256>> proof =
        MakeConsistencyProof(v.old_size, v.new_size, tree.Reader(v.new_size));
    ASSERT_TRUE(proof.ok()) << proof.status().ToString();
    EXPECT_EQ(proof.value(), HashList(v.proof));
    const Hash256 old_root = test::Rfc6962Root(v.old_size);
    const Hash256 new_root = test::Rfc6962Root(v.new_size);
    const Status ok = VerifyConsistency(v.old_size, v.new_size, proof.value(), old_root, new_root);
    EXPECT_TRUE(ok.ok()) << ok.ToString();
    if (v.old_size == v.new_size) continue;
    EXPECT_FALSE(VerifyConsistency(v.old_size, v.new_size, proof.value(), new_root, old_root).ok());
    EXPECT_FALSE(VerifyConsistency(v.old_size, v.new_size, {}, old_root, new_root).ok());
    const Hash256 wrong = Sha256Of("WrongRoot");
    EXPECT_FALSE(VerifyConsistency(v.old_size, v.new_size, proof.value(), wrong, new_root).ok());
    EXPECT_FALSE(VerifyConsistency(v.old_size, v.new_size, proof.value(), old_root, wrong).ok());
    EXPECT_FALSE(
        VerifyConsistency(v.old_size, v.new_size * 2, proof.value(), old_root, new_root).ok());
    for (size_t i = 0; i < proof->size(); ++i) {
      EXPECT_FALSE(VerifyConsistency(v.old_size, v.new_size, FlipBit(proof.value(), i, 4), old_root,
                                     new_root)
                       .ok());
    }
  }
}

// ---------------------------------------------------------------------------------------
// Verification edge cases (sections 2.1.3.2 and 2.1.4.2).

TEST(Rfc9162VerifyTest, InclusionEdgeCases) {
  const Hash256 leaf = Sha256Of("leaf");
  const Hash256 other = Sha256Of("other");
  EXPECT_TRUE(VerifyInclusion(leaf, 0, 1, {}, leaf).ok());  // a 1-leaf tree's root is its leaf
  EXPECT_FALSE(VerifyInclusion(leaf, 0, 1, {}, other).ok());
  EXPECT_NE(VerifyInclusion(leaf, 0, 1, {other}, leaf).message().find("longer"), std::string::npos);
  EXPECT_FALSE(VerifyInclusion(leaf, 0, 0, {}, leaf).ok());  // index >= size
  EXPECT_FALSE(VerifyInclusion(leaf, 1, 1, {}, leaf).ok());
  EXPECT_FALSE(VerifyInclusion(leaf, 5, 3, {other}, leaf).ok());
  EXPECT_FALSE(VerifyInclusion(leaf, UINT64_MAX, UINT64_MAX, {}, leaf).ok());
  EXPECT_FALSE(VerifyInclusion(leaf, 0, 2, {}, leaf).ok());  // too short
  const Status status = VerifyInclusion(leaf, 3, 2, {}, leaf);
  EXPECT_EQ(status.code(), Status::Code::kCorruption);
  EXPECT_NE(status.message().find("index"), std::string::npos) << status.message();
  // 64 hashes is the longest path there is (size 2^64 - 1); 65 is always too long.
  const std::vector<Hash256> path64(64, other);
  EXPECT_FALSE(VerifyInclusion(leaf, 0, UINT64_MAX, std::vector<Hash256>(65, other), leaf).ok());
  EXPECT_NE(VerifyInclusion(leaf, 0, UINT64_MAX, path64, leaf).message().find("computed root"),
            std::string::npos);
}

TEST(Rfc9162VerifyTest, ConsistencyEdgeCases) {
  const Hash256 a = Sha256Of("a");
  const Hash256 b = Sha256Of("b");
  EXPECT_TRUE(VerifyConsistency(1, 1, {}, a, a).ok());
  EXPECT_TRUE(VerifyConsistency(UINT64_MAX, UINT64_MAX, {}, a, a).ok());
  EXPECT_FALSE(VerifyConsistency(1, 1, {}, a, b).ok());   // same size, different roots
  EXPECT_FALSE(VerifyConsistency(1, 1, {a}, a, a).ok());  // same size needs no proof
  EXPECT_FALSE(VerifyConsistency(0, 0, {}, a, a).ok());   // the RFC needs 0 < old size
  EXPECT_FALSE(VerifyConsistency(0, 1, {}, a, b).ok());
  EXPECT_FALSE(VerifyConsistency(0, 1, {}, Sha256Of(""), b).ok());
  EXPECT_FALSE(VerifyConsistency(1, 0, {}, a, b).ok());  // logs only grow
  EXPECT_FALSE(VerifyConsistency(2, 1, {a}, a, b).ok());
  EXPECT_FALSE(VerifyConsistency(1, 2, {}, a, b).ok());  // step 1: an empty proof fails
  EXPECT_FALSE(VerifyConsistency(1, 2, {b, b}, a, b).ok());
  EXPECT_EQ(VerifyConsistency(0, 1, {}, a, b).code(), Status::Code::kCorruption);
  Sha256 sha;
  EXPECT_TRUE(VerifyConsistency(1, 2, {b}, a, NodeHash(sha, a, b)).ok());
}

TEST(ProofGenerationTest, RefusesBadSizesAndPassesOnReaderErrors) {
  const LeafTree tree = LeafTree::Rfc6962();
  EXPECT_EQ(MakeInclusionProof(8, 8, tree.Reader(8)).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(MakeInclusionProof(0, 0, tree.Reader(8)).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(MakeConsistencyProof(0, 8, tree.Reader(8)).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(MakeConsistencyProof(5, 4, tree.Reader(8)).status().code(),
            Status::Code::kInvalidArgument);
  size_t reads = 0;
  const Result<std::vector<Hash256>> same = MakeConsistencyProof(5, 5, tree.Reader(5, &reads));
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(same->empty());
  EXPECT_EQ(reads, 0u);
  const SubtreeReader failing = [](uint8_t, uint64_t) -> Result<Hash256> {
    return Status::IOError("disk gone");
  };
  EXPECT_EQ(MakeInclusionProof(3, 8, failing).status().message(), "disk gone");
  EXPECT_EQ(MakeConsistencyProof(3, 8, failing).status().message(), "disk gone");
  EXPECT_EQ(RootFromSubtrees(7, failing).status().message(), "disk gone");
  EXPECT_EQ(ToHex(RootFromSubtrees(0, failing).value()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

// ---------------------------------------------------------------------------------------
// Every proof of every tree of 1..64 leaves.

TEST(ProofExhaustiveTest, EveryInclusionProofUpTo64Leaves) {
  const LeafTree tree = LeafTree::Numbered(64);
  for (uint64_t n = 1; n <= 64; ++n) {
    const Hash256 root = tree.ReferenceRootOf(n);
    ASSERT_EQ(RootFromSubtrees(n, tree.Reader(n)).value(), root) << n;
    for (uint64_t i = 0; i < n; ++i) {
      SCOPED_TRACE("index " + std::to_string(i) + " size " + std::to_string(n));
      const Result<std::vector<Hash256>> made = MakeInclusionProof(i, n, tree.Reader(n));
      ASSERT_TRUE(made.ok()) << made.status().ToString();
      const std::vector<Hash256>& proof = made.value();
      ASSERT_EQ(proof, tree.ReferencePath(i, n));
      ASSERT_TRUE(VerifyInclusion(tree.leaf(i), i, n, proof, root).ok());
      for (size_t k = 0; k < proof.size(); ++k) {
        EXPECT_FALSE(VerifyInclusion(tree.leaf(i), i, n, FlipBit(proof, k, 3), root).ok()) << k;
      }
      EXPECT_FALSE(VerifyInclusion(tree.leaf(i), i, n, test::Append(proof, root), root).ok());
      EXPECT_FALSE(VerifyInclusion(tree.leaf(i ^ 1), i, n, proof, root).ok());
      EXPECT_FALSE(VerifyInclusion(tree.leaf(i), i, n, proof, tree.ReferenceRootOf(n - 1)).ok());
      if (!proof.empty()) {
        const std::vector<Hash256> shorter(proof.begin(), proof.end() - 1);
        EXPECT_FALSE(VerifyInclusion(tree.leaf(i), i, n, shorter, root).ok());
      }
      // Within one tree the path's shape names its leaf: every other index fails.
      for (uint64_t j = 0; j <= n; ++j) {
        if (j == i) continue;
        EXPECT_FALSE(VerifyInclusion(tree.leaf(i), j, n, proof, root).ok()) << j;
      }
      // Another size fails unless its path has exactly the same shape (the verifier sees
      // only hashes, so e.g. index 0 of 3 and of 4 are indistinguishable).
      for (uint64_t m = 1; m <= 2 * n + 1; ++m) {
        const bool same_shape = test::PathShape(i, m) == test::PathShape(i, n);
        EXPECT_EQ(VerifyInclusion(tree.leaf(i), i, m, proof, root).ok(), same_shape) << m;
      }
    }
  }
}

TEST(ProofExhaustiveTest, EveryConsistencyProofUpTo64Leaves) {
  const LeafTree tree = LeafTree::Numbered(64);
  std::vector<Hash256> roots(65);
  for (uint64_t n = 1; n <= 64; ++n) roots[n] = tree.ReferenceRootOf(n);
  for (uint64_t n = 1; n <= 64; ++n) {
    for (uint64_t m = 1; m <= n; ++m) {
      SCOPED_TRACE(std::to_string(m) + " -> " + std::to_string(n));
      const Result<std::vector<Hash256>> made = MakeConsistencyProof(m, n, tree.Reader(n));
      ASSERT_TRUE(made.ok()) << made.status().ToString();
      const std::vector<Hash256>& proof = made.value();
      ASSERT_EQ(proof, tree.ReferenceConsistency(m, n));
      const Status ok = VerifyConsistency(m, n, proof, roots[m], roots[n]);
      ASSERT_TRUE(ok.ok()) << ok.ToString();
      for (size_t k = 0; k < proof.size(); ++k) {
        EXPECT_FALSE(VerifyConsistency(m, n, FlipBit(proof, k, 4), roots[m], roots[n]).ok());
      }
      EXPECT_FALSE(VerifyConsistency(m, n, test::Append(proof, roots[n]), roots[m], roots[n]).ok());
      if (m == n) continue;
      EXPECT_FALSE(VerifyConsistency(m, n, proof, roots[n], roots[m]).ok());
      // Each root alone wrong (for an old size not a power of two the old root is checked
      // only at the end, against fr).
      EXPECT_FALSE(VerifyConsistency(m, n, proof, roots[m - 1], roots[n]).ok());
      EXPECT_FALSE(VerifyConsistency(m, n, proof, roots[m], roots[n - 1]).ok());
      EXPECT_FALSE(VerifyConsistency(m, n, {}, roots[m], roots[n]).ok());
      const std::vector<Hash256> shorter(proof.begin(), proof.end() - 1);
      EXPECT_FALSE(VerifyConsistency(m, n, shorter, roots[m], roots[n]).ok());
      // Other sizes with the same proof and roots: accepted only where the RFC's recursion
      // makes the same hash expressions (then no verifier can tell them apart).
      for (uint64_t other_m = 0; other_m <= n + 1; ++other_m) {
        for (uint64_t other_n : {n - 1, n, n + 1, 2 * n}) {
          if (other_m == m && other_n == n) continue;
          const bool same = test::SameConsistencyShape(other_m, other_n, m, n);
          EXPECT_EQ(VerifyConsistency(other_m, other_n, proof, roots[m], roots[n]).ok(), same)
              << other_m << " -> " << other_n;
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// Reads: O(log n) for any size, here up to 2^40 leaves.

TEST(ProofReadCountTest, LogarithmicReadsUpTo2To40Leaves) {
  const test::PeriodicTree tree;
  std::mt19937_64 rng(20240601);
  std::vector<uint64_t> sizes = {1,
                                 2,
                                 3,
                                 5,
                                 63,
                                 64,
                                 65,
                                 (1u << 20) - 1,
                                 1u << 20,
                                 (1u << 20) + 1,
                                 (uint64_t{1} << 40) - 1,
                                 uint64_t{1} << 40};
  for (int i = 0; i < 40; ++i) sizes.push_back(1 + rng() % (uint64_t{1} << 40));
  constexpr size_t kReadsMax = 2 * 64 + 64;
  for (const uint64_t n : sizes) {
    SCOPED_TRACE("size " + std::to_string(n));
    const size_t bound = 2 * static_cast<size_t>(std::bit_width(n)) + 1;  // O(log n)
    size_t reads = 0;
    const Hash256 root = RootFromSubtrees(n, tree.Reader(n, &reads)).value();
    EXPECT_EQ(reads, static_cast<size_t>(std::popcount(n)));
    for (const uint64_t i : {uint64_t{0}, n / 2, n - 1, rng() % n, (n - 1) & ~uint64_t{63}}) {
      reads = 0;
      const Result<std::vector<Hash256>> proof = MakeInclusionProof(i, n, tree.Reader(n, &reads));
      ASSERT_TRUE(proof.ok()) << proof.status().ToString();
      EXPECT_LE(reads, kReadsMax);
      EXPECT_LE(reads, bound) << "index " << i;
      EXPECT_LE(proof->size(), kProofHashesMax);
      EXPECT_TRUE(VerifyInclusion(tree.leaf(i), i, n, proof.value(), root).ok()) << i;
    }
    for (const uint64_t m : {uint64_t{1}, n / 2 + 1, n - (n > 1), n, 1 + rng() % n}) {
      reads = 0;
      const Result<std::vector<Hash256>> proof = MakeConsistencyProof(m, n, tree.Reader(n, &reads));
      ASSERT_TRUE(proof.ok()) << proof.status().ToString();
      EXPECT_LE(reads, kReadsMax);
      EXPECT_LE(reads, bound) << "old size " << m;
      const Hash256 old_root = RootFromSubtrees(m, tree.Reader(m)).value();
      const Status ok = VerifyConsistency(m, n, proof.value(), old_root, root);
      EXPECT_TRUE(ok.ok()) << m << ": " << ok.ToString();
    }
  }
}

}  // namespace
}  // namespace gpuledger::audit
