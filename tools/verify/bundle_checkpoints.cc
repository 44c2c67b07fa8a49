// Checkpoints, growth since the auditor's last checkpoint, and proofs, against the roots
// the entries pass recomputed.
#include <algorithm>

#include "ledger/audit/bundle_format.h"
#include "tools/verify/bundle_check_impl.h"
#include "tools/verify/bundle_reader.h"

namespace gpuledger::verify {
namespace {

BundleFailure CheckpointFailure(const char* check, const ParsedCheckpoint& cp, std::string expected,
                                std::string found, std::string detail) {
  return {check,
          std::nullopt,
          cp.body.tree_size,
          cp.file,
          std::move(expected),
          std::move(found),
          std::move(detail),
          {},
          {}};
}

// Root agreement of a checkpoint-like (size, root) with the entries; "" when it holds.
std::string RootProblem(const Context& ctx, uint64_t size, const Hash256& root) {
  if (size > ctx.count) {
    return "it covers " + std::to_string(size) + " entries, the bundle has " +
           std::to_string(ctx.count);
  }
  auto it = ctx.roots.find(size);
  if (it == ctx.roots.end() || it->second != root) {
    return "the bundle's first " + std::to_string(size) +
           " entries do not make this root: they differ from what was signed";
  }
  return {};
}

// The auditor's origin when given (C2SP: a verifier checks the origin it expects), else the
// manifest's.
const std::string& ExpectedOrigin(const Context& ctx) {
  return ctx.options.origin.empty() ? ctx.report.origin : ctx.options.origin;
}

}  // namespace

void ReadCheckpoints(Context& ctx) {
  const std::string dir = ctx.options.dir + "/" + std::string(bundle::kCheckpointsDir);
  auto names = ListFiles(dir, bundle::kCheckpointFilesMax);
  if (!names.ok()) {
    AddFailure(ctx, {"checkpoint_format",
                     {},
                     {},
                     std::string(bundle::kCheckpointsDir),
                     "",
                     "",
                     names.status().message(),
                     {},
                     {}});
    return;
  }
  for (const std::string& name : names.value()) {
    const std::string file = std::string(bundle::kCheckpointsDir) + "/" + name;
    auto text = ReadSmallFile(dir + "/" + name, audit::kNoteBytesMax);
    auto parsed = text.ok() ? audit::ParseSignedCheckpoint(text.value())
                            : Result<audit::SignedCheckpoint>(text.status());
    if (!parsed.ok()) {
      AddFailure(ctx,
                 {"checkpoint_format", {}, {}, file, "", "", parsed.status().message(), {}, {}});
      continue;
    }
    ctx.sizes_wanted.insert(parsed->body.tree_size);
    ctx.checkpoints.push_back({file, std::move(parsed->note), std::move(parsed->body)});
  }
}

void ReadProofs(Context& ctx) {
  for (const std::string& path : ctx.options.proof_files) {
    auto text = ReadSmallFile(path, audit::kProofFileBytesMax);
    auto doc =
        text.ok() ? audit::ParseProof(text.value()) : Result<audit::ProofDocument>(text.status());
    if (!doc.ok()) {
      AddFailure(ctx, {"proof", {}, {}, path, "", "", doc.status().message(), {}, {}});
      continue;
    }
    ctx.sizes_wanted.insert(doc->tree_size);
    if (doc->kind == audit::ProofDocument::Kind::kInclusion) {
      ctx.leaves[doc->index] = Hash256{};
    } else {
      ctx.sizes_wanted.insert(doc->old_size);
    }
    ctx.proofs.push_back({path, std::move(doc.value())});
  }
}

void CheckCheckpoints(Context& ctx) {
  bool covered = false;
  uint64_t last_good_size = 0;   // checkpoints come sorted by size (their file names)
  uint64_t last_valid_size = 0;  // the largest checkpoint that passed every check
  bool any_root_failed = false;
  const std::string& origin = ExpectedOrigin(ctx);
  for (const ParsedCheckpoint& cp : ctx.checkpoints) {
    CheckpointResult result{cp.file, cp.body.origin, cp.body.tree_size, cp.body.root, {}, 0, true};
    auto verified = audit::VerifyNote(cp.note, ctx.options.trusted);
    if (!verified.ok()) {
      result.ok = false;
      AddFailure(ctx, CheckpointFailure("checkpoint_signature", cp,
                                        "a valid signature by a "
                                        "trusted key",
                                        verified.status().message(),
                                        "the checkpoint is not signed by a key you trust"));
    } else {
      result.verified_by = verified->verified_by;
      result.unknown_signatures = verified->unknown_signatures;
    }
    if (cp.body.origin != origin) {
      result.ok = false;
      AddFailure(ctx, CheckpointFailure("checkpoint_origin", cp, origin, cp.body.origin,
                                        "another log's checkpoint"));
    }
    if (std::string problem = RootProblem(ctx, cp.body.tree_size, cp.body.root); !problem.empty()) {
      result.ok = false;
      auto it = ctx.roots.find(cp.body.tree_size);
      // A tamperer who also rewrote the listed hashes is found only here: the change lies
      // after the last signed root that still holds.
      if (cp.body.tree_size > last_good_size && cp.body.tree_size <= ctx.count) {
        problem += "; the change lies in entries [" + std::to_string(last_good_size) + ", " +
                   std::to_string(cp.body.tree_size) + ")";
      }
      any_root_failed = true;
      AddFailure(ctx, CheckpointFailure("checkpoint_root", cp, ToHex(cp.body.root),
                                        it == ctx.roots.end() ? "" : ToHex(it->second), problem));
    } else if (result.ok) {
      last_good_size = std::max(last_good_size, cp.body.tree_size);
    }
    if (result.ok) last_valid_size = std::max(last_valid_size, cp.body.tree_size);
    covered = covered ||
              (result.ok && cp.body.tree_size == ctx.count && ctx.count == ctx.report.tree_size);
    ctx.report.checkpoints.push_back(std::move(result));
  }
  if (!covered) {
    // Entries beyond the last valid signed size are unsigned: the first of them is at fault
    // (entries appended to a bundle). Otherwise the signed roots themselves failed.
    BundleFailure f{"checkpoint_missing",
                    std::nullopt,
                    ctx.report.tree_size,
                    std::string(bundle::kCheckpointsDir),
                    "a valid checkpoint of size " + std::to_string(ctx.count),
                    "valid checkpoints up to size " + std::to_string(last_valid_size),
                    "no valid checkpoint signed by a trusted key covers all the bundle's entries",
                    {},
                    {}};
    if (ctx.entries_ok && !any_root_failed && last_valid_size < ctx.count) {
      f.index = last_valid_size;
      f.detail += "; entries from " + std::to_string(last_valid_size) + " on are not signed";
    }
    AddFailure(ctx, std::move(f));
  }
}

// Reads the auditor's last checkpoint before the pass (its size is wanted).
Result<ParsedCheckpoint> ReadLastCheckpoint(Context& ctx) {
  auto parsed = audit::ParseSignedCheckpoint(ctx.options.last_checkpoint);
  if (!parsed.ok()) return parsed.status();
  ctx.sizes_wanted.insert(parsed->body.tree_size);
  return ParsedCheckpoint{"(last checkpoint)", std::move(parsed->note), std::move(parsed->body)};
}

void CheckGrowth(Context& ctx, const ParsedCheckpoint& last) {
  GrowthResult growth{last.body.tree_size, ctx.count, last.body.root, true};
  auto verified = audit::VerifyNote(last.note, ctx.options.trusted);
  if (!verified.ok()) {
    growth.ok = false;
    AddFailure(ctx, CheckpointFailure("growth", last, "a valid signature by a trusted key",
                                      verified.status().message(),
                                      "your last checkpoint is not signed by a trusted key"));
  }
  if (last.body.origin != ExpectedOrigin(ctx)) {
    growth.ok = false;
    AddFailure(ctx, CheckpointFailure("growth", last, ExpectedOrigin(ctx), last.body.origin,
                                      "your last checkpoint is of another log"));
  }
  if (std::string problem = RootProblem(ctx, last.body.tree_size, last.body.root);
      !problem.empty()) {
    growth.ok = false;
    auto it = ctx.roots.find(last.body.tree_size);
    AddFailure(ctx, CheckpointFailure(
                        "growth", last, ToHex(last.body.root),
                        it == ctx.roots.end() ? "" : ToHex(it->second),
                        "the ledger did not only grow since your last checkpoint: " + problem));
  }
  ctx.report.growth = growth;
}

void CheckProofs(Context& ctx) {
  for (const ParsedProof& p : ctx.proofs) {
    const audit::ProofDocument& d = p.doc;
    const bool inclusion = d.kind == audit::ProofDocument::Kind::kInclusion;
    ProofResult result{p.file, inclusion ? "inclusion" : "consistency", d.tree_size, true};
    std::string problem;
    if (Status s = audit::VerifyProofDocument(d); !s.ok()) {
      problem = "the proof does not verify: " + s.message();
    } else if (std::string root = RootProblem(ctx, d.tree_size, d.root); !root.empty()) {
      problem = "its root is not the bundle's: " + root;
    } else if (inclusion && (d.index >= ctx.count || ctx.leaves[d.index] != d.leaf_hash)) {
      problem = "its leaf is not entry " + std::to_string(d.index) + " of the bundle";
    } else if (!inclusion) {
      if (std::string old = RootProblem(ctx, d.old_size, d.old_root); !old.empty()) {
        problem = "its old root is not the bundle's: " + old;
      }
    }
    if (!problem.empty()) {
      result.ok = false;
      AddFailure(ctx, {"proof", std::nullopt, d.tree_size, p.file, "", "", problem, {}, {}});
    }
    ctx.report.proofs.push_back(std::move(result));
  }
}

}  // namespace gpuledger::verify
