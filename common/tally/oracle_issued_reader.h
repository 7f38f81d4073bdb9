// Reads from a date directory's oracle.out only what the reports' history
// needs: each issuer's certificates issued per day. The hash sets, which are
// nearly all of the file, are skipped by seeking, so reading every
// directory's counts costs a few kilobytes of I/O each, however large the
// tallies grow.
#ifndef CT_COMMON_TALLY_ORACLE_ISSUED_READER_H_
#define CT_COMMON_TALLY_ORACLE_ISSUED_READER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace ctmr::tally {

struct IssuerIssued {
  std::string issuer_id;
  std::string issuer_name;
  std::string organization;
  std::vector<std::pair<int32_t, uint64_t>> issued;  // (day, certificates), as stored
};

struct DirectoryIssued {
  std::string directory;  // "YYYY-MM-DD"
  std::vector<IssuerIssued> issuers;
};

// The issued counts of dir/oracle.out; nullopt when there is none or it has
// another format (as LoadOracle). DataLoss when the file does not parse.
absl::StatusOr<std::optional<DirectoryIssued>> LoadOracleIssued(const std::string& dir);

}  // namespace ctmr::tally

#endif  // CT_COMMON_TALLY_ORACLE_ISSUED_READER_H_
