#include "coordinator/service/map_work.h"

#include <optional>

#include "absl/strings/str_cat.h"
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

namespace {

bool SameOffsets(const DirectoryTally& a, const DirectoryTally& b) {
  if (a.offsets_size() != b.offsets_size()) return false;
  for (int i = 0; i < a.offsets_size(); ++i) {
    if (a.offsets(i).name() != b.offsets(i).name() ||
        a.offsets(i).offset() != b.offsets(i).offset()) {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::Status CheckMapCommitted(const std::string& dir, const std::optional<DirectoryTally>& before,
                               const MapResult& result) {
  absl::StatusOr<std::optional<DirectoryTally>> after = tally::LoadOracleHeader(dir);
  if (!after.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the map of ", dir, " reported success, but: ", after.status().message()));
  }
  if (!after->has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the map of ", dir, " reported success, but there is no oracle.out"));
  }
  absl::StatusOr<bool> needs = tally::NeedsMapping(dir, *after);
  if (needs.ok() && !*needs) return absl::OkStatus();
  if (!before.has_value() || !SameOffsets(*before, **after)) return absl::OkStatus();
  if (!result.committed()) return absl::OkStatus();  // only a half-written block was new
  return absl::FailedPreconditionError(absl::StrCat(
      "the map of ", dir, " reported a commit, but its oracle.out is unchanged and does not ",
      "cover the input"));
}

}  // namespace ctmr::service
