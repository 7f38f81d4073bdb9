// Holds ParseCertificateDer to its contract: whenever it accepts an input,
// ParseCertificateWithOpenSsl accepts it too and reads identical fields.
// Any disagreement abort()s so libFuzzer saves the input.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "common/x509/certificate_view.h"
#include "common/x509/der_certificate_parser.h"
#include "common/x509/distinguished_name.h"
#include "common/x509/openssl_certificate_parser.h"

namespace {

void Disagree(const char* field) {
  std::fprintf(stderr, "fast parser and OpenSSL disagree on %s\n", field);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static ctmr::x509::CertificateView fast;
  static ctmr::x509::CertificateView slow;
  const std::string_view der(reinterpret_cast<const char*>(data), size);
  // Refusing is always allowed, so OpenSSL (slow: it decodes the public key)
  // is consulted only for inputs the fast reader accepts.
  if (!ctmr::x509::ParseCertificateDer(der, &fast).ok()) return 0;
  if (!ctmr::x509::ParseCertificateWithOpenSsl(der, &slow).ok()) {
    Disagree("acceptance (OpenSSL refuses)");
  }
  if (fast.serial != slow.serial) Disagree("serial");
  if (fast.issuer != slow.issuer) Disagree("issuer");
  if (fast.not_before != slow.not_before) Disagree("notBefore");
  if (fast.not_after != slow.not_after) Disagree("notAfter");
  if (fast.dns_names != slow.dns_names) Disagree("dNSNames");
  if (fast.common_names != slow.common_names) Disagree("commonNames");
  if (fast.is_precertificate != slow.is_precertificate) Disagree("precertificate flag");
  if (fast.key != slow.key) Disagree("key class");
  if (fast.validation != slow.validation) Disagree("validation level");
  // The issuer the fast path accepted must also be readable as a name.
  if (!ctmr::x509::ParseDistinguishedName(fast.issuer).ok()) Disagree("issuer DN parse");
  return 0;
}
