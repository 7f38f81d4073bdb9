// The fast path: a small, strict DER reader for the fields of CertificateView.
//
// OpenSSL's d2i_X509 builds the whole certificate (about 10,000/s per core);
// the map needs a handful of fields, so this reader walks the TLVs once and
// copies nothing. It is strict on purpose: whatever it is not sure about (BER
// constructs, unknown string types, duplicate extensions, trailing bytes,
// policy qualifiers other than a CPS pointer) it refuses, and the caller
// falls back to OpenSSL (certificate_decoder.h). The contract the tests and
// the fuzzer hold it to: whenever this parser returns OK, OpenSSL also parses
// the certificate and yields identical fields.
#ifndef CT_COMMON_X509_DER_CERTIFICATE_PARSER_H_
#define CT_COMMON_X509_DER_CERTIFICATE_PARSER_H_

#include <string_view>

#include "absl/status/status.h"
#include "common/x509/certificate_view.h"

namespace ctmr::x509 {

// Parses one DER certificate that spans all of `der`. On OK, `out` (cleared
// first) points into `der`. On error, `out` is unspecified.
absl::Status ParseCertificateDer(std::string_view der, CertificateView* out);

}  // namespace ctmr::x509

#endif  // CT_COMMON_X509_DER_CERTIFICATE_PARSER_H_
