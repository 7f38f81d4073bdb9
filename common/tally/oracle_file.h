// oracle.out: a date directory's committed tally and the input offsets it
// covers, in one file, so that one rename commits both (DESIGN.md §2).
// oracle.out.offsets repeats the offsets as text ("<offset>\t<file>\n") for
// people and old tools; it is written after oracle.out and never read back,
// so a crash between the two writes loses nothing.
#ifndef CT_COMMON_TALLY_ORACLE_FILE_H_
#define CT_COMMON_TALLY_ORACLE_FILE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/base/hash128.h"
#include "proto/tally.pb.h"

namespace ctmr::tally {

inline constexpr char kOracleFileName[] = "oracle.out";
inline constexpr char kOracleOffsetsFileName[] = "oracle.out.offsets";
// Bumped whenever the meaning of a stored field changes; a tally of another
// format is ignored and its directory mapped again from the start.
// 2: IssuerTally.classes and DayCount.lifetime (the breakdowns); a format-1
// tally lacks them, so its directory is mapped again.
inline constexpr uint32_t kDirectoryTallyFormat = 2;

// The file is the DirectoryTally's protobuf encoding followed by a trailer
// of kOracleTrailerSize bytes, written with it in one atomic commit: the magic
// "ctmrTLY1", the encoding's length (8 bytes, little-endian) and its XXH3-128
// (16 bytes, big-endian). A file cut short anywhere — even at a field
// boundary, where the prefix still parses — has no valid trailer, and a
// changed byte fails the checksum. Both are DataLoss: the map then maps the
// directory again from the start, and a reduce lists it as failed by name;
// it is never counted.
inline constexpr size_t kOracleTrailerSize = 32;

struct OracleTrailer {
  uint64_t payload_size = 0;  // the protobuf encoding's length
  base::Hash128 checksum;     // XXH3-128 of the encoding
};
// The trailer of `payload`.
std::string EncodeOracleTrailer(std::string_view payload);
// The trailer of a payload of `payload_size` bytes whose XXH3-128 is `checksum`
// (for a payload written as a stream: OracleWriter).
std::string EncodeOracleTrailer(uint64_t payload_size, const base::Hash128& checksum);
// The trailer of the file at `path` of `file_size` bytes, given its last
// kOracleTrailerSize bytes. DataLoss, naming `path`, when the file is too
// short, the magic is wrong or the length does not match the file's.
absl::StatusOr<OracleTrailer> DecodeOracleTrailer(std::string_view last_bytes, uint64_t file_size,
                                                  const std::string& path);

// True for the names the map itself writes into a date directory.
bool IsOracleFileName(const std::string& name);

// The committed tally of `dir`; nullopt when there is none or it has another
// format. DataLoss when the file exists but its trailer or checksum is wrong
// or it does not parse.
absl::StatusOr<std::optional<DirectoryTally>> LoadOracle(const std::string& dir);

// Commits `tally` as dir/oracle.out (atomically) and then dir/oracle.out.offsets.
absl::Status CommitOracle(const std::string& dir, const DirectoryTally& tally);

// Whether `dir` holds input the tally does not cover yet: a .pem, .cer or
// .ctseg file that is new, or longer than its recorded offset.
absl::StatusOr<bool> NeedsMapping(const std::string& dir,
                                  const std::optional<DirectoryTally>& tally);

}  // namespace ctmr::tally

#endif  // CT_COMMON_TALLY_ORACLE_FILE_H_
