// The hashes of Ledger::Verify's scans: the RFC 9162 leaf and node hashes, the hash chain,
// and plain SHA-256 (of a dedup record). Each call hands its input to the functions of
// ledger/audit/merkle.h (LeafHash, NodeHash, ChainHash), or to Sha256::Update and Final, on
// the one ledger/audit/sha256.h context (OpenSSL EVP) that the object owns and reuses, so
// verify recomputes exactly the hashes the intake stored. ChainAndNode is Chain, then Node.
// Private to ledger/store/verify*.
#pragma once

#include <string_view>

#include "ledger/audit/sha256.h"

namespace gpuledger {

// Not thread-safe: one per thread.
class VerifySha256 {
 public:
  // SHA-256(0x00 || entry): an RFC 9162 leaf.
  Hash256 Leaf(std::string_view entry);
  // SHA-256(0x01 || left || right): an RFC 9162 interior node.
  Hash256 Node(const Hash256& left, const Hash256& right);
  // SHA-256(previous || leaf): the hash chain.
  Hash256 Chain(const Hash256& previous, const Hash256& leaf);
  // Chain(previous, leaf) and Node(left, leaf).
  void ChainAndNode(const Hash256& previous, const Hash256& leaf, const Hash256& left,
                    Hash256* chain, Hash256* node);
  // SHA-256(bytes).
  Hash256 Of(std::string_view bytes);

 private:
  Sha256 sha_;
};

}  // namespace gpuledger
