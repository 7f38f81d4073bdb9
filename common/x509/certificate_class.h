// The classes a certificate falls in for the breakdowns of DESIGN.md §3.1:
// its lifetime, its key and its validation level. Each enum's values are the
// indices of the tally's counters (proto/tally.proto, Breakdown) and of the
// reports' columns, in the order the reports list them: renumbering one is a
// new kDirectoryTallyFormat.
#ifndef CT_COMMON_X509_CERTIFICATE_CLASS_H_
#define CT_COMMON_X509_CERTIFICATE_CLASS_H_

#include <array>
#include <cstdint>
#include <string_view>

namespace ctmr::x509 {

// notAfter − notBefore + 1 s (RFC 5280 counts both ends), each bucket up to
// and including its bound.
enum class Lifetime : uint8_t {
  kUpTo7Days,    // <= 7 × 86,400 s, and any certificate whose notAfter is not after its notBefore
  kUpTo47Days,   // 8-47d
  kUpTo100Days,  // 48-100d
  kUpTo200Days,  // 101-200d
  kUpTo398Days,  // 201-398d
  kOver398Days,  // >398d
};
inline constexpr int kLifetimeClasses = 6;
inline constexpr std::array<std::string_view, kLifetimeClasses> kLifetimeNames = {
    "<=7d", "8-47d", "48-100d", "101-200d", "201-398d", ">398d"};

// From the SubjectPublicKeyInfo: RSA by modulus bits, ECDSA by named curve.
enum class KeyClass : uint8_t {
  kRsa2048,
  kRsa3072,
  kRsa4096,
  kRsaOther,
  kEcdsaP256,
  kEcdsaP384,
  kEcdsaP521,
  kEd25519,
  kOther,  // any other algorithm or curve (RSASSA-PSS keys, explicit curves, ...)
};
inline constexpr int kKeyClasses = 9;
inline constexpr std::array<std::string_view, kKeyClasses> kKeyNames = {
    "RSA-2048",   "RSA-3072",   "RSA-4096", "RSA-other", "ECDSA-P256",
    "ECDSA-P384", "ECDSA-P521", "Ed25519",  "other"};

// From the CA/Browser Forum's certificatePolicies OIDs: the first of EV, IV,
// OV, DV that the certificate lists, else unknown.
enum class Validation : uint8_t {
  kEv,       // 2.23.140.1.1
  kIv,       // 2.23.140.1.2.3
  kOv,       // 2.23.140.1.2.2
  kDv,       // 2.23.140.1.2.1
  kUnknown,  // none of them, or no certificatePolicies
};
inline constexpr int kValidationClasses = 5;
inline constexpr std::array<std::string_view, kValidationClasses> kValidationNames = {
    "EV", "IV", "OV", "DV", "unknown"};

// The lifetime class of a validity period given in seconds since the epoch.
constexpr Lifetime LifetimeOf(int64_t not_before, int64_t not_after) {
  constexpr int64_t kDay = 86'400;
  // Certificate times are bounded (years 1950-9999), so this never overflows.
  const int64_t seconds = not_after - not_before + 1;
  if (seconds <= 7 * kDay) return Lifetime::kUpTo7Days;
  if (seconds <= 47 * kDay) return Lifetime::kUpTo47Days;
  if (seconds <= 100 * kDay) return Lifetime::kUpTo100Days;
  if (seconds <= 200 * kDay) return Lifetime::kUpTo200Days;
  if (seconds <= 398 * kDay) return Lifetime::kUpTo398Days;
  return Lifetime::kOver398Days;
}

// The class of an RSA modulus of `bits` significant bits.
constexpr KeyClass RsaKeyClass(int bits) {
  switch (bits) {
    case 2048:
      return KeyClass::kRsa2048;
    case 3072:
      return KeyClass::kRsa3072;
    case 4096:
      return KeyClass::kRsa4096;
    default:
      return KeyClass::kRsaOther;
  }
}

}  // namespace ctmr::x509

#endif  // CT_COMMON_X509_CERTIFICATE_CLASS_H_
