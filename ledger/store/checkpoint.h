// Signed checkpoints stored in the ledger (keys K and V of ledger_format.h) and their check
// by `verify`. Private to ledger/.
#pragma once

#include "gpuledger/ledger.h"
#include "ledger/audit/proof.h"
#include "ledger/store/ledger_impl.h"

namespace gpuledger {

// Reads stored tree nodes (level 0: leaf hashes). Valid while `impl` lives.
audit::SubtreeReader SubtreeReaderOf(const Ledger::Impl& impl);

// The stored checkpoints with tree_size in [first_size, end_size), by size, at most `limit`;
// the public keys (vkey text) stored with them; the origin line ("" before the first).
Result<std::vector<CheckpointRecord>> StoredCheckpoints(const Ledger::Impl& impl,
                                                        uint64_t first_size, uint64_t end_size,
                                                        size_t limit);
Result<std::vector<std::string>> StoredCheckpointKeys(const Ledger::Impl& impl);
Result<std::string> StoredCheckpointOrigin(const Ledger::Impl& impl);

// Checks every stored checkpoint: a well-formed signed note whose body is a tlog-checkpoint
// of the ledger's origin for the size it is stored under, whose root is the tree's root at
// that size, signed by at least one of the stored keys with no bad signature from them.
// On the first failure fills `report` (bad_index = the checkpoint's last entry) and returns
// false. Call after the tree itself has been verified.
inline constexpr size_t kCheckpointsListedMax = 10000000;

bool VerifyStoredCheckpoints(const Ledger::Impl& impl, VerifyReport* report);

}  // namespace gpuledger
