// Test fixtures for ledger/audit/proof.h: trees behind a SubtreeReader, the RFC 9162
// recursive definitions of PATH and PROOF (the reference the iterative generator is held
// to), and the "shape" of a proof (which claims no verifier can tell apart).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ledger/audit/proof.h"
#include "ledger/audit/sha256.h"

namespace gpuledger::audit::test {

Hash256 H(const char* hex);  // 64 hex digits; a test failure otherwise
std::vector<Hash256> HashList(const std::vector<const char*>& hex);
// A copy of `proof` with bit `bit` of hash `index`'s first byte flipped.
std::vector<Hash256> FlipBit(std::vector<Hash256> proof, size_t index, int bit);
std::vector<Hash256> Append(std::vector<Hash256> proof, const Hash256& hash);
// The RFC 6962 test leaves' inputs (index 0..7, as bytes) and the MTH of the first `size`
// (0..8) of them, as published (transparency-dev/merkle testonly/constants.go).
std::string Rfc6962LeafInput(size_t index);
Hash256 Rfc6962Root(uint64_t size);

// A tree over real leaf hashes, every perfect subtree computed up front.
class LeafTree {
 public:
  static LeafTree Rfc6962();               // the 8 leaves of the RFC 6962 vectors
  static LeafTree Numbered(size_t count);  // those 8, then "gpuledger proof test <i>"
  const Hash256& leaf(uint64_t index) const { return levels_[0][index]; }
  // Reads subtrees of the tree's first `tree_size` leaves; a read outside them fails the
  // test (the generator may read only what lies wholly inside the tree). Counts reads in
  // `*reads` if given.
  SubtreeReader Reader(uint64_t tree_size, size_t* reads = nullptr) const;
  // RFC 9162 section 2.1.1, 2.1.3.1 and 2.1.4.1 written as the RFC does, recursively.
  Hash256 ReferenceRootOf(uint64_t size) const;
  std::vector<Hash256> ReferencePath(uint64_t index, uint64_t size) const;
  std::vector<Hash256> ReferenceConsistency(uint64_t old_size, uint64_t new_size) const;

 private:
  explicit LeafTree(std::vector<Hash256> leaves);
  std::vector<std::vector<Hash256>> levels_;  // levels_[l][i]: perfect subtree (l, i)
};

// A tree of any size up to 2^63 whose leaf i is the leaf hash of (i mod 64): consistent
// (every node is the hash of its children) yet cheap, because every perfect subtree of
// level >= 6 is the same. For counting reads on huge trees.
class PeriodicTree {
 public:
  PeriodicTree();
  Hash256 leaf(uint64_t index) const { return low_[0][index % 64]; }
  SubtreeReader Reader(uint64_t tree_size, size_t* reads = nullptr) const;

 private:
  std::vector<std::vector<Hash256>> low_;  // levels 0..6 of the 64-leaf period
  std::vector<Hash256> high_;              // high_[l]: any perfect subtree of level l >= 6
};

// The hash expression the inclusion verifier evaluates for (index, size), over the leaf
// "L" and the proof hashes "p0", "p1", ... ("" if index >= size). Two claims with the same
// expression accept exactly the same proofs.
std::string PathShape(uint64_t index, uint64_t size);
// Whether a consistency proof made for (old_size, new_size) also verifies, with the same
// roots, as a proof for (claim_old, claim_new): true only when the RFC recursion gives both
// claims the same expressions for both roots (the old root counted as given).
bool SameConsistencyShape(uint64_t claim_old, uint64_t claim_new, uint64_t old_size,
                          uint64_t new_size);

}  // namespace gpuledger::audit::test
