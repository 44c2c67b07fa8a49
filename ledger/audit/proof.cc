// RFC 9162 proofs: generation from stored perfect subtrees and the RFC's verification
// algorithms. The document forms (JSON, text) are in proof_document.cc.
#include "ledger/audit/proof.h"

#include <algorithm>
#include <bit>
#include <utility>

#include "ledger/audit/merkle.h"

namespace gpuledger::audit {
namespace {

uint8_t Log2(uint64_t power_of_two) { return static_cast<uint8_t>(std::countr_zero(power_of_two)); }

// MTH(D[begin : begin + size]) for a range whose begin is a multiple of bit_floor(size), so
// its binary decomposition is a run of stored perfect subtrees: popcount(size) reads. MTH
// splits at the largest power of two below the size, which is that decomposition's first
// subtree, so folding right to left gives the same hash.
Result<Hash256> RangeHash(Sha256& sha, uint64_t begin, uint64_t size, const SubtreeReader& read) {
  Hash256 acc{};
  uint64_t end = begin + size;
  bool first = true;
  for (uint64_t rest = size; rest != 0; rest &= rest - 1) {
    const uint64_t width = uint64_t{1} << std::countr_zero(rest);  // rightmost subtree
    end -= width;
    Result<Hash256> piece = read(Log2(width), end >> Log2(width));
    if (!piece.ok()) return piece.status();
    acc = first ? piece.value() : NodeHash(sha, piece.value(), acc);
    first = false;
  }
  return acc;
}

Status Fail(std::string message) { return Status::Corruption(std::move(message)); }

}  // namespace

// ---------------------------------------------------------------------------------------
// Generation (RFC 9162 sections 2.1.3.1 and 2.1.4.1), top-down without recursion. Each
// step of the recursion descends into one side and appends the other side's MTH; the
// left side is always a perfect subtree (one read). The right side is the tree's right
// edge until the first step into the left, after which everything is inside a perfect
// subtree: so only one imperfect range is ever folded, and reads stay O(log n).

Result<Hash256> RootFromSubtrees(uint64_t tree_size, const SubtreeReader& read) {
  Sha256 sha;
  if (tree_size == 0) return sha.Final();  // SHA-256 of the empty string
  return RangeHash(sha, 0, tree_size, read);
}

Result<std::vector<Hash256>> MakeInclusionProof(uint64_t index, uint64_t tree_size,
                                                const SubtreeReader& read) {
  if (index >= tree_size) {
    return Status::InvalidArgument("inclusion proof: index " + std::to_string(index) +
                                   " >= tree size " + std::to_string(tree_size));
  }
  Sha256 sha;
  std::vector<Hash256> top_down;  // PATH appends the outer sibling last: reversed below
  uint64_t begin = 0;             // the subtree D[begin : begin + size] holding `index`
  uint64_t size = tree_size;
  while (size > 1) {
    const uint64_t k = std::bit_floor(size - 1);  // the largest power of two < size
    const bool left = index - begin < k;
    Result<Hash256> sibling =
        left ? RangeHash(sha, begin + k, size - k, read) : read(Log2(k), begin >> Log2(k));
    if (!sibling.ok()) return sibling.status();
    top_down.push_back(sibling.value());
    if (left) {
      size = k;
    } else {
      begin += k;
      size -= k;
    }
  }
  std::reverse(top_down.begin(), top_down.end());
  return top_down;
}

Result<std::vector<Hash256>> MakeConsistencyProof(uint64_t old_size, uint64_t new_size,
                                                  const SubtreeReader& read) {
  if (old_size == 0 || old_size > new_size) {
    return Status::InvalidArgument("consistency proof: need 0 < old size " +
                                   std::to_string(old_size) + " <= new size " +
                                   std::to_string(new_size));
  }
  Sha256 sha;
  std::vector<Hash256> top_down;  // SUBPROOF appends the outer node last: reversed below
  uint64_t begin = 0;             // SUBPROOF(old - begin, D[begin : begin + size], whole)
  uint64_t size = new_size;
  bool whole = true;  // RFC's b: this subtree's root is the old root itself
  while (old_size - begin != size) {
    const uint64_t k = std::bit_floor(size - 1);
    const bool left = old_size - begin <= k;
    Result<Hash256> node =
        left ? RangeHash(sha, begin + k, size - k, read) : read(Log2(k), begin >> Log2(k));
    if (!node.ok()) return node.status();
    top_down.push_back(node.value());
    if (left) {
      size = k;
    } else {
      begin += k;
      size -= k;
      whole = false;
    }
  }
  // The old tree's last subtree, unless the verifier already has it as the old root.
  if (!whole) {
    Result<Hash256> node = RangeHash(sha, begin, size, read);
    if (!node.ok()) return node.status();
    top_down.push_back(node.value());
  }
  std::reverse(top_down.begin(), top_down.end());
  return top_down;
}

// ---------------------------------------------------------------------------------------
// Verification, step by step as RFC 9162 sections 2.1.3.2 and 2.1.4.2 write it.

Status VerifyInclusion(const Hash256& leaf_hash, uint64_t index, uint64_t tree_size,
                       const std::vector<Hash256>& proof, const Hash256& root) {
  if (index >= tree_size) {
    return Fail("inclusion: leaf index " + std::to_string(index) + " >= tree size " +
                std::to_string(tree_size));
  }
  Sha256 sha;
  uint64_t fn = index;
  uint64_t sn = tree_size - 1;
  Hash256 r = leaf_hash;
  for (const Hash256& p : proof) {
    if (sn == 0) return Fail("inclusion: proof longer than the path to the root");
    if ((fn & 1) == 1 || fn == sn) {
      r = NodeHash(sha, p, r);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = NodeHash(sha, r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return Fail("inclusion: proof shorter than the path to the root");
  if (r != root) return Fail("inclusion: computed root " + ToHex(r) + " != " + ToHex(root));
  return Status::Ok();
}

Status VerifyConsistency(uint64_t old_size, uint64_t new_size, const std::vector<Hash256>& proof,
                         const Hash256& old_root, const Hash256& new_root) {
  const std::string sizes = std::to_string(old_size) + " -> " + std::to_string(new_size);
  if (old_size > new_size) return Fail("consistency: old size > new size (" + sizes + ")");
  if (old_size == 0) return Fail("consistency: old size 0 proves nothing (" + sizes + ")");
  if (old_size == new_size) {
    if (!proof.empty()) return Fail("consistency: equal sizes need an empty proof");
    if (old_root != new_root) return Fail("consistency: equal sizes but different roots");
    return Status::Ok();
  }
  if (proof.empty()) return Fail("consistency: empty proof (" + sizes + ")");  // step 1
  std::vector<Hash256> path;
  path.reserve(proof.size() + 1);
  if (std::has_single_bit(old_size)) path.push_back(old_root);  // step 2
  path.insert(path.end(), proof.begin(), proof.end());
  uint64_t fn = old_size - 1;  // step 3
  uint64_t sn = new_size - 1;
  while ((fn & 1) == 1) {  // step 4
    fn >>= 1;
    sn >>= 1;
  }
  Sha256 sha;
  Hash256 fr = path[0];  // step 5
  Hash256 sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {  // step 6
    const Hash256& c = path[i];
    if (sn == 0) return Fail("consistency: proof longer than the path (" + sizes + ")");
    if ((fn & 1) == 1 || fn == sn) {
      fr = NodeHash(sha, c, fr);
      sr = NodeHash(sha, c, sr);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = NodeHash(sha, sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  // Step 7.
  if (sn != 0) return Fail("consistency: proof shorter than the path (" + sizes + ")");
  if (fr != old_root) return Fail("consistency: computed old root " + ToHex(fr) + " != given");
  if (sr != new_root) return Fail("consistency: computed new root " + ToHex(sr) + " != given");
  return Status::Ok();
}

}  // namespace gpuledger::audit
