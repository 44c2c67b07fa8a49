// Tests for ledger/audit/note: base64, signed-note keys and signed notes, first against the
// published vectors of golang.org/x/mod/sumdb/note (note_test.go) and c2sp.org/signed-note,
// then the strictness the format asks for. Checkpoints and cosignatures:
// note_checkpoint_test.cc.
#include "ledger/audit/note.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace gpuledger::audit {
namespace {

// golang.org/x/mod sumdb/note/note_test.go (TestNewVerifier, TestNewSigner, TestSign,
// TestOpen, TestVerifierList).
constexpr std::string_view kPeterVkey =
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
constexpr std::string_view kPeterSkey =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
constexpr std::string_view kEnochVkey =
    "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
constexpr std::string_view kGoText =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
constexpr std::string_view kPeterSig =
    "— PeterNeumann "
    "x08go/ZJkuBS9UG/"
    "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
constexpr std::string_view kEnochSig =
    "— EnochRoot "
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/"
    "5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

// c2sp.org/signed-note's verifier-key example (as of C2SP commit d4c16da5).
constexpr std::string_view kSpecVkey =
    "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
constexpr std::string_view kSpecNote =
    "This is an example message.\n\n— example.com/foo "
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM="
    "\n";
// c2sp.org/signed-note's opening example: a text with an empty line inside, no public key.
constexpr std::string_view kSpecPoemNote =
    "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n\n"
    "— quasimodo.example/salvatore "
    "NnugSzTjtVAewIS+Z/iJhUPeFDkO/"
    "5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n";

// transparency-dev/formats note/note_cosigv1_test.go: a type 0x01 key whose base64 holds a
// '+', and a witness's type 0x04 (tlog-cosignature/v1) key.
constexpr std::string_view kPlusVkey = "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6";
constexpr std::string_view kRemoraVkey =
    "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2";

std::string S(std::string_view s) { return std::string(s); }

VerifierKey MustVkey(std::string_view text) {
  auto key = ParseVerifierKey(text);
  EXPECT_TRUE(key.ok()) << text << ": " << key.status().message();
  return key.ok() ? key.value() : VerifierKey{};
}

Note MustNote(std::string_view text) {
  auto note = ParseNote(text);
  EXPECT_TRUE(note.ok()) << note.status().message();
  return note.ok() ? note.value() : Note{};
}

TEST(NoteBase64Test, Rfc4648VectorsAndStrictness) {
  const std::vector<std::pair<std::string, std::string>> vectors = {{"", ""},
                                                                    {"f", "Zg=="},
                                                                    {"fo", "Zm8="},
                                                                    {"foo", "Zm9v"},
                                                                    {"foob", "Zm9vYg=="},
                                                                    {"fooba", "Zm9vYmE="},
                                                                    {"foobar", "Zm9vYmFy"}};
  for (const auto& [bytes, text] : vectors) {
    EXPECT_EQ(Base64Encode(bytes), text);
    auto decoded = Base64Decode(text);
    ASSERT_TRUE(decoded.ok()) << text;
    EXPECT_EQ(decoded.value(), bytes);
  }
  for (const char* bad : {"Zg", "Zg=", "Zg===", "Zh==", "Zm9=", "Zm9v\n", " Zm9v", "Zm9v ", "Zm=v",
                          "Z===", "====", "Zg==Zm9v", "Zm9v-_8=", "Zm9v\r\n", "Zm\n9v"}) {
    EXPECT_FALSE(Base64Decode(bad).ok()) << bad;
  }
  // Longer than Base64Encode's chunk, so the chunks must join seamlessly.
  std::mt19937 rng(7);
  std::string bytes(100'001, '\0');
  for (char& c : bytes) c = static_cast<char>(rng());
  auto decoded = Base64Decode(Base64Encode(bytes));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded.value(), bytes);
}

TEST(NoteKeyTest, PublishedKeysParseAndEncodeBack) {
  const VerifierKey peter = MustVkey(kPeterVkey);
  EXPECT_EQ(peter.name, "PeterNeumann");
  EXPECT_EQ(peter.type, kKeyTypeEd25519);
  EXPECT_EQ(peter.key_id, 0xc74f20a3u);
  EXPECT_EQ(KeyId(peter.name, kKeyTypeEd25519, peter.public_key), 0xc74f20a3u);
  auto signer = ParseSignerKey(kPeterSkey);
  ASSERT_TRUE(signer.ok()) << signer.status().message();
  EXPECT_EQ(signer->verifier.name, peter.name);
  EXPECT_EQ(signer->verifier.public_key, peter.public_key);  // derived from the seed
  EXPECT_EQ(signer->verifier.key_id, peter.key_id);
  EXPECT_EQ(EncodeSignerKey(signer.value()), kPeterSkey);

  for (std::string_view text : {kPeterVkey, kEnochVkey, kSpecVkey, kPlusVkey, kRemoraVkey}) {
    const VerifierKey key = MustVkey(text);
    EXPECT_EQ(EncodeVerifierKey(key), text);
    EXPECT_EQ(KeyId(key.name, key.type, key.public_key), key.key_id) << text;
  }
  const VerifierKey spec = MustVkey(kSpecVkey);
  EXPECT_EQ(spec.key_id, 0x530d903au);
  EXPECT_EQ(ToHex(spec.public_key),
            "e932791ae6e7a840a46164c904786426d5e7821dd8b29a00d61cae72afdd4da4");
  const VerifierKey remora = MustVkey(kRemoraVkey);
  EXPECT_EQ(remora.type, kKeyTypeCosignature);
  EXPECT_EQ(remora.key_id, 0xda77ade7u);
}

// Go's TestNewVerifier and TestNewSigner: every proper substring and every one-byte change
// of a key must be refused.
TEST(NoteKeyTest, GoManglingsAreRefused) {
  for (const bool signer : {false, true}) {
    std::string b = S(signer ? kPeterSkey : kPeterVkey);
    auto refused = [signer](const std::string& k) {
      return signer ? !ParseSignerKey(k).ok() : !ParseVerifierKey(k).ok();
    };
    for (size_t i = 0; i <= b.size(); ++i) {
      for (size_t j = i + 1; j <= b.size(); ++j) {
        if (i == 0 && j == b.size()) continue;
        EXPECT_TRUE(refused(b.substr(i, j - i))) << i << " " << j;
      }
    }
    for (char& c : b) {
      ++c;
      EXPECT_TRUE(refused(b)) << b;
      --c;
    }
  }
  // Wrong key length and unknown algorithm, each with its key id adjusted.
  EXPECT_FALSE(
      ParseVerifierKey("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==")
          .ok());
  EXPECT_FALSE(
      ParseVerifierKey("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW").ok());
  // Ours is stricter than Go here: the key id is the lowercase hex it is written in.
  EXPECT_FALSE(
      ParseVerifierKey("PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW").ok());
}

TEST(NoteKeyTest, NamesAndTypesAreChecked) {
  for (const char* bad : {"", "a b", "a+b", "a\tb", "a\nb", "a\u00a0b", "a\u3000", "a\u2028",
                          "\xFF", "a\x01", "\xC0\xAF"}) {
    EXPECT_FALSE(GenerateSignerKey(bad).ok()) << bad;
  }
  for (const char* good : {"example.com/log", "gpuledger.example/ministry", "\u00fc-key"}) {
    EXPECT_TRUE(GenerateSignerKey(good).ok()) << good;
  }
  EXPECT_FALSE(GenerateSignerKey("example.com/log", 0x02).ok());
}

TEST(NoteKeyTest, GeneratedKeysRoundTrip) {
  for (const uint8_t type : {kKeyTypeEd25519, kKeyTypeCosignature}) {
    auto key = GenerateSignerKey("gpuledger.example/log", type);
    ASSERT_TRUE(key.ok()) << key.status().message();
    const std::string skey = EncodeSignerKey(key.value());
    EXPECT_TRUE(skey.starts_with("PRIVATE+KEY+gpuledger.example/log+"));
    auto parsed = ParseSignerKey(skey);
    ASSERT_TRUE(parsed.ok()) << parsed.status().message();
    EXPECT_EQ(parsed->seed, key->seed);
    EXPECT_EQ(parsed->verifier.public_key, key->verifier.public_key);
    EXPECT_EQ(parsed->verifier.key_id, KeyId(key->verifier.name, type, key->verifier.public_key));
    EXPECT_EQ(parsed->verifier.type, type);
    EXPECT_EQ(EncodeVerifierKey(MustVkey(EncodeVerifierKey(key->verifier))),
              EncodeVerifierKey(key->verifier));
    auto other = GenerateSignerKey("gpuledger.example/log", type);
    ASSERT_TRUE(other.ok());
    EXPECT_NE(other->seed, key->seed);
  }
}

// Ed25519 is deterministic: our signature of Go's text with Go's key is Go's, byte for byte.
TEST(SignedNoteTest, GoVectorSignatureIsReproduced) {
  auto signer = ParseSignerKey(kPeterSkey);
  ASSERT_TRUE(signer.ok());
  auto signature = SignNoteText(signer.value(), kGoText);
  ASSERT_TRUE(signature.ok()) << signature.status().message();
  EXPECT_EQ(signature->key_id, 0xc74f20a3u);
  EXPECT_EQ(FormatNote({S(kGoText), {signature.value()}}), S(kGoText) + "\n" + S(kPeterSig));
}

TEST(SignedNoteTest, PublishedNotesOpen) {
  const std::vector<std::pair<std::string_view, std::string>> cases = {
      {kPeterVkey, S(kGoText) + "\n" + S(kPeterSig)},
      {kEnochVkey, S(kGoText) + "\n" + S(kEnochSig)},
      {kSpecVkey, S(kSpecNote)}};
  for (const auto& [vkey, text] : cases) {
    const VerifierKey key = MustVkey(vkey);
    const Note note = MustNote(text);
    EXPECT_EQ(FormatNote(note), text);
    auto verified = VerifyNote(note, {key});
    ASSERT_TRUE(verified.ok()) << vkey << ": " << verified.status().message();
    EXPECT_EQ(verified->verified_by, std::vector<std::string>{S(vkey.substr(0, vkey.rfind('+')))});
    EXPECT_EQ(verified->unknown_signatures, 0u);
  }
  // The text ends at the last blank line, so it may hold blank lines of its own.
  const Note poem = MustNote(kSpecPoemNote);
  EXPECT_EQ(poem.text,
            "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\n"
            "ed è subito sera.\n");
  ASSERT_EQ(poem.signatures.size(), 1u);
  EXPECT_EQ(poem.signatures[0].name, "quasimodo.example/salvatore");
  EXPECT_EQ(FormatNote(poem), kSpecPoemNote);
  EXPECT_EQ(VerifyNote(poem, {MustVkey(kPeterVkey)}).status().code(), Status::Code::kNotFound);
}

// Go's TestOpen: signatures by keys nobody trusts are ignored, and a note that only such
// keys signed is refused.
TEST(SignedNoteTest, UnknownKeysAreIgnored) {
  const VerifierKey peter = MustVkey(kPeterVkey);
  const VerifierKey enoch = MustVkey(kEnochVkey);
  const Note both = MustNote(S(kGoText) + "\n" + S(kPeterSig) + S(kEnochSig));
  auto one = VerifyNote(both, {peter});
  ASSERT_TRUE(one.ok()) << one.status().message();
  EXPECT_EQ(one->verified_by, std::vector<std::string>{"PeterNeumann+c74f20a3"});
  EXPECT_EQ(one->unknown_signatures, 1u);
  auto two = VerifyNote(both, {enoch, peter});
  ASSERT_TRUE(two.ok()) << two.status().message();
  EXPECT_EQ(two->verified_by,
            (std::vector<std::string>{"PeterNeumann+c74f20a3", "EnochRoot+af0cfe78"}));
  EXPECT_EQ(two->unknown_signatures, 0u);
  EXPECT_EQ(VerifyNote(both, {}).status().code(), Status::Code::kNotFound);

  const Note by_peter = MustNote(S(kGoText) + "\n" + S(kPeterSig));
  EXPECT_EQ(VerifyNote(by_peter, {enoch}).status().code(), Status::Code::kNotFound);
  // A key sharing only the name, or only the key id, is another key: ignored.
  auto namesake = GenerateSignerKey("PeterNeumann");
  ASSERT_TRUE(namesake.ok());
  EXPECT_EQ(VerifyNote(by_peter, {namesake->verifier}).status().code(), Status::Code::kNotFound);
  Note misnamed = by_peter;
  misnamed.signatures[0].name = "CarmenSandiego";
  EXPECT_EQ(VerifyNote(misnamed, {peter}).status().code(), Status::Code::kNotFound);
}

TEST(SignedNoteTest, BadSignatureFromTrustedKeyFails) {
  const VerifierKey peter = MustVkey(kPeterVkey);
  const std::string text = S(kGoText) + "\n";
  // Go's "Invalid signature": four base64 characters inserted into the signature.
  const Note longer =
      MustNote(text + S(kPeterSig.substr(0, 60)) + "ABCD" + S(kPeterSig.substr(60)));
  EXPECT_EQ(VerifyNote(longer, {peter}).status().code(), Status::Code::kCorruption);
  Note flipped = MustNote(text + S(kPeterSig));
  flipped.signatures[0].signature[10] ^= 1;
  EXPECT_EQ(VerifyNote(flipped, {peter}).status().code(), Status::Code::kCorruption);
  Note changed = MustNote(text + S(kPeterSig));
  changed.text[0] = 'i';
  EXPECT_EQ(VerifyNote(changed, {peter}).status().code(), Status::Code::kCorruption);
  // One good and one bad signature, both by trusted keys: the note is refused.
  const std::string bad_enoch = S(kEnochSig.substr(0, 60)) + "ABCD" + S(kEnochSig.substr(60));
  const Note mixed = MustNote(text + S(kPeterSig) + bad_enoch);
  EXPECT_EQ(VerifyNote(mixed, {peter, MustVkey(kEnochVkey)}).status().code(),
            Status::Code::kCorruption);
  // Go's "Duplicated verified and unverified signatures": a bad signature by an unknown key
  // does not matter.
  const Note dups =
      MustNote(text + S(kPeterSig) + S(kPeterSig) + S(kEnochSig) + S(kEnochSig) + bad_enoch);
  auto verified = VerifyNote(dups, {peter});
  ASSERT_TRUE(verified.ok()) << verified.status().message();
  EXPECT_EQ(verified->verified_by, std::vector<std::string>{"PeterNeumann+c74f20a3"});
  EXPECT_EQ(verified->unknown_signatures, 3u);
  // Two different trusted keys under one (name, key id): refused, neither wins.
  VerifierKey forged = MustVkey(kEnochVkey);
  forged.name = peter.name;
  forged.key_id = peter.key_id;
  EXPECT_EQ(VerifyNote(dups, {peter, forged}).status().code(), Status::Code::kInvalidArgument);
}

TEST(SignedNoteTest, KeyRotationSignaturesAllVerify) {
  auto old_key = GenerateSignerKey("gpuledger.example/log");
  auto new_key = GenerateSignerKey("gpuledger.example/log");
  ASSERT_TRUE(old_key.ok() && new_key.ok());
  Note note{"gpuledger.example/log\n3\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", {}};
  for (const SignerKey* key : {&old_key.value(), &new_key.value()}) {
    auto signature = SignNoteText(*key, note.text);
    ASSERT_TRUE(signature.ok()) << signature.status().message();
    note.signatures.push_back(signature.value());
  }
  const Note parsed = MustNote(FormatNote(note));
  for (const auto& trusted : std::vector<std::vector<VerifierKey>>{
           {old_key->verifier}, {new_key->verifier}, {old_key->verifier, new_key->verifier}}) {
    auto verified = VerifyNote(parsed, trusted);
    ASSERT_TRUE(verified.ok()) << verified.status().message();
    EXPECT_EQ(verified->verified_by.size(), trusted.size());
    EXPECT_EQ(verified->unknown_signatures, 2 - trusted.size());
  }
}

TEST(SignedNoteTest, MalformedNotesAreRefused) {
  const std::string text = S(kGoText);
  const std::string sig = S(kPeterSig);
  const std::string b64 = sig.substr(sig.rfind(' ') + 1);  // with its '\n'
  std::vector<std::string> bad = {
      // Go's TestOpen "Invalid encoded message syntax".
      text, text + "\n", text + "\n" + sig.substr(0, sig.size() - 1), "\x01" + text + "\n" + sig,
      "\xff" + text + "\n" + sig, text + "\n" + "— Bad Name " + b64.substr(0, b64.size() - 1),
      text + "\n" + sig + "Unexpected line.\n",
      // Ours.
      "", "\n\n" + sig, text + "\n\n" + sig, text + "\n- PeterNeumann " + b64,
      text + "\n—PeterNeumann " + b64, text + "\n— PeterNeumann  " + b64,
      text + "\n— PeterNeumann\n", text + "\n— Peter+Neumann " + b64,
      text + "\n— PeterNeumann " + b64.substr(0, b64.size() - 2) + "\n",  // no padding
      text + "\n" + sig.substr(0, sig.size() - 4) + "nAN=\n",             // non-canonical
      text + "\n— PeterNeumann AAAAAA==\n",                               // only a key id
      "a\r\n\n" + sig, "a\xC0\xAF\n\n" + sig, "a\xED\xA0\x80\n\n" + sig, "a\tb\n\n" + sig,
      std::string("a\0b\n\n", 5) + sig, std::string(kNoteBytesMax, 'a') + "\n\n" + sig};
  std::string many = text + "\n";
  for (size_t i = 0; i < kNoteSignaturesMax; ++i) many += sig;
  bad.push_back(many + sig);
  for (const std::string& note : bad) {
    EXPECT_EQ(ParseNote(note).status().code(), Status::Code::kInvalidArgument) << note;
  }
  const Note most = MustNote(many);
  EXPECT_EQ(most.signatures.size(), kNoteSignaturesMax);
  EXPECT_TRUE(VerifyNote(most, {MustVkey(kPeterVkey)}).ok());
}

TEST(SignedNoteTest, SigningRefusesWhatCouldNotBeParsed) {
  auto signer = ParseSignerKey(kPeterSkey);
  ASSERT_TRUE(signer.ok());
  for (const char* text : {"abc", "", "\n", "a\n\n", "a\tb\n", "\xFF\n", "a\r\n"}) {
    EXPECT_FALSE(SignNoteText(signer.value(), text).ok()) << text;
  }
  SignerKey other_seed = signer.value();
  other_seed.seed[0] ^= 1;
  EXPECT_FALSE(SignNoteText(other_seed, kGoText).ok());
  SignerKey other_id = signer.value();
  other_id.verifier.key_id ^= 1;
  EXPECT_FALSE(SignNoteText(other_id, kGoText).ok());
  auto witness = GenerateSignerKey("witness.example/w1", kKeyTypeCosignature);
  ASSERT_TRUE(witness.ok());
  EXPECT_FALSE(SignNoteText(witness.value(), kGoText).ok());
}

TEST(SignedNoteTest, FormatParseRoundTrip) {
  auto signer = ParseSignerKey(kPeterSkey);
  ASSERT_TRUE(signer.ok());
  Note note{"first line\n\nafter a blank line, \u00fc and \u2014\n", {}};
  auto signature = SignNoteText(signer.value(), note.text);
  ASSERT_TRUE(signature.ok());
  note.signatures.push_back(signature.value());
  std::mt19937 rng(42);
  for (size_t size = 1; size <= 80; ++size) {  // every base64 padding, unknown keys
    std::string bytes(size, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    note.signatures.push_back({"key-" + std::to_string(size), static_cast<uint32_t>(rng()), bytes});
  }
  const std::string encoded = FormatNote(note);
  const Note parsed = MustNote(encoded);
  EXPECT_EQ(parsed.text, note.text);
  ASSERT_EQ(parsed.signatures.size(), note.signatures.size());
  for (size_t i = 0; i < note.signatures.size(); ++i) {
    EXPECT_EQ(parsed.signatures[i].name, note.signatures[i].name);
    EXPECT_EQ(parsed.signatures[i].key_id, note.signatures[i].key_id);
    EXPECT_EQ(parsed.signatures[i].signature, note.signatures[i].signature);
  }
  EXPECT_EQ(FormatNote(parsed), encoded);
  auto verified = VerifyNote(parsed, {MustVkey(kPeterVkey)});
  ASSERT_TRUE(verified.ok()) << verified.status().message();
  EXPECT_EQ(verified->unknown_signatures, 80u);
}

}  // namespace
}  // namespace gpuledger::audit
