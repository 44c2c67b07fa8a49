// RFC 9162 section 2.1 Merkle tree hashing and the hash chain (spec section 9).
// Leaf = SHA-256(0x00 || entry bytes); node = SHA-256(0x01 || left || right).
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "ledger/audit/sha256.h"

namespace gpuledger {

Hash256 LeafHash(Sha256& sha, std::string_view entry_bytes);
Hash256 NodeHash(Sha256& sha, const Hash256& left, const Hash256& right);
// chain[i] = SHA-256(chain[i-1] || leaf[i]); chain[-1] is 32 zero bytes.
Hash256 ChainHash(Sha256& sha, const Hash256& previous_chain, const Hash256& leaf);

// A stored complete subtree: the hash of leaves [index << level, (index + 1) << level).
struct SubtreeNode {
  uint8_t level;   // 1.. (level 0 nodes are leaves, stored with the entry, not as nodes)
  uint64_t index;  // position among nodes of that level
  Hash256 hash;
};

// The right edge of a growing tree: the roots of its perfect subtrees, largest first
// (the binary decomposition of the size). O(log n) memory. Not thread-safe.
class MerkleFrontier {
 public:
  MerkleFrontier() = default;
  // Restores a frontier of `size` leaves from its perfect-subtree roots, largest first.
  MerkleFrontier(uint64_t size, std::vector<Hash256> roots_largest_first);

  // Appends a leaf; calls `on_node` for every complete subtree of level >= 1 it completes,
  // in increasing level.
  void Append(Sha256& sha, const Hash256& leaf,
              const std::function<void(const SubtreeNode&)>& on_node);
  uint64_t size() const { return size_; }
  // RFC 9162 MTH of all leaves appended; the empty tree's root is SHA-256 of "".
  Hash256 Root(Sha256& sha) const;
  // Perfect-subtree roots, largest first (levels are the set bits of size(), high to low).
  const std::vector<Hash256>& roots() const { return roots_; }

 private:
  uint64_t size_ = 0;
  std::vector<Hash256> roots_;  // parallel to the set bits of size_, high to low
};

// Folds perfect-subtree roots (largest first) into the RFC 9162 root; empty -> SHA-256("").
Hash256 RootFromPerfectSubtrees(Sha256& sha, const std::vector<Hash256>& roots_largest_first);

// Reference MTH over leaf hashes, recursive, O(n): for tests and small trees.
Hash256 ReferenceRoot(Sha256& sha, const std::vector<Hash256>& leaves);

}  // namespace gpuledger
