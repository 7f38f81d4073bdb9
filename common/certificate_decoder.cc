#include "common/certificate_decoder.h"

#include "common/der_certificate_parser.h"
#include "common/openssl_certificate_parser.h"

namespace ctmr {

bool CertificateDecoder::Decode(std::string_view der, CertificateView* out) {
  if (mode_ == Mode::kOpenSslOnly) return ParseCertificateWithOpenSsl(der, out).ok();
  if (ParseCertificateDer(der, out).ok()) return true;
  if (!ParseCertificateWithOpenSsl(der, out).ok()) return false;
  ++openssl_fallbacks_;
  return true;
}

}  // namespace ctmr
