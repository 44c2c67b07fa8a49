// Tests for ledger/audit/sha256 and ledger/audit/merkle: published vectors first, then the
// incremental frontier against the recursive RFC 9162 definition.
#include "ledger/audit/merkle.h"

#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ledger/audit/sha256.h"
#include "tests/support/proof_test_util.h"

namespace gpuledger {
namespace {

std::string AsBytes(const Hash256& h) { return std::string(h.begin(), h.end()); }

std::vector<Hash256> RandomLeaves(Sha256& sha, size_t count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Hash256> leaves;
  for (size_t i = 0; i < count; ++i) {
    std::string entry(rng() % 80, '\0');
    for (char& c : entry) c = static_cast<char>(rng());
    leaves.push_back(LeafHash(sha, entry));
  }
  return leaves;
}

std::vector<Hash256> Slice(const std::vector<Hash256>& v, uint64_t begin, uint64_t end) {
  return std::vector<Hash256>(v.begin() + begin, v.begin() + end);
}

// The perfect-subtree roots of the first `size` leaves, largest first, computed with the
// reference MTH rather than the frontier.
std::vector<Hash256> DecompositionRoots(Sha256& sha, const std::vector<Hash256>& leaves,
                                        uint64_t size) {
  std::vector<Hash256> roots;
  uint64_t begin = 0;
  for (int level = 63; level >= 0; --level) {
    const uint64_t width = uint64_t{1} << level;
    if ((size & width) == 0) continue;
    roots.push_back(ReferenceRoot(sha, Slice(leaves, begin, begin + width)));
    begin += width;
  }
  return roots;
}

// ---------------------------------------------------------------------------------------
// SHA-256

constexpr std::string_view kSha256Empty =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

TEST(Sha256Test, FipsVectors) {
  // FIPS 180-2 appendix B examples (one block, two blocks) and the empty message.
  EXPECT_EQ(ToHex(Sha256Of("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(ToHex(Sha256Of("")), kSha256Empty);
  EXPECT_EQ(ToHex(Sha256Of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256Test, ReusableAfterFinalAndIncremental) {
  Sha256 sha;
  EXPECT_EQ(ToHex(sha.Final()), kSha256Empty);  // a fresh object hashes nothing
  sha.Update("a");
  sha.Update("");
  sha.Update("bc");
  const Hash256 first = sha.Final();
  EXPECT_EQ(first, Sha256Of("abc"));
  sha.Update("abc");  // Final() must have reset, not carried "abc" over
  EXPECT_EQ(sha.Final(), first);
  EXPECT_EQ(ToHex(sha.Final()), kSha256Empty);

  // Across the 64-byte block boundary, in uneven pieces.
  const std::string long_input(1000, 'x');
  for (size_t i = 0; i < long_input.size(); i += 37) {
    sha.Update(std::string_view(long_input).substr(i, 37));
  }
  EXPECT_EQ(sha.Final(), Sha256Of(long_input));
}

TEST(Sha256Test, HexRoundTrip) {
  const std::string upper = "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD";
  const std::string lower = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  Hash256 h{};
  ASSERT_TRUE(FromHex(upper, &h));
  EXPECT_EQ(h, Sha256Of("abc"));
  EXPECT_EQ(ToHex(h), lower);  // always lowercase out
  Hash256 again{};
  ASSERT_TRUE(FromHex(ToHex(h), &again));
  EXPECT_EQ(again, h);

  const uint8_t bytes[] = {0x00, 0x09, 0x0a, 0xf0, 0xff};
  EXPECT_EQ(ToHex(bytes, sizeof(bytes)), "00090af0ff");
  EXPECT_EQ(ToHex(bytes, 0), "");
}

TEST(Sha256Test, FromHexRejectsBadInput) {
  const std::string good(kSha256Empty);
  const std::vector<std::string> bad = {
      "",
      good.substr(0, 63),
      good + "0",
      good.substr(0, 62),
      "0x" + good.substr(0, 62),
      "g" + good.substr(1),
      good.substr(0, 63) + "G",
      " " + good.substr(1),
      good.substr(0, 31) + ":" + good.substr(32),  // ':' follows '9' in ASCII
      good.substr(0, 31) + "@" + good.substr(32),  // '@' precedes 'A'
      good.substr(0, 31) + std::string(1, '\0') + good.substr(32),
  };
  for (const std::string& input : bad) {
    Hash256 h;
    h.fill(0x5a);
    EXPECT_FALSE(FromHex(input, &h)) << '"' << input << '"';
    EXPECT_EQ(h[0], 0x5a) << "output modified on rejection: " << input;
  }
}

// ---------------------------------------------------------------------------------------
// Hash primitives

TEST(MerkleHashTest, DomainSeparatedInputs) {
  Sha256 sha;
  const Hash256 a = Sha256Of("left");
  const Hash256 b = Sha256Of("right");
  EXPECT_EQ(LeafHash(sha, "entry"), Sha256Of(std::string(1, '\0') + "entry"));
  EXPECT_EQ(NodeHash(sha, a, b), Sha256Of("\x01" + AsBytes(a) + AsBytes(b)));
  EXPECT_NE(NodeHash(sha, a, b), NodeHash(sha, b, a));
  const Hash256 zero{};
  EXPECT_EQ(ChainHash(sha, zero, a), Sha256Of(std::string(32, '\0') + AsBytes(a)));
  EXPECT_EQ(ChainHash(sha, a, b), Sha256Of(AsBytes(a) + AsBytes(b)));
}

// ---------------------------------------------------------------------------------------
// RFC 6962 reference vectors (tests/support/proof_test_util.h holds them, with their source).

TEST(MerkleVectorsTest, EmptyTree) {
  Sha256 sha;
  EXPECT_EQ(ToHex(ReferenceRoot(sha, {})), kSha256Empty);
  EXPECT_EQ(ToHex(MerkleFrontier().Root(sha)), kSha256Empty);
  EXPECT_EQ(ToHex(RootFromPerfectSubtrees(sha, {})), kSha256Empty);
}

TEST(MerkleVectorsTest, Rfc6962RootsForSizes1To8) {
  Sha256 sha;
  std::vector<Hash256> leaves;
  MerkleFrontier frontier;
  for (size_t n = 1; n <= 8; ++n) {
    leaves.push_back(LeafHash(sha, audit::test::Rfc6962LeafInput(n - 1)));
    frontier.Append(sha, leaves.back(), nullptr);
    const Hash256 expected = audit::test::Rfc6962Root(n);
    EXPECT_EQ(ReferenceRoot(sha, leaves), expected) << "size " << n;
    EXPECT_EQ(frontier.Root(sha), expected) << "size " << n;
    EXPECT_EQ(frontier.size(), n);
  }
}

// ---------------------------------------------------------------------------------------
// MerkleFrontier

TEST(MerkleFrontierTest, MatchesReferenceForSizes0To300) {
  constexpr size_t kMaxSize = 300;
  Sha256 sha;
  const std::vector<Hash256> leaves = RandomLeaves(sha, kMaxSize, /*seed=*/1);
  MerkleFrontier frontier;
  for (size_t n = 0; n <= kMaxSize; ++n) {
    if (n > 0) frontier.Append(sha, leaves[n - 1], {});
    ASSERT_EQ(frontier.size(), n);
    const std::vector<Hash256> prefix = Slice(leaves, 0, n);
    const Hash256 expected = ReferenceRoot(sha, prefix);
    ASSERT_EQ(frontier.Root(sha), expected) << "size " << n;
    ASSERT_EQ(frontier.roots(), DecompositionRoots(sha, leaves, n)) << "size " << n;
    ASSERT_EQ(RootFromPerfectSubtrees(sha, frontier.roots()), expected) << "size " << n;
  }
}

TEST(MerkleFrontierTest, ReportsNodesOfTheFirstFourLeaves) {
  Sha256 sha;
  const std::vector<Hash256> leaves = RandomLeaves(sha, 4, /*seed=*/2);
  MerkleFrontier frontier;
  std::vector<std::vector<std::pair<int, uint64_t>>> reported(leaves.size());
  for (size_t i = 0; i < leaves.size(); ++i) {
    frontier.Append(sha, leaves[i], [&](const SubtreeNode& node) {
      reported[i].emplace_back(node.level, node.index);
    });
  }
  using Nodes = std::vector<std::pair<int, uint64_t>>;
  EXPECT_EQ(reported[0], Nodes{});
  EXPECT_EQ(reported[1], (Nodes{{1, 0}}));
  EXPECT_EQ(reported[2], Nodes{});
  EXPECT_EQ(reported[3], (Nodes{{1, 1}, {2, 0}}));
}

TEST(MerkleFrontierTest, CallbackReportsExactlyTheCompletedSubtrees) {
  constexpr uint64_t kLeaves = 300;
  Sha256 sha;
  const std::vector<Hash256> leaves = RandomLeaves(sha, kLeaves, /*seed=*/3);
  MerkleFrontier frontier;
  uint64_t total_reported = 0;
  for (uint64_t i = 0; i < kLeaves; ++i) {
    std::vector<SubtreeNode> reported;
    frontier.Append(sha, leaves[i], [&](const SubtreeNode& node) { reported.push_back(node); });
    // Growing to size s completes one subtree per trailing zero bit of s: the one of
    // level L that ends at leaf s - 1, in increasing level.
    const uint64_t size = i + 1;
    ASSERT_EQ(reported.size(), static_cast<size_t>(std::countr_zero(size))) << "leaf " << i;
    for (size_t j = 0; j < reported.size(); ++j) {
      const SubtreeNode& node = reported[j];
      const unsigned level = j + 1;
      ASSERT_EQ(node.level, level) << "leaf " << i;
      ASSERT_EQ(node.index, (size >> level) - 1) << "leaf " << i;
      const uint64_t begin = node.index << level;
      const uint64_t end = (node.index + 1) << level;
      EXPECT_EQ(node.hash, ReferenceRoot(sha, Slice(leaves, begin, end)))
          << "level " << level << " index " << node.index;
    }
    total_reported += reported.size();
  }
  // A tree of n leaves has floor(n/2) + floor(n/4) + ... = n - popcount(n) complete nodes.
  EXPECT_EQ(total_reported, kLeaves - std::popcount(kLeaves));
}

TEST(MerkleFrontierTest, RestoredFrontierContinuesIdentically) {
  constexpr uint64_t kLeaves = 130;
  Sha256 sha;
  const std::vector<Hash256> leaves = RandomLeaves(sha, kLeaves, /*seed=*/4);

  // The uninterrupted run: the root after every size, and the nodes each append reported.
  std::vector<Hash256> roots_by_size = {ReferenceRoot(sha, {})};
  std::vector<std::vector<SubtreeNode>> nodes_by_leaf(kLeaves);
  MerkleFrontier uninterrupted;
  for (uint64_t i = 0; i < kLeaves; ++i) {
    uninterrupted.Append(sha, leaves[i],
                         [&](const SubtreeNode& node) { nodes_by_leaf[i].push_back(node); });
    roots_by_size.push_back(ReferenceRoot(sha, Slice(leaves, 0, i + 1)));
    ASSERT_EQ(uninterrupted.Root(sha), roots_by_size.back());
  }

  for (uint64_t cut = 0; cut <= kLeaves; ++cut) {
    // Restore from roots computed independently of any frontier, as if read from storage.
    MerkleFrontier restored(cut, DecompositionRoots(sha, leaves, cut));
    ASSERT_EQ(restored.size(), cut);
    ASSERT_EQ(restored.Root(sha), roots_by_size[cut]) << "cut " << cut;
    for (uint64_t i = cut; i < kLeaves; ++i) {
      std::vector<SubtreeNode> reported;
      restored.Append(sha, leaves[i], [&](const SubtreeNode& node) { reported.push_back(node); });
      ASSERT_EQ(restored.Root(sha), roots_by_size[i + 1]) << "cut " << cut << " leaf " << i;
      ASSERT_EQ(reported.size(), nodes_by_leaf[i].size()) << "cut " << cut << " leaf " << i;
      for (size_t j = 0; j < reported.size(); ++j) {
        EXPECT_EQ(reported[j].level, nodes_by_leaf[i][j].level);
        EXPECT_EQ(reported[j].index, nodes_by_leaf[i][j].index);
        EXPECT_EQ(reported[j].hash, nodes_by_leaf[i][j].hash);
      }
    }
    EXPECT_EQ(restored.roots(), uninterrupted.roots()) << "cut " << cut;
  }
}

}  // namespace
}  // namespace gpuledger
