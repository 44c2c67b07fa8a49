#include "tools/verify/witness.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>
#include <vector>

#include "ledger/audit/note.h"
#include "ledger/audit/proof.h"
#include "tools/verify/bundle_reader.h"
#include "tools/verify/log_keys.h"

namespace gpuledger::verify {
namespace {

namespace fs = std::filesystem;

std::string PathIn(const std::string& dir, const char* name) { return dir + "/" + name; }

// Writes `text` to `path` through a synced temporary file, a rename and a synced directory:
// after a crash the state is the old one or the new one, never half of either, and a state
// that was reported written stays written (a witness that forgot its last checkpoint could
// be led to cosign a fork).
Status ReplaceFile(const std::string& path, const std::string& text, mode_t mode) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return Status::IOError("cannot create " + tmp + ": " + std::strerror(errno));
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::IOError("cannot write " + path);
  }
  const std::string dir = fs::path(path).parent_path().string();
  int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return Status::IOError("cannot open " + dir + " to sync it");
  ok = ::fsync(dfd) == 0;
  ::close(dfd);
  return ok ? Status::Ok() : Status::IOError("cannot sync " + dir);
}

// An exclusive lock on the state for the whole read, check, sign and write: two cosigns at
// once could otherwise each extend the same state with one side of a fork.
class StateLock {
 public:
  static Result<StateLock> Take(const std::string& dir) {
    int fd = ::open(PathIn(dir, "lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return Status::IOError("cannot open " + PathIn(dir, "lock"));
    if (::flock(fd, LOCK_EX) != 0) {
      ::close(fd);
      return Status::IOError("cannot lock " + dir);
    }
    return StateLock(fd);
  }
  StateLock(StateLock&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  StateLock& operator=(StateLock&&) = delete;
  ~StateLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the lock
  }

 private:
  explicit StateLock(int fd) : fd_(fd) {}
  int fd_;
};

Result<std::vector<audit::VerifierKey>> LogKeys(const std::string& dir) {
  auto text = ReadSmallFile(PathIn(dir, "log.vkey"), kKeyFileBytesMax);
  if (!text.ok()) return text.status();
  return ParseLogKeys(text.value(), "log.vkey");
}

// The new checkpoint extends the old one: equal trees, or a verified consistency proof.
Status CheckExtends(const audit::Checkpoint& old_cp, const audit::Checkpoint& new_cp,
                    const std::string& proof_text) {
  if (old_cp.origin != new_cp.origin) {
    return Status::InvalidArgument("the checkpoint is of \"" + new_cp.origin +
                                   "\", this witness follows \"" + old_cp.origin + "\"");
  }
  if (new_cp.tree_size < old_cp.tree_size) {
    return Status::Corruption("rollback: size " + std::to_string(new_cp.tree_size) +
                              " is smaller than the last cosigned size " +
                              std::to_string(old_cp.tree_size));
  }
  if (new_cp.tree_size == old_cp.tree_size) {
    if (new_cp.root != old_cp.root) {
      return Status::Corruption("fork: two checkpoints of size " +
                                std::to_string(new_cp.tree_size) + " with different roots");
    }
    return Status::Ok();
  }
  if (old_cp.tree_size == 0) return Status::Ok();  // the empty tree is a prefix of every tree
  if (proof_text.empty()) {
    return Status::InvalidArgument("a consistency proof from size " +
                                   std::to_string(old_cp.tree_size) + " is needed (--proof)");
  }
  auto doc = audit::ParseProof(proof_text);
  if (!doc.ok()) return Status::InvalidArgument("proof: " + doc.status().message());
  if (doc->kind != audit::ProofDocument::Kind::kConsistency || doc->old_size != old_cp.tree_size ||
      doc->tree_size != new_cp.tree_size) {
    return Status::InvalidArgument("the proof is not a consistency proof from " +
                                   std::to_string(old_cp.tree_size) + " to " +
                                   std::to_string(new_cp.tree_size));
  }
  // The proof's own roots are ignored: the witness's roots are the ones that count.
  Status s = audit::VerifyConsistency(old_cp.tree_size, new_cp.tree_size, doc->proof, old_cp.root,
                                      new_cp.root);
  if (!s.ok()) {
    return Status::Corruption(
        "fork: the checkpoint is not consistent with the last cosigned "
        "one (" +
        s.message() + ")");
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> InitWitness(const WitnessInit& init) {
  std::error_code ec;
  if (fs::exists(PathIn(init.state_dir, "witness.key"), ec)) {
    return Status::InvalidArgument(init.state_dir + " already holds a witness");
  }
  std::string log_keys;
  for (const std::string& text : init.log_vkeys) log_keys += text + "\n";
  // Checked as Cosign will read them back (Ed25519 log keys, at least one).
  auto parsed = ParseLogKeys(log_keys, "--log-key");
  if (!parsed.ok()) return parsed.status();
  fs::create_directories(init.state_dir, ec);
  if (ec) return Status::IOError("cannot create " + init.state_dir + ": " + ec.message());
  auto key = audit::GenerateSignerKey(init.name, audit::kKeyTypeCosignature);
  if (!key.ok()) return key.status();
  const std::string vkey = audit::EncodeVerifierKey(key->verifier);
  // The log this witness follows: checkpoints of any other origin are refused.
  const std::string origin = init.origin.empty() ? parsed->front().name : init.origin;
  for (auto [name, text, mode] :
       {std::tuple{"log.vkey", log_keys, mode_t{0644}},
        std::tuple{"origin", origin + "\n", mode_t{0644}},
        std::tuple{"witness.vkey", vkey + "\n", mode_t{0644}},
        std::tuple{"witness.key", audit::EncodeSignerKey(key.value()) + "\n", mode_t{0600}}}) {
    if (Status s = ReplaceFile(PathIn(init.state_dir, name), text, mode); !s.ok()) return s;
  }
  return vkey;
}

Result<CosignResult> Cosign(const CosignRequest& request) {
  auto lock = StateLock::Take(request.state_dir);
  if (!lock.ok()) return lock.status();
  auto origin = ReadSmallFile(PathIn(request.state_dir, "origin"), kKeyFileBytesMax);
  if (!origin.ok()) return origin.status();
  if (!origin->empty() && origin->back() == '\n') origin->pop_back();
  auto log_keys = LogKeys(request.state_dir);
  if (!log_keys.ok()) return log_keys.status();
  auto key_text = ReadSmallFile(PathIn(request.state_dir, "witness.key"), kKeyFileBytesMax);
  if (!key_text.ok()) return key_text.status();
  std::string trimmed = key_text.value();
  while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == '\r')) trimmed.pop_back();
  auto witness = audit::ParseSignerKey(trimmed);
  if (!witness.ok()) return Status::InvalidArgument("witness.key: " + witness.status().message());

  auto parsed = audit::ParseSignedCheckpoint(request.checkpoint);
  if (!parsed.ok()) return Status::InvalidArgument("checkpoint: " + parsed.status().message());
  audit::Note& note = parsed->note;
  const audit::Checkpoint& new_cp = parsed->body;
  if (auto v = audit::VerifyNote(note, log_keys.value()); !v.ok()) {
    return Status::InvalidArgument("the checkpoint is not signed by the log: " +
                                   v.status().message());
  }
  if (new_cp.origin != origin.value()) {
    return Status::InvalidArgument("the checkpoint is of \"" + new_cp.origin +
                                   "\", this witness follows \"" + origin.value() + "\"");
  }

  CosignResult result;
  result.new_size = new_cp.tree_size;
  const std::string state_path = PathIn(request.state_dir, "checkpoint");
  std::error_code ec;
  if (fs::exists(state_path, ec)) {
    auto old_text = ReadSmallFile(state_path, audit::kNoteBytesMax);
    if (!old_text.ok()) return old_text.status();
    auto old_cp = audit::ParseSignedCheckpoint(old_text.value());
    if (!old_cp.ok()) return Status::Corruption("state checkpoint: " + old_cp.status().message());
    result.old_size = old_cp->body.tree_size;
    if (Status s = CheckExtends(old_cp->body, new_cp, request.proof); !s.ok()) return s;
  } else {
    result.first = true;
  }
  auto cosignature = audit::Cosign(witness.value(), note.text, request.now_seconds);
  if (!cosignature.ok()) return cosignature.status();
  // A cosignature by this witness already on the note is replaced, not repeated.
  std::erase_if(note.signatures, [&](const audit::NoteSignature& s) {
    return s.name == witness->verifier.name && s.key_id == witness->verifier.key_id;
  });
  note.signatures.push_back(std::move(cosignature.value()));
  result.note = audit::FormatNote(note);
  if (Status s = ReplaceFile(state_path, result.note, 0644); !s.ok()) return s;
  return result;
}

}  // namespace gpuledger::verify
