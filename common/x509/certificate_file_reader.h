// Reads the certificates of one input file of a date directory, from a byte
// offset to the last complete block, in bounded memory.
//
//  - ".pem": PEM blocks (pem_scanner.h); "CERTIFICATE" blocks are decoded from
//    base64, every other label is an unparseable block.
//  - ".cer": DER certificates back to back (der_sequence_scanner.h).
//  - ".ctseg": segment blocks (common/segment/segment.h); each record is a
//    block of the result, and a block that fails its checks, or bytes that
//    are no block, count as one malformed block.
// The file is read in chunks of kReadChunkBytes, so a multi-gigabyte file
// needs a few megabytes of memory. A read stops before a torn last block
// (PEM or segment): end_offset is where the next read resumes.
#ifndef CT_COMMON_X509_CERTIFICATE_FILE_READER_H_
#define CT_COMMON_X509_CERTIFICATE_FILE_READER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"

namespace ctmr::x509 {

inline constexpr size_t kReadChunkBytes = 8 << 20;

enum class CertificateFileFormat { kPem, kDer, kSegment };

// The format a file name stands for, or nullopt for files the map skips.
std::optional<CertificateFileFormat> FormatOfFileName(std::string_view name);

// The issuer a file's certificates belong to: its name without the extension
// (".pem", ".cer" or ".ctseg").
std::string_view IssuerIdOfFileName(std::string_view name);

struct FileReadResult {
  uint64_t end_offset = 0;        // where the next read starts
  uint64_t blocks = 0;            // complete blocks (segment: records) seen, valid or not
  uint64_t malformed_blocks = 0;  // blocks that are not a certificate
};

// Calls `visit` with the DER of each complete block (segment: of each record
// of each complete block) after `offset`; `visit` returns false when the bytes
// are not a certificate, and the block counts as malformed. Errors (the file cannot be opened or
// read, is not a regular file, or is shorter than `offset`) name the file.
absl::StatusOr<FileReadResult> ReadCertificateFile(
    const std::string& path, uint64_t offset, CertificateFileFormat format,
    absl::FunctionRef<bool(std::string_view der)> visit);

}  // namespace ctmr::x509

#endif  // CT_COMMON_X509_CERTIFICATE_FILE_READER_H_
