#include "common/x509/certificate_decoder.h"

#include "common/x509/der_certificate_parser.h"
#include "common/x509/openssl_certificate_parser.h"

namespace ctmr::x509 {

bool CertificateDecoder::Decode(std::string_view der, CertificateView* out) {
  if (mode_ == Mode::kOpenSslOnly) return ParseCertificateWithOpenSsl(der, out).ok();
  if (ParseCertificateDer(der, out).ok()) return true;
  if (!ParseCertificateWithOpenSsl(der, out).ok()) return false;
  ++openssl_fallbacks_;
  return true;
}

}  // namespace ctmr::x509
