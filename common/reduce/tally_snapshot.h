// TallySnapshot: the oracle.out of every directory a reduce reads, pinned for
// the reduce's duration as hard links in one folder (ROOT/state/reduce/<id>/,
// one entry per date). A sharded reduce reads each tally once per shard; a
// map that commits meanwhile renames a new file over oracle.out and leaves
// the linked one as it was, so every shard reads the same version of every
// directory and the shards add up.
//
// Where the file system refuses hard links (EXDEV, EPERM, ENOTSUP, EMLINK),
// the entry is a symbolic link instead and pinned() is false: the reduce
// still works, but a map running at the same time could skew it.
// The folder is removed when the snapshot is destroyed.
//
// A process killed with -9 cannot remove its folder, so each snapshot holds a
// lock on "<folder>.ct-snapshot-lock" beside it while it lives, and Take
// first removes every snapshot in the same parent whose lock nobody holds —
// on any host of a shared root (flock works over NFSv4). Only names with that
// suffix are touched, so a parent such as /tmp is safe.
#ifndef CT_COMMON_REDUCE_TALLY_SNAPSHOT_H_
#define CT_COMMON_REDUCE_TALLY_SNAPSHOT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/base/lock_file.h"
#include "common/map/data_root.h"

namespace ctmr::reduce {

class TallySnapshot {
 public:
  // Links each directory's oracle.out as folder/<name>; a directory without
  // one (not mapped yet) is left out. `folder` is created and must not exist.
  static absl::StatusOr<std::unique_ptr<TallySnapshot>> Take(
      const std::string& folder, const std::vector<const map::DateDirectory*>& dirs);

  ~TallySnapshot();
  TallySnapshot(const TallySnapshot&) = delete;
  TallySnapshot& operator=(const TallySnapshot&) = delete;

  // Removes the snapshots under `parent` that their process abandoned (their
  // lock is free). Returns how many; errors are ignored (best effort).
  static int RemoveAbandoned(const std::string& parent);

  const std::string& folder() const { return folder_; }
  const std::vector<const map::DateDirectory*>& directories() const { return directories_; }
  bool pinned() const { return pinned_; }

 private:
  explicit TallySnapshot(std::string folder) : folder_(std::move(folder)) {}

  std::string folder_;
  std::unique_ptr<base::LockFile> lock_;                // held while the folder is in use
  std::vector<const map::DateDirectory*> directories_;  // those with an oracle.out
  bool pinned_ = true;
};

}  // namespace ctmr::reduce

#endif  // CT_COMMON_REDUCE_TALLY_SNAPSHOT_H_
