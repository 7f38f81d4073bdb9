// Holds precert_tbs to its contract: whenever a fast function accepts an
// input, the OpenSSL reference (openssl_precert_tbs) accepts it too and gives
// the same bytes or answer. Any disagreement abort()s so libFuzzer saves the
// input. CheckPrecertificateTbs runs too, with the input as its own issuer,
// for the memory safety of the rewrite path.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/x509/openssl_precert_tbs.h"
#include "common/x509/precert_tbs.h"

namespace {

void Disagree(const char* what) {
  std::fprintf(stderr, "precert_tbs and OpenSSL disagree on %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace x509 = ctmr::x509;
  static std::string fast, slow;
  const std::string_view der(reinterpret_cast<const char*>(data), size);

  // Refusing is always allowed, so OpenSSL is consulted only for what the
  // fast path accepts (or, for kNotFound, has read in full).
  const absl::Status s = x509::RemovePoisonToTbs(der, &fast);
  if (s.ok() || absl::IsNotFound(s)) {
    const absl::Status r = x509::RemovePoisonToTbsWithOpenSsl(der, &slow);
    if (s.ok() && !r.ok()) Disagree("the poison removal (OpenSSL refuses)");
    if (s.ok() && fast != slow) Disagree("the TBSCertificate bytes");
    if (absl::IsNotFound(s) && !absl::IsNotFound(r)) Disagree("the absence of a poison");
  }

  const absl::StatusOr<std::string_view> spki = x509::SubjectPublicKeyInfoDer(der);
  if (spki.ok()) {
    const absl::StatusOr<std::string> ref = x509::SubjectPublicKeyInfoDerWithOpenSsl(der);
    if (!ref.ok() || *ref != *spki) Disagree("the SubjectPublicKeyInfo");
  }

  const absl::StatusOr<bool> eku = x509::HasExtendedKeyUsage(der, x509::kOidPrecertificateSigning);
  if (eku.ok()) {
    const absl::StatusOr<bool> ref =
        x509::HasExtendedKeyUsageWithOpenSsl(der, x509::kOidPrecertificateSigning);
    if (!ref.ok() || *ref != *eku) Disagree("the extendedKeyUsage");
  }

  if (s.ok()) {
    // A mismatch on purpose: with a signing EKU this walks the rewrite.
    const absl::Status c = x509::CheckPrecertificateTbs(der, "", der, &fast);
    if (c.ok()) Disagree("an empty logged TBS (accepted)");
  }
  return 0;
}
