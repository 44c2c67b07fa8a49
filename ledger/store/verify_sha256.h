// SHA-256 for the hot loop of Ledger::Verify, over OpenSSL (ledger/sha256.h): the leaf,
// node and chain hashes of RFC 9162 and the hash chain, without building a buffer per
// message. Private to ledger/verify.cc.
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
