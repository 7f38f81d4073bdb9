#include "common/x509/der_sequence_scanner.h"

#include <cstdint>

namespace ctmr::x509 {

bool DerSequenceScanner::Next(std::string_view* der, bool* malformed) {
  const size_t available = buffer_.size() - consumed_;
  if (available < 2) return false;
  const auto* p = reinterpret_cast<const uint8_t*>(buffer_.data() + consumed_);
  size_t header = 2;
  size_t length = p[1];
  bool bad = p[0] != 0x30 || p[1] == 0x80;
  if (!bad && (p[1] & 0x80) != 0) {
    const size_t octets = p[1] & 0x7f;
    if (octets > 3) {
      bad = true;
    } else {
      if (available < 2 + octets) return false;
      length = 0;
      for (size_t i = 0; i < octets; ++i) length = (length << 8) | p[2 + i];
      header += octets;
      bad = length > kMaxDerCertificateBytes;
    }
  }
  if (bad) {
    *der = buffer_.substr(consumed_);
    *malformed = true;
    consumed_ = buffer_.size();
    return true;
  }
  if (available < header + length) return false;
  *der = buffer_.substr(consumed_, header + length);
  *malformed = false;
  consumed_ += header + length;
  return true;
}

}  // namespace ctmr::x509
