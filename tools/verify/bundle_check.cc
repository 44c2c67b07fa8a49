// VerifyBundle: the entries pass (leaves, chain, tree, decoding), checkpoints, growth since
// the auditor's last checkpoint, and proofs. Statements: bundle_statements.cc.
#include "tools/verify/bundle_check.h"

#include <algorithm>
#include <filesystem>

#include "ledger/audit/bundle_format.h"
#include "ledger/audit/merkle.h"
#include "schemas/ledger_entry_generated.h"
#include "tools/verify/bundle_check_impl.h"
#include "tools/verify/bundle_reader.h"
#include "tools/verify/exact_json.h"

namespace gpuledger::verify {

const fb::Event* DecodeEvent(std::string_view bytes) {
  flatbuffers::Verifier verifier(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  if (!fb::VerifyLedgerEntryBuffer(verifier)) return nullptr;
  // The verifier accepts absent fields; an entry the intake wrote always has its event and
  // the event its payload, and the code after this relies on both.
  const fb::LedgerEntry* entry = fb::GetLedgerEntry(bytes.data());
  if (entry->event() == nullptr) return nullptr;
  const fb::Event* event = entry->event_nested_root();
  if (event == nullptr || event->data_type() == fb::Payload::NONE || event->data() == nullptr) {
    return nullptr;
  }
  return event;
}

namespace {

inline constexpr size_t kBadEntriesKept = 8;
inline constexpr uint64_t kProgressEveryEntries = 1 << 16;

void EntryFailure(Context& ctx, const char* check, uint64_t index, const Hash256& expected,
                  const Hash256& found, std::string_view bytes, std::string detail) {
  ctx.entries_ok = false;
  if (ctx.bad_entries.size() < kBadEntriesKept) {
    ctx.bad_entries.push_back({index, std::string(bytes)});
  }
  AddFailure(ctx, {check,
                   index,
                   std::nullopt,
                   std::string(bundle::kEntriesFile),
                   ToHex(expected),
                   ToHex(found),
                   std::move(detail),
                   {},
                   {}});
}

// The one pass over entries.bin; hands each decoded event to `fn` (the replay's Load).
Status HashPass(Context& ctx, const EventVisitor& fn) {
  auto reader = EntryReader::Open(EntriesPath(ctx));
  if (!reader.ok()) {
    ctx.entries_ok = false;
    AddFailure(ctx, {"entries_file",
                     {},
                     {},
                     std::string(bundle::kEntriesFile),
                     "",
                     "",
                     reader.status().message(),
                     {},
                     {}});
    return Status::Ok();
  }
  Sha256 sha;
  MerkleFrontier frontier;
  const std::function<void(const SubtreeNode&)> ignore = [](const SubtreeNode&) {};
  Hash256 chain{};
  if (ctx.sizes_wanted.count(0)) ctx.roots[0] = frontier.Root(sha);
  const uint64_t total = ctx.report.tree_size;
  EntryRecord rec;
  uint64_t index = 0;
  for (;; ++index) {
    auto more = reader.value()->Next(&rec);
    if (!more.ok()) {
      ctx.entries_ok = false;
      AddFailure(ctx, {"entries_file",
                       index,
                       {},
                       std::string(bundle::kEntriesFile),
                       "",
                       "",
                       more.status().message(),
                       {},
                       {}});
      break;
    }
    if (!more.value()) break;
    const Hash256 leaf = LeafHash(sha, rec.bytes);
    const Hash256 linked = ChainHash(sha, chain, leaf);
    if (leaf != rec.leaf) {
      EntryFailure(ctx, "entry_leaf", index, rec.leaf, leaf, rec.bytes,
                   "the entry's bytes do not hash to the leaf the bundle lists");
    } else if (linked != rec.chain) {
      EntryFailure(ctx, "entry_chain", index, rec.chain, linked, rec.bytes,
                   "the chain does not link this entry to the one before it (an entry was "
                   "removed, inserted or moved here)");
    }
    chain = rec.chain;  // resynchronise: later entries are judged on their own
    frontier.Append(sha, leaf, ignore);
    if (ctx.sizes_wanted.count(index + 1)) ctx.roots[index + 1] = frontier.Root(sha);
    if (auto it = ctx.leaves.find(index); it != ctx.leaves.end()) it->second = leaf;
    ctx.report.entry_bytes += rec.bytes.size();
    const fb::Event* event = DecodeEvent(rec.bytes);
    if (event == nullptr) {
      EntryFailure(ctx, "entry_decode", index, rec.leaf, leaf, rec.bytes,
                   "not a LedgerEntry of the published schema");
    } else if (ctx.entries_ok) {
      // The replay is fed while every entry so far verified; after the first failure it
      // stops (the statements are then not recomputed, and what a bad entry touches is
      // judged by what came before it) while the hashing goes on to the end.
      if (Status s = fn(index, *event); !s.ok()) {
        ctx.entries_ok = false;
        AddFailure(
            ctx,
            {"replay", index, {}, std::string(bundle::kEntriesFile), "", "", s.message(), {}, {}});
      }
    }
    if (ctx.options.progress && (index + 1) % kProgressEveryEntries == 0) {
      ctx.options.progress(index + 1, total);
    }
  }
  ctx.count = index;
  ctx.report.entries_checked = index;
  ctx.report.root = frontier.Root(sha);
  if (ctx.options.progress) ctx.options.progress(index, total);
  return Status::Ok();
}

}  // namespace

// A source that re-reads the (already verified) entries for the replay's Settle.
EventSource SettleSource(const Context& ctx, uint64_t end) {
  return [&ctx, end](const EventVisitor& fn) -> Status {
    auto reader = EntryReader::Open(EntriesPath(ctx));
    if (!reader.ok()) return reader.status();
    EntryRecord rec;
    for (uint64_t index = 0; index < end; ++index) {
      auto more = reader.value()->Next(&rec);
      if (!more.ok()) return more.status();
      if (!more.value()) return Status::Ok();
      const fb::Event* event = DecodeEvent(rec.bytes);
      if (event == nullptr) return Status::Corruption("entry " + std::to_string(index));
      if (Status s = fn(index, *event); !s.ok()) return s;
    }
    return Status::Ok();
  };
}

namespace {

void ReadManifest(Context& ctx) {
  const std::string file(bundle::kManifestFile);
  auto text = ReadSmallFile(ctx.options.dir + "/" + file, bundle::kManifestBytesMax);
  auto manifest = text.ok() ? ParseExactJson(text.value()) : Result<nlohmann::json>(text.status());
  if (!manifest.ok() || !manifest->is_object()) {
    AddFailure(ctx, {"manifest",
                     {},
                     {},
                     file,
                     "",
                     "",
                     manifest.ok() ? "not a JSON object" : manifest.status().message(),
                     {},
                     {}});
    return;
  }
  const nlohmann::json& m = manifest.value();
  if (m.value("format", "") != bundle::kFormat) {
    AddFailure(ctx, {"manifest",
                     {},
                     {},
                     file,
                     std::string(bundle::kFormat),
                     m.value("format", ""),
                     "not a bundle format this verifier reads",
                     {},
                     {}});
  }
  if (m.contains("tree_size") && m["tree_size"].is_number_unsigned()) {
    ctx.report.tree_size = m["tree_size"].get<uint64_t>();
  } else {
    AddFailure(ctx, {"manifest", {}, {}, file, "", "", "no tree_size", {}, {}});
  }
  ctx.report.origin = m.value("origin", "");
  if (m.contains("month") && m["month"].is_string()) ctx.manifest_month = m["month"];
  if (!ctx.options.origin.empty() && ctx.report.origin != ctx.options.origin) {
    AddFailure(ctx, {"manifest",
                     {},
                     {},
                     file,
                     ctx.options.origin,
                     ctx.report.origin,
                     "the bundle is of another log",
                     {},
                     {}});
  }
}

// The contracts and months an entry failure affects: what the entry touches, and every
// statement whose ledger prefix includes it.
std::string VoidTargetKey(const fb::Event& event) {
  const auto* v = event.data_as_EventVoided();
  if (v == nullptr || event.source() == nullptr || v->event_id() == nullptr) return {};
  return event.source()->str() + '\n' + v->event_id()->str();
}

// What each kept bad entry touches. A void touches what its target touches: the target is
// found by reading the entries before the first failure again (they verified).
std::map<uint64_t, EntryTouches> BadEntryTouches(Context& ctx, const SettlementReplay& replay) {
  std::map<uint64_t, EntryTouches> out;
  std::map<std::string, std::vector<uint64_t>> void_targets;  // target key -> bad voids
  for (const BadEntry& bad : ctx.bad_entries) {
    const fb::Event* event = DecodeEvent(bad.bytes);
    if (event == nullptr) continue;
    out[bad.index] = replay.Touches(bad.index, *event);
    if (std::string key = VoidTargetKey(*event); !key.empty()) {
      void_targets[key].push_back(bad.index);
    }
  }
  if (void_targets.empty()) return out;
  (void)SettleSource(ctx, replay.size())([&](uint64_t index, const fb::Event& event) {
    if (event.source() == nullptr || event.id() == nullptr) return Status::Ok();
    auto it = void_targets.find(event.source()->str() + '\n' + event.id()->str());
    if (it == void_targets.end()) return Status::Ok();
    const EntryTouches target = replay.Touches(index, event);
    for (uint64_t bad : it->second) {
      out[bad].contract_ids.insert(target.contract_ids.begin(), target.contract_ids.end());
      out[bad].months.insert(target.months.begin(), target.months.end());
    }
    return Status::Ok();
  });
  return out;
}

// The contracts and months an entry failure affects: what the entry touches, and every
// statement whose ledger prefix includes it.
void AddAffected(Context& ctx, const SettlementReplay* replay) {
  const std::map<uint64_t, EntryTouches> touches =
      replay ? BadEntryTouches(ctx, *replay) : std::map<uint64_t, EntryTouches>();
  for (BundleFailure& f : ctx.report.failures) {
    if (!f.index || f.check.rfind("entry_", 0) != 0) continue;
    for (const ParsedStatement& st : ctx.statements) {
      if (st.closed_at_tree_size > *f.index) f.months.insert(st.month);
    }
    if (auto it = touches.find(*f.index); it != touches.end()) {
      f.contracts.insert(it->second.contract_ids.begin(), it->second.contract_ids.end());
      f.months.insert(it->second.months.begin(), it->second.months.end());
    }
  }
}

bool AnyFailure(const Context& ctx, std::string_view check) {
  for (const BundleFailure& f : ctx.report.failures) {
    if (f.check == check) return true;
  }
  return false;
}

void Summarise(BundleReport& report) {
  report.ok = report.failures.empty();
  for (const BundleFailure& f : report.failures) {
    if (f.index && (!report.first_bad_index || *f.index < *report.first_bad_index)) {
      report.first_bad_index = f.index;
    }
    const bool checkpoint = f.check.rfind("checkpoint_", 0) == 0 && f.check != "checkpoint_missing";
    if (checkpoint && f.tree_size &&
        (!report.first_bad_checkpoint_size || *f.tree_size < *report.first_bad_checkpoint_size)) {
      report.first_bad_checkpoint_size = f.tree_size;
    }
    report.affected_contracts.insert(f.contracts.begin(), f.contracts.end());
    report.affected_months.insert(f.months.begin(), f.months.end());
  }
}

}  // namespace

void AddFailure(Context& ctx, BundleFailure failure) {
  ctx.report.failures.push_back(std::move(failure));
}

std::string EntriesPath(const Context& ctx) {
  return ctx.options.dir + "/" + std::string(bundle::kEntriesFile);
}

BundleReport VerifyBundle(const BundleOptions& options) {
  BundleReport report;
  Context ctx{options, report};
  if (options.trusted.empty()) {
    AddFailure(ctx, {"usage", {}, {}, "", "", "", "no trusted key given", {}, {}});
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(options.dir, ec)) {
    AddFailure(ctx, {"bundle", {}, {}, options.dir, "", "", "no such directory", {}, {}});
    Summarise(report);
    return report;
  }
  ReadManifest(ctx);
  ReadCheckpoints(ctx);
  ReadStatements(ctx);
  ReadProofs(ctx);
  std::optional<ParsedCheckpoint> last;
  if (!options.last_checkpoint.empty()) {
    auto parsed = ReadLastCheckpoint(ctx);
    if (parsed.ok()) {
      last = std::move(parsed.value());
    } else {
      AddFailure(
          ctx, {"growth", {}, {}, "(last checkpoint)", "", "", parsed.status().message(), {}, {}});
    }
  }
  // One pass: hashes, tree and the replay's state together.
  auto replay =
      SettlementReplay::Load([&ctx](const EventVisitor& fn) { return HashPass(ctx, fn); });
  if (!replay.ok()) {
    ctx.entries_ok = false;
    AddFailure(ctx, {"replay",
                     {},
                     {},
                     std::string(bundle::kEntriesFile),
                     "",
                     "",
                     replay.status().message(),
                     {},
                     {}});
  }
  if (ctx.count != report.tree_size) {
    const uint64_t first_missing = std::min(ctx.count, report.tree_size);
    AddFailure(ctx, {"entry_count",
                     first_missing,
                     {},
                     std::string(bundle::kEntriesFile),
                     std::to_string(report.tree_size),
                     std::to_string(ctx.count),
                     "the bundle has a different number of entries than its manifest says",
                     {},
                     {}});
  }
  CheckCheckpoints(ctx);
  if (last) CheckGrowth(ctx, *last);
  CheckProofs(ctx);
  const SettlementReplay* r = replay.ok() ? replay.value().get() : nullptr;
  // Statements are recomputed only from entries the signed roots vouch for.
  CheckStatements(ctx, ctx.entries_ok && !AnyFailure(ctx, "checkpoint_root") ? r : nullptr);
  AddAffected(ctx, r);
  Summarise(report);
  return report;
}

}  // namespace gpuledger::verify
