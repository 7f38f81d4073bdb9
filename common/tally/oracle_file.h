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

#include "absl/status/statusor.h"
#include "proto/tally.pb.h"

namespace ctmr::tally {

inline constexpr char kOracleFileName[] = "oracle.out";
inline constexpr char kOracleOffsetsFileName[] = "oracle.out.offsets";
// Bumped whenever the meaning of a stored field changes; a tally of another
// format is ignored and its directory mapped again from the start.
inline constexpr uint32_t kDirectoryTallyFormat = 1;

// True for the names the map itself writes into a date directory.
bool IsOracleFileName(const std::string& name);

// The committed tally of `dir`; nullopt when there is none or it has another
// format. DataLoss when the file exists but does not parse.
absl::StatusOr<std::optional<DirectoryTally>> LoadOracle(const std::string& dir);

// Commits `tally` as dir/oracle.out (atomically) and then dir/oracle.out.offsets.
absl::Status CommitOracle(const std::string& dir, const DirectoryTally& tally);

// Whether `dir` holds input the tally does not cover yet: a .pem or .cer file
// that is new, or longer than its recorded offset.
absl::StatusOr<bool> NeedsMapping(const std::string& dir,
                                  const std::optional<DirectoryTally>& tally);

}  // namespace ctmr::tally

#endif  // CT_COMMON_TALLY_ORACLE_FILE_H_
