// RFC 9162 (section 2.1.3 and 2.1.4) inclusion and consistency proofs: made from a tree's
// stored perfect subtrees in O(log n) reads, and verified by the algorithms of sections
// 2.1.3.2 and 2.1.4.2. RocksDB-free: the offline verifier links it.
//
// Thread-safety: free functions; a SubtreeReader is called on the caller's thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "gpuledger/status.h"
#include "ledger/audit/sha256.h"

namespace gpuledger::audit {

inline constexpr size_t kProofHashesMax = 128;  // 2 * 64 levels; more is malformed
inline constexpr size_t kProofFileBytesMax = 1 << 16;
// A consistency proof of two trees of at most 2^64 leaves has at most two hashes a level.
static_assert(kProofHashesMax == 2 * 64);
// A proof file at the hash limit still fits the file limit, as hex in JSON (3x with quotes
// and commas) with room for its other fields.
static_assert(kProofHashesMax * (2 * kSha256Bytes + 4) < kProofFileBytesMax / 2);

// The hash of the perfect subtree at `level` number `index`: leaves
// [index << level, (index + 1) << level). Level 0 is a leaf hash. Called only for subtrees
// that lie wholly inside the tree the proof is about.
using SubtreeReader = std::function<Result<Hash256>(uint8_t level, uint64_t index)>;

// The RFC 9162 root of the first `tree_size` leaves (SHA-256("") when 0), folding the
// perfect subtrees of its binary decomposition: O(log n) reads.
[[nodiscard]] Result<Hash256> RootFromSubtrees(uint64_t tree_size, const SubtreeReader& read);

// PATH(index, D[0:tree_size]); index < tree_size. O(log n) reads.
[[nodiscard]] Result<std::vector<Hash256>> MakeInclusionProof(uint64_t index, uint64_t tree_size,
                                                              const SubtreeReader& read);
// PROOF(old_size, D[0:new_size]); 0 < old_size <= new_size (empty when equal).
[[nodiscard]] Result<std::vector<Hash256>> MakeConsistencyProof(uint64_t old_size,
                                                                uint64_t new_size,
                                                                const SubtreeReader& read);

// OK if `proof` shows `leaf_hash` at `index` in the tree of `tree_size` with `root`;
// otherwise a Corruption saying which step disagreed (also for index >= tree_size and for
// a proof of the wrong length).
//
// VerifyConsistency follows section 2.1.4.2, which is defined for 0 < old_size < new_size;
// old_size == new_size holds only with an empty proof and equal roots, and old_size == 0
// or old_size > new_size is refused (an empty tree proves nothing, and logs only grow).
[[nodiscard]] Status VerifyInclusion(const Hash256& leaf_hash, uint64_t index, uint64_t tree_size,
                                     const std::vector<Hash256>& proof, const Hash256& root);
[[nodiscard]] Status VerifyConsistency(uint64_t old_size, uint64_t new_size,
                                       const std::vector<Hash256>& proof, const Hash256& old_root,
                                       const Hash256& new_root);

// A proof as `gpuledger prove` prints it and `gpuledger-verify proof` reads it.
struct ProofDocument {
  enum class Kind { kInclusion, kConsistency } kind = Kind::kInclusion;
  uint64_t index = 0;      // inclusion: the leaf index
  Hash256 leaf_hash{};     // inclusion: the leaf hash
  uint64_t old_size = 0;   // consistency: the old tree size
  Hash256 old_root{};      // consistency: the old root
  uint64_t tree_size = 0;  // inclusion: the tree size; consistency: the new size
  Hash256 root{};          // the root at tree_size
  std::vector<Hash256> proof;
};
// JSON (one line, keys in this order, hashes as 64 lowercase hex digits):
//   {"type":"inclusion","leaf_index":I,"leaf_hash":hex,"tree_size":N,"root":hex,
//    "proof":[hex,...]}
//   {"type":"consistency","old_size":M,"old_root":hex,"tree_size":N,"root":hex,
//    "proof":[hex,...]}
// ParseProof takes exactly these six keys (any order, no duplicates, nothing else), sizes
// as non-negative JSON integers that fit 64 bits.
std::string ProofToJson(const ProofDocument& doc);
// Text, shaped like c2sp.org/tlog-proof (a header line, keyword lines, then one hash per
// line, the leaf's sibling first) but with its own header lines: it carries the tree head
// (size, root) and the leaf hash instead of a signed checkpoint, so it must not claim to
// be a c2sp.org/tlog-proof@v1. Every line ends in LF; no blank lines, no CR, no spaces but
// the single one after a keyword; numbers are ASCII decimal without leading zeros ("0"
// itself is fine); B64 is standard padded base64 (RFC 4648 section 4) of a 32-byte hash:
// 44 characters, canonical.
//   gpuledger.inclusion-proof/v1        gpuledger.consistency-proof/v1
//   index <I>                           old <M>
//   size <N>                            new <N>
//   leaf <B64 leaf hash>                old-root <B64>
//   root <B64 root at N>                new-root <B64>
//   <B64 proof hash>   (0 or more)      <B64 proof hash>   (0 or more)
std::string ProofToText(const ProofDocument& doc);
// Reads either form (JSON if the first non-space byte is '{', else text from byte 0);
// strict and bounded: at most kProofFileBytesMax bytes and kProofHashesMax proof hashes.
// Checks form only; whether the proof holds is VerifyProofDocument's job.
[[nodiscard]] Result<ProofDocument> ParseProof(std::string_view bytes);
// Verifies the document's proof against its own roots (the caller compares those roots
// with trusted checkpoints).
[[nodiscard]] Status VerifyProofDocument(const ProofDocument& doc);

}  // namespace gpuledger::audit
