// The reference path: the fields of CertificateView read through OpenSSL 3.
//
// Used when the fast DER reader refuses a certificate, and by the tests and
// the fuzzer as the oracle the fast reader must agree with.
#ifndef CT_COMMON_X509_OPENSSL_CERTIFICATE_PARSER_H_
#define CT_COMMON_X509_OPENSSL_CERTIFICATE_PARSER_H_

#include <string_view>

#include "absl/status/status.h"
#include "common/x509/certificate_view.h"

namespace ctmr::x509 {

// Parses one DER certificate with d2i_X509; trailing bytes after it are an
// error. On OK, `out` (cleared first) points into its own `storage`: serial
// and issuer re-encoded as DER, dNSNames and CNs as OpenSSL returns them (CNs
// through ASN1_STRING_to_UTF8). The key class comes from the SPKI's OIDs (and
// for RSA the decoded key's size); a certificatePolicies extension that does
// not decode leaves the validation unknown rather than failing the parse.
absl::Status ParseCertificateWithOpenSsl(std::string_view der, CertificateView* out);

}  // namespace ctmr::x509

#endif  // CT_COMMON_X509_OPENSSL_CERTIFICATE_PARSER_H_
