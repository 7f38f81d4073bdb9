// CertificateView: the few fields of one X.509 certificate that the map needs.
//
// Both certificate parsers (the fast DER reader in der_certificate_parser.h and
// the OpenSSL reference in openssl_certificate_parser.h) fill this same struct,
// so a test can require that they agree field by field.
//
// The string_views point either into the DER buffer that was parsed or into
// `storage`; they stay valid until the view is cleared or parsed into again, and
// only as long as that DER buffer lives. A view is meant to be reused across
// certificates: Clear() keeps the vectors' capacity.
#ifndef CT_COMMON_X509_CERTIFICATE_VIEW_H_
#define CT_COMMON_X509_CERTIFICATE_VIEW_H_

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "common/x509/certificate_class.h"

namespace ctmr::x509 {

struct CertificateView {
  // Content octets of the serialNumber INTEGER exactly as DER encodes them
  // (two's complement, minimal: a leading 0x00 is kept when the high bit is set).
  std::string_view serial;
  // The issuer Name, as its complete DER TLV (SEQUENCE tag and length included).
  std::string_view issuer;
  // Validity, in seconds since 1970-01-01T00:00:00Z.
  int64_t not_before = 0;
  int64_t not_after = 0;
  // Every dNSName of the subjectAltName extension, raw IA5String octets, in
  // certificate order. Empty when there is no SAN extension.
  std::vector<std::string_view> dns_names;
  // Every commonName attribute of the subject, converted to UTF-8, in order.
  std::vector<std::string_view> common_names;
  // True when the CT poison extension (1.3.6.1.4.1.11129.2.4.3) is present.
  bool is_precertificate = false;
  // The SubjectPublicKeyInfo's class and the certificatePolicies' validation
  // level (certificate_class.h). The lifetime follows from the validity.
  KeyClass key = KeyClass::kOther;
  Validation validation = Validation::kUnknown;

  // Backing store for values that had to be converted (e.g. a BMPString CN) or
  // re-encoded (the OpenSSL path). A deque keeps element addresses stable.
  std::deque<std::string> storage;

  void Clear() {
    serial = {};
    issuer = {};
    not_before = not_after = 0;
    dns_names.clear();
    common_names.clear();
    is_precertificate = false;
    key = KeyClass::kOther;
    validation = Validation::kUnknown;
    storage.clear();
  }
};

}  // namespace ctmr::x509

#endif  // CT_COMMON_X509_CERTIFICATE_VIEW_H_
