// Sorted runs of Hash128 in files: the sets a map spills when it reaches its
// memory budget, and the sets of a committed oracle.out, which have the same
// layout (16-byte big-endian records, strictly ascending, back to back).
// Everything here reads and writes them through a buffer of a size the
// caller chooses, so that memory does not grow with the length of a run.
#ifndef CT_COMMON_TALLY_HASH_RUN_H_
#define CT_COMMON_TALLY_HASH_RUN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/base/hash128.h"
#include "common/tally/hash_set.h"

namespace ctmr::tally {

// `count` 16-byte records starting at byte `offset` of a file.
struct SetSpan {
  uint64_t offset = 0;
  uint64_t count = 0;
};

// The four sets of an IssuerTally, in the order (and with the field numbers,
// less kSerials' 6) that tally.proto gives them.
enum TallySet : int { kSerials = 0, kFqdns = 1, kRegdomains = 2, kWildcards = 3 };
inline constexpr int kTallySets = 4;

// Appends runs to a file (`fd`, not owned) from byte `offset` on. Errors are
// kept and returned by EndRun and Flush, so that Add stays a copy.
class HashRunWriter {
 public:
  HashRunWriter(int fd, std::string path, uint64_t offset, size_t buffer_bytes);

  void Add(const base::Hash128& h);
  // The span of the records added since the last EndRun (or the start).
  absl::StatusOr<SetSpan> EndRun();
  // Writes out the buffer; the first write error, naming the file.
  absl::Status Flush();
  uint64_t end() const { return written_ + buffer_.size(); }

 private:
  int fd_;
  std::string path_;
  uint64_t written_;    // file offset of buffer_[0]
  uint64_t run_start_;  // file offset of the current run
  size_t capacity_;
  std::string buffer_;
  absl::Status status_;
};

// Reads one sorted run in order: from a file (`fd`, not owned, `buffer_bytes`
// at a time) or from memory. Next() is DataLoss, naming the file, when the
// records do not ascend strictly (a corrupt tally).
class HashRunCursor {
 public:
  HashRunCursor(int fd, const std::string* path, SetSpan span, size_t buffer_bytes);
  explicit HashRunCursor(const HashSet* sorted);

  // Moves to the next record (the first, on the first call).
  absl::Status Next();
  bool done() const { return done_; }
  const base::Hash128& current() const { return current_; }

 private:
  int fd_ = -1;
  const std::string* path_ = nullptr;
  SetSpan span_;
  size_t buffer_records_ = 0;
  const HashSet* memory_ = nullptr;
  uint64_t next_ = 0;  // index in the run of the record after current_
  std::string buffer_;
  uint64_t buffer_first_ = 0;  // index of buffer_'s first record
  base::Hash128 current_;
  bool started_ = false;
  bool done_ = false;
};

// Visits the union of the runs once per distinct record, ascending: a k-way
// merge, as LevelDB compacts. `runs` are fresh cursors (Next not yet called).
absl::Status MergeRuns(std::vector<HashRunCursor>* runs,
                       absl::FunctionRef<void(const base::Hash128&)> visit);

// Whether the run `span` of `fd` holds `h`. A uniform hash lies about
// h.high / 2^64 of the way into the run: one read of a page there nearly
// always decides, a binary search of 16-byte reads otherwise. `page` is the
// caller's scratch buffer.
absl::StatusOr<bool> RunContains(int fd, const std::string& path, const SetSpan& span,
                                 const base::Hash128& h, std::string* page);

}  // namespace ctmr::tally

#endif  // CT_COMMON_TALLY_HASH_RUN_H_
