// gpuledger-verify witness: keeps the auditor's last verified checkpoint of a log and adds a
// tlog-cosignature/v1 to a new checkpoint only if it extends that one (an RFC 9162
// consistency proof that verifies, or the same tree). Refuses forks and rollbacks.
//
// State directory: witness.key (0600) and witness.vkey (the witness's key pair),
// log.vkey (the log's trusted public keys, one per line), origin (the log's origin line),
// checkpoint (the last cosigned note; absent before the first), lock. Thread-safety: cosign
// holds an exclusive flock on `lock` from reading the state to writing it, so concurrent
// runs on one state directory take turns.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gpuledger/status.h"

namespace gpuledger::verify {

struct WitnessInit {
  std::string state_dir, name;
  std::string origin;                  // the log followed ("": the first log key's name)
  std::vector<std::string> log_vkeys;  // vkey texts
};
// Creates the state directory with a fresh witness key; refuses an existing one.
[[nodiscard]] Result<std::string> InitWitness(const WitnessInit& init);  // the witness vkey

struct CosignRequest {
  std::string state_dir;
  std::string checkpoint;  // the new signed note
  std::string proof;       // consistency proof (proof.h forms); "" when sizes are equal
  uint64_t now_seconds = 0;
};
struct CosignResult {
  uint64_t old_size = 0, new_size = 0;
  bool first = false;  // no earlier checkpoint: accepted on first use
  std::string note;    // the new checkpoint with the witness's cosignature added
};
// Refusals are InvalidArgument (not signed by the log, malformed) or Corruption (a fork, a
// rollback, a proof that does not verify), in plain words.
[[nodiscard]] Result<CosignResult> Cosign(const CosignRequest& request);

}  // namespace gpuledger::verify
