#include "ledger/store/verify_sha256.h"

#include "ledger/audit/merkle.h"

namespace gpuledger {

Hash256 VerifySha256::Leaf(std::string_view entry) { return LeafHash(sha_, entry); }

Hash256 VerifySha256::Node(const Hash256& left, const Hash256& right) {
  return NodeHash(sha_, left, right);
}

Hash256 VerifySha256::Chain(const Hash256& previous, const Hash256& leaf) {
  return ChainHash(sha_, previous, leaf);
}

void VerifySha256::ChainAndNode(const Hash256& previous, const Hash256& leaf, const Hash256& left,
                                Hash256* chain, Hash256* node) {
  *chain = ChainHash(sha_, previous, leaf);
  *node = NodeHash(sha_, left, leaf);
}

Hash256 VerifySha256::Of(std::string_view bytes) {
  sha_.Update(bytes);
  return sha_.Final();
}

}  // namespace gpuledger
