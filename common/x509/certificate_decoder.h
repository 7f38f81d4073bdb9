// CertificateDecoder: DER bytes to CertificateView, fast reader first, OpenSSL
// for whatever the fast reader refuses, so no valid certificate is lost.
#ifndef CT_COMMON_X509_CERTIFICATE_DECODER_H_
#define CT_COMMON_X509_CERTIFICATE_DECODER_H_

#include <cstdint>
#include <string_view>

#include "common/x509/certificate_view.h"

namespace ctmr::x509 {

class CertificateDecoder {
 public:
  enum class Mode {
    kFastWithFallback,  // production: the DER reader, OpenSSL for what it refuses
    kOpenSslOnly,       // the reference path, for benchmarks and cross-checks
  };
  explicit CertificateDecoder(Mode mode = Mode::kFastWithFallback) : mode_(mode) {}

  // Returns true and fills `out` (valid while `der` lives) when either parser
  // reads `der` as one X.509 certificate; false when neither does.
  bool Decode(std::string_view der, CertificateView* out);

  // Certificates that only OpenSSL could read.
  uint64_t openssl_fallbacks() const { return openssl_fallbacks_; }

 private:
  Mode mode_;
  uint64_t openssl_fallbacks_ = 0;
};

}  // namespace ctmr::x509

#endif  // CT_COMMON_X509_CERTIFICATE_DECODER_H_
