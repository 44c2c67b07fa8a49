// The two forms of a ProofDocument (JSON and C2SP-shaped text, specified in proof.h) and
// their strict, bounded parser.
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "ledger/audit/proof.h"

namespace gpuledger::audit {
namespace {

constexpr std::string_view kInclusionHeader = "gpuledger.inclusion-proof/v1";
constexpr std::string_view kConsistencyHeader = "gpuledger.consistency-proof/v1";
constexpr size_t kBase64HashChars = 44;  // 4 * ceil(32 / 3), one '=' of padding

std::string HashToBase64(const Hash256& hash) {
  std::array<unsigned char, kBase64HashChars + 1> out{};  // EVP_EncodeBlock adds a NUL
  const int written = EVP_EncodeBlock(out.data(), hash.data(), static_cast<int>(hash.size()));
  return std::string(reinterpret_cast<const char*>(out.data()), static_cast<size_t>(written));
}

// Strict: exactly 44 characters that re-encode to themselves, so whitespace, missing or
// extra padding and non-zero trailing bits (which EVP_DecodeBlock would let through) fail.
bool HashFromBase64(std::string_view text, Hash256* out) {
  if (text.size() != kBase64HashChars) return false;
  std::array<unsigned char, 3 * kBase64HashChars / 4> decoded{};  // padding decodes too
  const int size =
      EVP_DecodeBlock(decoded.data(), reinterpret_cast<const unsigned char*>(text.data()),
                      static_cast<int>(text.size()));
  if (size != static_cast<int>(decoded.size())) return false;
  Hash256 hash;
  std::copy_n(decoded.begin(), hash.size(), hash.begin());
  if (HashToBase64(hash) != text) return false;
  *out = hash;
  return true;
}

// Lowercase only: the form ProofToJson writes, so one proof has one spelling.
bool HashFromLowerHex(std::string_view text, Hash256* out) {
  if (std::any_of(text.begin(), text.end(), [](char c) { return c >= 'A' && c <= 'F'; })) {
    return false;
  }
  return FromHex(text, out);
}

bool ParseDecimal(std::string_view text, uint64_t* out) {
  if (text.empty() || (text.size() > 1 && text[0] == '0')) return false;
  if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return error == std::errc() && end == text.data() + text.size();  // errc: overflow
}

// ---------------------------------------------------------------------------------------
// JSON

using Json = nlohmann::json;

bool JsonHash(const Json& object, const char* key, Hash256* out) {
  const Json& value = object.at(key);
  return value.is_string() && HashFromLowerHex(value.get_ref<const std::string&>(), out);
}

bool JsonSize(const Json& object, const char* key, uint64_t* out) {
  const Json& value = object.at(key);
  if (!value.is_number_unsigned()) return false;  // negatives, fractions and >= 2^64 fail
  *out = value.get<uint64_t>();
  return true;
}

Result<ProofDocument> ProofFromJson(const Json& json) {
  auto bad = [](const std::string& why) { return Status::InvalidArgument("proof JSON: " + why); };
  if (!json.is_object()) return bad("not an object");
  if (!json.contains("type") || !json.at("type").is_string()) return bad("no \"type\"");
  ProofDocument doc;
  const std::string& type = json.at("type").get_ref<const std::string&>();
  std::vector<const char*> keys = {"type", "tree_size", "root", "proof"};
  if (type == "inclusion") {
    doc.kind = ProofDocument::Kind::kInclusion;
    keys.insert(keys.end(), {"leaf_index", "leaf_hash"});
  } else if (type == "consistency") {
    doc.kind = ProofDocument::Kind::kConsistency;
    keys.insert(keys.end(), {"old_size", "old_root"});
  } else {
    return bad("unknown type \"" + type + "\"");
  }
  for (const char* key : keys) {
    if (!json.contains(key)) return bad(std::string("missing \"") + key + "\"");
  }
  if (json.size() != keys.size()) return bad("unexpected keys");
  const bool inclusion = doc.kind == ProofDocument::Kind::kInclusion;
  if (!JsonSize(json, "tree_size", &doc.tree_size)) return bad("bad \"tree_size\"");
  if (!JsonHash(json, "root", &doc.root)) return bad("bad \"root\"");
  if (inclusion ? !JsonSize(json, "leaf_index", &doc.index)
                : !JsonSize(json, "old_size", &doc.old_size)) {
    return bad(inclusion ? "bad \"leaf_index\"" : "bad \"old_size\"");
  }
  if (inclusion ? !JsonHash(json, "leaf_hash", &doc.leaf_hash)
                : !JsonHash(json, "old_root", &doc.old_root)) {
    return bad(inclusion ? "bad \"leaf_hash\"" : "bad \"old_root\"");
  }
  const Json& proof = json.at("proof");
  if (!proof.is_array() || proof.size() > kProofHashesMax) return bad("bad \"proof\"");
  for (const Json& element : proof) {
    Hash256 hash;
    if (!element.is_string() || !HashFromLowerHex(element.get_ref<const std::string&>(), &hash)) {
      return bad("bad hash in \"proof\"");
    }
    doc.proof.push_back(hash);
  }
  return doc;
}

Result<ProofDocument> ParseJsonProof(std::string_view bytes) {
  // nlohmann keeps the last of duplicate keys silently; a proof with two "root"s is
  // ambiguous, so the parser callback refuses them.
  std::set<std::string> keys;
  bool duplicate = false;
  try {
    const Json json = Json::parse(
        bytes.begin(), bytes.end(),
        [&](int depth, Json::parse_event_t event, Json& parsed) {
          if (event == Json::parse_event_t::key && depth == 1 &&
              !keys.insert(parsed.get<std::string>()).second) {
            duplicate = true;
          }
          return true;
        },
        /*allow_exceptions=*/false);
    if (json.is_discarded()) return Status::InvalidArgument("proof JSON: not valid JSON");
    if (duplicate) return Status::InvalidArgument("proof JSON: duplicate key");
    return ProofFromJson(json);
  } catch (const Json::exception& e) {
    return Status::InvalidArgument(std::string("proof JSON: ") + e.what());
  }
}

// ---------------------------------------------------------------------------------------
// Text

// Splits into lines, each of which must end in '\n'.
bool SplitLines(std::string_view bytes, std::vector<std::string_view>* lines) {
  if (bytes.empty() || bytes.back() != '\n') return false;
  while (!bytes.empty()) {
    const size_t newline = bytes.find('\n');
    if (newline == std::string_view::npos) return false;  // cannot happen; never loop on it
    lines->push_back(bytes.substr(0, newline));
    bytes.remove_prefix(newline + 1);
  }
  return true;
}

// "<keyword> <value>" with a non-empty value -> true and the value.
bool Keyword(std::string_view line, std::string_view keyword, std::string_view* value) {
  if (line.size() <= keyword.size() + 1 || line.substr(0, keyword.size()) != keyword ||
      line[keyword.size()] != ' ') {
    return false;
  }
  *value = line.substr(keyword.size() + 1);
  return true;
}

Result<ProofDocument> ParseTextProof(std::string_view bytes) {
  auto bad = [](const std::string& why) { return Status::InvalidArgument("proof text: " + why); };
  std::vector<std::string_view> lines;
  if (!SplitLines(bytes, &lines)) return bad("does not end in a newline");
  ProofDocument doc;
  if (lines[0] == kInclusionHeader) {
    doc.kind = ProofDocument::Kind::kInclusion;
  } else if (lines[0] == kConsistencyHeader) {
    doc.kind = ProofDocument::Kind::kConsistency;
  } else {
    return bad("unknown header line");
  }
  const bool inclusion = doc.kind == ProofDocument::Kind::kInclusion;
  constexpr size_t kHeadLines = 5;
  if (lines.size() < kHeadLines) return bad("too few lines");
  if (lines.size() - kHeadLines > kProofHashesMax) return bad("too many proof hashes");
  std::string_view value;
  if (!Keyword(lines[1], inclusion ? "index" : "old", &value) ||
      !ParseDecimal(value, inclusion ? &doc.index : &doc.old_size)) {
    return bad(inclusion ? "line 2 is not \"index <decimal>\"" : "line 2 is not \"old <decimal>\"");
  }
  if (!Keyword(lines[2], inclusion ? "size" : "new", &value) ||
      !ParseDecimal(value, &doc.tree_size)) {
    return bad(inclusion ? "line 3 is not \"size <decimal>\"" : "line 3 is not \"new <decimal>\"");
  }
  if (!Keyword(lines[3], inclusion ? "leaf" : "old-root", &value) ||
      !HashFromBase64(value, inclusion ? &doc.leaf_hash : &doc.old_root)) {
    return bad(inclusion ? "line 4 is not \"leaf <base64>\""
                         : "line 4 is not \"old-root <base64>\"");
  }
  if (!Keyword(lines[4], inclusion ? "root" : "new-root", &value) ||
      !HashFromBase64(value, &doc.root)) {
    return bad(inclusion ? "line 5 is not \"root <base64>\""
                         : "line 5 is not \"new-root <base64>\"");
  }
  for (size_t i = kHeadLines; i < lines.size(); ++i) {
    Hash256 hash;
    if (!HashFromBase64(lines[i], &hash)) {
      return bad("line " + std::to_string(i + 1) + " is not a base64 hash");
    }
    doc.proof.push_back(hash);
  }
  return doc;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Documents

std::string ProofToJson(const ProofDocument& doc) {
  nlohmann::ordered_json json;
  if (doc.kind == ProofDocument::Kind::kInclusion) {
    json["type"] = "inclusion";
    json["leaf_index"] = doc.index;
    json["leaf_hash"] = ToHex(doc.leaf_hash);
  } else {
    json["type"] = "consistency";
    json["old_size"] = doc.old_size;
    json["old_root"] = ToHex(doc.old_root);
  }
  json["tree_size"] = doc.tree_size;
  json["root"] = ToHex(doc.root);
  json["proof"] = nlohmann::ordered_json::array();
  for (const Hash256& hash : doc.proof) json["proof"].push_back(ToHex(hash));
  return json.dump();
}

std::string ProofToText(const ProofDocument& doc) {
  const bool inclusion = doc.kind == ProofDocument::Kind::kInclusion;
  std::string text(inclusion ? kInclusionHeader : kConsistencyHeader);
  text += '\n';
  text +=
      (inclusion ? "index " : "old ") + std::to_string(inclusion ? doc.index : doc.old_size) + '\n';
  text += (inclusion ? "size " : "new ") + std::to_string(doc.tree_size) + '\n';
  text += (inclusion ? "leaf " : "old-root ") +
          HashToBase64(inclusion ? doc.leaf_hash : doc.old_root) + '\n';
  text += (inclusion ? "root " : "new-root ") + HashToBase64(doc.root) + '\n';
  for (const Hash256& hash : doc.proof) text += HashToBase64(hash) + '\n';
  return text;
}

Result<ProofDocument> ParseProof(std::string_view bytes) {
  if (bytes.size() > kProofFileBytesMax) {
    return Status::InvalidArgument("proof: larger than " + std::to_string(kProofFileBytesMax) +
                                   " bytes");
  }
  const size_t first = bytes.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && bytes[first] == '{') return ParseJsonProof(bytes);
  return ParseTextProof(bytes);
}

Status VerifyProofDocument(const ProofDocument& doc) {
  if (doc.proof.size() > kProofHashesMax) return Status::Corruption("proof: too many hashes");
  if (doc.kind == ProofDocument::Kind::kInclusion) {
    return VerifyInclusion(doc.leaf_hash, doc.index, doc.tree_size, doc.proof, doc.root);
  }
  return VerifyConsistency(doc.old_size, doc.tree_size, doc.proof, doc.old_root, doc.root);
}

}  // namespace gpuledger::audit
