// LeafClasses: the key and certificatePolicies variants ct-gen writes into
// leaf certificates, and the breakdown classes of DESIGN.md §3.1 (lifetime,
// key, validation level) that each certificate falls in.
//
// ct-gen knows the class of every certificate because it chose what to write;
// these tables are its own statement of the classification and share no code
// with common/x509/certificate_class.h, so a disagreement shows up in a test.
// The class indices follow the order the answers list them in.
#ifndef CT_TOOLS_CT_GEN_LEAF_CLASSES_H_
#define CT_TOOLS_CT_GEN_LEAF_CLASSES_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace ctgen {

// The SubjectPublicKeyInfo of a leaf. The RSA moduli other than the default
// one are not real keys (an odd number of exactly that size with the top bit
// set); the EC points are real points of their curve.
enum class LeafKey : uint8_t {
  kIssuerDefault,  // the issuer's usual leaf key: P-256 with ec_leaves, else RSA 2048
  kRsa2048,
  kRsa1024,
  kRsa3072,
  kRsa4096,
  kRsaPss2048,  // id-RSASSA-PSS, no parameters: class "other"
  kP256,
  kP384,
  kP521,
  kSecp256k1,  // a named curve that is not a NIST one: class "other"
  kEd25519,
};
inline constexpr int kLeafKeys = 11;

// The certificatePolicies extension of a leaf, its OIDs in the order listed.
enum class LeafPolicies : uint8_t {
  kDv,           // [DV]
  kOv,           // [OV]
  kIv,           // [IV]
  kEv,           // [EV]
  kNone,         // no certificatePolicies extension
  kPrivateOnly,  // [a private OID]: unknown
  kDvEv,         // [DV, EV]: EV
  kOvPrivateDv,  // [OV, a private OID, DV]: OV
};
inline constexpr int kLeafPolicies = 8;

inline constexpr int kLifetimeClasses = 6;
inline constexpr std::array<const char*, kLifetimeClasses> kLifetimeClassNames = {
    "<=7d", "8-47d", "48-100d", "101-200d", "201-398d", ">398d"};
inline constexpr int kKeyClasses = 9;
inline constexpr std::array<const char*, kKeyClasses> kKeyClassNames = {
    "RSA-2048",   "RSA-3072",   "RSA-4096", "RSA-other", "ECDSA-P256",
    "ECDSA-P384", "ECDSA-P521", "Ed25519",  "other"};
inline constexpr int kValidationClasses = 5;
inline constexpr std::array<const char*, kValidationClasses> kValidationClassNames = {
    "EV", "IV", "OV", "DV", "unknown"};

// One certificate's class of each kind, as indices into the name tables.
struct CertClasses {
  uint8_t lifetime = 0;
  uint8_t key = 0;
  uint8_t validation = 0;
};

// kIssuerDefault made concrete for an issuer with or without ec_leaves.
constexpr LeafKey ResolveKey(LeafKey key, bool ec_leaves) {
  if (key != LeafKey::kIssuerDefault) return key;
  return ec_leaves ? LeafKey::kP256 : LeafKey::kRsa2048;
}

// notAfter − notBefore + 1 s, both ends counted, each class up to and
// including its bound in days.
int LifetimeClass(int64_t not_before, int64_t not_after);
// The class of a key ResolveKey() returned.
int KeyClass(LeafKey key);
int ValidationClass(LeafPolicies policies);

// The DER SubjectPublicKeyInfo of a (resolved) key, computed once.
const std::string& LeafSpki(LeafKey key);
// The policy OIDs of a variant, in the order the extension lists them.
std::vector<const char*> PolicyOids(LeafPolicies policies);

}  // namespace ctgen

#endif  // CT_TOOLS_CT_GEN_LEAF_CLASSES_H_
