// gpuledger-verify: the auditor's offline verifier (docs/bundle.md). It links only OpenSSL,
// FlatBuffers and the standard library (CLI11 and nlohmann-json are header-only).
// Exit status: 0 verified, 1 verification failed or bad input, 2 usage error.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "ledger/audit/note.h"
#include "ledger/audit/proof.h"
#include "tools/verify/bundle_check.h"
#include "tools/verify/bundle_reader.h"
#include "tools/verify/log_keys.h"
#include "tools/verify/witness.h"

namespace gpuledger::verify {
namespace {

using nlohmann::ordered_json;
inline constexpr int kExitOk = 0, kExitFailed = 1, kExitUsage = 2;

int Failure(const std::string& what) {
  std::cerr << "gpuledger-verify: " << what << "\n";
  return kExitFailed;
}

// Key files hold one vkey per line (a `gpuledger keygen` .vkey file, or several).
Result<std::vector<audit::VerifierKey>> ReadTrustedKeys(const std::vector<std::string>& args) {
  std::vector<audit::VerifierKey> keys;
  for (const std::string& arg : args) {
    auto text = ReadSmallFile(arg, kKeyFileBytesMax);
    // Not a file: the vkey itself may have been given ("name+id+base64").
    auto parsed = text.ok() ? ParseLogKeys(text.value(), arg) : ParseLogKeys(arg, "--key");
    if (!parsed.ok()) return text.ok() ? parsed.status() : text.status();
    keys.insert(keys.end(), parsed->begin(), parsed->end());
  }
  if (keys.empty()) return Status::InvalidArgument("no trusted key given");
  return keys;
}

// The origin to expect: --origin, else the name the trusted keys share (a log's key is
// named after it); "" when they have several names (the manifest's origin is then taken).
std::string ExpectedOrigin(const std::string& given, const std::vector<audit::VerifierKey>& keys) {
  if (!given.empty()) return given;
  for (const audit::VerifierKey& key : keys) {
    if (key.name != keys.front().name) return {};
  }
  return keys.front().name;
}

struct BundleArgs {
  std::string dir, last_checkpoint, month, origin;
  std::vector<std::string> key_files, proof_files;
  bool quiet = false;
};

int RunBundle(const BundleArgs& args) {
  auto keys = ReadTrustedKeys(args.key_files);
  if (!keys.ok()) return Failure(keys.status().message());
  BundleOptions options;
  options.dir = args.dir;
  options.trusted = std::move(keys.value());
  options.proof_files = args.proof_files;
  options.month = args.month;
  options.origin = ExpectedOrigin(args.origin, options.trusted);
  if (!args.last_checkpoint.empty()) {
    auto text = ReadSmallFile(args.last_checkpoint, audit::kNoteBytesMax);
    if (!text.ok()) return Failure(text.status().message());
    options.last_checkpoint = std::move(text.value());
  }
  auto last = std::chrono::steady_clock::now();
  if (!args.quiet) {
    options.progress = [&last](uint64_t done, uint64_t total) {
      auto now = std::chrono::steady_clock::now();
      if (done != total && now - last < std::chrono::seconds(1)) return;
      last = now;
      std::cerr << "gpuledger-verify: " << done << " of " << total << " entries\n";
    };
  }
  BundleReport report = VerifyBundle(options);
  std::cout << BundleReportJson(report);
  std::cout.flush();
  return report.ok ? kExitOk : kExitFailed;
}

struct ProofArgs {
  std::string proof_file, checkpoint_file, old_checkpoint_file, origin;
  std::vector<std::string> key_files;
};

// A checkpoint note from `path`, signed by a trusted key, of `origin` (when not empty).
Result<audit::Checkpoint> TrustedCheckpoint(const std::string& path,
                                            const std::vector<audit::VerifierKey>& keys,
                                            const std::string& origin) {
  auto text = ReadSmallFile(path, audit::kNoteBytesMax);
  if (!text.ok()) return text.status();
  auto parsed = audit::ParseSignedCheckpoint(text.value());
  if (!parsed.ok()) return Status::InvalidArgument(path + ": " + parsed.status().message());
  if (auto v = audit::VerifyNote(parsed->note, keys); !v.ok()) {
    return Status::InvalidArgument(path + ": " + v.status().message());
  }
  if (!origin.empty() && parsed->body.origin != origin) {
    return Status::InvalidArgument(path + " is a checkpoint of \"" + parsed->body.origin +
                                   "\", not \"" + origin + "\"");
  }
  return std::move(parsed->body);
}

Status CheckProof(const ProofArgs& args, const std::vector<audit::VerifierKey>& keys,
                  audit::ProofDocument* doc) {
  auto text = ReadSmallFile(args.proof_file, audit::kProofFileBytesMax);
  if (!text.ok()) return text.status();
  auto parsed = audit::ParseProof(text.value());
  if (!parsed.ok()) return parsed.status();
  *doc = parsed.value();
  const std::string origin = ExpectedOrigin(args.origin, keys);
  if (doc->kind == audit::ProofDocument::Kind::kConsistency && args.old_checkpoint_file.empty()) {
    return Status::InvalidArgument(
        "a consistency proof is checked against two checkpoints: give --old-checkpoint");
  }
  auto cp = TrustedCheckpoint(args.checkpoint_file, keys, origin);
  if (!cp.ok()) return cp.status();
  if (cp->tree_size != doc->tree_size || cp->root != doc->root) {
    return Status::Corruption("the proof is for size " + std::to_string(doc->tree_size) +
                              " and root " + ToHex(doc->root) + ", the checkpoint says size " +
                              std::to_string(cp->tree_size) + " and root " + ToHex(cp->root));
  }
  if (!args.old_checkpoint_file.empty()) {
    auto old_cp = TrustedCheckpoint(args.old_checkpoint_file, keys, cp->origin);
    if (!old_cp.ok()) return old_cp.status();
    if (doc->kind != audit::ProofDocument::Kind::kConsistency ||
        old_cp->tree_size != doc->old_size || old_cp->root != doc->old_root) {
      return Status::Corruption("the proof does not start at the old checkpoint (size " +
                                std::to_string(old_cp->tree_size) + ")");
    }
  }
  return audit::VerifyProofDocument(*doc);
}

int RunProof(const ProofArgs& args) {
  auto keys = ReadTrustedKeys(args.key_files);
  if (!keys.ok()) return Failure(keys.status().message());
  audit::ProofDocument doc;
  Status s = CheckProof(args, keys.value(), &doc);
  const bool inclusion = doc.kind == audit::ProofDocument::Kind::kInclusion;
  ordered_json out = {{"ok", s.ok()},
                      {"type", inclusion ? "inclusion" : "consistency"},
                      {"tree_size", doc.tree_size},
                      {"root", ToHex(doc.root)}};
  if (inclusion) {
    out["leaf_index"] = doc.index;
    out["leaf_hash"] = ToHex(doc.leaf_hash);
  } else {
    out["old_size"] = doc.old_size;
    out["old_root"] = ToHex(doc.old_root);
  }
  out["problem"] = s.ok() ? ordered_json() : ordered_json(s.message());
  std::cout << out.dump() << "\n";
  return s.ok() ? kExitOk : kExitFailed;
}

struct WitnessArgs {
  std::string state_dir, name, origin, checkpoint_file, proof_file, out;
  std::vector<std::string> log_key_files;
};

int RunWitnessInit(const WitnessArgs& args) {
  auto keys = ReadTrustedKeys(args.log_key_files);
  if (!keys.ok()) return Failure(keys.status().message());
  WitnessInit init{args.state_dir, args.name, args.origin, {}};
  for (const audit::VerifierKey& key : keys.value()) {
    init.log_vkeys.push_back(audit::EncodeVerifierKey(key));
  }
  auto vkey = InitWitness(init);
  if (!vkey.ok()) return Failure(vkey.status().message());
  std::cout << ordered_json{{"state", args.state_dir}, {"witness_vkey", vkey.value()}}.dump()
            << "\n";
  return kExitOk;
}

int RunWitnessCosign(const WitnessArgs& args) {
  CosignRequest request;
  request.state_dir = args.state_dir;
  auto note = ReadSmallFile(args.checkpoint_file, audit::kNoteBytesMax);
  if (!note.ok()) return Failure(note.status().message());
  request.checkpoint = std::move(note.value());
  if (!args.proof_file.empty()) {
    auto proof = ReadSmallFile(args.proof_file, audit::kProofFileBytesMax);
    if (!proof.ok()) return Failure(proof.status().message());
    request.proof = std::move(proof.value());
  }
  request.now_seconds =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count());
  auto result = Cosign(request);
  ordered_json out = {{"ok", result.ok()}};
  if (!result.ok()) {
    out["refused"] = result.status().message();
    std::cout << out.dump() << "\n";
    return kExitFailed;
  }
  if (!args.out.empty()) {
    std::ofstream file(args.out, std::ios::binary | std::ios::trunc);
    if (!(file << result->note) || !file.flush()) return Failure("cannot write " + args.out);
  }
  out["old_size"] = result->old_size;
  out["new_size"] = result->new_size;
  out["first"] = result->first;
  out["note"] = result->note;
  std::cout << out.dump() << "\n";
  return kExitOk;
}

int Main(int argc, char** argv) {
  CLI::App app("gpuledger-verify: check a gpuledger audit bundle offline", "gpuledger-verify");
  app.require_subcommand(1);
  BundleArgs bundle;
  CLI::App* b = app.add_subcommand("bundle", "verify a bundle; prints a JSON report");
  b->add_option("dir,--bundle", bundle.dir, "bundle directory")->required();
  b->add_option("--key,--trusted-key", bundle.key_files,
                "trusted public key: a .vkey file or the vkey itself (repeatable)")
      ->required();
  b->add_option("--last-checkpoint", bundle.last_checkpoint,
                "your last verified checkpoint: prove the ledger only grew since");
  b->add_option("--proof", bundle.proof_files, "a proof file to check against the bundle");
  b->add_flag("--quiet", bundle.quiet, "no progress on stderr");
  b->add_option("--origin", bundle.origin,
                "the log's origin (default: the name of the trusted keys)");
  b->add_option("--month", bundle.month,
                "require only this closed month's statement (default: every closed month's)");

  ProofArgs proof;
  CLI::App* p = app.add_subcommand("proof", "verify a proof against a trusted checkpoint");
  p->add_option("file", proof.proof_file, "proof file (JSON or text)")->required();
  p->add_option("--checkpoint", proof.checkpoint_file, "signed checkpoint of the proof's size")
      ->required();
  p->add_option("--old-checkpoint", proof.old_checkpoint_file,
                "consistency: the signed checkpoint it starts from");
  p->add_option("--origin", proof.origin,
                "the log's origin (default: the name of the trusted keys)");
  p->add_option("--key,--trusted-key", proof.key_files,
                "trusted public key: file or vkey (repeatable)")
      ->required();

  WitnessArgs witness;
  CLI::App* w = app.add_subcommand("witness", "cosign checkpoints that extend the last one");
  w->require_subcommand(1);
  CLI::App* wi = w->add_subcommand("init", "create a witness state with a new key");
  CLI::App* wc = w->add_subcommand("cosign", "cosign a checkpoint if it extends the last one");
  for (CLI::App* sub : {wi, wc}) {
    sub->add_option("--state", witness.state_dir, "witness state directory")->required();
  }
  wi->add_option("--name", witness.name, "the witness's key name")->required();
  wi->add_option("--origin", witness.origin, "the log's origin (default: the log key's name)");
  wi->add_option("--log-key", witness.log_key_files, "the log's public key file")->required();
  wc->add_option("--checkpoint", witness.checkpoint_file, "the new signed checkpoint")->required();
  wc->add_option("--proof", witness.proof_file,
                 "consistency proof from the last cosigned size (gpuledger prove consistency)");
  wc->add_option("--out", witness.out, "write the cosigned checkpoint here too");
  // `gpuledger-verify DIR --key K` means `gpuledger-verify bundle DIR --key K`.
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] != "bundle" && args[0] != "proof" && args[0] != "witness" &&
      std::filesystem::is_directory(args[0])) {
    args.insert(args.begin(), "bundle");
  }
  std::reverse(args.begin(), args.end());  // CLI11 takes the arguments reversed
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  if (b->parsed()) return RunBundle(bundle);
  if (p->parsed()) return RunProof(proof);
  if (wi->parsed()) return RunWitnessInit(witness);
  return RunWitnessCosign(witness);
}

}  // namespace
}  // namespace gpuledger::verify

int main(int argc, char** argv) {
  try {
    return gpuledger::verify::Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "gpuledger-verify: " << e.what() << "\n";
    return 1;
  }
}
