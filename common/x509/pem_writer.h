// PEM blocks as ct-fetch writes them (DESIGN.md §2), and the inverse of their
// RFC 1421 headers:
//
//   -----BEGIN CERTIFICATE-----
//   Log: https://log.example/
//   Recorded-at: 2025-07-01T12:34:56.789Z
//
//   MIIF…(64 characters a line)
//   -----END CERTIFICATE-----
//
// ct-fetch formats its entries with these, and `ct-worker cat` prints segment
// records with them, so both give openssl and scripts the same text; `ct-worker
// compact` reads the headers back. The *Into and Append* forms reuse the
// caller's buffer and allocate nothing once it is large enough (ct-fetch's
// steady state).
#ifndef CT_COMMON_X509_PEM_WRITER_H_
#define CT_COMMON_X509_PEM_WRITER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ctmr::x509 {

// Appends "2025-07-01", the UTC date of `unix_seconds`.
void AppendUtcDate(int64_t unix_seconds, std::string* out);

// Appends "2025-07-01T12:34:56.789Z" for milliseconds since the epoch.
void AppendRfc3339Millis(uint64_t unix_millis, std::string* out);
std::string FormatRfc3339Millis(uint64_t unix_millis);

// Milliseconds since the epoch of "YYYY-MM-DDTHH:MM:SS[.fraction]Z" (UTC; a
// fraction beyond milliseconds is truncated); nullopt for anything else.
std::optional<uint64_t> ParseRfc3339Millis(std::string_view text);

// One PEM block with the Log and Recorded-at headers (see above). Each header
// is written when known: Log when `log_url` is not empty, Recorded-at when
// `timestamp_millis` is not 0; neither (nor the blank line) for issuer files
// and records of unknown origin.
std::string FormatPemBlock(std::string_view log_url, uint64_t timestamp_millis,
                           std::string_view der);
// The same, into *out (cleared first; its capacity is reused).
void FormatPemBlockInto(std::string_view log_url, uint64_t timestamp_millis, std::string_view der,
                        std::string* out);

// What a block's header lines (PemBlock::headers) say. Other header lines are
// ignored; a Recorded-at that does not parse leaves 0 (unknown).
struct PemHeaders {
  std::string_view log_url;     // "" when absent
  uint64_t recorded_at_ms = 0;  // 0 when absent
};
PemHeaders ParsePemHeaders(std::string_view headers);

}  // namespace ctmr::x509

#endif  // CT_COMMON_X509_PEM_WRITER_H_
