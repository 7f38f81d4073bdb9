#include "fetcher/verify/log_entry.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/strip.h"
#include "fetcher/verify/codec.h"
#include "fetcher/verify/merkle.h"
#include "fetcher/verify/tree_head.h"
#include "nlohmann/json.hpp"
#include "tests/fetcher/test_data.h"

namespace ctmr::verify {
namespace {

constexpr char kArgon[] = "rfc6962/argon2020/";
constexpr char kNavigli[] = "navigli2025h2/";

// Entry 10000 of Argon2020, parsed, hashed, and proved against the signed
// head: the whole RFC 6962 verification chain on real data.
TEST(LogEntryTest, Argon2020EntryIsInTheSignedTree) {
  absl::StatusOr<std::vector<LogEntry>> entries = ParseGetEntriesResponse(
      ReadCtTestData(std::string(kArgon) + "get-entries-start-10000-end-10000"), 1);
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 1u);
  const LogEntry& e = (*entries)[0];
  EXPECT_EQ(e.type, LogEntryType::kX509);
  EXPECT_EQ(e.chain.size(), 3u);
  ASSERT_EQ(e.chain_fingerprints.size(), 3u);
  EXPECT_EQ(e.chain_fingerprints[0], Sha256(e.chain[0]));
  EXPECT_EQ(static_cast<unsigned char>(e.certificate[0]), 0x30);  // a DER SEQUENCE
  absl::StatusOr<std::string> issuer = IssuerId(e);
  ASSERT_TRUE(issuer.ok()) << issuer.status();
  EXPECT_EQ(issuer->size(), 43u);  // base64url of 32 bytes, unpadded
  EXPECT_EQ(issuer->find_first_of("+/="), std::string::npos);

  absl::StatusOr<SignedTreeHead> sth =
      ParseGetSthResponse(ReadCtTestData(std::string(kArgon) + "get-sth"));
  ASSERT_TRUE(sth.ok());
  absl::StatusOr<LogKey> key = LogKey::FromBase64(
      std::string(absl::StripAsciiWhitespace(ReadCtTestData(std::string(kArgon) + "log-key.b64"))));
  ASSERT_TRUE(key.ok());
  ASSERT_TRUE(VerifySignedTreeHead(*sth, *key).ok());

  const nlohmann::json proof_json = nlohmann::json::parse(
      ReadCtTestData(std::string(kArgon) + "get-proof-by-hash-tree-size-961984011-leaf-10000"));
  std::vector<std::string> proof;
  for (const auto& h : proof_json["audit_path"]) {
    proof.push_back(*DecodeBase64Strict(h.get<std::string>()));
  }
  const std::string leaf_hash = LeafHash(e.merkle_tree_leaf);
  EXPECT_TRUE(VerifyInclusion(10000, sth->tree_size, leaf_hash, proof, sth->sha256_root_hash).ok());
  EXPECT_FALSE(
      VerifyInclusion(10001, sth->tree_size, leaf_hash, proof, sth->sha256_root_hash).ok());
  std::string tampered = e.merkle_tree_leaf;
  tampered[tampered.size() / 2] ^= 0x01;
  EXPECT_FALSE(
      VerifyInclusion(10000, sth->tree_size, LeafHash(tampered), proof, sth->sha256_root_hash)
          .ok());
}

std::vector<LogEntry> NavigliEntries() {
  std::vector<LogEntry> all;
  for (const char* n : {"000", "001"}) {
    absl::StatusOr<std::vector<LogEntry>> tile =
        ParseDataTile(ReadCtTestData(std::string(kNavigli) + "tile/data/" + n), 256);
    EXPECT_TRUE(tile.ok()) << tile.status();
    if (tile.ok()) all.insert(all.end(), tile->begin(), tile->end());
  }
  return all;
}

// Navigli: every data tile entry hashes to the matching level-0 tile hash, and
// the compact range over them has the root of the level-0 tiles.
TEST(LogEntryTest, NavigliDataTilesMatchLevelZeroTiles) {
  const std::vector<LogEntry> entries = NavigliEntries();
  ASSERT_EQ(entries.size(), 512u);
  const std::string level0 = ReadCtTestData(std::string(kNavigli) + "tile/0/000") +
                             ReadCtTestData(std::string(kNavigli) + "tile/0/001");
  ASSERT_EQ(level0.size(), 512u * 32);
  CompactRange from_data, from_hashes;
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string h = LeafHash(entries[i].merkle_tree_leaf);
    ASSERT_EQ(h, level0.substr(i * 32, 32)) << "entry " << i;
    ASSERT_TRUE(from_data.Append(h).ok());
    ASSERT_TRUE(from_hashes.Append(level0.substr(i * 32, 32)).ok());
  }
  EXPECT_EQ(from_data.Root(), from_hashes.Root());
}

// Navigli holds precertificates: each carries its pre_certificate, and its
// issuer_key_hash is the key of the chain's first issuer (fetched by
// fingerprint) unless a precertificate signing certificate sits in between.
TEST(LogEntryTest, NavigliPrecertsAndIssuers) {
  const std::vector<LogEntry> entries = NavigliEntries();
  ASSERT_EQ(entries.size(), 512u);
  int matched = 0;
  for (const LogEntry& e : entries) {
    ASSERT_EQ(e.type, LogEntryType::kPrecert);
    ASSERT_FALSE(e.certificate.empty());
    ASSERT_FALSE(e.tbs_certificate.empty());
    ASSERT_EQ(e.issuer_key_hash.size(), 32u);
    ASSERT_FALSE(e.chain_fingerprints.empty());
    const absl::StatusOr<std::string> id = IssuerId(e);
    ASSERT_TRUE(id.ok());
    EXPECT_EQ(*id, EncodeBase64UrlNoPad(e.issuer_key_hash));
    const std::string issuer =
        ReadCtTestData(std::string(kNavigli) + "issuer/" + HexEncode(e.chain_fingerprints[0]));
    ASSERT_FALSE(issuer.empty()) << HexEncode(e.chain_fingerprints[0]);
    ASSERT_EQ(Sha256(issuer), e.chain_fingerprints[0]);
    absl::StatusOr<std::string> from_cert = IssuerIdFromCertificate(issuer);
    ASSERT_TRUE(from_cert.ok());
    if (*from_cert == *id) ++matched;
  }
  EXPECT_EQ(matched, 512);
}

// A MerkleTreeLeaf round trip through get-entries fields, and every prefix of
// real input is rejected cleanly.
TEST(LogEntryTest, TruncationsAreRejected) {
  const std::string tile = ReadCtTestData(std::string(kNavigli) + "tile/data/000");
  absl::string_view rest = tile;
  absl::StatusOr<LogEntry> first = ParseTileLeaf(&rest);
  ASSERT_TRUE(first.ok());
  const size_t first_size = tile.size() - rest.size();
  for (size_t n = 0; n < first_size; ++n) {
    absl::string_view prefix(tile.data(), n);
    EXPECT_FALSE(ParseTileLeaf(&prefix).ok()) << n;
  }
  const std::string& leaf = first->merkle_tree_leaf;
  ASSERT_TRUE(ParseMerkleTreeLeaf(leaf).ok());
  for (size_t n = 0; n < leaf.size(); ++n) {
    EXPECT_FALSE(ParseMerkleTreeLeaf(leaf.substr(0, n)).ok()) << n;
  }
  EXPECT_FALSE(ParseMerkleTreeLeaf(leaf + "x").ok());
  std::string v2 = leaf;
  v2[0] = 1;
  EXPECT_FALSE(ParseMerkleTreeLeaf(v2).ok());
  // A data tile with one entry too few, or an extra byte.
  EXPECT_FALSE(ParseDataTile(tile.substr(0, first_size), 2).ok());
  EXPECT_FALSE(ParseDataTile(tile.substr(0, first_size) + std::string(1, '\0'), 1).ok());
  EXPECT_TRUE(ParseDataTile(tile.substr(0, first_size), 1).ok());
  EXPECT_FALSE(ParseDataTile(tile, 255).ok());
}

std::string U24(size_t n) {
  return std::string{static_cast<char>(n >> 16), static_cast<char>(n >> 8), static_cast<char>(n)};
}

TEST(LogEntryTest, BoundsHostileExtraData) {
  absl::StatusOr<std::vector<LogEntry>> entries = ParseGetEntriesResponse(
      ReadCtTestData(std::string(kArgon) + "get-entries-start-10000-end-10000"), 1);
  ASSERT_TRUE(entries.ok());
  LogEntry e = (*entries)[0];
  // 33 one-byte certificates: over the chain limit.
  std::string certs;
  for (int i = 0; i < 33; ++i) certs += U24(1) + "x";
  EXPECT_FALSE(ParseExtraData(U24(certs.size()) + certs, &e).ok());
  certs.resize(32 * 4);
  EXPECT_TRUE(ParseExtraData(U24(certs.size()) + certs, &e).ok());
  EXPECT_EQ(e.chain.size(), 32u);
  // A length past the end, a zero-length certificate, trailing bytes.
  EXPECT_FALSE(ParseExtraData(U24(0xffffff) + "x", &e).ok());
  EXPECT_FALSE(ParseExtraData(U24(3) + U24(0), &e).ok());
  EXPECT_FALSE(ParseExtraData(U24(0) + "x", &e).ok());
  // An issuer that is not a certificate.
  e.chain = {"garbage"};
  EXPECT_FALSE(IssuerId(e).ok());
  e.chain.clear();
  EXPECT_EQ(IssuerId(e).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(LogEntryTest, BoundsHostileGetEntriesJson) {
  const std::string good =
      ReadCtTestData(std::string(kArgon) + "get-entries-start-10000-end-10000");
  EXPECT_FALSE(ParseGetEntriesResponse(good, 0).ok());  // more entries than asked for
  EXPECT_FALSE(ParseGetEntriesResponse("", 10).ok());
  EXPECT_FALSE(ParseGetEntriesResponse("{\"entries\":{}}", 10).ok());
  EXPECT_FALSE(ParseGetEntriesResponse("{\"entries\":[1]}", 10).ok());
  EXPECT_FALSE(ParseGetEntriesResponse("{\"entries\":[{\"leaf_input\":\"AA==\"}]}", 10).ok());
  EXPECT_FALSE(
      ParseGetEntriesResponse("{\"entries\":[{\"leaf_input\":\"A\",\"extra_data\":\"\"}]}", 10)
          .ok());
  EXPECT_FALSE(ParseGetEntriesResponse(std::string(1 << 20, '['), 10).ok());
  absl::StatusOr<std::vector<LogEntry>> empty = ParseGetEntriesResponse("{\"entries\":[]}", 10);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

}  // namespace
}  // namespace ctmr::verify
