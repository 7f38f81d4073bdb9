// PemScanner: finds complete PEM blocks in a buffer that a writer may still be
// appending to.
//
// Contract:
//  - A block is "-----BEGIN <label>-----", a body, "-----END <label>-----".
//    A block is complete once the '\n' that ends its END line has been
//    written ("\r\n" ends it too). This is the one definition of a complete
//    block: the map counts only complete blocks, and ct-fetch cuts whatever
//    follows the last one before it appends (CompletePemPrefix below), so the
//    offset a map records is never inside bytes that ct-fetch cuts and writes
//    again. Only complete blocks are returned; a block still being written
//    (its END line included) is left alone, and consumed() stops before it,
//    so the next read starts at its BEGIN line.
//  - RFC 1421 header lines at the start of a body ("Log: ...",
//    "Recorded-at: ..."), up to and including the blank line after them, are
//    not part of body; they are in `headers` (pem_writer.h parses them).
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
  std::string_view headers;  // the header lines, each ended by '\n'; "" when none
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

// The length of the prefix of `text` (a file's last bytes, up to its current
// end) that a map reading to the end consumes: the complete blocks, and the
// text outside blocks that cannot start one. What follows is a block (or a
// BEGIN line) still being written. ct-fetch cuts a file here before it
// appends, so that a torn block is written again whole, and the map's offset,
// which never passes this point, stays valid. `text` may start anywhere in the
// file, even inside a block: bytes before its first BEGIN line are skipped,
// as the map skips them.
size_t CompletePemPrefix(std::string_view text);

}  // namespace ctmr::x509

#endif  // CT_COMMON_X509_PEM_SCANNER_H_
