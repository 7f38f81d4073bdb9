// DirectoryMapper: the map step. Reads the bytes of a date directory's input
// files that its oracle.out does not cover yet, folds their certificates into
// the per-issuer tallies, and commits the new oracle.out atomically.
//
// The result is a function of the input bytes alone: mapping a directory in
// pieces (as ct-fetch appends) gives the same tally as mapping it once, and a
// map killed at any instant leaves the previous commit, which the next map
// continues from.
#ifndef CT_COMMON_MAP_DIRECTORY_MAPPER_H_
#define CT_COMMON_MAP_DIRECTORY_MAPPER_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "common/names/registered_domain.h"
#include "common/x509/certificate_decoder.h"

namespace ctmr::map {

struct MapStats {
  bool committed = false;  // a new oracle.out was written
  uint64_t bytes_read = 0;
  uint64_t certificates = 0;  // new certificates counted
  uint64_t duplicates = 0;    // blocks whose (issuer, serial) was already counted
  uint64_t unparseable_blocks = 0;
  uint64_t openssl_fallbacks = 0;
  // Files not read: dot-files, names not .pem, .cer or .ctseg, and FIFOs,
  // sockets and devices (the map's own oracle.out* files are not counted).
  uint64_t skipped_files = 0;
};

class DirectoryMapper {
 public:
  // `suffixes` must outlive the mapper; one mapper serves one thread.
  explicit DirectoryMapper(
      const names::PublicSuffixList* suffixes,
      x509::CertificateDecoder::Mode mode = x509::CertificateDecoder::Mode::kFastWithFallback)
      : suffixes_(suffixes), mode_(mode) {}

  // Maps `dir`, a folder directly under its data root. An error (a file that
  // cannot be read, a corrupt oracle.out, a symbolic link that
  // CheckDateDirectoryLink refuses) names the file, and leaves the
  // directory's committed tally as it was.
  absl::StatusOr<MapStats> Map(const std::string& dir);

 private:
  const names::PublicSuffixList* suffixes_;
  x509::CertificateDecoder::Mode mode_;
};

}  // namespace ctmr::map

#endif  // CT_COMMON_MAP_DIRECTORY_MAPPER_H_
