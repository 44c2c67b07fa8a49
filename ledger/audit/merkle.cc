#include "ledger/audit/merkle.h"

#include <algorithm>
#include <array>
#include <bit>
#include <span>
#include <utility>

#include "gpuledger/assert.h"

namespace gpuledger {
namespace {

// RFC 9162 section 2.1 domain separation: a leaf can never be mistaken for a node.
constexpr uint8_t kLeafPrefix = 0x00;
constexpr uint8_t kNodePrefix = 0x01;

// MTH(D[n]) exactly as RFC 9162 section 2.1.1 defines it.
Hash256 ReferenceRootOf(Sha256& sha, std::span<const Hash256> leaves) {
  if (leaves.empty()) return sha.Final();  // SHA-256 of the empty string
  if (leaves.size() == 1) return leaves[0];
  // k = the largest power of two smaller than n.
  const size_t k = std::bit_floor(leaves.size() - 1);
  const Hash256 left = ReferenceRootOf(sha, leaves.first(k));
  const Hash256 right = ReferenceRootOf(sha, leaves.subspan(k));
  return NodeHash(sha, left, right);
}

}  // namespace

// All hash functions expect `sha` to hold no pending input (it never does after Final()).

Hash256 LeafHash(Sha256& sha, std::string_view entry_bytes) {
  sha.Update(&kLeafPrefix, 1);
  sha.Update(entry_bytes);
  return sha.Final();
}

Hash256 NodeHash(Sha256& sha, const Hash256& left, const Hash256& right) {
  // One 65-byte update instead of three: nodes are hashed constantly and the copy is
  // cheaper than two more trips through the EVP dispatch.
  std::array<uint8_t, 1 + 2 * sizeof(Hash256)> input;
  input[0] = kNodePrefix;
  std::copy(left.begin(), left.end(), input.begin() + 1);
  std::copy(right.begin(), right.end(), input.begin() + 1 + left.size());
  sha.Update(input.data(), input.size());
  return sha.Final();
}

Hash256 ChainHash(Sha256& sha, const Hash256& previous_chain, const Hash256& leaf) {
  std::array<uint8_t, 2 * sizeof(Hash256)> input;
  std::copy(previous_chain.begin(), previous_chain.end(), input.begin());
  std::copy(leaf.begin(), leaf.end(), input.begin() + previous_chain.size());
  sha.Update(input.data(), input.size());
  return sha.Final();
}

MerkleFrontier::MerkleFrontier(uint64_t size, std::vector<Hash256> roots_largest_first)
    : size_(size), roots_(std::move(roots_largest_first)) {
  // One root per set bit of the size; anything else is not a frontier (callers restoring
  // from storage read exactly that many roots, and report a missing one as a Status).
  GPULEDGER_ASSERT(roots_.size() == static_cast<size_t>(std::popcount(size_)),
                   "a frontier of size " + std::to_string(size_) + " needs " +
                       std::to_string(std::popcount(size_)) + " subtree roots, not " +
                       std::to_string(roots_.size()));
}

void MerkleFrontier::Append(Sha256& sha, const Hash256& leaf,
                            const std::function<void(const SubtreeNode&)>& on_node) {
  // Binary-counter increment: every set low bit of size_ is a perfect subtree of that
  // level which the new leaf's carry completes; its root is the rightmost stored root.
  Hash256 carry = leaf;
  uint8_t level = 0;
  uint64_t index = size_;  // the carry's index among the nodes of `level`
  while ((size_ >> level) & 1) {
    carry = NodeHash(sha, roots_.back(), carry);
    roots_.pop_back();
    ++level;
    index >>= 1;
    if (on_node) on_node(SubtreeNode{level, index, carry});
  }
  roots_.push_back(carry);
  ++size_;
}

Hash256 MerkleFrontier::Root(Sha256& sha) const { return RootFromPerfectSubtrees(sha, roots_); }

Hash256 RootFromPerfectSubtrees(Sha256& sha, const std::vector<Hash256>& roots_largest_first) {
  if (roots_largest_first.empty()) return sha.Final();  // SHA-256 of the empty string
  // MTH splits at the largest power of two, so the biggest subtree is always a whole
  // left child: fold from the smallest (rightmost) subtree outwards.
  auto it = roots_largest_first.rbegin();
  Hash256 acc = *it;
  for (++it; it != roots_largest_first.rend(); ++it) acc = NodeHash(sha, *it, acc);
  return acc;
}

Hash256 ReferenceRoot(Sha256& sha, const std::vector<Hash256>& leaves) {
  return ReferenceRootOf(sha, leaves);
}

}  // namespace gpuledger
