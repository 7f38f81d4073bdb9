#include "coordinator/service/map_work.h"

#include <algorithm>
#include <map>
#include <optional>

#include "absl/strings/str_cat.h"
#include "common/map/map_parts.h"
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

std::vector<MapTask> SplitMapTask(const std::string& dir,
                                  const std::optional<DirectoryTally>& before, uint64_t split_bytes,
                                  uint32_t slots, const std::string& plan_id) {
  if (split_bytes == 0 || slots < 2) return {};
  // Whether to split goes by bytes (--split-bytes), from the files' sizes
  // alone; how, by certificates, which is what a part's time goes with: the
  // files' samples are read only for a directory that is split.
  absl::StatusOr<std::map<std::string, map::StemWork>> work =
      map::UnmappedWorkByStem(dir, before, /*estimate_certificates=*/false);
  if (!work.ok() || work->size() < 2) return {};
  uint64_t total = 0;
  for (const auto& [stem, w] : *work) total += w.bytes;
  if (total <= split_bytes) return {};
  work = map::UnmappedWorkByStem(dir, before, /*estimate_certificates=*/true);
  if (!work.ok() || work->size() < 2) return {};
  std::map<std::string, uint64_t> certificates;
  for (const auto& [stem, w] : *work) certificates[stem] = w.certificates;
  const uint64_t by_size = (total + split_bytes - 1) / split_bytes;
  const uint32_t parts = static_cast<uint32_t>(
      std::min<uint64_t>({work->size(), by_size, static_cast<uint64_t>(slots)}));
  if (parts < 2) return {};
  // A committed tally that is cut short or corrupt is mapped whole, from the
  // start: a part would refuse it (DirectoryMapper::MapPart).
  absl::StatusOr<std::optional<tally::OracleReader>> committed =
      tally::OracleReader::Open(absl::StrCat(dir, "/", tally::kOracleFileName));
  if (committed.ok() && committed->has_value()) {
    absl::Status verified = (*committed)->VerifyChecksum();
    if (!verified.ok()) committed = verified;
  }
  if (!committed.ok()) return {};
  // Leftovers of an earlier plan (a killed coordinator) are never merged;
  // removing them keeps the folder small.
  (void)map::RemoveMapParts(dir);
  std::vector<MapTask> tasks;
  const std::vector<std::vector<std::string>> stems = map::BalanceStems(certificates, parts);
  for (uint32_t k = 0; k < parts; ++k) {
    MapTask t;
    t.set_directory(dir);
    t.set_part(k);
    t.set_parts(parts);
    t.set_plan_id(plan_id);
    for (const std::string& stem : stems[k]) t.add_stems(stem);
    tasks.push_back(std::move(t));
  }
  return tasks;
}

absl::Status CheckPartWritten(const MapTask& task) {
  absl::StatusOr<std::string> base = map::OracleBase(task.directory());
  absl::Status s = base.status();
  if (base.ok()) {
    s = map::LoadMapPart(task.directory(), task.plan_id(), task.part(), task.parts(), *base)
            .status();
  }
  if (s.ok()) return s;
  return absl::FailedPreconditionError(absl::StrCat("part ", task.part() + 1, "/", task.parts(),
                                                    " of the map of ", task.directory(),
                                                    " reported success, but: ", s.message()));
}

}  // namespace ctmr::service
