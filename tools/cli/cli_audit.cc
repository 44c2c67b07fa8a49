// keygen, checkpoint, prove: signed checkpoints and RFC 9162 proofs of the ledger
// (docs/audit.md). The offline side is gpuledger-verify (tools/verify/).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "ledger/audit/note.h"
#include "ledger/audit/proof.h"
#include "tools/cli/cli.h"

namespace gpuledger::cli {
namespace {

using nlohmann::ordered_json;
inline constexpr size_t kKeyFileBytesMax = 4096;

// Creates `path` with `mode` and writes `text`; refuses to replace an existing file (a key
// overwritten by mistake cannot be recovered).
Status WriteNewFile(const std::string& path, const std::string& text, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return Status::IOError("cannot create " + path + ": " + std::strerror(errno));
  ssize_t written = ::write(fd, text.data(), text.size());
  bool ok = written == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  if (!ok) return Status::IOError("cannot write " + path);
  return Status::Ok();
}

struct KeygenArgs {
  std::string name, out;
  bool cosigner = false;
};

int RunKeygen(const KeygenArgs& args) {
  auto files = MakeKeyFiles(args.name, args.cosigner, args.out);
  if (!files.ok()) return Failure(files.status());
  ordered_json out = {{"name", args.name},
                      {"type", args.cosigner ? "cosignature/v1" : "ed25519"},
                      {"vkey", files->vkey},
                      {"private_key_file", args.out + ".key"},
                      {"public_key_file", args.out + ".vkey"}};
  std::cout << out.dump() << "\n";
  return kExitOk;
}

struct CheckpointArgs {
  std::string data_dir, origin, out;
  std::vector<std::string> key_files;
  bool latest = false;
};

ordered_json CheckpointJson(const CheckpointRecord& record) {
  ordered_json out = {{"tree_size", record.tree_size}};
  auto note = audit::ParseNote(record.note);
  if (note.ok()) {
    if (auto body = audit::ParseCheckpoint(note->text); body.ok()) {
      out["origin"] = body->origin;
      out["root"] = ToHex(body->root);
    }
    ordered_json signers = ordered_json::array();
    for (const audit::NoteSignature& sig : note->signatures) signers.push_back(sig.name);
    out["signed_by"] = signers;
  }
  out["note"] = record.note;
  return out;
}

int RunCheckpoint(const CheckpointArgs& args) {
  if (args.latest == !args.key_files.empty()) {
    std::cerr << "checkpoint: give --key FILE (to sign) or --latest (to show), not both\n";
    return kExitUsage;
  }
  auto ledger = OpenLedger(args.data_dir, /*read_only=*/args.latest);
  if (!ledger.ok()) return Failure(ledger.status());
  CheckpointRecord record;
  if (args.latest) {
    auto latest = ledger.value()->LatestCheckpoint();
    if (!latest.ok()) return Failure(latest.status());
    if (!latest->has_value()) return Failure(Status::NotFound("no checkpoint has been signed"));
    record = std::move(latest->value());
  } else {
    std::vector<std::string> keys;
    for (const std::string& path : args.key_files) {
      auto key = ReadKeyFile(path);
      if (!key.ok()) return Failure(key.status());
      keys.push_back(std::move(key.value()));
    }
    auto signed_record = ledger.value()->SignCheckpoint(keys, args.origin);
    if (!signed_record.ok()) return Failure(signed_record.status());
    record = std::move(signed_record.value());
  }
  if (!args.out.empty()) {
    std::ofstream file(args.out, std::ios::binary | std::ios::trunc);
    if (!(file << record.note) || !file.flush()) {
      return Failure(Status::IOError("cannot write " + args.out));
    }
  }
  std::cout << CheckpointJson(record).dump() << "\n";
  return kExitOk;
}

struct ProveArgs {
  std::string data_dir, format = "json";
  uint64_t index = 0, from = 0, size = 0;  // size 0: the default
};

// The default tree size of a proof: the latest signed checkpoint's (what an auditor holds),
// else the ledger's size.
Result<uint64_t> ProofSize(const Ledger& ledger, uint64_t asked) {
  if (asked != 0) return asked;
  auto latest = ledger.LatestCheckpoint();
  if (!latest.ok()) return latest.status();
  return latest->has_value() ? latest.value()->tree_size : ledger.size();
}

int PrintProof(const audit::ProofDocument& doc, const std::string& format) {
  std::cout << (format == "text" ? audit::ProofToText(doc) : audit::ProofToJson(doc));
  if (format != "text") std::cout << "\n";
  return std::cout.flush() ? kExitOk : kExitFailed;
}

// One proof of `kind` from the stored tree, with the leaf and roots it is checked against.
Result<audit::ProofDocument> MakeProof(const Ledger& l, const ProveArgs& args,
                                       audit::ProofDocument::Kind kind) {
  auto size = ProofSize(l, args.size);
  if (!size.ok()) return size.status();
  audit::ProofDocument doc;
  doc.kind = kind;
  doc.tree_size = size.value();
  const bool inclusion = kind == audit::ProofDocument::Kind::kInclusion;
  auto proof = inclusion ? l.InclusionProof(args.index, doc.tree_size)
                         : l.ConsistencyProof(args.from, doc.tree_size);
  if (!proof.ok()) return proof.status();
  doc.proof = std::move(proof.value());
  auto root = l.RootAt(doc.tree_size);
  if (!root.ok()) return root.status();
  doc.root = root.value();
  if (inclusion) {
    doc.index = args.index;
    auto leaf = l.LeafHashAt(args.index);
    if (!leaf.ok()) return leaf.status();
    doc.leaf_hash = leaf.value();
  } else {
    doc.old_size = args.from;
    auto old_root = l.RootAt(args.from);
    if (!old_root.ok()) return old_root.status();
    doc.old_root = old_root.value();
  }
  return doc;
}

int RunProve(const ProveArgs& args, audit::ProofDocument::Kind kind) {
  auto ledger = OpenLedger(args.data_dir, /*read_only=*/true);
  if (!ledger.ok()) return Failure(ledger.status());
  auto doc = MakeProof(*ledger.value(), args, kind);
  if (!doc.ok()) return Failure(doc.status());
  return PrintProof(doc.value(), args.format);
}

void AddProveCommands(CLI::App& app, std::vector<Command>* commands) {
  CLI::App* prove = app.add_subcommand("prove", "RFC 9162 inclusion and consistency proofs");
  prove->require_subcommand(1);
  auto args = std::make_shared<ProveArgs>();
  CLI::App* inclusion = prove->add_subcommand("inclusion", "prove entry I is in the tree");
  CLI::App* consistency =
      prove->add_subcommand("consistency", "prove the tree of size M is a prefix of size N");
  for (CLI::App* sub : {inclusion, consistency}) {
    sub->add_option("--data", args->data_dir, "ledger directory")->required();
    sub->add_option("--format", args->format, "json or text (C2SP-style)")
        ->check(CLI::IsMember({"json", "text"}));
  }
  inclusion->add_option("--index", args->index, "0-based entry index")->required();
  inclusion->add_option("--size", args->size,
                        "tree size (default: the latest checkpoint's, else the ledger's)");
  consistency->add_option("--from", args->from, "the old tree size M (> 0)")->required();
  consistency->add_option("--to", args->size,
                          "the new tree size N (default: the latest checkpoint's, else the "
                          "ledger's)");
  commands->push_back(
      {inclusion, [args] { return RunProve(*args, audit::ProofDocument::Kind::kInclusion); }});
  commands->push_back(
      {consistency, [args] { return RunProve(*args, audit::ProofDocument::Kind::kConsistency); }});
}

}  // namespace

Result<KeyFiles> MakeKeyFiles(const std::string& name, bool cosigner, const std::string& prefix) {
  const uint8_t type = cosigner ? audit::kKeyTypeCosignature : audit::kKeyTypeEd25519;
  auto key = audit::GenerateSignerKey(name, type);
  if (!key.ok()) return key.status();
  KeyFiles files{audit::EncodeSignerKey(key.value()), audit::EncodeVerifierKey(key->verifier)};
  if (Status s = WriteNewFile(prefix + ".key", files.private_key + "\n", 0600); !s.ok()) return s;
  if (Status s = WriteNewFile(prefix + ".vkey", files.vkey + "\n", 0644); !s.ok()) return s;
  return files;
}

Result<std::string> ReadKeyFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return Status::IOError("cannot open key file " + path);
  std::string text(kKeyFileBytesMax + 1, '\0');
  file.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(file.gcount()));
  if (text.size() > kKeyFileBytesMax) return Status::InvalidArgument(path + " is not a key file");
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

void AddAuditCommands(CLI::App& app, std::vector<Command>* commands) {
  auto keygen_args = std::make_shared<KeygenArgs>();
  CLI::App* keygen = app.add_subcommand("keygen", "make an Ed25519 key pair for checkpoints");
  keygen->add_option("--name", keygen_args->name, "key name (usually the log's origin)")
      ->required();
  keygen->add_option("--out", keygen_args->out, "writes OUT.key (private) and OUT.vkey")
      ->required();
  keygen->add_flag("--cosigner", keygen_args->cosigner,
                   "a witness key (tlog-cosignature/v1) instead of a log key");
  commands->push_back({keygen, [keygen_args] { return RunKeygen(*keygen_args); }});

  auto cp_args = std::make_shared<CheckpointArgs>();
  CLI::App* cp = app.add_subcommand("checkpoint", "sign and store a checkpoint of the ledger");
  cp->add_option("--data", cp_args->data_dir, "ledger directory")->required();
  cp->add_option("--key", cp_args->key_files, "private key file (repeatable: key rotation)");
  cp->add_option("--origin", cp_args->origin, "origin line (default: the first key's name)");
  cp->add_option("--out", cp_args->out, "also write the signed note to this file");
  cp->add_flag("--latest", cp_args->latest, "show the latest stored checkpoint instead");
  commands->push_back({cp, [cp_args] { return RunCheckpoint(*cp_args); }});
  AddProveCommands(app, commands);
}

}  // namespace gpuledger::cli
