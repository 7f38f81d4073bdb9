// The OpenSSL reference for precert_tbs.h: the same answers computed the way
// ct-fetch did before (d2i_X509, X509_delete_ext, i2d_re_X509_tbs,
// i2d_X509_PUBKEY). Tests and the fuzzer hold the fast path to these;
// CheckPrecertificateTbs falls back to RemovePoisonToTbsWithOpenSsl for
// precertificates the strict reader refuses. Slow: not for the hot path.
//
// Errors: kInvalidArgument when d2i_X509 refuses the input (trailing bytes
// after the certificate are ignored, as d2i_X509 does); kNotFound when there
// is no poison (or no key); kInternal when OpenSSL cannot re-encode.
#ifndef CT_COMMON_X509_OPENSSL_PRECERT_TBS_H_
#define CT_COMMON_X509_OPENSSL_PRECERT_TBS_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ctmr::x509 {

// Replaces *tbs_out with the TBSCertificate less the first CT poison extension.
absl::Status RemovePoisonToTbsWithOpenSsl(std::string_view precert_der, std::string* tbs_out);

absl::StatusOr<std::string> SubjectPublicKeyInfoDerWithOpenSsl(std::string_view cert_der);

// kInvalidArgument also when the extendedKeyUsage does not decode or occurs
// twice (X509_get_ext_d2i refuses both).
absl::StatusOr<bool> HasExtendedKeyUsageWithOpenSsl(std::string_view cert_der,
                                                    std::string_view oid);

}  // namespace ctmr::x509

#endif  // CT_COMMON_X509_OPENSSL_PRECERT_TBS_H_
