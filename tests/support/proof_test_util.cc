#include "tests/support/proof_test_util.h"

#include <gtest/gtest.h>

#include <bit>
#include <utility>

#include "ledger/audit/merkle.h"

namespace gpuledger::audit::test {
namespace {

// transparency-dev/merkle testonly/constants.go, LeafInputs() (hex) and RootHashes().
constexpr const char* kRfc6962LeafInputs[] = {
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
};
constexpr const char* kRfc6962Roots[] = {
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

std::string DecodeHex(std::string_view hex) {
  auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  std::string bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes.push_back(static_cast<char>((nibble(hex[i]) << 4) | nibble(hex[i + 1])));
  }
  return bytes;
}

std::vector<std::vector<Hash256>> BuildLevels(std::vector<Hash256> leaves) {
  Sha256 sha;
  std::vector<std::vector<Hash256>> levels = {std::move(leaves)};
  while (levels.back().size() >= 2) {
    const std::vector<Hash256>& below = levels.back();
    std::vector<Hash256> above;
    for (size_t i = 0; i + 1 < below.size(); i += 2) {
      above.push_back(NodeHash(sha, below[i], below[i + 1]));
    }
    levels.push_back(std::move(above));
  }
  return levels;
}

// Fails the test (and the read) if (level, index) is not wholly inside the tree.
bool InsideTree(uint8_t level, uint64_t index, uint64_t tree_size) {
  if (level < 64 && index < (tree_size >> level)) return true;
  ADD_FAILURE() << "read of subtree (" << +level << ", " << index << ") outside a tree of "
                << tree_size;
  return false;
}

std::string Element(size_t* count) { return "p" + std::to_string((*count)++); }

void PathShapeOf(uint64_t index, uint64_t size, std::string* expr, size_t* count) {
  if (size == 1) {
    *expr = "L";
    return;
  }
  const uint64_t k = std::bit_floor(size - 1);
  std::string sub;
  if (index < k) {
    PathShapeOf(index, k, &sub, count);
    *expr = "(" + sub + " " + Element(count) + ")";
  } else {
    PathShapeOf(index - k, size - k, &sub, count);
    *expr = "(" + Element(count) + " " + sub + ")";
  }
}

// SUBPROOF(m, D[n], b) as expressions for the old and new roots; "R" is the old root the
// verifier is given (the RFC's b: the subtree is the whole old tree).
void SubproofShape(uint64_t m, uint64_t n, bool b, std::string* old_expr, std::string* new_expr,
                   size_t* count) {
  if (m == n) {
    *old_expr = *new_expr = b ? "R" : Element(count);
    return;
  }
  const uint64_t k = std::bit_floor(n - 1);
  if (m <= k) {
    SubproofShape(m, k, b, old_expr, new_expr, count);
    *new_expr = "(" + *new_expr + " " + Element(count) + ")";
  } else {
    std::string old_sub;
    std::string new_sub;
    SubproofShape(m - k, n - k, false, &old_sub, &new_sub, count);
    const std::string e = Element(count);
    *old_expr = "(" + e + " " + old_sub + ")";
    *new_expr = "(" + e + " " + new_sub + ")";
  }
}

std::string Substitute(std::string expr, const std::string& old_root) {
  for (size_t at = expr.find('R'); at != std::string::npos; at = expr.find('R', at)) {
    expr.replace(at, 1, old_root);
    at += old_root.size();
  }
  return expr;
}

}  // namespace

Hash256 H(const char* hex) {
  Hash256 hash{};
  EXPECT_TRUE(FromHex(hex, &hash)) << hex;
  return hash;
}

std::vector<Hash256> HashList(const std::vector<const char*>& hex) {
  std::vector<Hash256> hashes;
  for (const char* h : hex) hashes.push_back(H(h));
  return hashes;
}

std::vector<Hash256> FlipBit(std::vector<Hash256> proof, size_t index, int bit) {
  proof[index][0] ^= static_cast<uint8_t>(1u << bit);
  return proof;
}

std::vector<Hash256> Append(std::vector<Hash256> proof, const Hash256& hash) {
  proof.push_back(hash);
  return proof;
}

std::string Rfc6962LeafInput(size_t index) { return DecodeHex(kRfc6962LeafInputs[index]); }
Hash256 Rfc6962Root(uint64_t size) { return H(kRfc6962Roots[size]); }

LeafTree::LeafTree(std::vector<Hash256> leaves) : levels_(BuildLevels(std::move(leaves))) {}

LeafTree LeafTree::Rfc6962() { return Numbered(8); }

LeafTree LeafTree::Numbered(size_t count) {
  Sha256 sha;
  std::vector<Hash256> leaves;
  for (size_t i = 0; i < count; ++i) {
    leaves.push_back(
        LeafHash(sha, i < 8 ? Rfc6962LeafInput(i) : "gpuledger proof test " + std::to_string(i)));
  }
  return LeafTree(std::move(leaves));
}

SubtreeReader LeafTree::Reader(uint64_t tree_size, size_t* reads) const {
  return [this, tree_size, reads](uint8_t level, uint64_t index) -> Result<Hash256> {
    if (reads != nullptr) ++*reads;
    if (!InsideTree(level, index, tree_size) || level >= levels_.size() ||
        index >= levels_[level].size()) {
      return Status::NotFound("no such subtree");
    }
    return levels_[level][index];
  };
}

Hash256 LeafTree::ReferenceRootOf(uint64_t size) const {
  Sha256 sha;
  return ReferenceRoot(sha, std::vector<Hash256>(levels_[0].begin(), levels_[0].begin() + size));
}

std::vector<Hash256> LeafTree::ReferencePath(uint64_t index, uint64_t size) const {
  // PATH(m, D[n]) over D[begin : begin + n] of this tree's leaves.
  auto path = [this](auto& self, uint64_t m, uint64_t begin, uint64_t n) -> std::vector<Hash256> {
    if (n <= 1) return {};
    Sha256 sha;
    auto mth = [&](uint64_t b, uint64_t e) {
      return ReferenceRoot(sha,
                           std::vector<Hash256>(levels_[0].begin() + b, levels_[0].begin() + e));
    };
    const uint64_t k = std::bit_floor(n - 1);
    std::vector<Hash256> p = m < k ? self(self, m, begin, k) : self(self, m - k, begin + k, n - k);
    p.push_back(m < k ? mth(begin + k, begin + n) : mth(begin, begin + k));
    return p;
  };
  return path(path, index, 0, size);
}

std::vector<Hash256> LeafTree::ReferenceConsistency(uint64_t old_size, uint64_t new_size) const {
  // SUBPROOF(m, D[begin : begin + n], b).
  auto subproof = [this](auto& self, uint64_t m, uint64_t begin, uint64_t n,
                         bool b) -> std::vector<Hash256> {
    Sha256 sha;
    auto mth = [&](uint64_t from, uint64_t to) {
      return ReferenceRoot(
          sha, std::vector<Hash256>(levels_[0].begin() + from, levels_[0].begin() + to));
    };
    if (m == n) return b ? std::vector<Hash256>{} : std::vector<Hash256>{mth(begin, begin + n)};
    const uint64_t k = std::bit_floor(n - 1);
    std::vector<Hash256> p =
        m <= k ? self(self, m, begin, k, b) : self(self, m - k, begin + k, n - k, false);
    p.push_back(m <= k ? mth(begin + k, begin + n) : mth(begin, begin + k));
    return p;
  };
  return subproof(subproof, old_size, 0, new_size, true);
}

PeriodicTree::PeriodicTree() {
  Sha256 sha;
  std::vector<Hash256> leaves;
  for (int i = 0; i < 64; ++i) leaves.push_back(LeafHash(sha, "leaf " + std::to_string(i)));
  low_ = BuildLevels(std::move(leaves));  // levels 0..6
  high_.assign(64, Hash256{});
  high_[6] = low_[6][0];
  for (size_t l = 7; l < 64; ++l) high_[l] = NodeHash(sha, high_[l - 1], high_[l - 1]);
}

SubtreeReader PeriodicTree::Reader(uint64_t tree_size, size_t* reads) const {
  return [this, tree_size, reads](uint8_t level, uint64_t index) -> Result<Hash256> {
    if (reads != nullptr) ++*reads;
    if (!InsideTree(level, index, tree_size)) return Status::NotFound("no such subtree");
    if (level >= 6) return high_[level];
    return low_[level][index % (uint64_t{64} >> level)];
  };
}

std::string PathShape(uint64_t index, uint64_t size) {
  if (index >= size) return "";
  std::string expr;
  size_t count = 0;
  PathShapeOf(index, size, &expr, &count);
  return expr;
}

bool SameConsistencyShape(uint64_t claim_old, uint64_t claim_new, uint64_t old_size,
                          uint64_t new_size) {
  if (claim_old == 0 || claim_old > claim_new) return false;  // refused outright
  std::string real_old;
  std::string real_new;
  size_t real_count = 0;
  SubproofShape(old_size, new_size, true, &real_old, &real_new, &real_count);
  std::string claim_old_expr;
  std::string claim_new_expr;
  size_t claim_count = 0;
  SubproofShape(claim_old, claim_new, true, &claim_old_expr, &claim_new_expr, &claim_count);
  // The verifier's "R" is the real old root: in terms of the proof, the real old expression.
  return claim_count == real_count && Substitute(claim_old_expr, real_old) == real_old &&
         Substitute(claim_new_expr, real_old) == Substitute(real_new, real_old);
}

}  // namespace gpuledger::audit::test
