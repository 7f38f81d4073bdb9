#include "tools/ct_gen/leaf_classes.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/sha.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "tools/ct_gen/der_writer.h"

namespace ctgen {
namespace {

constexpr int64_t kDay = 86'400;

constexpr char kRsaEncryption[] = "1.2.840.113549.1.1.1";
constexpr char kRsassaPss[] = "1.2.840.113549.1.1.10";
constexpr char kEcPublicKey[] = "1.2.840.10045.2.1";
constexpr char kEd25519[] = "1.3.101.112";

constexpr char kEvOid[] = "2.23.140.1.1";
constexpr char kIvOid[] = "2.23.140.1.2.3";
constexpr char kOvOid[] = "2.23.140.1.2.2";
constexpr char kDvOid[] = "2.23.140.1.2.1";
// ISRG's old CPS policy: a real OID that says nothing about validation.
constexpr char kPrivateOid[] = "1.3.6.1.4.1.44947.1.1.1";

[[noreturn]] void Die(const char* what) {
  // Only the fixed keys below get here, so a failure is a broken OpenSSL or
  // an allocation failure, not something a caller could handle.
  std::fprintf(stderr, "ct-gen: internal error: %s\n", what);
  std::abort();
}

std::string FromHex(const char* hex) {
  std::string out;
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  for (const char* p = hex; p[0] && p[1]; p += 2) {
    out.push_back(static_cast<char>(nibble(p[0]) << 4 | nibble(p[1])));
  }
  return out;
}

std::string Sha256(std::string_view data) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  return std::string(reinterpret_cast<char*>(md), sizeof md);
}

// `n` bytes of a SHA-256 chain over `label`: deterministic filler.
std::string Filler(const std::string& label, size_t n) {
  std::string out;
  for (int counter = 0; out.size() < n; ++counter) out += Sha256(label + std::to_string(counter));
  out.resize(n);
  return out;
}

// The two real keys ct-gen always used for leaves.
std::string Rsa2048Spki() {
  return FromHex(
      "30820122300d06092a864886f70d01010105000382010f003082010a0282010100c70e2afca0050123cce0c6a4ad"
      "a53bac8687ac1cf077c969e3f90bd2e568dd6b9135e691a24f4af83edd48672c2115ef06eebf0eb74bb5427c79db"
      "66af79334d52c824df2b239edafe9f875fcb8a1c01fe1c285ee667d29205bc9f57e1198b74cd1a032a33864b7e29"
      "ad9a6cbc212055811f7dbb2f7d7b5ce3078daaabd56598604cba085877c24e2a46871cba41a97856341a75f09c4c"
      "3b569cbe2e56560f71865f09b9b750717ba999dcebc5e2f1ff307fac6cdc4daec7778dc1f3668ecf463210ec503f"
      "16fbd41e6ae23bf51c23937c3703a8a63c78eaab43b1aa215f29349a011eeef6f5419ee705f778bbf6f3ef1bb86b"
      "7e0feb22205d13c08e21724acd0203010001");
}

std::string P256Spki() {
  return FromHex(
      "3059301306072a8648ce3d020106082a8648ce3d03010703420004b7a246d8daa593e0368de3e9e4bad7fbe624f5"
      "59d455729f61d5b69aa84ccb6ecd1628f266971cd9d21c39ffebe38886dd944182701f9974ba73aa0fd8921f35");
}

// An RSAPublicKey whose modulus has exactly `bits` bits (a multiple of 8):
// enough for anything that reads the key's size, useless for verifying.
std::string RsaSpki(int bits, bool pss) {
  std::string modulus = Filler("ct-gen rsa modulus " + std::to_string(bits), bits / 8);
  modulus[0] = static_cast<char>(modulus[0] | 0x80);
  modulus.back() = static_cast<char>(modulus.back() | 0x01);
  std::string key = der::Sequence({der::IntegerContent(std::string(1, '\0') + modulus),
                                   der::IntegerContent(std::string("\x01\x00\x01", 3))});
  // RFC 4055: id-RSASSA-PSS may come without parameters; rsaEncryption has NULL.
  std::string algorithm = pss ? der::Sequence({der::Oid(kRsassaPss)})
                              : der::Sequence({der::Oid(kRsaEncryption), der::Null()});
  return der::Sequence({algorithm, der::BitString(key)});
}

// A named-curve EC key: the uncompressed point of a scalar derived from the
// curve's name, so the point is on the curve and the same on every run.
std::string EcSpki(int nid, const char* curve_oid) {
  struct Free {
    void operator()(EC_GROUP* g) const { EC_GROUP_free(g); }
    void operator()(EC_POINT* p) const { EC_POINT_free(p); }
    void operator()(BIGNUM* b) const { BN_free(b); }
    void operator()(BN_CTX* c) const { BN_CTX_free(c); }
  };
  std::unique_ptr<EC_GROUP, Free> group(EC_GROUP_new_by_curve_name(nid));
  std::unique_ptr<BN_CTX, Free> ctx(BN_CTX_new());
  if (!group || !ctx) Die("EC group");
  std::string digest = Sha256(std::string("ct-gen leaf key ") + curve_oid);
  std::unique_ptr<BIGNUM, Free> k(BN_bin2bn(reinterpret_cast<const unsigned char*>(digest.data()),
                                            static_cast<int>(digest.size()), nullptr));
  std::unique_ptr<EC_POINT, Free> point(EC_POINT_new(group.get()));
  if (!k || !point || !BN_nnmod(k.get(), k.get(), EC_GROUP_get0_order(group.get()), ctx.get())) {
    Die("EC scalar");
  }
  if (BN_is_zero(k.get())) BN_one(k.get());
  if (!EC_POINT_mul(group.get(), point.get(), k.get(), nullptr, nullptr, ctx.get())) {
    Die("EC_POINT_mul");
  }
  size_t len = EC_POINT_point2oct(group.get(), point.get(), POINT_CONVERSION_UNCOMPRESSED, nullptr,
                                  0, ctx.get());
  std::string octets(len, '\0');
  if (len == 0 ||
      EC_POINT_point2oct(group.get(), point.get(), POINT_CONVERSION_UNCOMPRESSED,
                         reinterpret_cast<unsigned char*>(octets.data()), len, ctx.get()) != len) {
    Die("EC_POINT_point2oct");
  }
  return der::Sequence(
      {der::Sequence({der::Oid(kEcPublicKey), der::Oid(curve_oid)}), der::BitString(octets)});
}

std::string MakeSpki(LeafKey key) {
  switch (key) {
    case LeafKey::kIssuerDefault:
      break;
    case LeafKey::kRsa2048:
      return Rsa2048Spki();
    case LeafKey::kRsa1024:
      return RsaSpki(1024, false);
    case LeafKey::kRsa3072:
      return RsaSpki(3072, false);
    case LeafKey::kRsa4096:
      return RsaSpki(4096, false);
    case LeafKey::kRsaPss2048:
      return RsaSpki(2048, true);
    case LeafKey::kP256:
      return P256Spki();
    case LeafKey::kP384:
      return EcSpki(NID_secp384r1, "1.3.132.0.34");
    case LeafKey::kP521:
      return EcSpki(NID_secp521r1, "1.3.132.0.35");
    case LeafKey::kSecp256k1:
      return EcSpki(NID_secp256k1, "1.3.132.0.10");
    case LeafKey::kEd25519:
      // RFC 8410: any 32 bytes are an Ed25519 public key to a decoder.
      return der::Sequence(
          {der::Sequence({der::Oid(kEd25519)}), der::BitString(Filler("ct-gen ed25519", 32))});
  }
  Die("LeafSpki of an unresolved key");
}

}  // namespace

int LifetimeClass(int64_t not_before, int64_t not_after) {
  const int64_t seconds = not_after - not_before + 1;
  const int64_t bounds[] = {7 * kDay, 47 * kDay, 100 * kDay, 200 * kDay, 398 * kDay};
  int c = 0;
  while (c < 5 && seconds > bounds[c]) ++c;
  return c;
}

int KeyClass(LeafKey key) {
  switch (key) {
    case LeafKey::kRsa2048:
      return 0;
    case LeafKey::kRsa3072:
      return 1;
    case LeafKey::kRsa4096:
      return 2;
    case LeafKey::kRsa1024:
      return 3;
    case LeafKey::kP256:
      return 4;
    case LeafKey::kP384:
      return 5;
    case LeafKey::kP521:
      return 6;
    case LeafKey::kEd25519:
      return 7;
    case LeafKey::kRsaPss2048:
    case LeafKey::kSecp256k1:
      return 8;
    case LeafKey::kIssuerDefault:
      break;
  }
  Die("KeyClass of an unresolved key");
}

int ValidationClass(LeafPolicies policies) {
  switch (policies) {
    case LeafPolicies::kEv:
    case LeafPolicies::kDvEv:
      return 0;
    case LeafPolicies::kIv:
      return 1;
    case LeafPolicies::kOv:
    case LeafPolicies::kOvPrivateDv:
      return 2;
    case LeafPolicies::kDv:
      return 3;
    case LeafPolicies::kNone:
    case LeafPolicies::kPrivateOnly:
      return 4;
  }
  Die("ValidationClass");
}

const std::string& LeafSpki(LeafKey key) {
  static const auto* spkis = [] {
    auto* table = new std::array<std::string, kLeafKeys>;
    for (int k = 1; k < kLeafKeys; ++k) (*table)[k] = MakeSpki(static_cast<LeafKey>(k));
    return table;
  }();
  if (key == LeafKey::kIssuerDefault) Die("LeafSpki of an unresolved key");
  return (*spkis)[static_cast<size_t>(key)];
}

std::vector<const char*> PolicyOids(LeafPolicies policies) {
  switch (policies) {
    case LeafPolicies::kDv:
      return {kDvOid};
    case LeafPolicies::kOv:
      return {kOvOid};
    case LeafPolicies::kIv:
      return {kIvOid};
    case LeafPolicies::kEv:
      return {kEvOid};
    case LeafPolicies::kNone:
      return {};
    case LeafPolicies::kPrivateOnly:
      return {kPrivateOid};
    case LeafPolicies::kDvEv:
      return {kDvOid, kEvOid};
    case LeafPolicies::kOvPrivateDv:
      return {kOvOid, kPrivateOid, kDvOid};
  }
  return {};
}

}  // namespace ctgen
