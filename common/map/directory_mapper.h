// DirectoryMapper: the map step. Reads the bytes of a date directory's input
// files that its oracle.out does not cover yet, folds their certificates into
// the per-issuer tallies, and commits the new oracle.out atomically.
//
// The result is a function of the input bytes alone: mapping a directory in
// pieces (as ct-fetch appends) gives the same tally as mapping it once, and a
// map killed at any instant leaves the previous commit, which the next map
// continues from.
//
// Memory: within `memory_budget` bytes whatever the size of the directory.
// The new serials and names of every issuer are gathered in memory; when they
// (with what draining them takes) would pass the budget, they are spilled as
// sorted runs to DIR/oracle.out.spill.<pid>.<n>, and the final tally is a
// k-way merge of the runs, the committed tally's sets (read from the file, never
// parsed whole) and what is left in memory, written as a stream
// (tally::OracleWriter). Serials are looked up in the runs through Bloom
// filters that take at most an eighth of the budget. The committed oracle.out
// is byte for byte what a map without a budget writes. Spill files are removed
// when the map ends, and a map removes those of a map that crashed: one map
// per directory at a time, as the coordinator schedules them (a concurrent
// map's open spill files stay readable on a local file system).
#ifndef CT_COMMON_MAP_DIRECTORY_MAPPER_H_
#define CT_COMMON_MAP_DIRECTORY_MAPPER_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "common/map/map_parts.h"
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
  uint64_t spilled_runs = 0;  // spill files written: the budget was reached this many times
};

// A budget no directory reaches: the map never spills.
inline constexpr uint64_t kUnboundedMap = ~uint64_t{0};

class DirectoryMapper {
 public:
  // `suffixes` must outlive the mapper; one mapper serves one thread.
  // `memory_budget`: the bytes a map may hold beyond the process's fixed
  // needs (a MemoryBudget's capacity: what ForProcess leaves of a limit).
  explicit DirectoryMapper(
      const names::PublicSuffixList* suffixes,
      x509::CertificateDecoder::Mode mode = x509::CertificateDecoder::Mode::kFastWithFallback,
      uint64_t memory_budget = kUnboundedMap)
      : suffixes_(suffixes), mode_(mode), memory_budget_(memory_budget) {}

  // Maps `dir`, a folder directly under its data root. An error (a file that
  // cannot be read, a corrupt oracle.out, a symbolic link that
  // CheckDateDirectoryLink refuses) names the file, and leaves the
  // directory's committed tally as it was. An error writing a spill file is
  // Unavailable (ENOSPC) or FailedPrecondition, naming it.
  absl::StatusOr<MapStats> Map(const std::string& dir);

  // One part of a split map of `dir` (map_parts.h): continues only the
  // issuers spec.stems from the committed oracle.out, reads only their files,
  // within the same memory budget, and writes the part's tally as a stream
  // (CreateMapPartWriter) and then its metadata (WriteMapPartMeta) instead
  // of committing oracle.out; the directory's tally is untouched.
  // Unavailable when oracle.out changed while the part was mapped. The parts
  // of one directory run at once: a part leaves other maps' spill files alone.
  absl::StatusOr<MapStats> MapPart(const std::string& dir, const PartSpec& spec);

 private:
  // Map (part == nullptr) or MapPart.
  absl::StatusOr<MapStats> MapImpl(const std::string& dir, const PartSpec* part);

  const names::PublicSuffixList* suffixes_;
  x509::CertificateDecoder::Mode mode_;
  uint64_t memory_budget_;
};

}  // namespace ctmr::map

#endif  // CT_COMMON_MAP_DIRECTORY_MAPPER_H_
