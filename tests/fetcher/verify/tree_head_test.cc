#include "fetcher/verify/tree_head.h"

#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "fetcher/verify/codec.h"
#include "tests/fetcher/test_data.h"

namespace ctmr::verify {
namespace {

LogKey Key(const std::string& dir) {
  const std::string text = ReadCtTestData(dir + "/log-key.b64");
  absl::StatusOr<LogKey> key = LogKey::FromBase64(absl::StripAsciiWhitespace(text));
  EXPECT_TRUE(key.ok()) << key.status();
  return *key;
}

TEST(TreeHeadTest, RealSthsVerify) {
  for (const std::string dir : {"rfc6962/argon2020", "rfc6962/yeti2018"}) {
    absl::StatusOr<SignedTreeHead> sth = ParseGetSthResponse(ReadCtTestData(dir + "/get-sth"));
    ASSERT_TRUE(sth.ok()) << dir << ": " << sth.status();
    const LogKey key = Key(dir);
    EXPECT_TRUE(VerifySignedTreeHead(*sth, key).ok()) << dir;

    SignedTreeHead bad = *sth;
    bad.sha256_root_hash[0] ^= 0x01;
    EXPECT_EQ(VerifySignedTreeHead(bad, key).code(), absl::StatusCode::kDataLoss) << dir;
    bad = *sth;
    bad.tree_size += 1;
    EXPECT_FALSE(VerifySignedTreeHead(bad, key).ok()) << dir;
    bad = *sth;
    bad.timestamp ^= 1;
    EXPECT_FALSE(VerifySignedTreeHead(bad, key).ok()) << dir;
    bad = *sth;
    bad.tree_head_signature.back() ^= 0x01;
    EXPECT_FALSE(VerifySignedTreeHead(bad, key).ok()) << dir;
    bad = *sth;
    bad.tree_head_signature.push_back('\0');  // trailing byte after the struct
    EXPECT_FALSE(VerifySignedTreeHead(bad, key).ok()) << dir;
  }
  // Each log's head fails under the other's key.
  absl::StatusOr<SignedTreeHead> argon =
      ParseGetSthResponse(ReadCtTestData("rfc6962/argon2020/get-sth"));
  ASSERT_TRUE(argon.ok());
  EXPECT_FALSE(VerifySignedTreeHead(*argon, Key("rfc6962/yeti2018")).ok());
}

TEST(TreeHeadTest, ParsesArgonFields) {
  absl::StatusOr<SignedTreeHead> sth =
      ParseGetSthResponse(ReadCtTestData("rfc6962/argon2020/get-sth"));
  ASSERT_TRUE(sth.ok());
  EXPECT_EQ(sth->tree_size, 961984011u);
  EXPECT_EQ(sth->timestamp, 1726494206646u);
  EXPECT_EQ(EncodeBase64(sth->sha256_root_hash), "AWxD3p811N3m4WTinWRXPvBZHfT9IR9g/R4C7SKLPiU=");
}

TEST(TreeHeadTest, RejectsMalformedSth) {
  const std::string good = ReadCtTestData("rfc6962/argon2020/get-sth");
  EXPECT_FALSE(ParseGetSthResponse("").ok());
  EXPECT_FALSE(ParseGetSthResponse("[]").ok());
  EXPECT_FALSE(ParseGetSthResponse("{}").ok());
  EXPECT_FALSE(ParseGetSthResponse(std::string(100000, '[')).ok());
  EXPECT_FALSE(ParseGetSthResponse(
                   absl::StrReplaceAll(good, {{"\"tree_size\":961984011", "\"tree_size\":-1"}}))
                   .ok());
  EXPECT_FALSE(ParseGetSthResponse(
                   absl::StrReplaceAll(good, {{"\"tree_size\":961984011", "\"tree_size\":\"9\""}}))
                   .ok());
  EXPECT_FALSE(ParseGetSthResponse(
                   absl::StrReplaceAll(good, {{"AWxD3p811N3m4WTinWRXPvBZHfT9IR9g/R4C7SKLPiU=",
                                               "AWxD3p811N3m4WTinWRXPvBZHfT9IR9g/R4C7SKLPi"}}))
                   .ok());
}

TEST(TreeHeadTest, RejectsUnsupportedKeys) {
  EXPECT_FALSE(LogKey::FromBase64("").ok());
  EXPECT_FALSE(LogKey::FromBase64("AAAA").ok());
  const std::string der = *DecodeBase64Strict(
      absl::StripAsciiWhitespace(ReadCtTestData("rfc6962/argon2020/log-key.b64")));
  EXPECT_FALSE(LogKey::FromDer(der + "x").ok());
  EXPECT_FALSE(LogKey::FromDer(der.substr(0, der.size() - 1)).ok());
}

constexpr char kOrigin[] = "willow.ct.letsencrypt.org/2025h1b";

TEST(CheckpointTest, WillowVerifies) {
  const std::string note = ReadCtTestData("static-ct/willow2025h1b/checkpoint");
  absl::StatusOr<Checkpoint> cp = ParseCheckpoint(note);
  ASSERT_TRUE(cp.ok()) << cp.status();
  EXPECT_EQ(cp->origin, kOrigin);
  EXPECT_EQ(cp->tree_size, 1237717073u);
  EXPECT_EQ(EncodeBase64(cp->root_hash), "pT/KC9MSHoRK2rHkeyfTSXfxolR2ja4JqhdymK9pnlo=");
  ASSERT_EQ(cp->signatures.size(), 4u);
  const LogKey key = Key("static-ct/willow2025h1b");
  EXPECT_EQ(Rfc6962NoteKeyId(kOrigin, key), 0x19871bb8u);
  absl::StatusOr<SignedTreeHead> sth = VerifyCheckpoint(*cp, kOrigin, key);
  ASSERT_TRUE(sth.ok()) << sth.status();
  EXPECT_EQ(sth->tree_size, 1237717073u);
  EXPECT_EQ(sth->timestamp, 0x19494d8f309u);
  // The verified head is an ordinary RFC 6962 STH: it verifies as one.
  EXPECT_TRUE(VerifySignedTreeHead(*sth, key).ok());
}

TEST(CheckpointTest, RejectsTamperingAndMissingSignature) {
  const std::string note = ReadCtTestData("static-ct/willow2025h1b/checkpoint");
  const LogKey key = Key("static-ct/willow2025h1b");
  // A different tree size: the log's signature no longer verifies.
  absl::StatusOr<Checkpoint> cp =
      ParseCheckpoint(absl::StrReplaceAll(note, {{"\n1237717073\n", "\n1237717074\n"}}));
  ASSERT_TRUE(cp.ok());
  EXPECT_EQ(VerifyCheckpoint(*cp, kOrigin, key).status().code(), absl::StatusCode::kDataLoss);

  // A flipped bit in the log's signature.
  cp = ParseCheckpoint(note);
  ASSERT_TRUE(cp.ok());
  Checkpoint flipped = *cp;
  for (NoteSignature& s : flipped.signatures) {
    if (s.key_id == 0x19871bb8u) s.signature.back() ^= 0x01;
  }
  EXPECT_EQ(VerifyCheckpoint(flipped, kOrigin, key).status().code(), absl::StatusCode::kDataLoss);

  // Only the other three signature lines: the log did not sign.
  Checkpoint unsigned_cp = *cp;
  unsigned_cp.signatures.pop_back();
  EXPECT_FALSE(VerifyCheckpoint(unsigned_cp, kOrigin, key).ok());

  // Wrong origin, wrong key.
  EXPECT_FALSE(VerifyCheckpoint(*cp, "willow.ct.letsencrypt.org/2025h2b", key).ok());
  EXPECT_FALSE(VerifyCheckpoint(*cp, kOrigin, Key("rfc6962/argon2020")).ok());

  // Extension lines are not allowed with RFC 6962 note signatures.
  Checkpoint ext = *cp;
  ext.extensions.push_back("extra");
  EXPECT_FALSE(VerifyCheckpoint(ext, kOrigin, key).ok());
}

TEST(CheckpointTest, RejectsMalformedNotes) {
  const std::string note = ReadCtTestData("static-ct/willow2025h1b/checkpoint");
  EXPECT_FALSE(ParseCheckpoint("").ok());
  EXPECT_FALSE(ParseCheckpoint("\n\n").ok());
  EXPECT_FALSE(ParseCheckpoint(note.substr(0, note.size() - 1)).ok());  // no final newline
  EXPECT_FALSE(ParseCheckpoint(absl::StrReplaceAll(note, {{"\n\n", "\n"}})).ok());
  EXPECT_FALSE(
      ParseCheckpoint(absl::StrReplaceAll(note, {{"\n1237717073\n", "\n01237717073\n"}})).ok());
  EXPECT_FALSE(
      ParseCheckpoint(absl::StrReplaceAll(note, {{"\n1237717073\n", "\n99999999999999999999\n"}}))
          .ok());
  EXPECT_FALSE(
      ParseCheckpoint(absl::StrReplaceAll(note, {{"\xE2\x80\x94 grease", "- grease"}})).ok());
  EXPECT_FALSE(ParseCheckpoint(absl::StrReplaceAll(note, {{"kgUpF33pGg==", "kgUpF33pGg"}})).ok());
  EXPECT_FALSE(ParseCheckpoint(absl::StrReplaceAll(note, {{"kgUpF33pGg==", "kgUp"}})).ok());
  EXPECT_FALSE(
      ParseCheckpoint(absl::StrReplaceAll(note, {{"pT/KC9MSHoRK2rHk", "pT/KC9MSHoRK2rH"}})).ok());
}

}  // namespace
}  // namespace ctmr::verify
