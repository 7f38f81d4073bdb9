// DerSequenceScanner: splits a buffer of DER certificates written back to back
// (a .cer file) into one TLV per certificate, leaving a half-written last one.
//
// Contract: each element must be a SEQUENCE (0x30) with a definite length of at
// most kMaxDerCertificateBytes. An element whose header is not that cannot be
// resynchronized (DER has no markers), so it is returned once as malformed and
// everything after it is consumed. An element that runs past the buffer is left
// for the next read.
#ifndef CT_COMMON_X509_DER_SEQUENCE_SCANNER_H_
#define CT_COMMON_X509_DER_SEQUENCE_SCANNER_H_

#include <cstddef>
#include <string_view>

namespace ctmr::x509 {

inline constexpr size_t kMaxDerCertificateBytes = 1 << 20;

class DerSequenceScanner {
 public:
  explicit DerSequenceScanner(std::string_view buffer) : buffer_(buffer) {}

  // Stores the next complete element in `der` and returns true, with
  // `*malformed` telling whether it is garbage; false when none is complete.
  bool Next(std::string_view* der, bool* malformed);

  size_t consumed() const { return consumed_; }

 private:
  std::string_view buffer_;
  size_t consumed_ = 0;
};

}  // namespace ctmr::x509

#endif  // CT_COMMON_X509_DER_SEQUENCE_SCANNER_H_
