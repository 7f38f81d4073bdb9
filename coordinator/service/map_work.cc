#include "coordinator/service/map_work.h"

#include <optional>

#include "common/tally/oracle_file.h"
#include "common/tally/oracle_reader.h"

namespace ctmr::service {

MapWork FindMapWork(const map::DataRootListing& listing, const RunState& state) {
  MapWork work;
  for (const map::DateDirectory& d : listing.dates) {
    auto f = state.failed.find(d.name);
    if (f != state.failed.end()) {
      absl::StatusOr<std::string> fp = InputFingerprint(d.path);
      if (fp.ok() && *fp == f->second.input_fingerprint) {
        work.skipped_failed.push_back(d.name);
        continue;
      }
      work.retried.push_back(d.name);
    }
    absl::StatusOr<std::optional<DirectoryTally>> tally = tally::LoadOracleHeader(d.path);
    absl::StatusOr<bool> needs = tally.ok() ? tally::NeedsMapping(d.path, *tally) : true;
    if (!needs.ok() || *needs) work.to_map.push_back(&d);
  }
  return work;
}

}  // namespace ctmr::service
