// PemScanner: finds complete PEM blocks in a buffer that a writer may still be
// appending to.
//
// Contract:
//  - A block is "-----BEGIN <label>-----", a body, "-----END <label>-----".
//    Only complete blocks are returned; a block whose END marker has not been
//    written yet is left alone, and consumed() stops before it, so the next
//    read starts at its BEGIN line.
//  - RFC 1421 header lines at the start of a body ("Log: ...",
//    "Recorded-at: ..."), up to and including the blank line after them, are
//    not part of body.
//  - Text outside blocks is skipped. A block that can never complete — a new
//    BEGIN before its END, an END with another label, a missing blank line
//    after headers, or more than kMaxPemBlockBytes without an END — is
//    returned with `malformed` set, so that the caller counts it as an error.
#ifndef CT_COMMON_X509_PEM_SCANNER_H_
#define CT_COMMON_X509_PEM_SCANNER_H_

#include <cstddef>
#include <string_view>

namespace ctmr::x509 {

// Bound on one block, headers included: certificates with thousands of names
// stay far below it, and hostile input cannot make a reader buffer without end.
inline constexpr size_t kMaxPemBlockBytes = 1 << 20;

struct PemBlock {
  std::string_view label;  // "CERTIFICATE"
  std::string_view body;   // base64 text, headers removed
  bool malformed = false;
};

class PemScanner {
 public:
  // `at_end_of_input`: no more bytes will follow `buffer` in this read (the
  // file's current end). It lets trailing text outside blocks be consumed.
  PemScanner(std::string_view buffer, bool at_end_of_input);

  // Stores the next complete (or malformed) block and returns true; returns
  // false when no further block is complete in the buffer.
  bool Next(PemBlock* block);

  // Bytes of the buffer that are done with: everything up to the end of the
  // last block returned and the text after it that cannot start a block.
  size_t consumed() const { return consumed_; }

 private:
  std::string_view buffer_;
  bool at_end_;
  size_t consumed_ = 0;
};

}  // namespace ctmr::x509

#endif  // CT_COMMON_X509_PEM_SCANNER_H_
