// The work of one coordinator task, without any networking: a MapTask runs
// DirectoryMapper on one date directory, a MergeTask folds directory tallies
// and earlier partial reduces into one ReduceTally file (the tree reduce).
//
// Both return a Result for the coordinator, never throw, and are safe to call
// from many threads at once (each call builds its own mapper and reducer).
// Failures carry an ErrorKind the coordinator's retry policy keys off:
// TRANSIENT (may succeed later or elsewhere) or PERMANENT (fails again until
// the input changes).
#ifndef CT_WORKER_TASK_RUNNER_H_
#define CT_WORKER_TASK_RUNNER_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/registered_domain.h"
#include "proto/coordination.pb.h"
#include "proto/tally.pb.h"

namespace ctmr {

// kUnavailable, kAborted, kDeadlineExceeded, kResourceExhausted, kCancelled,
// kInternal and kUnknown are TRANSIENT; every other error (kDataLoss,
// kFailedPrecondition, kNotFound, kInvalidArgument, ...) is PERMANENT.
ErrorKind ErrorKindOf(const absl::Status& status);

// Maps task.directory(). `suffixes` must outlive the call.
Result RunMapTask(const MapTask& task, const PublicSuffixList* suffixes);

// The merge itself: the oracle.out of each listed directory (active when its
// date is in [as_of, as_of + window_days), or >= as_of when window_days is 0)
// and each listed partial, as one ReduceTally with as_of, window_days and the
// sorted union of the covered directory names filled in.
// InvalidArgument for a directory whose name is not a date; Unavailable for a
// directory without oracle.out (not mapped yet) or a missing partial file;
// DataLoss for a file that does not parse.
absl::StatusOr<ReduceTally> MergeTallies(const MergeTask& task);

// MergeTallies, then writes the result to task.output() atomically.
Result RunMergeTask(const MergeTask& task);

}  // namespace ctmr

#endif  // CT_WORKER_TASK_RUNNER_H_
