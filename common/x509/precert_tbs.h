// Precertificates without OpenSSL's decoder: the TBSCertificate a CT log
// hashes for a precertificate (RFC 6962 §3.1-3.2), and the two facts ct-fetch
// needs of an issuer certificate (its key, its extendedKeyUsage).
//
// ct-fetch checks every precertificate entry, and OpenSSL's d2i_X509 was most
// of that cost. These functions walk the DER once with the strict reader of
// der_reader.h and copy nothing but their output. Their contract, held by
// tests/common/x509/precert_tbs_test.cc and tests/fuzz/precert_tbs_fuzzer.cc:
// whenever one returns OK, OpenSSL 3 also decodes the input and yields the
// same answer, byte for byte (openssl_precert_tbs.h is that reference).
//
// Errors, for all of them:
//   kInvalidArgument  not a DER X.509 v3 certificate the strict reader is sure
//                     of (BER, trailing bytes, an unusual string or time form,
//                     a duplicated extension that matters here): OpenSSL may
//                     still read it, so a caller may fall back to it.
//   kNotFound         RemovePoisonToTbs: the certificate has no CT poison.
//   kDataLoss         CheckPrecertificateTbs: the logged TBS does not match.
#ifndef CT_COMMON_X509_PRECERT_TBS_H_
#define CT_COMMON_X509_PRECERT_TBS_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ctmr::x509 {

// 1.3.6.1.4.1.11129.2.4.4, the extendedKeyUsage of a Precertificate Signing
// Certificate (RFC 6962 §3.1), as OID content octets.
inline constexpr std::string_view kOidPrecertificateSigning(
    "\x2b\x06\x01\x04\x01\xd6\x79\x02\x04\x04", 10);

// Replaces *tbs_out (its capacity is reused: no allocation once it is large
// enough) with the precertificate's TBSCertificate less its CT poison
// extension: the enclosing lengths re-encoded minimally, and the extensions
// field dropped when the poison was the only extension. That is exactly what
// OpenSSL's X509_delete_ext + i2d_re_X509_tbs produce. The certificate must
// hold exactly one poison, critical with extnValue NULL as RFC 6962 §3.1
// says; any other poison is kInvalidArgument. On error *tbs_out is unspecified.
absl::Status RemovePoisonToTbs(std::string_view precert_der, std::string* tbs_out);

// Checks a precert_entry: OK when `logged_tbs` is RemovePoisonToTbs of the
// pre_certificate. When it is not and `issuer_der` (the first chain
// certificate; may be empty) is a Precertificate Signing Certificate, the log
// had to rewrite the TBS (RFC 6962 §3.1), so OK also when `logged_tbs` is
// that TBS with the issuer Name replaced by the signing certificate's issuer
// and the authorityKeyIdentifier's value by the signing certificate's (the
// extension removed when it has none, appended when only it has one), as
// certificate-transparency-go's BuildPrecertTBS does.
// A pre_certificate the strict reader refuses (kInvalidArgument) is decoded
// by OpenSSL instead, so such rare input gets the verdict it always had.
// Else kDataLoss. `scratch` holds the TBS between calls to spare allocations.
absl::Status CheckPrecertificateTbs(std::string_view precert_der, std::string_view logged_tbs,
                                    std::string_view issuer_der, std::string* scratch);

// The SubjectPublicKeyInfo TLV of a certificate, pointing into `cert_der`:
// what i2d_X509_PUBKEY gives (ct-fetch's issuer id is its SHA-256).
absl::StatusOr<std::string_view> SubjectPublicKeyInfoDer(std::string_view cert_der);

// Whether the certificate's extendedKeyUsage lists `oid` (content octets,
// e.g. kOidPrecertificateSigning). False when it has no such extension.
absl::StatusOr<bool> HasExtendedKeyUsage(std::string_view cert_der, std::string_view oid);

}  // namespace ctmr::x509

#endif  // CT_COMMON_X509_PRECERT_TBS_H_
