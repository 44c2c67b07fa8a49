// export bundle: what an auditor needs to check the ledger offline with gpuledger-verify —
// the entries up to a signed checkpoint, the checkpoints, their public keys and the closed
// months' frozen statements (layout: ledger/audit/bundle_format.h, docs/bundle.md).
#include "tools/export/bundle_export.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "ledger/audit/bundle_format.h"
#include "ledger/audit/merkle.h"
#include "ledger/audit/note.h"
#include "schemas/ledger_entry_generated.h"
#include "tools/export/report_table.h"

namespace gpuledger {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

// What ExportBundle was given, for the steps below.
struct BundleArgs {
  const std::string& month;
  const BundleProjectionsFn& projections;
  const ProgressFn& progress;
};

Status WriteFile(const fs::path& path, std::string_view bytes) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file.write(bytes.data(), static_cast<std::streamsize>(bytes.size())) || !file.flush()) {
    return Status::IOError("cannot write " + path.string());
  }
  return Status::Ok();
}

// What the bundle's entries say about closes: each period.closed, and every void's target.
struct ClosesSeen {
  struct Close {
    uint64_t index = 0;
    std::string key, month;  // key: source "\n" id
  };
  std::vector<Close> closes;
  std::set<std::string> voided;  // source "\n" event_id of every void

  void Note(uint64_t index, std::string_view stored) {
    flatbuffers::Verifier verifier(reinterpret_cast<const uint8_t*>(stored.data()), stored.size());
    if (!fb::VerifyLedgerEntryBuffer(verifier)) return;
    if (fb::GetLedgerEntry(stored.data())->event() == nullptr) return;
    const fb::Event* event = fb::GetLedgerEntry(stored.data())->event_nested_root();
    if (event == nullptr || event->source() == nullptr || event->id() == nullptr) return;
    const std::string source = event->source()->str();
    if (const auto* closed = event->data_as_PeriodClosed(); closed && closed->month()) {
      closes.push_back({index, source + "\n" + event->id()->str(), closed->month()->str()});
    } else if (const auto* v = event->data_as_EventVoided(); v && v->event_id()) {
      voided.insert(source + "\n" + v->event_id()->str());
    }
  }
  // Month -> the index of its live close among these entries (a month is closed again
  // only after its close is voided, so the last unvoided close is the live one).
  std::map<std::string, uint64_t> LiveCloses() const {
    std::map<std::string, uint64_t> live;
    for (const Close& c : closes) {
      if (!voided.count(c.key)) live[c.month] = c.index;
    }
    return live;
  }
};

struct EntriesWritten {
  uint64_t bytes = 0;
  Hash256 root{}, chain{};
  ClosesSeen closes;
};

// entries.bin for [0, tree_size): each entry with its leaf and chain hash, recomputed here
// from the stored bytes; the root they make is compared with the checkpoint's by the caller.
Result<EntriesWritten> WriteEntries(const Ledger& ledger, uint64_t tree_size, const fs::path& path,
                                    const ProgressFn& progress) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) return Status::IOError("cannot create " + path.string());
  file << bundle::kEntriesMagic;
  EntriesWritten out;
  out.bytes = bundle::kEntriesMagic.size();
  Sha256 sha;
  MerkleFrontier frontier;
  Status s = ledger.ScanEntries(
      0, tree_size, [&](uint64_t index, std::string_view stored) -> Result<bool> {
        if (stored.size() > bundle::kEntryBytesMax) {
          return Status::Corruption("entry " + std::to_string(index) + " is too large to export");
        }
        const Hash256 leaf = LeafHash(sha, stored);
        out.chain = ChainHash(sha, out.chain, leaf);
        frontier.Append(sha, leaf, [](const SubtreeNode&) {});
        char length[bundle::kLengthBytes];
        for (size_t i = 0; i < bundle::kLengthBytes; ++i) {
          length[i] = static_cast<char>(stored.size() >> (8 * (bundle::kLengthBytes - 1 - i)));
        }
        file.write(length, sizeof length);
        file.write(stored.data(), static_cast<std::streamsize>(stored.size()));
        file.write(reinterpret_cast<const char*>(leaf.data()), leaf.size());
        file.write(reinterpret_cast<const char*>(out.chain.data()), out.chain.size());
        out.bytes += sizeof length + stored.size() + bundle::kRecordTrailerBytes;
        out.closes.Note(index, stored);
        if (progress) progress(index + 1, tree_size);
        return true;
      });
  if (!s.ok()) return s;
  if (!file.flush()) return Status::IOError("cannot write " + path.string());
  out.root = frontier.Root(sha);
  return out;
}

// statements/<month>.json: the figures frozen at the month's live close, one row per
// contract live at the close (a row whose frozen side is missing has committed 0: every
// contract active in a month commits at least one GPU-hour).
std::string StatementJson(const std::string& month, uint64_t closed_at, const Hash256& root,
                          const std::vector<SettlementRow>& rows) {
  std::vector<SettlementRow> frozen;
  for (const SettlementRow& row : rows) {
    if (row.frozen.committed_gpu_seconds == 0) continue;
    SettlementRow r = row;
    r.current = row.frozen;
    r.closed = false;
    frozen.push_back(std::move(r));
  }
  ordered_json head = {{"format", bundle::kStatementFormat},
                       {"month", month},
                       {"closed_at_tree_size", closed_at},
                       {"closed_at_root", ToHex(root)}};
  std::string text = head.dump();
  text.pop_back();  // '}': the rows follow as the settlement report prints them
  std::string table = SettlementTable(frozen, /*closed=*/false).Json();
  return text + ",\"rows\":" + table.substr(0, table.size() - 1) + "}\n";
}

struct Statement {
  std::string month;
  uint64_t closed_at_tree_size = 0;
};

// One statement per month closed within the bundle. The projections hold the figures
// frozen at the live close; when the ledger has moved on since the bundle's checkpoint and
// that close was voided (or the month closed again) after it, they no longer have them.
Result<std::vector<Statement>> WriteStatements(const Ledger& ledger, const BundleArgs& args,
                                               const ClosesSeen& seen, const fs::path& dir) {
  std::map<std::string, uint64_t> live = seen.LiveCloses();
  if (!args.month.empty()) {
    if (!live.count(args.month)) {
      return Status::InvalidArgument("month " + args.month + " is not closed within the bundle");
    }
    live = {{args.month, live[args.month]}};
  }
  if (live.empty()) return std::vector<Statement>();  // no close: no projections needed
  auto projections = args.projections();
  if (!projections.ok()) return projections.status();
  std::vector<Statement> written;
  for (const auto& [month, close_index] : live) {
    auto rows = projections.value()->Settlement(month);
    if (!rows.ok()) return rows.status();
    auto closed = projections.value()->IsClosed(month);
    if (!closed.ok()) return closed.status();
    const bool same_close =
        closed.value() && (rows->empty() || rows->front().closed_at_tree_size == close_index);
    if (!same_close) {
      return Status::InvalidArgument(
          "the close of " + month + " at entry " + std::to_string(close_index) +
          " was voided after the bundle's checkpoint: sign a checkpoint of the current size "
          "(export bundle --key FILE) to export it");
    }
    auto root = ledger.RootAt(close_index);
    if (!root.ok()) return root.status();
    const std::string json = StatementJson(month, close_index, root.value(), rows.value());
    if (Status s = WriteFile(dir / bundle::StatementFile(month), json); !s.ok()) return s;
    written.push_back({month, close_index});
  }
  return written;
}

Result<CheckpointRecord> BundleCheckpoint(Ledger& ledger, const std::vector<std::string>& keys) {
  if (!keys.empty()) return ledger.SignCheckpoint(keys);
  auto latest = ledger.LatestCheckpoint();
  if (!latest.ok()) return latest.status();
  if (!latest->has_value()) {
    return Status::InvalidArgument(
        "the ledger has no signed checkpoint: run `gpuledger checkpoint --key FILE` first, or "
        "give --key to sign one now");
  }
  return std::move(latest->value());
}

Status WriteCheckpointsAndKeys(const Ledger& ledger, uint64_t tree_size, const fs::path& dir,
                               ordered_json* manifest) {
  auto records = ledger.Checkpoints(0, tree_size + 1);
  if (!records.ok()) return records.status();
  ordered_json list = ordered_json::array();
  for (const CheckpointRecord& record : records.value()) {
    const std::string file = bundle::CheckpointFile(record.tree_size);
    if (Status s = WriteFile(dir / file, record.note); !s.ok()) return s;
    list.push_back({{"file", file}, {"tree_size", record.tree_size}});
  }
  (*manifest)["checkpoints"] = list;
  auto keys = ledger.CheckpointKeys();
  if (!keys.ok()) return keys.status();
  ordered_json key_list = ordered_json::array();
  for (size_t i = 0; i < keys->size(); ++i) {
    const std::string file = std::string(bundle::kKeysDir) + "/key-" + std::to_string(i) + ".vkey";
    if (Status s = WriteFile(dir / file, keys.value()[i] + "\n"); !s.ok()) return s;
    key_list.push_back({{"file", file}, {"vkey", keys.value()[i]}});
  }
  (*manifest)["keys"] = key_list;
  return Status::Ok();
}

Status WriteBundle(Ledger& ledger, const BundleArgs& args,
                   const std::vector<std::string>& signer_keys, const fs::path& dir,
                   ordered_json* manifest) {
  auto checkpoint = BundleCheckpoint(ledger, signer_keys);
  if (!checkpoint.ok()) return checkpoint.status();
  auto parsed = audit::ParseSignedCheckpoint(checkpoint->note);
  if (!parsed.ok()) return parsed.status();
  const audit::Checkpoint& body = parsed->body;
  const uint64_t size = body.tree_size;
  auto entries = WriteEntries(ledger, size, dir / bundle::kEntriesFile, args.progress);
  if (!entries.ok()) return entries.status();
  if (entries->root != body.root) {
    return Status::Corruption(
        "the ledger's entries do not make the root of its checkpoint of "
        "size " +
        std::to_string(size) + ": run `gpuledger verify`");
  }
  *manifest = {
      {"format", bundle::kFormat},
      {"origin", body.origin},
      {"tree_size", size},
      {"root", ToHex(body.root)},
      {"chain_head", ToHex(entries->chain)},
      {"entries", {{"file", bundle::kEntriesFile}, {"count", size}, {"bytes", entries->bytes}}}};
  if (Status s = WriteCheckpointsAndKeys(ledger, size, dir, manifest); !s.ok()) return s;
  auto statements = WriteStatements(ledger, args, entries->closes, dir);
  if (!statements.ok()) return statements.status();
  ordered_json list = ordered_json::array();
  for (const Statement& st : statements.value()) {
    list.push_back({{"file", bundle::StatementFile(st.month)},
                    {"month", st.month},
                    {"closed_at_tree_size", st.closed_at_tree_size}});
  }
  (*manifest)["statements"] = list;
  (*manifest)["month"] = args.month.empty() ? ordered_json() : ordered_json(args.month);
  return WriteFile(dir / bundle::kManifestFile, manifest->dump(2) + "\n");
}

}  // namespace

Result<nlohmann::ordered_json> ExportBundle(Ledger& ledger, const BundleProjectionsFn& projections,
                                            const std::string& out_given, const std::string& month,
                                            const std::vector<std::string>& signer_key_texts,
                                            const ProgressFn& progress) {
  // "DIR/" is DIR: the partial directory must be DIR's sibling, not its child.
  std::string out = out_given;
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  std::error_code ec;
  if (fs::exists(out, ec) && !fs::is_empty(out, ec)) {
    return Status::InvalidArgument(out + " exists and is not empty");
  }
  // Written beside the target and renamed at the end: a failed export leaves no bundle.
  // The name is this process's own, so nothing else's directory is ever removed.
  const fs::path partial = out + ".partial-" + std::to_string(::getpid());
  fs::remove_all(partial, ec);
  for (std::string_view sub : {bundle::kCheckpointsDir, bundle::kKeysDir, bundle::kStatementsDir}) {
    fs::create_directories(partial / sub, ec);
    if (ec) return Status::IOError("cannot create " + partial.string() + ": " + ec.message());
  }
  const BundleArgs args{month, projections, progress};
  ordered_json manifest;
  Status s = WriteBundle(ledger, args, signer_key_texts, partial, &manifest);
  if (s.ok()) {
    fs::remove(out, ec);  // an empty directory, if any
    fs::rename(partial, out, ec);
    if (ec) s = Status::IOError("cannot rename " + partial.string() + ": " + ec.message());
  }
  if (!s.ok()) {
    fs::remove_all(partial, ec);
    return s;
  }
  ordered_json summary = {{"out", out},
                          {"tree_size", manifest["tree_size"]},
                          {"root", manifest["root"]},
                          {"entries_bytes", manifest["entries"]["bytes"]},
                          {"checkpoints", manifest["checkpoints"].size()},
                          {"statements", ordered_json::array()}};
  for (const auto& st : manifest["statements"]) summary["statements"].push_back(st["month"]);
  return summary;
}

}  // namespace gpuledger
