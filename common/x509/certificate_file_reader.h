// Reads the certificates of one input file of a date directory, from a byte
// offset to the last complete block, in bounded memory.
//
//  - ".pem": PEM blocks (pem_scanner.h); "CERTIFICATE" blocks are decoded from
//    base64, every other label is an unparseable block.
//  - ".cer": DER certificates back to back (der_sequence_scanner.h).
// The file is read in chunks of kReadChunkBytes, so a multi-gigabyte file
// needs a few megabytes of memory.
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

enum class CertificateFileFormat { kPem, kDer };

// The format a file name stands for, or nullopt for files the map skips.
std::optional<CertificateFileFormat> FormatOfFileName(std::string_view name);

// The issuer a file's certificates belong to: its name without the extension.
std::string_view IssuerIdOfFileName(std::string_view name);

struct FileReadResult {
  uint64_t end_offset = 0;        // where the next read starts
  uint64_t blocks = 0;            // complete blocks seen (valid or not)
  uint64_t malformed_blocks = 0;  // blocks that are not base64 of a certificate
};

// Calls `visit` with the DER of each complete block after `offset`; `visit`
// returns false when the bytes are not a certificate, and the block counts as
// malformed. Errors (the file cannot be opened or read, is not a regular file,
// or is shorter than `offset`) name the file.
absl::StatusOr<FileReadResult> ReadCertificateFile(
    const std::string& path, uint64_t offset, CertificateFileFormat format,
    absl::FunctionRef<bool(std::string_view der)> visit);

}  // namespace ctmr::x509

#endif  // CT_COMMON_X509_CERTIFICATE_FILE_READER_H_
