// Tests for ledger/audit/note's tlog-checkpoint bodies and tlog-cosignature/v1: the examples
// of c2sp.org/tlog-checkpoint and c2sp.org/tlog-cosignature, a real checkpoint of a public
// CT log cosigned by four public witnesses, and round trips and refusals of our own.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/audit/note.h"  // the unit under test (tlog_checkpoint.cc)

namespace gpuledger::audit {
namespace {

// c2sp.org/tlog-checkpoint's example, and c2sp.org/tlog-cosignature's, which adds a witness
// cosignature made at "time 1679315147" (the spec's example signed message).
constexpr std::string_view kSpecBody =
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
constexpr std::string_view kSpecLogSig =
    "— example.com/behind-the-sofa "
    "Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/"
    "Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n";
constexpr std::string_view kSpecWitnessSig =
    "— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/"
    "zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n";

// A checkpoint of Google's arche2025h1.staging CT log with its Ed25519 (0x01) and RFC 6962
// (0x05) signatures and four witnesses' tlog-cosignature/v1 (0x04) cosignatures, and the
// public keys of the log and the witnesses, as a Python tlog library's tests (tlog_scales)
// hold them.
constexpr std::string_view kArcheNote =
    "arche2025h1.staging.ct.transparency.dev\n1432088532\n"
    "U7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=\n\n"
    "— arche2025h1.staging.ct.transparency.dev "
    "zTM8sQAAAZ5W0WdjBAMARjBEAiBjW5IQf9pvsYLfQFX6hoGREPMHb"
    "dQ3urbllzalApkptQIgIpwtEroeW2BXaHAI4kJXFbon5Ch9MNL5zRNZ55lvGt0=\n"
    "— arche2025h1.staging.ct.transparency.dev ui8GwCF1+kWqZrxGdhj4aX3gcw7XUlXQQabg/27lefwhUkzbC3Ny"
    "gNI75MdhL1bfTW9g8Ei59RA23oHP7Ry1k3ZFWwQ=\n"
    "— transparency.dev/DEV:witness-little-garden 2AQqhwAAAABqEiEgzgFIqqhbUoDwjMWE6UP8nd8/KYTzwZ2rh"
    "IgcqoXHAwVkjZr4AscylP3v7sEodkRAErumC2q44vdgJY096st5BQ==\n"
    "— witness1.smartit.nu/witness1 "
    "pIyCDwAAAABqEiEghIp82KWebrw7/oHQwlTAm3g2RKS4+eebl8eO0WH+/iEcxZ75"
    "W3u5hNI7TOQtmJbqmNWVuE0tgh0XwzdZsDsUAQ==\n"
    "— remora.n621.de "
    "2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27wgxxcOVSpZ/2g/KSiXCg9DEZI+aVCIobWX9sXTy"
    "nk5XeU/zZ0WBxtqB0DrAWfBw==\n"
    "— witness.stagemole.eu "
    "Z/euoAAAAABqEiEgw0i+7g2ENfDAWHmtRzCfKTHSDwYDJA2NmKeGi9Y8FtEyOUvVr+AJmIY/2T"
    "UFucgKi7lI7cUiOvKFYe/TmN9DAg==\n";
constexpr std::string_view kArcheLogVkey =
    "arche2025h1.staging.ct.transparency.dev+ba2f06c0+AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f";
constexpr std::string_view kArcheWitnessVkeys[] = {
    "transparency.dev/DEV:witness-little-garden+d8042a87+BCtusOxINQNUTN5Oj8HObRkh2yHf/"
    "MwYaGX4CPdiVEPM",
    "witness1.smartit.nu/witness1+a48c820f+BPSFWg9G6KPiO7QPryYO5Xq4oYJJ+kAvLKLSimDhoxMO",
    "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2",
    "witness.stagemole.eu+67f7aea0+BEqSG3yu9YrmcM3BHvQYTxwFj3uSWakQepafafpUqklv"};
constexpr uint64_t kArcheCosignedAtSeconds = 1779573024;  // the same in all four cosignatures

std::string S(std::string_view s) { return std::string(s); }

uint64_t TimestampSecondsOf(const NoteSignature& signature) {  // the first 8 bytes, big-endian
  uint64_t t = 0;
  for (size_t i = 0; i < 8 && i < signature.signature.size(); ++i) {
    t = (t << 8) | static_cast<uint8_t>(signature.signature[i]);
  }
  return t;
}

Checkpoint MustCheckpoint(std::string_view body) {
  auto checkpoint = ParseCheckpoint(body);
  EXPECT_TRUE(checkpoint.ok()) << body << ": " << checkpoint.status().message();
  return checkpoint.ok() ? checkpoint.value() : Checkpoint{};
}

TEST(CheckpointBodyTest, SpecExampleParsesAndFormatsBack) {
  const Checkpoint checkpoint = MustCheckpoint(kSpecBody);
  EXPECT_EQ(checkpoint.origin, "example.com/behind-the-sofa");
  EXPECT_EQ(checkpoint.tree_size, 20852163u);
  EXPECT_EQ(Base64Encode(std::string(checkpoint.root.begin(), checkpoint.root.end())),
            "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=");
  EXPECT_TRUE(checkpoint.extensions.empty());
  EXPECT_EQ(FormatCheckpoint(checkpoint), kSpecBody);
  EXPECT_TRUE(ValidateCheckpoint(checkpoint).ok());
  auto note = ParseNote(S(kSpecBody) + "\n" + S(kSpecLogSig) + S(kSpecWitnessSig));
  ASSERT_TRUE(note.ok()) << note.status().message();
  EXPECT_EQ(note->text, kSpecBody);
  ASSERT_EQ(note->signatures.size(), 2u);
  EXPECT_EQ(note->signatures[0].name, "example.com/behind-the-sofa");
}

TEST(CheckpointBodyTest, RoundTripsAtTheBounds) {
  Hash256 root;
  for (size_t i = 0; i < root.size(); ++i) root[i] = static_cast<uint8_t>(i * 7);
  for (const uint64_t size : {uint64_t{0}, uint64_t{1}, uint64_t{10}, UINT64_MAX}) {
    for (const auto& extensions :
         {std::vector<std::string>{}, std::vector<std::string>{"ext one", "\u00fc 2 + 2"}}) {
      const Checkpoint checkpoint{"gpuledger.example/log", size, root, extensions};
      ASSERT_TRUE(ValidateCheckpoint(checkpoint).ok());
      const std::string body = FormatCheckpoint(checkpoint);
      const Checkpoint parsed = MustCheckpoint(body);
      EXPECT_EQ(parsed.origin, checkpoint.origin);
      EXPECT_EQ(parsed.tree_size, size);
      EXPECT_EQ(parsed.root, root);
      EXPECT_EQ(parsed.extensions, extensions);
      EXPECT_EQ(FormatCheckpoint(parsed), body);
    }
  }
  EXPECT_EQ(
      MustCheckpoint("o\n18446744073709551615\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n")
          .tree_size,
      UINT64_MAX);
}

TEST(CheckpointBodyTest, MalformedBodiesAreRefused) {
  const std::string root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
  const std::vector<std::string> bad = {
      "",
      "o\n5\n",
      "o\n5\n" + root,
      "\n5\n" + root + "\n",
      "o\n05\n" + root + "\n",
      "o\n00\n" + root + "\n",
      "o\n-1\n" + root + "\n",
      "o\n+1\n" + root + "\n",
      "o\n 1\n" + root + "\n",
      "o\n1 \n" + root + "\n",
      "o\n18446744073709551616\n" + root + "\n",
      "o\n\n" + root + "\n",
      "o\n0x10\n" + root + "\n",
      "o\n5\nAAAA\n",
      "o\n5\n" + root.substr(0, 40) + "\n",               // 30 bytes
      "o\n5\n" + root + "AAAA\n",                         // 35 bytes
      "o\n5\n" + root.substr(0, root.size() - 1) + "\n",  // no padding
      "o\n5\n" + root + "\n\n",
      "o\n5\n" + root + "\next\n\nmore\n",  // empty extension
      "o\r\n5\n" + root + "\n",
      "o\n5\n" + root + "\n\xff\n",
      "o\n5\n" + root + "\nx\ty\n"};
  for (const std::string& body : bad) {
    EXPECT_EQ(ParseCheckpoint(body).status().code(), Status::Code::kInvalidArgument) << body;
  }
  const Checkpoint good = MustCheckpoint("o\n5\n" + root + "\n");
  for (const std::string origin : {"", "a\nb", "a\tb", "a\n"}) {
    Checkpoint c = good;
    c.origin = origin;
    EXPECT_FALSE(ValidateCheckpoint(c).ok()) << origin;
  }
  for (const std::string extension : {"", "x\ny", "\n"}) {
    Checkpoint c = good;
    c.extensions = {"fine", extension};
    EXPECT_FALSE(ValidateCheckpoint(c).ok()) << extension;
  }
}

// What the published examples carry: the timestamp after the key id, big-endian.
TEST(CosignatureTest, PublishedCosignaturesCarryTheirTimestamps) {
  auto note = ParseNote(S(kSpecBody) + "\n" + S(kSpecLogSig) + S(kSpecWitnessSig));
  ASSERT_TRUE(note.ok()) << note.status().message();
  const NoteSignature& witness = note->signatures[1];
  EXPECT_EQ(witness.name, "witness.example.com/w1");
  EXPECT_EQ(witness.signature.size(), 72u);
  EXPECT_EQ(TimestampSecondsOf(witness), 1679315147u);
  // transparency-dev/formats note_cosigv1_test.go, TestCoSigV1Timestamp "works".
  auto formats = Base64Decode(
      "ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFi"
      "EBYJXORmnFBOBA==");
  ASSERT_TRUE(formats.ok());
  EXPECT_EQ(TimestampSecondsOf({"", 0, formats->substr(4)}), 1727964367u);
}

TEST(CosignatureTest, RealWitnessedCheckpointVerifies) {
  auto note = ParseNote(kArcheNote);
  ASSERT_TRUE(note.ok()) << note.status().message();
  EXPECT_EQ(FormatNote(note.value()), kArcheNote);
  const Checkpoint checkpoint = MustCheckpoint(note->text);
  EXPECT_EQ(checkpoint.tree_size, 1432088532u);
  std::vector<VerifierKey> trusted;
  for (std::string_view vkey : kArcheWitnessVkeys) {
    auto key = ParseVerifierKey(vkey);
    ASSERT_TRUE(key.ok()) << vkey << ": " << key.status().message();
    ASSERT_EQ(key->type, kKeyTypeCosignature);
    trusted.push_back(key.value());
  }
  for (const NoteSignature& signature : note->signatures) {
    for (const VerifierKey& witness : trusted) {
      if (signature.name != witness.name) continue;
      auto at = VerifyCosignature(witness, note->text, signature);
      ASSERT_TRUE(at.ok()) << witness.name << ": " << at.status().message();
      EXPECT_EQ(at.value(), kArcheCosignedAtSeconds);
    }
  }
  auto log = ParseVerifierKey(kArcheLogVkey);
  ASSERT_TRUE(log.ok()) << log.status().message();
  trusted.push_back(log.value());
  auto verified = VerifyNote(note.value(), trusted);
  ASSERT_TRUE(verified.ok()) << verified.status().message();
  EXPECT_EQ(verified->verified_by.size(), 5u);
  EXPECT_EQ(verified->unknown_signatures, 1u);  // the RFC 6962 one: same name, another key id
  Note changed = note.value();
  changed.text.replace(changed.text.find("1432088532"), 10, "1432088533");
  EXPECT_EQ(VerifyNote(changed, trusted).status().code(), Status::Code::kCorruption);
  EXPECT_EQ(VerifyNote(changed, {trusted[2]}).status().code(), Status::Code::kCorruption);
}

TEST(CosignatureTest, RoundTripAndSignedMessage) {
  auto log = GenerateSignerKey("example.com/behind-the-sofa");
  auto witness = GenerateSignerKey("witness.example.com/w1", kKeyTypeCosignature);
  ASSERT_TRUE(log.ok() && witness.ok());
  auto cosignature = Cosign(witness.value(), kSpecBody, 1679315147);
  ASSERT_TRUE(cosignature.ok()) << cosignature.status().message();
  EXPECT_EQ(cosignature->name, witness->verifier.name);
  EXPECT_EQ(cosignature->key_id, witness->verifier.key_id);
  ASSERT_EQ(cosignature->signature.size(), 72u);
  EXPECT_EQ(TimestampSecondsOf(cosignature.value()), 1679315147u);
  auto at = VerifyCosignature(witness->verifier, kSpecBody, cosignature.value());
  ASSERT_TRUE(at.ok()) << at.status().message();
  EXPECT_EQ(at.value(), 1679315147u);

  // The 64 bytes after the timestamp are a plain Ed25519 signature of the spec's example
  // signed message, byte for byte.
  const std::string message = "cosignature/v1\ntime 1679315147\n" + S(kSpecBody);
  VerifierKey plain = witness->verifier;
  plain.type = kKeyTypeEd25519;
  plain.key_id = KeyId(plain.name, plain.type, plain.public_key);
  const Note as_plain{message, {{plain.name, plain.key_id, cosignature->signature.substr(8)}}};
  EXPECT_TRUE(VerifyNote(as_plain, {plain}).ok());

  // In a checkpoint note beside the log's signature, through FormatNote and ParseNote.
  auto log_signature = SignNoteText(log.value(), kSpecBody);
  ASSERT_TRUE(log_signature.ok());
  auto note = ParseNote(FormatNote({S(kSpecBody), {log_signature.value(), cosignature.value()}}));
  ASSERT_TRUE(note.ok()) << note.status().message();
  auto verified = VerifyNote(note.value(), {witness->verifier, log->verifier});
  ASSERT_TRUE(verified.ok()) << verified.status().message();
  EXPECT_EQ(verified->verified_by.size(), 2u);
  EXPECT_TRUE(Cosign(witness.value(), kSpecBody, (uint64_t{1} << 63) - 1).ok());
}

TEST(CosignatureTest, ChangedBodyTimestampOrKeyFails) {
  auto witness = GenerateSignerKey("witness.example.com/w1", kKeyTypeCosignature);
  ASSERT_TRUE(witness.ok());
  const VerifierKey& key = witness->verifier;
  auto cosignature = Cosign(witness.value(), kSpecBody, 1679315147);
  ASSERT_TRUE(cosignature.ok());
  Checkpoint checkpoint = MustCheckpoint(kSpecBody);
  checkpoint.tree_size += 1;
  EXPECT_FALSE(VerifyCosignature(key, FormatCheckpoint(checkpoint), cosignature.value()).ok());
  EXPECT_FALSE(VerifyCosignature(key, S(kSpecBody) + "ext\n", cosignature.value()).ok());
  NoteSignature later = cosignature.value();
  later.signature[7] ^= 1;
  EXPECT_EQ(VerifyCosignature(key, kSpecBody, later).status().code(), Status::Code::kCorruption);
  NoteSignature flipped = cosignature.value();
  flipped.signature[40] ^= 1;
  EXPECT_FALSE(VerifyCosignature(key, kSpecBody, flipped).ok());
  NoteSignature short_one = cosignature.value();
  short_one.signature.pop_back();
  EXPECT_FALSE(VerifyCosignature(key, kSpecBody, short_one).ok());
  auto other = GenerateSignerKey("witness.example.com/w1", kKeyTypeCosignature);
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(VerifyCosignature(other->verifier, kSpecBody, cosignature.value()).ok());
  VerifierKey plain_type = key;
  plain_type.type = kKeyTypeEd25519;
  EXPECT_FALSE(VerifyCosignature(plain_type, kSpecBody, cosignature.value()).ok());
  // In a note: a cosignature of another body by a trusted witness fails the note.
  const Note moved{FormatCheckpoint(checkpoint), {cosignature.value()}};
  EXPECT_EQ(VerifyNote(moved, {key}).status().code(), Status::Code::kCorruption);

  auto log = GenerateSignerKey("example.com/behind-the-sofa");
  ASSERT_TRUE(log.ok());
  EXPECT_FALSE(Cosign(log.value(), kSpecBody, 1).ok());  // not a witness key
  EXPECT_FALSE(Cosign(witness.value(), kSpecBody, uint64_t{1} << 63).ok());
  EXPECT_FALSE(Cosign(witness.value(), "not a checkpoint\n", 1).ok());
}

}  // namespace
}  // namespace gpuledger::audit
